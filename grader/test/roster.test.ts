import { describe, expect, it } from 'vitest';
import { aggregate, parseLearnerFile, RosterFileError, toCsv, toText } from '../src/roster.js';
import type { LessonResult, Results, Status, TestResult } from '../src/results.js';

function test(id: string, status: Status, points = 1): TestResult {
  return { id, title: `Check ${id}`, status, points, score: status === 'pass' ? points : 0, message: '', hintLevel: 0, durationMs: 1 };
}

function lesson(number: number, tests: TestResult[]): LessonResult {
  const id = `0${number}-lesson-${number}`;
  const status: Status = tests.some((t) => t.status === 'error') ? 'error' : tests.every((t) => t.status === 'pass') ? 'pass' : 'fail';
  return {
    number,
    id,
    title: `Lesson ${number}`,
    status,
    score: tests.reduce((s, t) => s + t.score, 0),
    maxScore: tests.reduce((s, t) => s + t.points, 0),
    dir: `/tmp/${id}`,
    gradedAt: '2025-01-01T10:00:00.000Z',
    durationMs: 10,
    tests,
  };
}

function results(lessons: LessonResult[], extra: Record<string, unknown> = {}): string {
  const value: Results & Record<string, unknown> = {
    schemaVersion: 1,
    gradedAt: '2025-01-02T09:00:00.000Z',
    target: 'exercises',
    lessons,
    score: lessons.reduce((s, l) => s + l.score, 0),
    maxScore: lessons.reduce((s, l) => s + l.maxScore, 0),
    ...extra,
  };
  return JSON.stringify(value);
}

const alice = results(
  [lesson(1, [test('01.a', 'pass', 2), test('01.b', 'pass')]), lesson(2, [test('02.a', 'fail', 3), test('02.b', 'pass')])],
  { learner: 'Alice Martin' },
);
const bob = results([lesson(2, [test('02.a', 'fail', 3), test('02.b', 'error')]), lesson(1, [test('01.a', 'pass', 2), test('01.b', 'fail')])]);

describe('parseLearnerFile', () => {
  it('takes the learner from the `learner` field, else from the file name', () => {
    expect(parseLearnerFile(alice, 'uploads/results.json').learner).toBe('Alice Martin');
    expect(parseLearnerFile(bob, 'artifacts/bob-results.json').learner).toBe('bob-results');
  });

  it('orders lessons by number and keeps the run date', () => {
    const entry = parseLearnerFile(bob, 'bob.json');
    expect(entry.lessons.map((l) => l.number)).toEqual([1, 2]);
    expect(entry.gradedAt).toBe('2025-01-02T09:00:00.000Z');
  });

  it('reads a progress file too (lessons keyed by id)', () => {
    const progress = { schemaVersion: 1, updatedAt: '2025-03-01T00:00:00.000Z', lessons: { '01-lesson-1': lesson(1, [test('01.a', 'pass')]) }, hints: {} };
    const entry = parseLearnerFile(JSON.stringify(progress), 'carol.json');
    expect(entry.lessons).toHaveLength(1);
    expect(entry.gradedAt).toBe('2025-03-01T00:00:00.000Z');
  });

  it('names the file and the problem when it cannot read it', () => {
    expect(() => parseLearnerFile('{ nope', 'x.json')).toThrow(RosterFileError);
    expect(() => parseLearnerFile('{ nope', 'x.json')).toThrow(/^x\.json is not JSON/);
    expect(() => parseLearnerFile('{"schemaVersion":2,"lessons":[]}', 'y.json')).toThrow(/y\.json has schemaVersion 2/);
    expect(() => parseLearnerFile('{"schemaVersion":1}', 'z.json')).toThrow(/z\.json has no lessons list/);
    expect(() => parseLearnerFile('[1,2]', 'w.json')).toThrow(/w\.json does not hold a results object/);
  });
});

