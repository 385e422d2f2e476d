/**
 * The instructor's roster: many learners' results files (their CI artifacts, or their
 * `.course/progress.json`) joined into learners × lessons, the checks most failed across the room,
 * and CSV. Pure functions with no Node APIs, so `course roster` and the site's roster page share them.
 */
import type { LessonResult, Status } from './results.js';

const SCHEMA_VERSION = 1;

/** One learner's file, parsed. */
export interface LearnerEntry {
  /** The `learner` field of the file if present, else the file name without `.json`. */
  learner: string;
  file: string;
  gradedAt: string;
  lessons: LessonResult[];
}

export interface RosterLesson {
  id: string;
  number: number;
  title: string;
  maxScore: number;
}

export interface RosterCell {
  status: Status;
  score: number;
  maxScore: number;
  /** Checks of this lesson that did not pass. */
  failing: string[];
}

export interface RosterRow {
  learner: string;
  file: string;
  gradedAt: string;
  /** Keyed by lesson id; a lesson the learner never graded is absent. */
  cells: Record<string, RosterCell>;
  score: number;
  maxScore: number;
  lessonsPassed: number;
}

export interface FailedCheck {
  id: string;
  title: string;
  lesson: string;
  /** Learners whose result has this check failing or not judged. */
  failed: number;
  /** Learners who graded this check at all. */
  graded: number;
  learners: string[];
}

export interface Roster {
  /** Every lesson seen in any file, in course order. */
  lessons: RosterLesson[];
  rows: RosterRow[];
  /** Checks that failed for at least one learner, most failed first. */
  mostFailed: FailedCheck[];
}

export class RosterFileError extends Error {
  override name = 'RosterFileError';
}

/**
 * Reads one file's text. Accepts a grader Results object (`course grade --json`) and, for convenience,
 * a progress file (its `lessons` is an object keyed by lesson id). Throws a RosterFileError whose
 * message names the file and what is wrong with it.
 */
export function parseLearnerFile(text: string, file: string): LearnerEntry {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new RosterFileError(`${file} is not JSON (${(error as Error).message}).`);
  }
  if (!isObject(data)) throw new RosterFileError(`${file} does not hold a results object.`);
  if (data.schemaVersion !== SCHEMA_VERSION) {
    throw new RosterFileError(
      `${file} has schemaVersion ${JSON.stringify(data.schemaVersion)}; this roster reads version ${SCHEMA_VERSION} (from course grade --json).`,
    );
  }
  const rawLessons = Array.isArray(data.lessons) ? data.lessons : isObject(data.lessons) ? Object.values(data.lessons) : undefined;
  if (!rawLessons) throw new RosterFileError(`${file} has no lessons list: is it a course results file?`);
  const lessons = rawLessons.filter(isLessonResult).sort((a, b) => a.number - b.number);
  if (lessons.length !== rawLessons.length) throw new RosterFileError(`${file} has lessons without id, number, score or tests.`);
  const learner = typeof data.learner === 'string' && data.learner.trim() ? data.learner.trim() : baseName(file);
  const gradedAt = str(data.gradedAt) ?? str(data.updatedAt) ?? latest(lessons.map((lesson) => lesson.gradedAt));
  return { learner, file, gradedAt, lessons };
}

