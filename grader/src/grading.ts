import { existsSync } from 'node:fs';
import path from 'node:path';
import { grade, GradingSession, type RunOptions } from './engine.js';
import { readProgress, recordResults } from './progress.js';
import { lessons as allLessons } from './registry/index.js';
import type { LessonDefinition } from './registry/types.js';
import { type GradeJob, type LessonResult, type Results, SCHEMA_VERSION } from './results.js';
import { lessonDir, type Target } from './target.js';

/** Lessons that have checks: the course as it stands. */
export const courseLessons = (): LessonDefinition[] => allLessons.filter((lesson) => lesson.checks.length > 0);

/** Grades lessons of one target and, for the learner's own exercises, records the progress. */
export async function gradeTarget(target: Target, lessons: readonly LessonDefinition[], options: RunOptions = {}): Promise<Results> {
  const present = lessons.filter((lesson) => hasApp(target, lesson));
  const graded = present.length ? await grade(present.map((lesson) => jobFor(target, lesson)), options) : [];
  return finish(target, lessons, graded);
}

/**
 * Keeps a grading session open on the target (watch mode): each call re-grades one lesson as its
 * files are now, without starting vitest, Redis or the compiler again.
 */
export async function openTargetSession(target: Target, lessons: readonly LessonDefinition[]) {
  const session = await GradingSession.open(lessons.map((lesson) => jobFor(target, lesson)));
  return {
    grade: async (lesson: LessonDefinition): Promise<Results> =>
      finish(target, [lesson], hasApp(target, lesson) ? await session.grade([lesson.id]) : []),
    close: () => session.close(),
  };
}

function hasApp(target: Target, lesson: LessonDefinition): boolean {
  return existsSync(path.join(lessonDir(target, lesson), 'src', 'app.ts'));
}

function jobFor(target: Target, lesson: LessonDefinition): GradeJob {
  return { lesson: lesson.id, dir: lessonDir(target, lesson), label: target.name };
}

/** Results in course order, lessons without an app reported as such, progress recorded for a learner. */
function finish(target: Target, lessons: readonly LessonDefinition[], graded: LessonResult[]): Results {
  const missing = lessons.filter((lesson) => !graded.some((result) => result.id === lesson.id)).map((lesson) => missingLesson(target, lesson));
  const byOrder = [...graded, ...missing].sort((a, b) => a.number - b.number);
  const hints = target.learner ? readProgress().hints : {};
  for (const lesson of byOrder) for (const test of lesson.tests) test.hintLevel = hints[test.id] ?? 0;
  const results: Results = {
    schemaVersion: SCHEMA_VERSION,
    gradedAt: new Date().toISOString(),
    target: target.name,
    lessons: byOrder,
    score: byOrder.reduce((sum, lesson) => sum + lesson.score, 0),
    maxScore: byOrder.reduce((sum, lesson) => sum + lesson.maxScore, 0),
  };
  if (target.learner) recordResults(results);
  return results;
}

function missingLesson(target: Target, lesson: LessonDefinition): LessonResult {
  const dir = lessonDir(target, lesson);
  return {
    number: lesson.number,
    id: lesson.id,
    title: lesson.title,
    status: 'error',
    score: 0,
    maxScore: lesson.checks.reduce((sum, check) => sum + check.points, 0),
    dir,
    gradedAt: new Date().toISOString(),
    durationMs: 0,
    tests: lesson.checks.map((check) => ({
      id: check.id,
      title: check.title,
      status: 'error',
      points: check.points,
      score: 0,
      message: target.learner
        ? `No ${path.join(dir, 'src', 'app.ts')}: this folder is not laid out like exercises/${lesson.id}. Run \`npx course reset ${lesson.number}\` to restore it.`
        : `No ${path.join(dir, 'src', 'app.ts')}: --target takes a folder laid out like exercises/ (holding ${lesson.id}/src/app.ts), a repository that has one, or the lesson's own folder.`,
      hintLevel: 0,
      durationMs: 0,
    })),
  };
}
