import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, afterEach, describe, expect, test, vi } from 'vitest';
import { parse } from 'yaml';
import { gradeCommand } from '../src/commands/grade.js';
import { gradesCsv, pool, studentRepos, type StudentGrade } from '../src/commands/regrade.js';
import { hintsAllowed, readConfig, solutionAllowed, type CourseConfig } from '../src/config.js';
import { lessonById, lessons as registryLessons } from '../src/registry/index.js';
import type { LessonDefinition } from '../src/registry/types.js';
import type { Results } from '../src/results.js';
import { gradeStudentRepo, installDependencies, integrity, isStudentRepo } from '../src/student.js';
import { fakeCommands, makeStudentRepo, tampering } from './student-repos.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'course-classroom-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const lesson01 = lessonById('01-error-handling');
const maxScore = (lesson: LessonDefinition) => lesson.checks.reduce((sum, check) => sum + check.points, 0);
/** What the flawed exercise truly scores: the self-check proves exactly the guarding checks pass on it. */
const flawedScore = (lesson: LessonDefinition) => lesson.checks.filter((check) => check.guards).reduce((sum, check) => sum + check.points, 0);

describe('workshop controls (course.config.json)', () => {
  const write = (content: string) => {
    const file = path.join(work, `config-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, content);
    return file;
  };

  test('no file means hints on and solutions after a pass', () => {
    expect(readConfig(path.join(work, 'absent.json'))).toEqual({ hints: 'on', solutions: 'after-pass' });
  });

  test('reads every allowed setting', () => {
    expect(readConfig(write('{"hints":"off","solutions":"never"}'))).toEqual({ hints: 'off', solutions: 'never' });
    expect(readConfig(write('{"hints":{"afterFailedRuns":3}}'))).toEqual({ hints: { afterFailedRuns: 3 }, solutions: 'after-pass' });
    expect(readConfig(write('{"solutions":"instructor"}'))).toEqual({ hints: 'on', solutions: 'instructor' });
  });

  test('rejects what a workshop could get wrong, with a message that says what is allowed', () => {
    expect(() => readConfig(write('{"hints": "sometimes"}'))).toThrow(/"hints" must be "on", "off" or \{ "afterFailedRuns"/);
    expect(() => readConfig(write('{"hints": null}'))).toThrow(/"hints" must be/);
    expect(() => readConfig(write('{"hints": {"afterFailedRuns": -1}}'))).toThrow(/"hints" must be/);
    expect(() => readConfig(write('{"solutions": "always"}'))).toThrow(/"solutions" must be "after-pass", "instructor" or "never"/);
    expect(() => readConfig(write('{"hint": "off"}'))).toThrow(/unknown setting "hint"/);
    expect(() => readConfig(write('[]'))).toThrow(/must hold a JSON object/);
    expect(() => readConfig(write('{hints: off}'))).toThrow(/is not valid JSON/);
  });

  test('hint policy: on, off, and open after a number of failed runs', () => {
    const policy = (hints: CourseConfig['hints'], failedRuns: number) => hintsAllowed({ hints, solutions: 'after-pass' }, failedRuns);
    expect(policy('on', 0).allowed).toBe(true);
    expect(policy('off', 99)).toEqual({ allowed: false, why: expect.stringMatching(/turned off/) });
    expect(policy({ afterFailedRuns: 3 }, 2)).toEqual({ allowed: false, why: expect.stringMatching(/after 3 failed runs.*you have 2/) });
    expect(policy({ afterFailedRuns: 3 }, 3).allowed).toBe(true);
    expect(policy({ afterFailedRuns: 0 }, 0).allowed).toBe(true);
  });

  test('solution policy: after a pass (or forced), instructor only, never', () => {
    const policy = (solutions: CourseConfig['solutions'], request: Parameters<typeof solutionAllowed>[1]) => solutionAllowed({ hints: 'on', solutions }, request);
    expect(policy('after-pass', { passed: false })).toEqual({ allowed: false, why: 'not-passed' });
    expect(policy('after-pass', { passed: true }).allowed).toBe(true);
    expect(policy('after-pass', { passed: false, force: true }).allowed).toBe(true);
    expect(policy('instructor', { passed: true, force: true })).toEqual({ allowed: false, why: 'instructor-only' });
    expect(policy('instructor', { passed: false, instructor: true }).allowed).toBe(true);
    expect(policy('never', { passed: true, force: true, instructor: true })).toEqual({ allowed: false, why: 'never' });
  });
});

describe('integrity and dependencies', () => {
  test('lists changed, added and deleted files outside exercises/, and nothing inside it', () => {
    const course = path.join(work, 'integrity-course');
    const student = path.join(work, 'integrity-student');
    const files = (root: string, content: Record<string, string>) => {
      for (const [file, text] of Object.entries(content)) {
        mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
        writeFileSync(path.join(root, file), text);
      }
    };
    files(course, { 'grader/checks/a.check.ts': 'a', 'grader/checks/b.check.ts': 'b', 'package.json': '{}', 'exercises/01/src/app.ts': 'flawed' });
    files(student, { 'grader/checks/a.check.ts': 'a, edited', 'package.json': '{}', 'vitest.config.ts': 'x', 'exercises/01/src/app.ts': 'fixed', 'exercises/notes.md': 'n' });
    files(student, { 'node_modules/express/index.js': 'ignored' });
    expect(integrity(student, course)).toEqual(['grader/checks/a.check.ts (changed)', 'grader/checks/b.check.ts (deleted)', 'vitest.config.ts (added)']);
  });

  test('a student repo is a folder with exercises/ that is not this course', () => {
    expect(isStudentRepo(undefined)).toBe(false);
    expect(isStudentRepo('solutions')).toBe(false);
    expect(isStudentRepo(path.join(import.meta.dirname, '..', '..'))).toBe(false);
    expect(isStudentRepo(path.join(work, 'integrity-student'))).toBe(true);
  });

  test('student dependencies: ignored where the lesson adds none, served by the course when it has them, only registry versions installed', () => {
    const dir = path.join(work, 'deps');
    mkdirSync(dir, { recursive: true });
    const manifest = (dependencies: Record<string, string>) => writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module', dependencies }));
    manifest({ 'http-errors': '^2.0.0' });
    expect(installDependencies({ ...lesson01, packages: undefined }, dir)).toEqual([expect.stringMatching(/adds no packages; ignored .*http-errors/)]);
    expect(installDependencies(lesson01, dir)).toEqual([]); // the course root has http-errors
    manifest({ 'left-pad': 'github:someone/left-pad', 'http-errors': '^2.0.0' });
    expect(installDependencies(lesson01, dir)).toEqual([expect.stringMatching(/not installed: left-pad@github:someone\/left-pad/)]);
    expect(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).type).toBe('module');
  });
});

describe('regrade output', () => {
  test('one row per student, one column per lesson, a broken repo keeps its row', () => {
    const lessons = [lesson01];
    const results = (score: number): Results => ({
      schemaVersion: 1,
      gradedAt: '',
      target: '',
      score,
      maxScore: maxScore(lesson01),
      lessons: [{ number: 1, id: lesson01.id, title: '', status: score === maxScore(lesson01) ? 'pass' : 'fail', score, maxScore: maxScore(lesson01), dir: '', gradedAt: '', durationMs: 0, tests: [] }],
      integrity: { ignored: score ? [] : ['grader/checks/01-error-handling.check.ts (changed)'] },
    });
    const grades: StudentGrade[] = [
      { student: 'ada', repo: '', results: results(maxScore(lesson01)), durationMs: 1 },
      { student: 'bob, jr', repo: '', results: results(0), durationMs: 1 },
      { student: '=cmd()', repo: '', error: 'stopped after 90 s', durationMs: 1 },
    ];
    const max = maxScore(lesson01);
    expect(gradesCsv(grades, lessons).split('\n')).toEqual([
      'student,01-error-handling,total,max,lessons_passed,changed_outside_exercises,error',
      `ada,${max},${max},${max},1,0,`,
      `"bob, jr",0,0,${max},0,1,`,
      `'=cmd(),,,${max},,,stopped after 90 s`,
      '',
    ]);
  });

  test('the pool never runs more than its limit and keeps the order', async () => {
    let running = 0;
    let peak = 0;
    const out = await pool([5, 1, 3, 2, 4], 2, async (n) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, n * 5));
      running -= 1;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 30, 20, 40]);
    expect(peak).toBe(2);
  });

  test('student repos are the subfolders of the folder', () => {
    const folder = path.join(work, 'class');
    for (const name of ['bob', 'ada', '.git']) mkdirSync(path.join(folder, name), { recursive: true });
    writeFileSync(path.join(folder, 'README.md'), '');
    expect(studentRepos(folder).map((repo) => repo.student)).toEqual(['ada', 'bob']);
  });
});

