import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { lessons as registryLessons } from '../src/registry/index.js';
import type { Results } from '../src/results.js';
import { classroomOutputs, classroomResult, type ClassroomResult } from '../src/reporters/classroom.js';
import {
  annotationCommands,
  annotations,
  appendOutputs,
  escapeData,
  escapeProperty,
  MAX_ANNOTATIONS,
  neutralize,
  summaryMarkdown,
  withCommandsStopped,
} from '../src/reporters/github.js';
import { junitXml } from '../src/reporters/junit.js';

const goldenDir = path.join(import.meta.dirname, 'golden');

/** Compares with grader/test/golden/<name>; UPDATE_GOLDEN=1 rewrites the file instead. */
function golden(name: string, actual: string): void {
  const file = path.join(goldenDir, name);
  if (process.env.UPDATE_GOLDEN) writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

const repo = '/home/runner/work/bookshop/bookshop';
const hostile = '::notice title=Autograding complete::Points 100/100';

/** A fixed run: a passing check, a failure with everything a failure carries, an error, hostile text. */
export const fixedResults: Results = {
  schemaVersion: 1,
  gradedAt: '2026-01-15T10:00:00.000Z',
  target: repo,
  score: 3,
  maxScore: 16,
  lessons: [
    {
      number: 1,
      id: '01-error-handling',
      title: 'Error handling',
      status: 'fail',
      score: 2,
      maxScore: 6,
      dir: `${repo}/exercises/01-error-handling`,
      gradedAt: '2026-01-15T10:00:00.000Z',
      durationMs: 2500,
      tests: [
        { id: '01.passes', title: 'A check that passes', status: 'pass', points: 2, score: 2, message: '', hintLevel: 0, durationMs: 120 },
        {
          id: '01.fails',
          title: 'A check that fails, with <markup> & "quotes", 100% sure: yes',
          status: 'fail',
          points: 3,
          score: 0,
          message: `Expected GET /books/2/cover to answer 500, got 200 "<html>&amp;</html>".\n${hostile}\n  ::set-output name=lesson1::ZmFrZQ==`,
          curl: "curl -i 'http://localhost:3000/books/2/cover'",
          output: `SyntaxError: Unexpected end of JSON input\n    at ${repo}/exercises/01-error-handling/src/app.ts:41:19\n${hostile}\n##[error]legacy\n\u001b[31mred\u001b[0m \u0007bell`,
          location: 'exercises/01-error-handling/src/app.ts:41',
          hintLevel: 1,
          durationMs: 340,
        },
        {
          id: '01.times-out',
          title: 'A check the grader could not judge',
          status: 'error',
          points: 1,
          score: 0,
          message: 'The check did not finish within 20 s and was stopped. Your app may be stuck; its output is below.',
          output: 'still working…',
          hintLevel: 0,
          durationMs: 20_000,
        },
      ],
    },
    {
      number: 3,
      id: '03-session-store',
      title: 'Session store',
      status: 'error',
      score: 1,
      maxScore: 10,
      dir: `${repo}/exercises/03-session-store`,
      gradedAt: '2026-01-15T10:00:01.000Z',
      durationMs: 4000,
      tests: [
        { id: '03.guarded', title: 'Something the flawed app already does right', status: 'pass', points: 1, score: 1, message: '', hintLevel: 0, durationMs: 50 },
        {
          id: '03.needs-redis',
          title: 'A login survives a restart, judged with Redis',
          status: 'error',
          points: 9,
          score: 0,
          message: 'No Redis to judge this check: set REDIS_URL, or install redis-server (apt-get install -y redis-server).',
          hintLevel: 0,
          durationMs: 0,
        },
      ],
    },
  ],
  integrity: { ignored: ['course.config.json (changed)', 'grader/checks/01-error-handling.check.ts (changed)', 'grader/checks/03-session-store.check.ts (deleted)'] },
};

/** No line a runner would obey as a workflow command, other than the ones we mean to send. */
function workflowCommandLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/).filter((line) => /^[\s\u0085]*::/.test(line) || line.includes('##['));
}

