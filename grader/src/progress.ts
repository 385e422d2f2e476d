import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { progressFile } from './paths.js';
import { type LessonResult, type Results, SCHEMA_VERSION } from './results.js';

/**
 * `.course/progress.json`: the learner's latest result per lesson, read by the site and the CLI.
 * Grading one lesson replaces that lesson's entry and keeps the others.
 */
export interface Progress {
  schemaVersion: typeof SCHEMA_VERSION;
  updatedAt: string;
  /** Latest result per lesson id; lessons never graded are absent. */
  lessons: Record<string, LessonResult>;
  /** Hint level reached per check id (1 nudge … 4 near-solution). */
  hints: Record<string, number>;
  /** Lessons whose solution was shown, and whether that was forced before the lesson passed. */
  solutionsShown: Record<string, { at: string; forced: boolean }>;
  /** Failed grading runs per lesson since it last passed (for workshop hint policies). */
  failedRuns: Record<string, number>;
}

export function emptyProgress(): Progress {
  return { schemaVersion: SCHEMA_VERSION, updatedAt: new Date(0).toISOString(), lessons: {}, hints: {}, solutionsShown: {}, failedRuns: {} };
}

export function readProgress(file = progressFile): Progress {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Progress>;
    if (parsed.schemaVersion !== SCHEMA_VERSION) return emptyProgress();
    return { ...emptyProgress(), ...parsed };
  } catch {
    return emptyProgress();
  }
}

/** Writes to a temporary file and renames it over the old one, so a reader never sees half a file. */
export function writeJsonAtomic(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(temporary, file);
}

export function updateProgress(change: (progress: Progress) => void, file = progressFile): Progress {
  const progress = readProgress(file);
  change(progress);
  progress.updatedAt = new Date().toISOString();
  for (const lesson of Object.values(progress.lessons)) {
    for (const test of lesson.tests) test.hintLevel = progress.hints[test.id] ?? 0;
  }
  writeJsonAtomic(file, progress);
  return progress;
}

export function recordResults(results: Results, file = progressFile): Progress {
  return updateProgress((progress) => {
    for (const lesson of results.lessons) {
      progress.lessons[lesson.id] = lesson;
      progress.failedRuns[lesson.id] = lesson.status === 'pass' ? 0 : (progress.failedRuns[lesson.id] ?? 0) + 1;
    }
  }, file);
}