describe('pristine grading of a tampered student repo', () => {
  test('edited checks, registry and config, .only, deleted checks and fake workflow commands change nothing', async () => {
    const repo = makeStudentRepo(path.join(work, 'tampered'), {
      edit: { ...tampering.edit, ...fakeCommands.edit },
      files: {
        ...tampering.files,
        'grader/checks/01-error-handling.check.ts': `${readFileSync(path.join(import.meta.dirname, '..', 'checks', '01-error-handling.check.ts'), 'utf8').replace(/t\.check\('([^']+)', async \(\) => \{/g, "t.check('$1', async () => { return;")}\nimport { test } from 'vitest';\ntest.only('only this', () => {});\n`,
      },
    });
    const outputFile = path.join(work, 'github-output');
    const summaryFile = path.join(work, 'step-summary');
    writeFileSync(outputFile, '');
    const junitFile = path.join(work, 'junit.xml');
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void printed.push(args.join(' ')));
    const env = { GITHUB_ACTIONS: 'true', GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: summaryFile, GITHUB_WORKSPACE: work, NO_COLOR: '1' };
    const { results, code } = await gradeCommand(['1'], { target: repo, classroom: true, junit: junitFile }, env);

    // The true grade: the flawed app's, out of the registry's points.
    const lesson = results.lessons[0]!;
    expect(lesson.tests.map((test) => test.id)).toEqual(lesson01.checks.map((check) => check.id));
    expect(lesson.tests.filter((test) => test.status === 'error')).toEqual([]);
    expect({ score: lesson.score, maxScore: lesson.maxScore }).toEqual({ score: flawedScore(lesson01), maxScore: maxScore(lesson01) });
    expect(code).toBe(1);
    expect(results.integrity!.ignored).toEqual(
      expect.arrayContaining([
        'course.config.json (added)',
        'grader/checks/01-error-handling.check.ts (changed)',
        'grader/checks/03-session-store.check.ts (deleted)',
        'grader/checks/05-compression.check.ts (changed)',
        'grader/src/registry/01-error-handling.ts (changed)',
      ]),
    );
    // Paths are the student's, not the temp copy's.
    expect(lesson.dir).toBe(path.join(repo, 'exercises', '01-error-handling'));
    expect(JSON.stringify(results)).not.toContain('course-student-');

    // The log: the app's fake commands arrived, neutralised; the only commands are the grader's own.
    // The app's lines are read without colours (picocolors turns them on whenever CI is set); the
    // commands are read as printed, since GitHub only obeys one that starts its line uncoloured.
    const raw = printed.join('\n');
    const log = stripVTControlCharacters(raw);
    expect(log).toContain('[your app] :\u200b:notice title=Autograding complete::Points 100/100');
    expect(log).toContain('[your app] #\u200b#[warning]legacy command');
    const commands = raw.split('\n').filter((line) => /^[\s\u0085]*::/.test(line) || line.includes('##['));
    expect(commands.length).toBeGreaterThan(2);
    for (const line of commands) expect(line).toMatch(/^::stop-commands::course-[\w-]+$|^::course-[\w-]+::$|^::(error|warning) file=exercises\/01-error-handling\/src\/[\w.]+(,line=\d+)?,title=/);

    // Classroom: lesson1 decodes to the true score; the fake set-output did not reach $GITHUB_OUTPUT.
    const output = readFileSync(outputFile, 'utf8');
    const lesson1 = /^lesson1<<(.+)\n(.*)\n\1$/m.exec(output)!;
    const decoded = JSON.parse(Buffer.from(lesson1[2]!, 'base64').toString('utf8'));
    expect(decoded).toMatchObject({ version: 1, status: 'fail', max_score: maxScore(lesson01) });
    expect(decoded.tests.reduce((sum: number, test: { score: number }) => sum + test.score, 0)).toBe(flawedScore(lesson01));
    expect(output).not.toContain('ZmFrZQ==');

    // JUnit and the job summary.
    const junit = readFileSync(junitFile, 'utf8');
    expect(junit.match(/<testcase /g)).toHaveLength(lesson01.checks.length);
    expect(readFileSync(summaryFile, 'utf8')).toContain(`| 01 Error handling | ${flawedScore(lesson01)}/${maxScore(lesson01)} | ❌ fail |`);
  }, 240_000);

  test('a solved lesson scores full marks however the registry was edited', async () => {
    const repo = makeStudentRepo(path.join(work, 'solved'), { solved: [lesson01.id], edit: { 'grader/src/registry/01-error-handling.ts': tampering.edit!['grader/src/registry/01-error-handling.ts']! } });
    const results = await gradeStudentRepo(repo, [lesson01], { log: () => {} });
    expect(results.lessons[0]).toMatchObject({ status: 'pass', score: maxScore(lesson01), maxScore: maxScore(lesson01) });
    expect(results.integrity!.ignored).toContain('grader/src/registry/01-error-handling.ts (changed)');
  }, 240_000);
});

