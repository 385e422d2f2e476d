import pc from 'picocolors';
import { hintsAllowed, readConfig } from '../config.js';
import { gradeTarget } from '../grading.js';
import { readProgress, updateProgress } from '../progress.js';
import { resolveTarget } from '../target.js';
import { parseLesson, UsageError } from './common.js';

const LEVELS = ['Nudge', 'Concept', 'Where to look', 'Near-solution'];

/** Shows the next hint of the lesson's first failing check and records the level reached. */
export async function hintCommand(name: string): Promise<string> {
  const lesson = parseLesson(name);
  const progress = readProgress();
  const policy = hintsAllowed(readConfig(), progress.failedRuns[lesson.id] ?? 0);
  if (!policy.allowed) throw new UsageError(policy.why!);
  const result = progress.lessons[lesson.id] ?? (await gradeTarget(resolveTarget(), [lesson])).lessons[0]!;
  const failing = result.tests.find((test) => test.status !== 'pass');
  if (!failing) return `Every check of lesson ${lesson.number} passes: no hint needed.`;
  const check = lesson.checks.find((candidate) => candidate.id === failing.id)!;
  const level = Math.min(4, (progress.hints[check.id] ?? 0) + 1);
  updateProgress((next) => {
    next.hints[check.id] = level;
  });
  const lines = [pc.bold(check.title), pc.dim(check.id), ''];
  check.hints.slice(0, level).forEach((hint, index) => lines.push(`${pc.yellow(`${index + 1}. ${LEVELS[index]}:`)} ${hint}`));
  lines.push('', level < 4 ? pc.dim(`Run it again for the next hint (${level}/4).`) : pc.dim(`That was the last hint. \`npx course solution ${lesson.number} --force\` shows the reference fix.`));
  return lines.join('\n');
}
