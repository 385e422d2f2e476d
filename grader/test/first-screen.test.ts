// A learner's first grade of each lesson must fit one terminal screen, with the first failing check in
// full: the failures are real, from grading the pristine exercises (reused from the self-check's run).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { renderLesson, sanitize } from '../src/reporters/terminal.js';
import type { Results } from '../src/results.js';
import { gradedResults } from './graded.js';

const SCREEN_ROWS = 40;
const SCREEN_COLUMNS = 120;

let work: string;
let flawed: Results;

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'course-first-screen-'));
  flawed = gradedResults('exercises', work);
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Rows the text takes in a terminal SCREEN_COLUMNS wide, long lines wrapping. */
function rows(text: string): number {
  return sanitize(text)
    .split('\n')
    .reduce((sum, line) => sum + Math.max(1, Math.ceil([...line].length / SCREEN_COLUMNS)), 0);
}

describe("the first grade of each lesson's exercise", () => {
  test('every lesson was graded and fails', () => {
    expect(flawed.lessons.length).toBeGreaterThanOrEqual(7);
    for (const lesson of flawed.lessons) expect(lesson.status, lesson.id).not.toBe('pass');
  });

  test(`fits ${SCREEN_ROWS} rows of ${SCREEN_COLUMNS} columns, the first failure in full and each other in one line`, () => {
    for (const lesson of flawed.lessons) {
      const screen = renderLesson(lesson, { hints: true });
      expect(rows(screen), `${lesson.id}:\n${screen}`).toBeLessThanOrEqual(SCREEN_ROWS);
      const [first, ...others] = lesson.tests.filter((result) => result.status !== 'pass');
      const lines = sanitize(screen).split('\n');
      expect(lines.some((line) => line.includes(`(${first!.id},`)), `${lesson.id} shows ${first!.id} in full`).toBe(true);
      expect(sanitize(screen), lesson.id).toContain(sanitize(first!.message).split('\n')[0]);
      if (first!.curl) expect(screen, lesson.id).toContain(first!.curl);
      for (const other of others) {
        expect(lines.filter((line) => line.includes(other.title.slice(0, 40))), `${lesson.id}: ${other.id} in one line`).toHaveLength(1);
        expect(screen, `${lesson.id}: ${other.id} not in full`).not.toContain(`(${other.id},`);
      }
    }
  });

  test('--all shows every failure in full', () => {
    for (const lesson of flawed.lessons) {
      const screen = renderLesson(lesson, { hints: true, all: true });
      for (const failed of lesson.tests.filter((result) => result.status !== 'pass')) expect(screen, lesson.id).toContain(`(${failed.id},`);
    }
  });
});
