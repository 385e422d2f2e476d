import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './paths.js';

/**
 * Workshop controls, from `course.config.json` at the course root (all optional):
 *   { "hints": "on" | "off" | { "afterFailedRuns": 3 },
 *     "solutions": "after-pass" | "instructor" | "never" }
 */
export interface CourseConfig {
  hints: 'on' | 'off' | { afterFailedRuns: number };
  solutions: 'after-pass' | 'instructor' | 'never';
}

export const configFile = path.join(repoRoot, 'course.config.json');
const defaults: CourseConfig = { hints: 'on', solutions: 'after-pass' };

export function readConfig(file = configFile): CourseConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return defaults;
    throw new Error(`${path.basename(file)} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${path.basename(file)} must hold a JSON object.`);
  // A misspelt key would otherwise be ignored silently and the workshop run with the defaults.
  const unknown = Object.keys(raw).filter((key) => !(key in defaults));
  if (unknown.length > 0) throw new Error(`${path.basename(file)}: unknown setting ${unknown.map((key) => `"${key}"`).join(', ')}; the settings are "hints" and "solutions".`);
  const config = { ...defaults, ...(raw as Partial<CourseConfig>) };
  const hintsOk =
    config.hints === 'on' ||
    config.hints === 'off' ||
    (typeof config.hints === 'object' && config.hints !== null && Number.isInteger(config.hints.afterFailedRuns) && config.hints.afterFailedRuns >= 0);
  if (!hintsOk) throw new Error(`${path.basename(file)}: "hints" must be "on", "off" or { "afterFailedRuns": <number> }.`);
  if (!['after-pass', 'instructor', 'never'].includes(config.solutions)) {
    throw new Error(`${path.basename(file)}: "solutions" must be "after-pass", "instructor" or "never".`);
  }
  return config;
}

/** Whether hints may be shown for a lesson that has failed `failedRuns` times in a row. */
export function hintsAllowed(config: CourseConfig, failedRuns: number): { allowed: boolean; why?: string } {
  if (config.hints === 'on') return { allowed: true };
  if (config.hints === 'off') return { allowed: false, why: 'Hints are turned off for this workshop (course.config.json).' };
  const needed = config.hints.afterFailedRuns;
  return failedRuns >= needed
    ? { allowed: true }
    : { allowed: false, why: `Hints open after ${needed} failed runs of this lesson; you have ${failedRuns}. Keep trying!` };
}

/**
 * Whether `course solution` may show a lesson's reference fix: "never" hides it from everyone,
 * "instructor" shows it only with --instructor, "after-pass" once the lesson passes (or with --force,
 * which the learner's progress records).
 */
export function solutionAllowed(
  config: CourseConfig,
  request: { passed: boolean; force?: boolean; instructor?: boolean },
): { allowed: boolean; why?: 'never' | 'instructor-only' | 'not-passed' } {
  if (config.solutions === 'never') return { allowed: false, why: 'never' };
  if (config.solutions === 'instructor') return request.instructor ? { allowed: true } : { allowed: false, why: 'instructor-only' };
  return request.passed || request.force || request.instructor ? { allowed: true } : { allowed: false, why: 'not-passed' };
}
