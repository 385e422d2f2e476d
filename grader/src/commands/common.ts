import { findLesson } from '../registry/index.js';
import type { LessonDefinition } from '../registry/types.js';
import { courseLessons } from '../grading.js';

/** A mistake in how the command was called or what it found: printed as is, exit code 2. */
export class UsageError extends Error {}

export function parseLessons(names: readonly string[]): LessonDefinition[] {
  if (names.length === 0) return courseLessons();
  return names.map((name) => parseLesson(name));
}

export function parseLesson(name: string): LessonDefinition {
  const lesson = findLesson(name);
  if (!lesson) {
    const known = courseLessons().map((candidate) => `${candidate.number} (${candidate.id})`).join(', ');
    throw new UsageError(`No lesson "${name}". Lessons: ${known}.`);
  }
  if (lesson.checks.length === 0) throw new UsageError(`Lesson ${lesson.id} is not ready yet.`);
  return lesson;
}
