import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { UsageError } from '../src/commands/common.js';
import { findLesson } from '../src/registry/index.js';
import { lessonDir, resolveTarget } from '../src/target.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'course-target-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const compression = findLesson('5')!;

/** A folder with the one file that makes it a lesson's folder. */
function lessonFolder(...parts: string[]): string {
  const dir = path.join(work, ...parts);
  mkdirSync(path.join(dir, 'src'), { recursive: true });
  writeFileSync(path.join(dir, 'src', 'app.ts'), '');
  return dir;
}

describe('--target', () => {
  test('a folder laid out like exercises/ holds one folder per lesson', () => {
    const root = path.dirname(lessonFolder('course', '05-compression'));
    const target = resolveTarget(root, [compression]);
    expect(target.only).toBeUndefined();
    expect(lessonDir(target, compression)).toBe(path.join(root, '05-compression'));
  });

  test("one lesson's folder, under any name, is graded as the lesson the command names", () => {
    const copy = lessonFolder('my-copy');
    const target = resolveTarget(copy, [compression]);
    expect(target).toMatchObject({ root: copy, only: '05-compression', learner: false });
    expect(lessonDir(target, compression)).toBe(copy);
  });

  test("one lesson's folder named after its lesson needs no lesson named", () => {
    const copy = lessonFolder('elsewhere', '05-compression');
    expect(resolveTarget(copy).only).toBe('05-compression');
  });

  test("one lesson's folder with neither says how to name the lesson", () => {
    const copy = lessonFolder('unnamed');
    expect(() => resolveTarget(copy)).toThrow(UsageError);
    expect(() => resolveTarget(copy)).toThrow(/name the lesson it is, e\.g\. `npx course grade 5 --target/);
  });
});
