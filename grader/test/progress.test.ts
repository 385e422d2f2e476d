import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { readProgress, recordResults, updateProgress } from '../src/progress.js';
import type { LessonResult, Results } from '../src/results.js';

function lessonResult(id: string, status: LessonResult['status']): LessonResult {
  return {
    number: Number(id.slice(0, 2)),
    id,
    title: id,
    status,
    score: status === 'pass' ? 1 : 0,
    maxScore: 1,
    dir: '/x',
    gradedAt: new Date().toISOString(),
    durationMs: 1,
    tests: [{ id: `${id.slice(0, 2)}.a`, title: 'a', status: status, points: 1, score: status === 'pass' ? 1 : 0, message: '', hintLevel: 0, durationMs: 1 }],
  };
}

function results(...lessons: LessonResult[]): Results {
  return { schemaVersion: 1, gradedAt: new Date().toISOString(), target: 'exercises', lessons, score: 0, maxScore: 0 };
}

const work = mkdtempSync(path.join(os.tmpdir(), 'course-progress-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('.course/progress.json', () => {
  test('grading one lesson keeps the others, and counts failed runs until a pass', () => {
    const file = path.join(mkdtempSync(path.join(work, 'progress-')), 'progress.json');
    recordResults(results(lessonResult('01-a', 'fail'), lessonResult('02-b', 'pass')), file);
    recordResults(results(lessonResult('01-a', 'fail')), file);
    let progress = readProgress(file);
    expect(Object.keys(progress.lessons)).toEqual(['01-a', '02-b']);
    expect(progress.failedRuns['01-a']).toBe(2);
    recordResults(results(lessonResult('01-a', 'pass')), file);
    progress = readProgress(file);
    expect(progress.failedRuns['01-a']).toBe(0);
  });

  test('hint levels are copied into the lesson results the site reads', () => {
    const file = path.join(mkdtempSync(path.join(work, 'progress-')), 'progress.json');
    recordResults(results(lessonResult('01-a', 'fail')), file);
    updateProgress((progress) => void (progress.hints['01.a'] = 2), file);
    expect(readProgress(file).lessons['01-a']!.tests[0]!.hintLevel).toBe(2);
  });

  test('is replaced by rename: no temp files are left, and a corrupt file reads as empty progress', () => {
    const dir = mkdtempSync(path.join(work, 'progress-'));
    const file = path.join(dir, 'progress.json');
    recordResults(results(lessonResult('01-a', 'fail')), file);
    expect(readdirSync(dir)).toEqual(['progress.json']);
    expect(JSON.parse(readFileSync(file, 'utf8')).schemaVersion).toBe(1);
    writeFileSync(file, '{"schemaVersion": 1, "lessons": {');
    expect(readProgress(file).lessons).toEqual({});
  });
});