/** Joins the learners' entries. Two learners with the same name are told apart by a suffix. */
export function aggregate(entries: readonly LearnerEntry[]): Roster {
  const lessonsById = new Map<string, RosterLesson>();
  for (const entry of entries) {
    for (const lesson of entry.lessons) {
      const known = lessonsById.get(lesson.id);
      if (!known || lesson.maxScore > known.maxScore) {
        lessonsById.set(lesson.id, { id: lesson.id, number: lesson.number, title: lesson.title, maxScore: lesson.maxScore });
      }
    }
  }
  const lessons = [...lessonsById.values()].sort((a, b) => a.number - b.number || a.id.localeCompare(b.id));

  const seen = new Map<string, number>();
  const rows = entries.map((entry): RosterRow => {
    const count = (seen.get(entry.learner) ?? 0) + 1;
    seen.set(entry.learner, count);
    const learner = count === 1 ? entry.learner : `${entry.learner} (${count})`;
    const cells: Record<string, RosterCell> = {};
    for (const lesson of entry.lessons) {
      cells[lesson.id] = {
        status: lesson.status,
        score: lesson.score,
        maxScore: lesson.maxScore,
        failing: lesson.tests.filter((test) => test.status !== 'pass').map((test) => test.id),
      };
    }
    return {
      learner,
      file: entry.file,
      gradedAt: entry.gradedAt,
      cells,
      score: sum(entry.lessons.map((lesson) => lesson.score)),
      maxScore: sum(lessons.map((lesson) => lesson.maxScore)),
      lessonsPassed: entry.lessons.filter((lesson) => lesson.status === 'pass').length,
    };
  });

  const checks = new Map<string, FailedCheck & { order: number }>();
  rows.forEach((row, index) => {
    for (const lesson of entries[index]!.lessons) {
      lesson.tests.forEach((test, position) => {
        const check = checks.get(test.id) ?? {
          id: test.id,
          title: test.title,
          lesson: lesson.id,
          failed: 0,
          graded: 0,
          learners: [],
          order: lesson.number * 1000 + position,
        };
        check.graded += 1;
        if (test.status !== 'pass') {
          check.failed += 1;
          check.learners.push(row.learner);
        }
        checks.set(test.id, check);
      });
    }
  });
  const mostFailed = [...checks.values()]
    .filter((check) => check.failed > 0)
    .sort((a, b) => b.failed - a.failed || a.order - b.order)
    .map(({ order: _order, ...check }) => check);

  return { lessons, rows, mostFailed };
}

/**
 * One row per learner: totals, then per lesson its score and status (empty when not graded).
 * Cells that a spreadsheet would run as a formula are prefixed with an apostrophe.
 */
export function toCsv(roster: Roster): string {
  const header = ['learner', 'file', 'graded_at', 'score', 'max_score', 'lessons_passed'];
  for (const lesson of roster.lessons) header.push(`${lesson.id} score`, `${lesson.id} status`);
  const lines = [header];
  for (const row of roster.rows) {
    const line = [row.learner, row.file, row.gradedAt, String(row.score), String(row.maxScore), String(row.lessonsPassed)];
    for (const lesson of roster.lessons) {
      const cell = row.cells[lesson.id];
      line.push(cell ? String(cell.score) : '', cell ? cell.status : '');
    }
    lines.push(line);
  }
  return `${lines.map((line) => line.map(csvField).join(',')).join('\r\n')}\r\n`;
}

/** A plain-text view for the terminal: the learners × lessons table, then the most failed checks. */
export function toText(roster: Roster, options: { top?: number } = {}): string {
  if (roster.rows.length === 0) return 'No results files.\n';
  const mark: Record<Status, string> = { pass: 'pass', fail: 'FAIL', error: 'ERR ' };
  const header = ['learner', ...roster.lessons.map((lesson) => lesson.id.slice(0, 2)), 'total'];
  const body = roster.rows.map((row) => [
    row.learner,
    ...roster.lessons.map((lesson) => {
      const cell = row.cells[lesson.id];
      return cell ? `${mark[cell.status]} ${cell.score}/${cell.maxScore}` : '-';
    }),
    `${row.score}/${row.maxScore}`,
  ]);
  const widths = header.map((_, column) => Math.max(...[header, ...body].map((line) => line[column]!.length)));
  const format = (line: string[]) => line.map((field, column) => field.padEnd(widths[column]!)).join('  ').trimEnd();
  const out = [format(header), ...body.map(format), ''];
  const top = roster.mostFailed.slice(0, options.top ?? 10);
  if (top.length > 0) {
    out.push('Most failed checks:');
    for (const check of top) out.push(`  ${check.failed}/${check.graded}  ${check.id}  ${check.title}`);
  } else {
    out.push('Every graded check passes for every learner.');
  }
  return `${out.join('\n')}\n`;
}

function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function isLessonResult(value: unknown): value is LessonResult {
  return (
    isObject(value) &&
    typeof value.id === 'string' &&
    typeof value.number === 'number' &&
    typeof value.score === 'number' &&
    typeof value.maxScore === 'number' &&
    Array.isArray(value.tests)
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}

function latest(dates: string[]): string {
  return dates.filter(Boolean).sort().at(-1) ?? '';
}

function baseName(file: string): string {
  return (file.split(/[\\/]/).at(-1) ?? file).replace(/\.json$/i, '');
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
