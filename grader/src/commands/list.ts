import pc from 'picocolors';
import { courseLessons } from '../grading.js';
import { readProgress } from '../progress.js';
import { bar, lessonLine } from '../reporters/terminal.js';

/** Every lesson with its last status and score, and the course total. */
export function listLessons(): string {
  const progress = readProgress();
  let score = 0;
  let max = 0;
  const lines = courseLessons().map((lesson) => {
    const result = progress.lessons[lesson.id];
    const maxScore = lesson.checks.reduce((sum, check) => sum + check.points, 0);
    score += result?.score ?? 0;
    max += maxScore;
    return lessonLine({ ...lesson, score: result?.score ?? 0, maxScore }, result?.status ?? 'not run');
  });
  lines.push('', `${pc.bold('Course')} ${bar(score, max, 30)} ${score}/${max} points`);
  return lines.join('\n');
}