const templatesDir = path.join(import.meta.dirname, '..', 'templates');
const template = (name: string) => readFileSync(path.join(templatesDir, name), 'utf8');

/** Parses YAML as GitHub and GitLab do (YAML 1.2); throws on a syntax error. */
function parseYaml(text: string): any {
  return parse(text);
}

/** What any YAML parser needs: spaces (no tabs), indentation in steps of two, `key: value` or `- item` lines. */
function structuralProblems(text: string): string[] {
  const problems: string[] = [];
  let block = -1; // indentation of a block scalar (`key: >-` or `key: |`) being read
  text.split('\n').forEach((line, index) => {
    const where = `line ${index + 1}`;
    if (line.includes('\t')) problems.push(`${where}: tab`);
    if (!line.trim() || line.trim().startsWith('#')) return;
    const indent = line.length - line.trimStart().length;
    if (block >= 0 && indent > block) return;
    block = -1;
    if (indent % 2) problems.push(`${where}: odd indentation`);
    const body = line.trim().replace(/^- /, '');
    if (!/^[\w.${}\-]+:( |$)/.test(body) && !line.trim().startsWith('- ')) problems.push(`${where}: not "key: value" nor "- item": ${line.trim()}`);
    if (/: [>|][-+]?$/.test(line)) block = indent;
    if (/: [^'"#]*: /.test(body) && !/\$\{\{/.test(body) && !/: ["'>|]/.test(body)) problems.push(`${where}: a second ": " needs quotes`);
  });
  return problems;
}

