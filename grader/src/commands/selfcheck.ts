import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import pc from 'picocolors';
import { grade } from '../engine.js';
import { courseLessons } from '../grading.js';
import { exercisesDir, fixturesDir, graderDir, repoRoot, solutionsDir } from '../paths.js';
import { pristineFiles, writeFiles } from '../pristine.js';
import type { LessonDefinition } from '../registry/types.js';
import { type GradeJob, type LessonResult, type Results, SCHEMA_VERSION } from '../results.js';
import { makeTempFolder, removeTempFolder } from '../../support/watchdog.js';

/** Folders of one lesson graded again in one run: few enough that the engine grades them one after another. */
const REGRADE_CHUNK = 5;

/** A fixture: an overlay on the pristine exercise and what the lesson's checks must make of it. */
export interface Fixture {
  lesson: string;
  kind: 'wrong' | 'alt' | 'hostile';
  name: string;
  dir: string;
  description: string;
  /** For wrong and hostile fixtures: checks expected to catch it (at least one must). */
  fails?: string[];
  /**
   * For wrong fixtures whose point is the message: check id to a text its failure message must
   * contain, so that a check keeps naming the cause it can see (e.g. Retry-After in minutes, not
   * the window). A check named here must fail.
   */
  messages?: Record<string, string>;
}

interface Outcome {
  name: string;
  ok: boolean;
  detail?: string;
  /** Set when the verdict was right only on a second grading, without the self-check's load. */
  unstable?: string;
}

export function listFixtures(lesson: LessonDefinition): Fixture[] {
  const fixtures: Fixture[] = [];
  for (const kind of ['wrong', 'alt', 'hostile'] as const) {
    const kindDir = path.join(fixturesDir, lesson.id, kind);
    if (!existsSync(kindDir)) continue;
    for (const name of readdirSync(kindDir).sort()) {
      const dir = path.join(kindDir, name);
      const meta = JSON.parse(readFileSync(path.join(dir, 'fixture.json'), 'utf8')) as Pick<Fixture, 'description' | 'fails' | 'messages'>;
      fixtures.push({ lesson: lesson.id, kind, name, dir, ...meta });
    }
  }
  return fixtures;
}

/** The pristine exercise in a temp folder, from git (or the working tree when git has none). */
function pristineCopy(lesson: LessonDefinition, into: string, warn: (text: string) => void): void {
  try {
    writeFiles(into, pristineFiles(lesson.id));
  } catch (error) {
    warn(`${lesson.id}: ${(error as Error).message} Judging exercises/${lesson.id} as it is in the working tree.`);
    cpSync(path.join(exercisesDir, lesson.id), into, { recursive: true });
  }
}

export async function selfCheck(options: { lessons: LessonDefinition[]; skip?: string[]; fixtures?: boolean }): Promise<number> {
  const outcomes: Outcome[] = [];
  const report = (outcome: Outcome) => {
    outcomes.push(outcome);
    const shown = outcome.ok ? outcome.unstable : outcome.detail;
    const mark = outcome.ok ? (outcome.unstable ? pc.yellow('✓') : pc.green('✓')) : pc.red('✗');
    console.log(`${mark} ${outcome.name}${shown ? `\n    ${shown.replace(/\n/g, '\n    ')}` : ''}`);
  };
  const skip = new Set(options.skip ?? []);

  if (!skip.has('typecheck')) {
    console.log(pc.bold('\nType-check'));
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const run = spawnSync(process.execPath, [tsc, '--noEmit', '-p', path.join(repoRoot, 'tsconfig.json')], { encoding: 'utf8' });
    report({ name: 'tsc --noEmit', ok: run.status === 0, detail: run.stdout + run.stderr });
  }

  // Lessons first: the site's tests reuse what this phase graded (solutions, pristine exercises).
  // Temp folders are the watchdog's to remove should the self-check be killed (CI cancels, Ctrl-C twice).
  const graded = makeTempFolder('course-selfcheck-results-');
  try {
    if (!skip.has('lessons')) await lessonSelfCheck(options.lessons, report, graded, options.fixtures ?? true); // reports each outcome itself
    if (!skip.has('unit')) {
      console.log(pc.bold("\nThe grader's own tests"));
      outcomes.push(...unitTests(skip.has('lessons') ? undefined : graded));
    }
  } finally {
    removeTempFolder(graded);
  }

  // Repeated last, so that a log cut to its tail still names what failed and what wavered.
  const unstable = outcomes.filter((outcome) => outcome.ok && outcome.unstable);
  if (unstable.length > 0) console.log(pc.yellow(`\nRight only when graded again alone (widen their margins):\n${unstable.map((outcome) => `  ${outcome.name}`).join('\n')}`));
  const failures = outcomes.filter((outcome) => !outcome.ok);
  // With the first lines of why, cut short: a CI log is often read from its tail alone.
  // The checks that failed come first (an alternative's summary lists the passing ones too).
  const why = (outcome: Outcome) => {
    const lines = (outcome.detail ?? '').split('\n').filter((line) => line.trim());
    const failing = lines.filter((line) => /^\s*[✗!]/.test(line));
    return (failing.length ? failing : lines)
      .slice(0, 3)
      .map((line) => `\n      ${line.trim().slice(0, 240)}`)
      .join('');
  };
  if (failures.length > 0) console.log(pc.red(`\nFailed:\n${failures.map((outcome) => `  ${outcome.name}${why(outcome)}`).join('\n')}`));
  const passed = outcomes.length - failures.length;
  console.log(`\n${passed} passed, ${failures.length} failed${unstable.length > 0 ? `, ${unstable.length} of the passed right only when graded again alone` : ''}`);
  return failures.length === 0 ? 0 : 1;
}

