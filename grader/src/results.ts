/**
 * The one results model. A grading run produces a Results object; the terminal view, the progress
 * file, JUnit, GitHub Classroom and the site are all functions of it.
 */
export const SCHEMA_VERSION = 1;

export type Status = 'pass' | 'fail' | 'error';

/** One lesson folder to grade. The label tells targets of one lesson apart in a run. */
export interface GradeJob {
  lesson: string;
  dir: string;
  label: string;
  /**
   * Only these checks (default: all of the lesson's). The self-check runs a wrong fixture's named
   * checks alone: which checks must catch it is the fixture's claim, and the others' work is CPU the
   * run does not have.
   */
  checks?: readonly string[];
}

export interface TestResult {
  id: string;
  title: string;
  status: Status;
  points: number;
  score: number;
  /** One line: what was expected and what happened. Empty when it passed. */
  message: string;
  /** Reproduces the failing request against the learner's dev server. */
  curl?: string;
  /** What the learner's app printed during the check. */
  output?: string;
  /** Where in the learner's code, when the app's output points there (`src/app.ts:42`). */
  location?: string;
  /**
   * Set when the check could not run because the machine lacks this service. Outside CI such a check
   * does not decide the lesson: a laptop without Redis can still pass it on the embedded store.
   */
  missingService?: 'redis';
  /** Hints the learner has asked for on this check (0 to 4). */
  hintLevel: number;
  durationMs: number;
}

export interface LessonResult {
  number: number;
  id: string;
  title: string;
  status: Status;
  score: number;
  maxScore: number;
  /** The graded folder. */
  dir: string;
  gradedAt: string;
  durationMs: number;
  tests: TestResult[];
}

export interface Results {
  schemaVersion: typeof SCHEMA_VERSION;
  gradedAt: string;
  /** What was graded: `exercises`, `solutions` or a path. */
  target: string;
  lessons: LessonResult[];
  score: number;
  maxScore: number;
  /** Set by pristine grading: files of a student's repo that the grader ignored. */
  integrity?: { ignored: string[] };
}

export function lessonStatus(tests: readonly TestResult[], ci = Boolean(process.env.CI)): Status {
  const deciding = tests.filter((test) => ci || !test.missingService);
  if (deciding.some((test) => test.status === 'error')) return 'error';
  return deciding.every((test) => test.status === 'pass') ? 'pass' : 'fail';
}

/** 0 every graded lesson passes, 1 some check failed, 2 the grader could not judge. */
export function exitCode(results: Results): 0 | 1 | 2 {
  if (results.lessons.some((lesson) => lesson.status === 'error')) return 2;
  return results.lessons.every((lesson) => lesson.status === 'pass') ? 0 : 1;
}
