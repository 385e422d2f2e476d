import { existsSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './commands/common.js';
import { exercisesDir, repoRoot, solutionsDir } from './paths.js';
import { lessons } from './registry/index.js';
import type { LessonDefinition } from './registry/types.js';

/** Which folder of lessons a run grades. */
export interface Target {
  /** A folder laid out like exercises/: one NN-slug folder per lesson. */
  root: string;
  /** `exercises`, `solutions` or the path as given. */
  name: string;
  /** True for the learner's own exercises/: only then is .course/progress.json updated. */
  learner: boolean;
  /** Set when `root` is itself one lesson's folder (a copy of exercises/NN-slug): that lesson's id. */
  only?: string;
}

/**
 * `exercises` (the default), `solutions`, or any path: a folder laid out like exercises/, a
 * repository that has one (a student's repo made from this course), or one lesson's folder on its
 * own, graded as the lesson named (`named`: the lessons the command line names) or as its own name says.
 */
export function resolveTarget(given?: string, named: readonly LessonDefinition[] = []): Target {
  if (!given || given === 'exercises') return { root: exercisesDir, name: 'exercises', learner: true };
  if (given === 'solutions') return { root: solutionsDir, name: 'solutions', learner: false };
  const absolute = path.resolve(given);
  if (!existsSync(absolute)) throw new UsageError(`--target ${given}: no such folder (${absolute}). Give a folder laid out like exercises/, or a repository that has one.`);
  if (existsSync(path.join(absolute, 'src', 'app.ts'))) {
    const lesson = named.length === 1 ? named[0] : lessons.find((candidate) => candidate.id === path.basename(absolute));
    if (!lesson) throw new UsageError(`--target ${given} is one lesson's folder (it has src/app.ts): name the lesson it is, e.g. \`npx course grade 5 --target ${given}\`.`);
    return { root: absolute, name: given, learner: false, only: lesson.id };
  }
  const nested = path.join(absolute, 'exercises');
  const root = existsSync(nested) ? nested : absolute;
  return { root, name: given, learner: root === exercisesDir };
}

export function lessonDir(target: Target, lesson: LessonDefinition): string {
  return target.only === lesson.id ? target.root : path.join(target.root, lesson.id);
}

/** A path as the learner would type it: relative to the course when inside it. */
export function displayPath(file: string): string {
  const relative = path.relative(repoRoot, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}