/** Runs grader/test with vitest in a child process and reports each test. */
function unitTests(graded?: string): Outcome[] {
  const vitest = path.join(path.dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
  const resultsDir = makeTempFolder('course-unit-');
  try {
    return runUnitTests(path.join(resultsDir, 'results.json'), vitest, graded);
  } finally {
    removeTempFolder(resultsDir);
  }
}

function runUnitTests(jsonFile: string, vitest: string, graded?: string): Outcome[] {
  const run = spawnSync(
    process.execPath,
    [vitest, 'run', '--config', path.join(graderDir, 'vitest.config.ts'), '--reporter=default', '--reporter=json', `--outputFile.json=${jsonFile}`],
    { cwd: repoRoot, stdio: 'inherit', env: { ...process.env, ...(graded ? { COURSE_SELFCHECK_RESULTS: graded } : {}) } },
  );
  if (!existsSync(jsonFile)) return [{ name: 'grader unit tests ran', ok: false, detail: `vitest exited with ${run.status}` }];
  const json = JSON.parse(readFileSync(jsonFile, 'utf8')) as {
    testResults: { name: string; status: string; message?: string; assertionResults: { fullName: string; status: string; failureMessages?: string[] }[] }[];
  };
  const outcomes = json.testResults.flatMap((file) => [
    // A failure's first lines beside its name: the tail of a CI log then says why, not only what.
    ...file.assertionResults.map((test) => ({
      name: test.fullName,
      ok: test.status === 'passed',
      detail: test.failureMessages?.join('\n').split('\n').slice(0, 12).join('\n'),
    })),
    ...(file.status === 'failed' && file.assertionResults.length === 0 ? [{ name: path.basename(file.name), ok: false, detail: file.message }] : []),
  ]);
  if (run.status !== 0 && outcomes.every((outcome) => outcome.ok)) outcomes.push({ name: 'vitest exit code', ok: false, detail: `exited with ${run.status}` });
  return outcomes;
}

async function lessonSelfCheck(lessons: LessonDefinition[], report: (outcome: Outcome) => void, graded: string, withFixtures: boolean): Promise<Outcome[]> {
  const work = makeTempFolder('course-selfcheck-');
  const jobs: GradeJob[] = [];
  const fixtures = new Map<string, Fixture>();
  const warnings: string[] = [];
  try {
    for (const lesson of lessons) {
      const exercise = path.join(work, 'exercise', lesson.id);
      pristineCopy(lesson, exercise, (text) => warnings.push(text));
      jobs.push({ lesson: lesson.id, dir: exercise, label: 'exercise' });
      jobs.push({ lesson: lesson.id, dir: path.join(solutionsDir, lesson.id), label: 'solution' });
      for (const fixture of withFixtures ? listFixtures(lesson) : []) {
        const label = `${fixture.kind}/${fixture.name}`;
        const dir = path.join(work, fixture.kind, fixture.name, lesson.id);
        cpSync(exercise, dir, { recursive: true });
        cpSync(fixture.dir, dir, { recursive: true, filter: (source) => path.basename(source) !== 'fixture.json' });
        jobs.push({ lesson: lesson.id, dir, label, checks: fixtureChecks(fixture) });
        fixtures.set(`${lesson.id}:${label}`, fixture);
      }
    }
    for (const warning of warnings) console.log(pc.yellow(warning));
    console.log(pc.bold(`\nLessons: ${jobs.length} folders to grade (exercises, solutions, fixtures)`));
    let done = 0;
    const total = jobs.reduce((sum, job) => sum + (job.checks ?? lessons.find((lesson) => lesson.id === job.lesson)!.checks).length, 0);
    const results = await grade(jobs, {
      onCheck: () => {
        done += 1;
        if (process.stdout.isTTY) process.stdout.write(`\r  ${done}/${total} checks run`);
      },
    });
    if (process.stdout.isTTY) process.stdout.write('\n');
    const judge = (index: number): Outcome[] => {
      const job = jobs[index]!;
      const lesson = lessons.find((candidate) => candidate.id === job.lesson)!;
      if (job.label === 'exercise') return judgeExercise(lesson, results[index]!);
      if (job.label === 'solution') return judgeSolution(lesson, results[index]!);
      return [judgeFixture(fixtures.get(`${lesson.id}:${job.label}`)!, results[index]!)];
    };
    const judged = jobs.map((_, index) => judge(index));
    // Hundreds of folders graded at once load the machine far beyond a learner's or a classroom's run,
    // where one folder is graded at a time. A folder misjudged under that load is graded again, with few
    // others, and alone if still misjudged: a verdict that holds there is the verdict; one that changes
    // is reported as unstable under load, by name, so that its margin can be widened.
    const misjudgedNow = () => judged.flatMap((outcomes, index) => (outcomes.every((outcome) => outcome.ok) ? [] : [index]));
    const firstJudged = [...judged];
    const gradeAgain = async (indexes: number[]) => {
      const again = await grade(indexes.map((index) => jobs[index]!));
      indexes.forEach((index, position) => {
        const before = firstJudged[index]!;
        results[index] = again[position]!;
        judged[index] = judge(index).map((outcome, n) =>
          outcome.ok && !before[n]!.ok ? { ...outcome, unstable: `misjudged under load, right alone. Under load: ${before[n]!.detail ?? ''}` } : outcome,
        );
      });
    };
    const misjudged = misjudgedNow();
    if (misjudged.length > 0) {
      console.log(pc.bold(`\nGrading again, with the machine no longer loaded: ${misjudged.length} folder(s) misjudged among ${jobs.length}`));
      // A few folders of one lesson per run, graded one after another as a learner's folder is (its checks
      // side by side), two such runs at once: all of them at once (07 starts some twenty processes a
      // folder) loaded the machine as much as the first grading, and most were misjudged again.
      const chunks = [...new Set(misjudged.map((index) => jobs[index]!.lesson))]
        .map((lesson) => misjudged.filter((index) => jobs[index]!.lesson === lesson))
        .flatMap((indexes) => Array.from({ length: Math.ceil(indexes.length / REGRADE_CHUNK) }, (_, n) => indexes.slice(n * REGRADE_CHUNK, (n + 1) * REGRADE_CHUNK)));
      const runner = async () => {
        for (let chunk = chunks.shift(); chunk; chunk = chunks.shift()) await gradeAgain(chunk);
      };
      await Promise.all([runner(), runner()]);
      // Those still misjudged get a last grading alone, one folder at a time.
      const still = misjudgedNow();
      if (still.length > 0) console.log(pc.bold(`Grading one at a time: ${still.length} folder(s) still misjudged`));
      for (const index of still) await gradeAgain([index]);
    }
    for (const [label, name] of [['exercise', 'exercises'], ['solution', 'solutions']] as const) {
      const lessonResults = results.filter((_, index) => jobs[index]!.label === label);
      writeResults(path.join(graded, `${name}-results.json`), name, lessonResults);
    }
    const outcomes = judged.flat();
    outcomes.forEach(report);
    printTimes(results, lessons.length > 1 || results.length > 2);
    return outcomes;
  } finally {
    removeTempFolder(work);
  }
}

/**
 * The checks a fixture is graded by: a wrong fix, by the checks it names as those that must catch it
 * (and any whose message it pins); an alternative or hostile code, by all.
 */
function fixtureChecks(fixture: Fixture): string[] | undefined {
  if (fixture.kind !== 'wrong' || !fixture.fails) return undefined;
  return [...new Set([...fixture.fails, ...Object.keys(fixture.messages ?? {})])];
}

function summary(result: LessonResult): string {
  return result.tests.map((test) => `${test.status === 'pass' ? '✓' : test.status === 'fail' ? '✗' : '!'} ${test.id}${test.message ? `: ${test.message.split('\n')[0]}` : ''}`).join('\n');
}

function judgeExercise(lesson: LessonDefinition, result: LessonResult): Outcome[] {
  return lesson.checks.map((check) => {
    const test = result.tests.find((candidate) => candidate.id === check.id)!;
    const wanted = check.guards ? 'pass' : 'fail';
    return {
      name: `${check.id} ${check.guards ? 'passes on the flawed exercise (it guards what already works)' : 'catches the flaw in the exercise'}`,
      ok: test.status === wanted,
      detail: `expected ${wanted}, got ${test.status}: ${test.message}`,
    };
  });
}

function judgeSolution(lesson: LessonDefinition, result: LessonResult): Outcome[] {
  return lesson.checks.map((check) => {
    const test = result.tests.find((candidate) => candidate.id === check.id)!;
    return { name: `${check.id} passes on the solution`, ok: test.status === 'pass', detail: `got ${test.status}: ${test.message}\n${test.output ?? ''}`.trim() };
  });
}

function judgeFixture(fixture: Fixture, result: LessonResult): Outcome {
  const name = `${fixture.lesson} ${fixture.kind}/${fixture.name}: ${fixture.description}`;
  if (fixture.kind === 'alt') return { name: `accepted: ${name}`, ok: result.status === 'pass', detail: summary(result) };
  const caught = result.tests.filter((test) => test.status !== 'pass' && (!fixture.fails || fixture.fails.includes(test.id)));
  const unexpectedErrors = fixture.kind === 'wrong' ? result.tests.filter((test) => test.status === 'error') : [];
  const wrongMessages = Object.entries(fixture.messages ?? {}).filter(([id, text]) => {
    const test = result.tests.find((candidate) => candidate.id === id);
    if (test?.missingService) return false; // not judged on this machine
    return test?.status !== 'fail' || !test.message.includes(text);
  });
  return {
    name: `rejected: ${name}`,
    ok: caught.length > 0 && unexpectedErrors.length === 0 && wrongMessages.length === 0,
    detail:
      unexpectedErrors.length > 0
        ? `a wrong fix should fail checks, not leave the grader unable to judge:\n${summary(result)}`
        : wrongMessages.length > 0
          ? `${wrongMessages.map(([id, text]) => `${id} should fail with a message containing ${JSON.stringify(text)}`).join('; ')}:\n${summary(result)}`
          : `no check${fixture.fails ? ` of ${fixture.fails.join(', ')}` : ''} failed:\n${summary(result)}`,
  };
}

/**
 * Where the lessons phase spent its time: each lesson's checks added up over every folder it graded,
 * and the costliest checks. A contributor keeping `npm test` within its budget starts here.
 */
function printTimes(results: LessonResult[], show: boolean): void {
  if (!show) return;
  const byLesson = new Map<string, number>();
  const byCheck = new Map<string, { ms: number; runs: number }>();
  for (const result of results) {
    for (const test of result.tests) {
      byLesson.set(result.id, (byLesson.get(result.id) ?? 0) + test.durationMs);
      const check = byCheck.get(test.id) ?? { ms: 0, runs: 0 };
      byCheck.set(test.id, { ms: check.ms + test.durationMs, runs: check.runs + 1 });
    }
  }
  const seconds = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
  console.log(pc.bold('\nTime spent in checks (added up over the folders graded; checks run side by side)'));
  for (const [id, ms] of byLesson) console.log(`  ${id.padEnd(26)} ${seconds(ms).padStart(7)}`);
  const costliest = [...byCheck].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12);
  for (const [id, { ms, runs }] of costliest) console.log(`  ${id.padEnd(52)} ${seconds(ms).padStart(7)} over ${runs} folders`);
}

function writeResults(file: string, target: string, lessons: LessonResult[]): void {
  const results: Results = {
    schemaVersion: SCHEMA_VERSION,
    gradedAt: new Date().toISOString(),
    target,
    lessons,
    score: lessons.reduce((sum, lesson) => sum + lesson.score, 0),
    maxScore: lessons.reduce((sum, lesson) => sum + lesson.maxScore, 0),
  };
  writeFileSync(file, JSON.stringify(results));
}
