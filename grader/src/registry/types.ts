/**
 * The course registry: lessons in order, their checks, points and hints. Everything else (checks,
 * terminal, progress, site, CI reports) joins on the ids declared here.
 */

/** Four steps, from a nudge to a near-solution. */
export type HintLadder = readonly [nudge: string, concept: string, whereToLook: string, nearSolution: string];

export interface CheckDefinition {
  /** Stable id, `NN.what-it-proves`, e.g. `01.sync-throw-answers-generic-json`. */
  readonly id: string;
  /** The behaviour, phrased as a sentence about the learner's app. */
  readonly title: string;
  readonly points: number;
  readonly hints: HintLadder;
  /**
   * Set when the flawed exercise already does this right and the check guards against a fix that
   * breaks it. The self-check then expects it to pass on the exercise too. Say why.
   */
  readonly guards?: string;
  /** A service the check cannot judge without. */
  readonly needs?: 'redis';
}

/** Something the lesson text tells the learner their app must do, and the checks that prove it. */
export interface Requirement {
  /** The requirement as the lesson text states it, phrased about the learner's app. */
  readonly text: string;
  /** The ids of the checks (of this lesson) that fail when the app does not do it. */
  readonly checks: readonly string[];
}

export interface LessonDefinition {
  readonly number: number;
  /** `NN-slug`, the folder name in lessons/, exercises/, solutions/ and grader/checks/. */
  readonly id: string;
  readonly title: string;
  /**
   * The part of the course the lesson belongs to, for lessons after the first part ('Shipping it').
   * Such a lesson's exercise starts with the fixes of the parts before it, so `course catch-up`
   * applies only the earlier lessons of its own part.
   */
  readonly part?: string;
  /** One sentence: the production flaw this lesson fixes. */
  readonly summary: string;
  /** Files the learner edits, relative to the lesson folder. */
  readonly edits: readonly string[];
  /** Packages the learner may add for this lesson. */
  readonly packages?: readonly string[];
  /** Hard limit for grading this lesson on one target, in milliseconds. */
  readonly timeLimitMs: number;
  /** Limit for one check of this lesson, when 20 s is not enough (a process manager's reload is slow by nature). */
  readonly checkTimeLimitMs?: number;
  /**
   * Its checks spend most of their time waiting, not computing (a process manager's reloads and
   * restarts): a self-check grades its folders first, on workers of their own, beside the others.
   */
  readonly waits?: boolean;
  readonly checks: readonly CheckDefinition[];
  /**
   * The requirement trace: everything the lesson text asks of the app, each proven by named checks.
   * The lesson text's requirements table is generated from it (npx course sync-lessons).
   */
  readonly requirements: readonly Requirement[];
  /** What the lesson text recommends but the grader does not check, worded as advice. */
  readonly advice: readonly string[];
}
