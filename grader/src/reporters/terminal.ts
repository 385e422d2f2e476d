import pc from 'picocolors';
import { checkById } from '../registry/index.js';
import { neutralize } from './github.js';
import type { LessonResult, Results, Status, TestResult } from '../results.js';

export interface TerminalOptions {
  verbose?: boolean;
  /** Whether hints may be shown (workshop policy). */
  hints?: boolean;
  /**
   * Every failing check in full. Otherwise only a lesson's first failing check is (the registry's order
   * is the teaching order, so it is the next step) and each other one takes a line.
   */
  all?: boolean;
}

const OUTPUT_LINES = 10;
const LINE_LIMIT = 400;
/** The width a one-line summary of a failing check is cut to. */
const SUMMARY_WIDTH = 116;

export function bar(score: number, max: number, width = 20): string {
  const filled = max === 0 ? 0 : Math.round((score / max) * width);
  return pc.green('█'.repeat(filled)) + pc.dim('░'.repeat(width - filled));
}

function badge(status: Status | 'not run'): string {
  if (status === 'pass') return pc.green('✓ pass');
  if (status === 'fail') return pc.red('✗ fail');
  if (status === 'error') return pc.yellow('! error');
  return pc.dim('· not run');
}

export function lessonLine(lesson: Pick<LessonResult, 'number' | 'title' | 'score' | 'maxScore'>, status: Status | 'not run'): string {
  const name = `${String(lesson.number).padStart(2, '0')} ${lesson.title}`.padEnd(24);
  return `${pc.bold(name)} ${bar(lesson.score, lesson.maxScore)} ${`${lesson.score}/${lesson.maxScore}`.padStart(5)}  ${badge(status)}`;
}

/**
 * What the learner's app printed, labelled, without escape codes or workflow commands. Stack frames
 * inside node_modules and Node's internals fold into one line naming their packages, unless verbose.
 */
export function appOutput(output: string, verbose = false): string[] {
  const printed = sanitize(output)
    .replace(/\n+$/, '')
    .split('\n')
    .filter((line) => line.trim());
  const lines = (verbose ? printed : foldFrames(printed).map(foldEscapedFrames))
    .map((line) => (line.length > LINE_LIMIT ? `${line.slice(0, LINE_LIMIT)}… (${line.length - LINE_LIMIT} more characters)` : line));
  const shown = verbose ? lines : lines.slice(-OUTPUT_LINES);
  const skipped = lines.length - shown.length;
  return [
    ...(skipped > 0 ? [pc.dim(`[your app] … ${skipped} earlier lines (--verbose shows all)`)] : []),
    ...shown.map((line) => `${pc.dim('[your app]')} ${line}`),
  ];
}

// `    at fn (/app/node_modules/router/index.js:3:1)`, `    at node:internal/timers:581:17`.
const FRAME = /^\s*at (?:.*\()?(?:file:\/\/)?([^()\s]+?)(?::\d+)*\)?$/;

/** The package a stack frame belongs to, or undefined for the learner's own code. */
export function framePackage(line: string): string | undefined {
  const file = FRAME.exec(line)?.[1];
  if (!file) return undefined;
  if (file.startsWith('node:') || file.startsWith('internal/')) return 'node';
  const inPackage = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  return inPackage?.[1];
}

/** Runs of frames in packages become `… 7 frames in express, router`; the learner's frames stay. */
export function foldFrames(lines: string[]): string[] {
  const folded: string[] = [];
  for (let index = 0; index < lines.length; ) {
    const packages: string[] = [];
    let end = index;
    for (let name; end < lines.length && (name = framePackage(lines[end]!)); end += 1) if (!packages.includes(name)) packages.push(name);
    if (end === index) {
      folded.push(lines[index]!);
      index += 1;
      continue;
    }
    const indent = /^\s*/.exec(lines[index]!)![0];
    const count = end - index;
    folded.push(`${indent}… ${count} frame${count === 1 ? '' : 's'} in ${packages.join(', ')}`);
    index = end;
  }
  return folded;
}

/** The same for a stack kept inside one JSON line, where its line breaks are `\n`. */
function foldEscapedFrames(line: string): string {
  if (!line.includes('\\n    at ')) return line;
  const pieces = line.split('\\n');
  // The string's closing quote and the rest of the JSON follow the last frame.
  const last = pieces.pop()!;
  const quote = last.indexOf('"');
  const folded = foldFrames([...pieces, quote < 0 ? last : last.slice(0, quote)]);
  return folded.join('\\n') + (quote < 0 ? '' : last.slice(quote));
}

/**
 * Drops terminal escape sequences and control characters from text a learner's app printed, and
 * breaks anything that a CI runner would obey as a workflow command.
 */
