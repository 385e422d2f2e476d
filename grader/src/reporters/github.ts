/**
 * GitHub Actions output: annotations on the learner's own files, a job summary, step outputs, and the
 * one rule every path that prints a learner's text must follow: no workflow command gets through.
 *
 * Workflow commands, as the runner parses them (actions/runner ActionCommand.cs): a line that starts,
 * after leading whitespace, with `::name …::data` (TryParseV2), or any line that contains the legacy
 * `##[name …]data` (TryParse). Annotation data escapes % \r \n; properties also escape : and ,.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { lessonById } from '../registry/index.js';
import type { LessonResult, Results, TestResult } from '../results.js';

/** GitHub shows at most 10 error and 10 warning annotations per step; more are dropped. */
export const MAX_ANNOTATIONS = 10;
const ZWSP = '\u200b';

/**
 * Makes text safe to print in a GitHub Actions log: a line that would start a workflow command
 * (`::set-output …`, `::notice::…`, `::stop-commands::…`) or contains a legacy `##[…]` command is
 * broken with a zero-width space, so it shows the same but the runner no longer obeys it.
 */
export function neutralize(text: string): string {
  // Lines end at \r as well as \n; leading whitespace is what .NET's TrimStart() removes (\s and NEL).
  return text.replace(/(^|[\r\n])([^\S\r\n]|\u0085)*:(?=:)/g, (match) => `${match}${ZWSP}`).replaceAll('##[', `#${ZWSP}#[`);
}