describe('aggregate', () => {
  const roster = aggregate([parseLearnerFile(alice, 'alice.json'), parseLearnerFile(bob, 'bob.json')]);

  it('lists every lesson seen, in course order', () => {
    expect(roster.lessons.map((l) => [l.id, l.maxScore])).toEqual([
      ['01-lesson-1', 3],
      ['02-lesson-2', 4],
    ]);
  });

  it('gives each learner a score per lesson and a total', () => {
    const [a, b] = roster.rows;
    expect(a).toMatchObject({ learner: 'Alice Martin', score: 4, maxScore: 7, lessonsPassed: 1 });
    expect(a!.cells['02-lesson-2']).toEqual({ status: 'fail', score: 1, maxScore: 4, failing: ['02.a'] });
    expect(b).toMatchObject({ learner: 'bob', score: 2, maxScore: 7, lessonsPassed: 0 });
    expect(b!.cells['02-lesson-2']!.status).toBe('error');
  });

  it('ranks the checks most failed across the room, counting errors as not passed', () => {
    expect(roster.mostFailed.map((c) => [c.id, c.failed, c.graded])).toEqual([
      ['02.a', 2, 2],
      ['01.b', 1, 2],
      ['02.b', 1, 2],
    ]);
    expect(roster.mostFailed[0]!.learners).toEqual(['Alice Martin', 'bob']);
  });

  it('leaves a lesson a learner never graded empty, and counts its points in the maximum', () => {
    const only1 = results([lesson(1, [test('01.a', 'pass', 2), test('01.b', 'pass')])], { learner: 'Dana' });
    const r = aggregate([parseLearnerFile(alice, 'alice.json'), parseLearnerFile(only1, 'dana.json')]);
    expect(r.rows[1]!.cells['02-lesson-2']).toBeUndefined();
    expect(r.rows[1]).toMatchObject({ score: 3, maxScore: 7, lessonsPassed: 1 });
  });

  it('tells apart two files with the same learner name', () => {
    const r = aggregate([parseLearnerFile(bob, 'a/results.json'), parseLearnerFile(bob, 'b/results.json')]);
    expect(r.rows.map((row) => row.learner)).toEqual(['results', 'results (2)']);
  });

  it('handles an empty room', () => {
    expect(aggregate([])).toEqual({ lessons: [], rows: [], mostFailed: [] });
    expect(toText(aggregate([]))).toBe('No results files.\n');
  });
});

describe('toCsv', () => {
  it('writes one row per learner with per-lesson score and status', () => {
    const csv = toCsv(aggregate([parseLearnerFile(alice, 'alice.json'), parseLearnerFile(bob, 'bob.json')]));
    expect(csv.split('\r\n')).toEqual([
      'learner,file,graded_at,score,max_score,lessons_passed,01-lesson-1 score,01-lesson-1 status,02-lesson-2 score,02-lesson-2 status',
      'Alice Martin,alice.json,2025-01-02T09:00:00.000Z,4,7,1,3,pass,1,fail',
      'bob,bob.json,2025-01-02T09:00:00.000Z,2,7,0,2,fail,0,error',
      '',
    ]);
  });

  it('quotes commas and quotes, and defuses spreadsheet formulas', () => {
    const tricky = results([lesson(1, [test('01.a', 'pass')])], { learner: '=HYPERLINK("x"), Eve' });
    const csv = toCsv(aggregate([parseLearnerFile(tricky, 't.json')]));
    expect(csv.split('\r\n')[1]!.startsWith(`"'=HYPERLINK(""x""), Eve",t.json,`)).toBe(true);
  });
});

describe('toText', () => {
  it('prints the table and the most failed checks', () => {
    const text = toText(aggregate([parseLearnerFile(alice, 'alice.json'), parseLearnerFile(bob, 'bob.json')]));
    expect(text).toContain('Alice Martin  pass 3/3  FAIL 1/4  4/7');
    expect(text).toContain('Most failed checks:\n  2/2  02.a  Check 02.a');
  });
});