export function sanitize(text: string): string {
  return neutralize(text)
    .replace(/\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(\u0007|\u001b\\)|\u001b[@-_]|\u009b[0-9;?]*[ -/]*[@-~]|\u009d[^\u0007\u009c]*(\u0007|\u009c)/g, '')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}

function icon(test: TestResult): string {
  return test.status === 'error' ? pc.yellow('!') : pc.red('✗');
}

/** A failing check in one line: its title and the first sentence of its message. */
function summaryLine(test: TestResult): string {
  const sentence = /^[^\n]*?[.!?](?=\s|$)|^[^\n]*/.exec(sanitize(test.message))![0].trim();
  const text = `${test.title}: ${sentence}`;
  return `  ${icon(test)} ${text.length > SUMMARY_WIDTH ? `${text.slice(0, SUMMARY_WIDTH - 1)}…` : text}`;
}

function testLines(test: TestResult, options: TerminalOptions): string[] {
  if (test.status === 'pass') return options.verbose ? [`  ${pc.green('✓')} ${test.title}`] : [];
  if (test.missingService && !process.env.CI) {
    return [
      `  ${pc.yellow('!')} ${pc.bold(test.title)} ${pc.dim(`(${test.id}, ${test.points} pt${test.points === 1 ? '' : 's'}, not counted: needs ${test.missingService})`)}`,
      ...sanitize(test.message).split('\n').map((line) => `    ${line}`),
    ];
  }
  const lines = [`  ${icon(test)} ${pc.bold(test.title)} ${pc.dim(`(${test.id}, ${test.points} pt${test.points === 1 ? '' : 's'})`)}`];
  lines.push(...sanitize(test.message).split('\n').map((line) => `    ${line}`));
  if (test.curl) lines.push(`    ${pc.dim('Try it:')} ${pc.cyan(test.curl)}`);
  if (test.location) lines.push(`    ${pc.dim('Look at:')} ${test.location}`);
  if (test.output?.trim()) lines.push(...appOutput(test.output, options.verbose).map((line) => `    ${line}`));
  if (options.hints !== false) {
    const check = checkById(test.id)?.check;
    const level = Math.max(1, test.hintLevel);
    if (check) lines.push(`    ${pc.yellow(`Hint ${level}/4:`)} ${check.hints[level - 1]}`);
  }
  return lines;
}

export function renderLesson(lesson: LessonResult, options: TerminalOptions = {}): string {
  // A pass whose checks needing a service (Redis) were not run says so on its status line, not only below.
  const unjudged = lesson.tests.filter((test) => test.status !== 'pass' && test.missingService);
  const services = [...new Set(unjudged.map((test) => test.missingService))].join(', ');
  const notRun = lesson.status === 'pass' && unjudged.length > 0 ? pc.yellow(` (${unjudged.length} check${unjudged.length === 1 ? '' : 's'} not run: need ${services})`) : '';
  const lines = [lessonLine(lesson, lesson.status) + notRun];
  const all = options.all || options.verbose;
  const first = lesson.tests.find((test) => test.status !== 'pass');
  if ((all ? lesson.tests.some((test) => test.status !== 'pass' && test.curl) : first?.curl)) {
    lines.push(pc.dim(`  To try a request yourself, run \`npx course dev ${lesson.number}\` in another terminal and paste its curl line.`));
  }
  for (const test of lesson.tests) lines.push(...(all || test === first || test.status === 'pass' ? testLines(test, options) : [summaryLine(test)]));
  const folded = all ? 0 : lesson.tests.filter((test) => test.status !== 'pass').length - 1;
  if (folded > 0) lines.push(pc.dim(`  The first failing check is shown in full, the other ${folded} in a line each: fix them in order, or \`npx course grade ${lesson.number} --all\` shows every one.`));
  if (lesson.status !== 'pass' && options.verbose !== true) {
    const passed = lesson.tests.filter((test) => test.status === 'pass').length;
    if (passed) lines.push(pc.dim(`  ${passed} of ${lesson.tests.length} checks pass (--verbose lists them).`));
  }
  return lines.join('\n');
}

export function renderResults(results: Results, options: TerminalOptions = {}): string {
  const blocks = results.lessons.map((lesson) => renderLesson(lesson, options));
  const passed = results.lessons.filter((lesson) => lesson.status === 'pass').length;
  blocks.push(
    `${pc.bold('Total')} ${bar(results.score, results.maxScore, 30)} ${results.score}/${results.maxScore} points, ` +
      `${passed}/${results.lessons.length} lessons pass`,
  );
  return blocks.join('\n\n');
}
