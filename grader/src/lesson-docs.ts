import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lessonsDir } from './paths.js';
import type { LessonDefinition } from './registry/types.js';

export const CHECKS_START = '<!-- grader-checks:start -->';
export const CHECKS_END = '<!-- grader-checks:end -->';
export const REQUIREMENTS_START = '<!-- requirements:start -->';
export const REQUIREMENTS_END = '<!-- requirements:end -->';

export function lessonFile(lesson: LessonDefinition): string {
  const md = path.join(lessonsDir, `${lesson.id}.md`);
  return existsSync(md) ? md : `${md}x`;
}

/**
 * Registry text as Markdown: a `<` outside code spans is escaped, so that a tag a sentence names (a
 * <script> it talks about) is shown, not rendered by the site as HTML; and a `|` cannot end a table cell.
 */
function inline(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part, index) => (index % 2 === 1 ? part : part.replaceAll('<', '&lt;')))
    .join('')
    .replace(/\|/g, '\\|');
}

/** The "What the grader checks" table, generated from the registry so that it cannot drift. */
export function checksTable(lesson: LessonDefinition): string {
  const rows = lesson.checks.map((check) => `| ${inline(check.title)} | \`${check.id}\` | ${check.points} |`);
  return ['| The grader proves that… | Check | Points |', '| --- | --- | ---: |', ...rows].join('\n');
}

/**
 * The requirement trace as the lesson text shows it: what the app must do and which checks prove it,
 * then what the text only advises, which no check looks at.
 */
export function requirementsTable(lesson: LessonDefinition): string {
  const rows = lesson.requirements.map((requirement) => `| ${inline(requirement.text)} | ${requirement.checks.map((id) => `\`${id}\``).join(', ')} |`);
  const lines = ['| Your app must… | Proven by |', '| --- | --- |', ...rows];
  if (lesson.advice.length) {
    lines.push('', 'Advice the grader does not check (good practice, and your choice):', '', ...lesson.advice.map((advice) => `- ${inline(advice)}`));
  }
  return lines.join('\n');
}

function replaceBetween(text: string, lesson: LessonDefinition, [startMarker, endMarker]: [string, string], body: string): string {
  const start = text.indexOf(startMarker);
  const end = text.indexOf(endMarker);
  if (start < 0 || end < start) throw new Error(`${lesson.id}: the lesson text needs the lines ${startMarker} and ${endMarker}.`);
  return `${text.slice(0, start + startMarker.length)}\n${body}\n${text.slice(end)}`;
}

/** The lesson text with its generated tables regenerated; throws if the markers are missing. */
export function withChecksTable(text: string, lesson: LessonDefinition): string {
  const checks = replaceBetween(text, lesson, [CHECKS_START, CHECKS_END], checksTable(lesson));
  return replaceBetween(checks, lesson, [REQUIREMENTS_START, REQUIREMENTS_END], requirementsTable(lesson));
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
