import type { CheckState, LessonInfo, Progress } from './types';

export const STATE_LABEL: Record<CheckState, string> = {
  pass: 'Passed',
  fail: 'Failing',
  error: 'Not judged',
  'not-run': 'Not run',
};

export const STATE_EXPLAINED: Record<CheckState, string> = {
  pass: 'the check passes',
  fail: 'the check fails: your app does not behave as expected yet',
  error: 'the grader could not judge (the app did not load, a service is missing or time ran out)',
  'not-run': 'not graded yet',
};

export interface CheckStatus {
  id: string;
  title: string;
  points: number;
  state: CheckState;
  score: number;
  message: string;
  hintLevel: number;
  guards?: string;
}

export interface LessonStatus {
  lesson: LessonInfo;
  /** pass / fail / error from the grader, not-run when never graded. */
  state: CheckState;
  checks: CheckStatus[];
  score: number;
  maxScore: number;
  passed: number;
  gradedAt?: string;
}

/** Joins a lesson of the registry with its latest result. Checks the grader has not run show as not run. */
export function lessonStatus(lesson: LessonInfo, progress: Progress | null): LessonStatus {
  const result = progress?.lessons?.[lesson.id];
  const checks = lesson.checks.map((check): CheckStatus => {
    const test = result?.tests.find((candidate) => candidate.id === check.id);
    return {
      id: check.id,
      title: check.title,
      points: check.points,
      state: test?.status ?? 'not-run',
      score: test?.status === 'pass' ? check.points : 0,
      message: test?.message ?? '',
      hintLevel: progress?.hints?.[check.id] ?? test?.hintLevel ?? 0,
      guards: check.guards,
    };
  });
  const maxScore = checks.reduce((sum, check) => sum + check.points, 0);
  const score = checks.reduce((sum, check) => sum + check.score, 0);
  const passed = checks.filter((check) => check.state === 'pass').length;
  let state: CheckState = 'not-run';
  if (result) {
    if (checks.some((check) => check.state === 'error')) state = 'error';
    else if (checks.length > 0 && passed === checks.length) state = 'pass';
    else state = 'fail';
  }
  return { lesson, state, checks, score, maxScore, passed, gradedAt: result?.gradedAt };
}

export function formatDate(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

/** The first lesson with checks that does not pass yet; the last one once all pass. */
export function currentLesson(lessons: LessonInfo[], progress: Progress | null): LessonInfo | undefined {
  const course = lessons.filter((lesson) => lesson.checks.length > 0);
  return course.find((lesson) => progress?.lessons?.[lesson.id]?.status !== 'pass') ?? course.at(-1);
}
