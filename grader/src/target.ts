import { existsSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './commands/common.js';
import { exercisesDir, repoRoot, solutionsDir } from './paths.js';
import type { LessonDefinition } from './registry/types.js';

/** Which folder of lessons a run grades. */
export interface Target {
  /** A folder laid out like exercises/: one NN-slug folder per lesson. */
  root: string;
  /** `exercises`, `solutions` or the path as given. */
  name: string;
  /** True for the learner's own exercises/: only then is .course/progress.json updated. */
  learner: boolean;
}

/**
 * `exercises` (the default), `solutions`, or any path: a folder laid out like exercises/, or a
 * repository that has one (a student's repo made from this course).
 */
export function resolveTarget(given?: string): Target {
  if (!given || given === 'exercises') return { root: exercisesDir, name: 'exercises', learner: true };
  if (given === 'solutions') return { root: solutionsDir, name: 'solutions', learner: false };
  const absolute = path.resolve(given);
  if (!existsSync(absolute)) throw new UsageError(`--target ${given}: no such folder (${absolute}). Give a folder laid out like exercises/, or a repository that has one.`);
  const nested = path.join(absolute, 'exercises');
  const root = existsSync(nested) ? nested : absolute;
  return { root, name: given, learner: root === exercisesDir };
}

export function lessonDir(target: Target, lesson: LessonDefinition): string {
  return path.join(target.root, lesson.id);
}

/** A path as the learner would type it: relative to the course when inside it. */
export function displayPath(file: string): string {
  const relative = path.relative(repoRoot, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}