describe('workflow commands in learner text', () => {
  test('neutralize breaks :: at the start of any line and ##[ anywhere, and changes nothing else', () => {
    const text = `ok line\n${hostile}\n   ::error::x\n\u00a0::warning::nbsp\r::debug::cr\n\u0085::group::nel\nhalf ::notice:: in the middle\nsee ##[error]x`;
    const safe = neutralize(text);
    expect(workflowCommandLines(safe)).toEqual([]);
    expect(safe.replaceAll('\u200b', '')).toBe(text);
    expect(neutralize('http://[::1]:3000/ and a: b')).toBe('http://[::1]:3000/ and a: b');
  });

  test('annotation data and properties are escaped as the runner unescapes them', () => {
    expect(escapeData('100% done\r\nnext')).toBe('100%25 done%0D%0Anext');
    expect(escapeProperty('a,b: 50%\n')).toBe('a%2Cb%3A 50%25%0A');
  });

  test('withCommandsStopped fences text with a random stop-commands token', () => {
    const fenced = withCommandsStopped('hello');
    const [first, , last] = fenced.split('\n');
    const token = /^::stop-commands::(course-[\w-]+)$/.exec(first!)?.[1];
    expect(token).toBeTruthy();
    expect(last).toBe(`::${token}::`);
    expect(withCommandsStopped('x')).not.toContain(token);
  });
});

describe('JUnit', () => {
  const xml = junitXml(fixedResults);

  test('matches the golden file', () => golden('junit.xml', xml));

  test('is well-formed XML with one suite per lesson and one uniquely named case per check', () => {
    expect(wellFormed(xml)).toEqual([]);
    expect(xml.match(/<testsuite /g)).toHaveLength(2);
    const names = [...xml.matchAll(/<testcase classname="[^"]*" name="([^"]*)"/g)].map((match) => match[1]);
    expect(names).toHaveLength(5);
    expect(new Set(names).size).toBe(5);
    expect(xml).toContain('<failure message="Expected GET /books/2/cover to answer 500, got 200 &quot;&lt;html&gt;&amp;amp;&lt;/html&gt;&quot;."');
    expect(xml).toContain("Try it: curl -i 'http://localhost:3000/books/2/cover'");
    expect(xml.match(/<error /g)).toHaveLength(2);
    expect(xml).toContain('<property name="points" value="3"/><property name="score" value="0"/>');
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
    expect(workflowCommandLines(xml)).toEqual([]);
  });
});

describe('GitHub Classroom', () => {
  const outputs = classroomOutputs(fixedResults);
  const decoded = Object.fromEntries(
    Object.entries(outputs).map(([name, value]) => [name, JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as ClassroomResult]),
  );

  test('matches the golden file (decoded)', () => golden('classroom.json', `${JSON.stringify(decoded, null, 2)}\n`));

  test('has one runner per lesson of the registry, lesson1 … lessonN, each valid base64 JSON', () => {
    expect(Object.keys(outputs)).toEqual(registryLessons.map((lesson) => `lesson${lesson.number}`));
    for (const value of Object.values(outputs)) expect(value).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(decoded.lesson2).toEqual({ version: 1, status: 'pass', max_score: 0, tests: [] });
  });

  test('carries every field the reporter reads, with scores that add up to the lesson score', () => {
    for (const lesson of fixedResults.lessons) {
      const result = decoded[`lesson${lesson.number}`]!;
      expect(result).toMatchObject({ version: 1, status: lesson.status, max_score: lesson.maxScore });
      // notify-classroom.js: points = sum of tests[].score; aggregate-results.js: the same per runner.
      expect(result.tests.reduce((sum, test) => sum + test.score, 0)).toBe(lesson.score);
      for (const test of result.tests) {
        expect(Object.keys(test).sort()).toEqual(['execution_time', 'filename', 'line_no', 'message', 'name', 'score', 'status', 'test_code']);
        expect(['pass', 'fail', 'error']).toContain(test.status);
        expect(typeof test.line_no).toBe('number');
        // console-results.js prints name, message and test_code to the log.
        expect(workflowCommandLines(`${test.name}\n${test.message}\n${test.test_code}`)).toEqual([]);
      }
    }
    const failing = decoded.lesson1!.tests[1]!;
    expect(failing).toMatchObject({ status: 'fail', score: 0, filename: 'exercises/01-error-handling/src/app.ts', line_no: 41 });
    expect(failing.test_code).toContain("curl -i 'http://localhost:3000/books/2/cover'");
    expect(decoded.lesson1!.tests[0]!.line_no).toBe(0); // the reporter prints " - line N" unless it is 0
  });

  test('reads back as the reporter reads it: env ${RUNNER.toUpperCase()}_RESULTS, base64, JSON', () => {
    const env = Object.fromEntries(Object.entries(outputs).map(([name, value]) => [`${name.toUpperCase()}_RESULTS`, value]));
    const runners = 'lesson1,lesson3'.split(/[\s,]/).filter(Boolean);
    const read = runners.map((runner) => JSON.parse(Buffer.from(env[`${runner.trim().toUpperCase()}_RESULTS`]!, 'base64').toString('utf-8')) as ClassroomResult);
    const points = read.reduce((sum, result) => sum + (result.max_score ? result.tests.reduce((total, test) => total + test.score, 0) : 0), 0);
    const max = read.reduce((sum, result) => sum + result.max_score, 0);
    expect(`Points ${points}/${max}`).toBe(`Points ${fixedResults.score}/${fixedResults.maxScore}`);
  });

  test('appendOutputs writes heredoc entries that the runner parses back to the same values', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'course-gh-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'output');
    writeFileSync(file, 'earlier=1\n');
    appendOutputs(file, { lesson1: outputs.lesson1!, note: 'two\nlines' });
    expect(parseFileCommand(readFileSync(file, 'utf8'))).toEqual({ earlier: '1', lesson1: outputs.lesson1, note: 'two\nlines' });
  });

  test('a single result is a pure function of the lesson', () => {
    expect(classroomResult(fixedResults.lessons[0]!)).toEqual(decoded.lesson1);
  });
});

