import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lessonsDir } from './paths.js';
import type { LessonDefinition } from './registry/types.js';

export const CHECKS_START = '<!-- grader-checks:start -->';
export const CHECKS_END = '<!-- grader-checks:end -->';

export function lessonFile(lesson: LessonDefinition): string {
  const md = path.join(lessonsDir, `${lesson.id}.md`);
  return existsSync(md) ? md : `${md}x`;
}

/** The "What the grader checks" table, generated from the registry so that it cannot drift. */
export function checksTable(lesson: LessonDefinition): string {
  const rows = lesson.checks.map((check) => `| ${check.title.replace(/\|/g, '\\|')} | \`${check.id}\` | ${check.points} |`);
  return ['| The grader proves that… | Check | Points |', '| --- | --- | ---: |', ...rows].join('\n');
}

/** The lesson text with its table regenerated; throws if the markers are missing. */
export function withChecksTable(text: string, lesson: LessonDefinition): string {
  const start = text.indexOf(CHECKS_START);
  const end = text.indexOf(CHECKS_END);
  if (start < 0 || end < start) throw new Error(`${lesson.id}: the lesson text needs the lines ${CHECKS_START} and ${CHECKS_END}.`);
  return `${text.slice(0, start + CHECKS_START.length)}\n${checksTable(lesson)}\n${text.slice(end)}`;
}

/** Rewrites each lesson's table; returns the lessons whose file changed. */
export function syncLessonTables(lessons: readonly LessonDefinition[]): string[] {
  const changed: string[] = [];
  for (const lesson of lessons) {
    const file = lessonFile(lesson);
    if (!existsSync(file)) continue; // the registry test reports a lesson without its text
    const text = readFileSync(file, 'utf8');
    const next = withChecksTable(text, lesson);
    if (next !== text) {
      writeFileSync(file, next);
      changed.push(lesson.id);
    }
  }
  return changed;
}
