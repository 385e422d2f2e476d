import type { LessonResult, Status, TestResult } from '../../../grader/src/results';

export type { LessonResult, Status, TestResult };

/** The registry as the course plugin serialises it (plugins/course/data.mjs). */
export interface CheckInfo {
  id: string;
  title: string;
  points: number;
  guards?: string;
  needs?: 'redis';
}

export interface LessonInfo {
  number: number;
  id: string;
  title: string;
  summary: string;
  edits: string[];
  packages: string[];
  hasDoc: boolean;
  checks: CheckInfo[];
}

/** `.course/progress.json` (grader/src/progress.ts). */
export interface Progress {
  schemaVersion: 1;
  updatedAt: string;
  lessons: Record<string, LessonResult>;
  hints: Record<string, number>;
  solutionsShown?: Record<string, { at: string; forced: boolean }>;
  failedRuns?: Record<string, number>;
}

export interface CourseData {
  lessons: LessonInfo[];
  progress: Progress | null;
  currentLesson: string | null;
  live: boolean;
  progressUrl: string;
  builtAt: string;
}

/** A check's state as the site shows it: the grader's status, or not run yet. */
export type CheckState = Status | 'not-run';