describe('annotations and summary', () => {
  test('annotations match the golden file and point at the learner\'s files, never at tests', () => {
    const lines = annotationCommands(fixedResults);
    golden('annotations.txt', `${lines.join('\n')}\n`);
    for (const annotation of annotations(fixedResults)) {
      expect(annotation.file).toMatch(/^exercises\/\d\d-[a-z-]+\/src\//);
      expect(annotation.file).not.toMatch(/grader|check|test/);
    }
    // Each line is exactly one command: the data has no line breaks and no second command.
    for (const line of lines) expect(line).toMatch(/^::(error|warning) file=[^:]*::[^\n]*$/);
    expect(lines.every((line) => !line.slice(2).includes('\n'))).toBe(true);
  });

  test('annotations are relative to GITHUB_WORKSPACE when given', () => {
    const [first] = annotations(fixedResults, { workspace: path.dirname(repo) });
    expect(first!.file).toBe('bookshop/exercises/01-error-handling/src/app.ts');
  });

  test('at most ten annotations, failures first', () => {
    const many: Results = structuredClone(fixedResults);
    const template = many.lessons[0]!.tests[1]!;
    many.lessons[0]!.tests = Array.from({ length: 14 }, (_, index) => ({ ...template, id: `01.fail-${index}` }));
    const list = annotations(many);
    expect(list).toHaveLength(MAX_ANNOTATIONS);
    expect(list.every((annotation) => annotation.level === 'error')).toBe(true);
  });

  test('the summary matches the golden file and escapes learner text', () => {
    const markdown = summaryMarkdown(fixedResults);
    golden('summary.md', markdown);
    expect(markdown).toContain('| 01 Error handling | 2/6 | ❌ fail | 1/3 |');
    expect(markdown).not.toContain('<html>');
    expect(workflowCommandLines(markdown)).toEqual([]);
  });
});

/**
 * The runner's file-command parser (actions/runner FileCommandManager): `name=value` lines and
 * `name<<DELIMITER` … `DELIMITER` blocks.
 */
function parseFileCommand(text: string): Record<string, string> {
  const lines = text.split('\n');
  const values: Record<string, string> = {};
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (!line) continue;
    const heredoc = /^([^=]+?)<<(.+)$/.exec(line);
    if (heredoc && (!line.includes('=') || line.indexOf('<<') < line.indexOf('='))) {
      const value: string[] = [];
      while (lines[++index] !== heredoc[2]) {
        if (index >= lines.length) throw new Error(`no closing ${heredoc[2]}`);
        value.push(lines[index]!);
      }
      values[heredoc[1]!] = value.join('\n');
    } else {
      const equals = line.indexOf('=');
      values[line.slice(0, equals)] = line.slice(equals + 1);
    }
  }
  return values;
}

/** A small XML well-formedness check: one root, balanced tags, quoted attributes, known entities. */
function wellFormed(xml: string): string[] {
  const problems: string[] = [];
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  let roots = 0;
  for (const match of body.matchAll(/<(\/?)([A-Za-z][\w.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|<|&(?!(?:amp|lt|gt|quot|apos|#\d+);)/g)) {
    if (match[0] === '<') problems.push(`stray < at ${match.index}`);
    else if (match[0].startsWith('&')) problems.push(`bare & at ${match.index}`);
    else if (match[1]) {
      if (stack.pop() !== match[2]) problems.push(`unbalanced </${match[2]}> at ${match.index}`);
    } else {
      if (stack.length === 0) roots += 1;
      if (!match[4]) stack.push(match[2]!);
    }
  }
  if (stack.length) problems.push(`unclosed ${stack.join(', ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}