describe('CI templates', () => {
  const redisUrl = /REDIS_URL: redis:\/\/(localhost|redis):6379/;

  test.each(['github-classroom.yml', 'github-actions.yml', 'gitlab-ci.yml'])('%s is well-formed YAML', async (name) => {
    expect(structuralProblems(template(name))).toEqual([]);
    expect(typeof parseYaml(template(name))).toBe('object');
  });

  test('the Classroom workflow reports every lesson through the reporter, as the reporter reads it', async () => {
    const text = template('github-classroom.yml');
    const runners = registryLessons.map((lesson) => `lesson${lesson.number}`);
    for (const runner of runners) expect(text).toContain(`${runner.toUpperCase()}_RESULTS: \${{ steps.grade.outputs.${runner} }}`);
    expect(text).toContain(`runners: ${runners.join(',')}`);
    expect(text).toMatch(redisUrl);
    const workflow = parseYaml(text);
    if (workflow === undefined) return;
    expect(workflow.name).toBe('Autograding Tests');
    expect(Object.keys(workflow.jobs)).toEqual(['run-autograding-tests']);
    const job = workflow.jobs['run-autograding-tests'];
    expect(job.services.redis.image).toMatch(/^redis:/);
    const grade = job.steps.find((step: any) => step.id === 'grade');
    expect(grade.run).toMatch(/npx course grade --target "\$GITHUB_WORKSPACE\/student" --classroom/);
    expect(grade['working-directory']).toBe('course');
    expect(grade['continue-on-error']).toBe(true);
    const reporter = job.steps.at(-1);
    expect(reporter.uses).toBe('classroom-resources/autograding-grading-reporter@v1');
    expect(reporter.with.runners.split(',')).toEqual(runners);
    expect(Object.keys(reporter.env)).toEqual(runners.map((runner) => `${runner.toUpperCase()}_RESULTS`));
    const checkouts = job.steps.filter((step: any) => String(step.uses).startsWith('actions/checkout@'));
    expect(checkouts.map((step: any) => step.with.path)).toEqual(['student', 'course']);
    expect(checkouts[1].with.ref).toBe('${{ env.COURSE_REF }}');
  });

  test('the plain GitHub workflow grades with JUnit and keeps it', async () => {
    const text = template('github-actions.yml');
    expect(text).toMatch(/npx course grade --target "\$GITHUB_WORKSPACE\/student" --junit/);
    expect(text).toMatch(redisUrl);
    const workflow = parseYaml(text);
    if (workflow === undefined) return;
    const steps = workflow.jobs.grade.steps;
    expect(steps.find((step: any) => String(step.uses).startsWith('actions/upload-artifact@')).with.path).toContain('junit.xml');
    expect(workflow.jobs.grade.services.redis.image).toMatch(/^redis:/);
  });

  test('the GitLab job publishes JUnit through artifacts:reports:junit, with Redis as a service', async () => {
    const text = template('gitlab-ci.yml');
    expect(text).toContain('npx course grade --target "$CI_PROJECT_DIR" --junit "$CI_PROJECT_DIR/junit.xml"');
    expect(text).toMatch(redisUrl);
    const pipeline = parseYaml(text);
    if (pipeline === undefined) return;
    expect(pipeline.grade.artifacts.reports.junit).toBe('junit.xml');
    expect(pipeline.grade.artifacts.when).toBe('always');
    expect(pipeline.grade.services).toEqual([{ name: 'redis:7', alias: 'redis' }]);
    expect(pipeline.variables.REDIS_URL).toBe('redis://redis:6379');
  });
});