/** Escapes an annotation's message (the data after the second `::`). */
export function escapeData(text: string): string {
  return text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

/** Escapes an annotation property value (file, title). */
export function escapeProperty(text: string): string {
  return escapeData(text).replaceAll(':', '%3A').replaceAll(',', '%2C');
}

/** Text a learner's app influenced, on one line, without control characters, at most `max` long. */
export function oneLine(text: string, max = 300): string {
  const flat = text
    .replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '')
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export interface Annotation {
  level: 'error' | 'warning';
  file: string;
  line?: number;
  title: string;
  message: string;
}

export interface GithubOptions {
  /** Annotation paths are relative to this folder (GITHUB_WORKSPACE); default: the graded repo's root. */
  workspace?: string;
}

/** The root of the repository a lesson folder belongs to (`<root>/exercises/<lesson>`). */
function gradedRoot(lesson: LessonResult): string {
  return path.dirname(path.dirname(lesson.dir));
}

/** The learner's file (and line) a failing check points at: where the app's output points, else the lesson's edited file. */
export function learnerFile(lesson: LessonResult, test: TestResult, options: GithubOptions = {}): { file: string; line?: number } {
  const root = gradedRoot(lesson);
  const base = options.workspace ?? root;
  const located = test.location ? /^(.*):(\d+)$/.exec(test.location) : null;
  if (located) {
    const absolute = path.resolve(root, located[1]!);
    return { file: toPosix(path.relative(base, absolute)), line: Number(located[2]) };
  }
  const edited = lessonById(lesson.id).edits[0] ?? 'src/app.ts';
  return { file: toPosix(path.relative(base, path.join(lesson.dir, edited))) };
}

function toPosix(file: string): string {
  return file.split(path.sep).join('/');
}

/** At most ten annotations, failures before checks the grader could not judge, in course order. */
export function annotations(results: Results, options: GithubOptions = {}): Annotation[] {
  const all: Annotation[] = [];
  for (const level of ['error', 'warning'] as const) {
    for (const lesson of results.lessons) {
      for (const test of lesson.tests) {
        if (test.status === 'pass' || (test.status === 'fail') !== (level === 'error')) continue;
        const where = learnerFile(lesson, test, options);
        all.push({
          level,
          ...where,
          title: `${test.title} (${test.id}, ${test.score}/${test.points} pts)`,
          message: oneLine(test.message || 'This check did not pass.', 900),
        });
      }
    }
  }
  return all.slice(0, MAX_ANNOTATIONS);
}

/** The workflow command lines for the annotations. */
export function annotationCommands(results: Results, options: GithubOptions = {}): string[] {
  return annotations(results, options).map((annotation) => {
    const properties = [
      `file=${escapeProperty(annotation.file)}`,
      ...(annotation.line ? [`line=${annotation.line}`] : []),
      `title=${escapeProperty(neutralize(annotation.title))}`,
    ];
    return `::${annotation.level} ${properties.join(',')}::${escapeData(neutralize(annotation.message))}`;
  });
}

/** Markdown-escapes text from a learner's app for a table cell or a line of the summary. */
export function markdownText(text: string, max = 300): string {
  return neutralize(oneLine(text, max)).replace(/[\\`*_[\]<>|&#]/g, (char) => (char === '&' ? '&amp;' : char === '<' ? '&lt;' : char === '>' ? '&gt;' : `\\${char}`));
}

const STATUS = { pass: '✅ pass', fail: '❌ fail', error: '⚠️ error' } as const;

/** The job summary: one row per lesson, then each check that did not pass, then the integrity list. */
export function summaryMarkdown(results: Results, options: GithubOptions = {}): string {
  const lines = [
    `## Production-Ready Express: ${results.score}/${results.maxScore} points`,
    '',
    '| Lesson | Score | Status | Checks passing |',
    '| --- | ---: | --- | ---: |',
    ...results.lessons.map(
      (lesson) =>
        `| ${String(lesson.number).padStart(2, '0')} ${markdownText(lesson.title)} | ${lesson.score}/${lesson.maxScore} | ${STATUS[lesson.status]} | ` +
        `${lesson.tests.filter((test) => test.status === 'pass').length}/${lesson.tests.length} |`,
    ),
    `| **Total** | **${results.score}/${results.maxScore}** | | |`,
  ];
  const failing = results.lessons.flatMap((lesson) => lesson.tests.filter((test) => test.status !== 'pass').map((test) => ({ lesson, test })));
  if (failing.length > 0) {
    lines.push('', '### Checks that do not pass yet', '', '| Check | Points | What happened | Where |', '| --- | ---: | --- | --- |');
    for (const { lesson, test } of failing) {
      const where = learnerFile(lesson, test, options);
      lines.push(
        `| ${STATUS[test.status].split(' ')[0]} ${markdownText(test.title)}<br>\`${test.id}\` | ${test.score}/${test.points} | ` +
          `${markdownText(test.message || 'This check did not pass.')} | ${markdownText(`${where.file}${where.line ? `:${where.line}` : ''}`)} |`,
      );
    }
  }
  const ignored = results.integrity?.ignored ?? [];
  if (ignored.length > 0) {
    lines.push(
      '',
      '### Files outside exercises/ that differ from the course',
      '',
      'The grader ran from a pristine copy of the course, so these changes had no effect on the grade:',
      '',
      ...ignored.slice(0, 50).map((file) => `- ${markdownText(file)}`),
      ...(ignored.length > 50 ? [`- … and ${ignored.length - 50} more`] : []),
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Appends `name=value` pairs to a GitHub file command ($GITHUB_OUTPUT) in the heredoc form that
 * @actions/core uses (`name<<delimiter`), so a value can never end early or smuggle another name.
 */
export function appendOutputs(file: string, outputs: Record<string, string>): void {
  const text = Object.entries(outputs)
    .map(([name, value]) => {
      const delimiter = `ghadelimiter_${randomUUID()}`;
      if (name.includes(delimiter) || value.includes(delimiter)) throw new Error(`Output ${name} contains its delimiter.`);
      return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
    })
    .join('');
  appendFileSync(file, text);
}

/**
 * Wraps text that a learner's app influenced in `::stop-commands::` so the runner ignores any
 * workflow command inside it, whatever escaped neutralize(); the token is random per call.
 */
export function withCommandsStopped(text: string): string {
  const token = `course-${randomUUID()}`;
  return `::stop-commands::${token}\n${text}\n::${token}::`;
}
