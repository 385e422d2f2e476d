import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pc from 'picocolors';
import { courseLessons } from '../grading.js';
import { graderDir } from '../paths.js';
import { writeJsonAtomic } from '../progress.js';
import type { LessonDefinition } from '../registry/types.js';
import type { Results } from '../results.js';
import { makeTempFolder, removeTempFolder, spawnWatched, unwatch } from '../../support/watchdog.js';
import { parseLessons, UsageError } from './common.js';

export interface RegradeOptions {
  out: string;
  results?: string;
  jobs?: string;
  lesson?: string[];
}

export interface StudentGrade {
  student: string;
  repo: string;
  results?: Results;
  error?: string;
  durationMs: number;
}

/** Student repos in a folder: every subfolder (hidden ones aside), sorted by name. */
export function studentRepos(folder: string): { student: string; repo: string }[] {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new UsageError(`${folder}: no such folder.`);
  return readdirSync(folder)
    .filter((name) => !name.startsWith('.') && statSync(path.join(folder, name)).isDirectory())
    .sort()
    .map((name) => ({ student: name, repo: path.resolve(folder, name) }));
}

/**
 * Grades one repo in a child process (`course grade --target <repo> --json <file>`): the pristine
 * path, isolated, so a repo that hangs or crashes the grader costs only its own row. The child and
 * its folder are the watchdog's to end and remove should the regrade itself be killed.
 */
export function gradeInChild(repo: string, lessons: readonly LessonDefinition[], timeoutMs: number): Promise<{ results?: Results; error?: string }> {
  const scratch = makeTempFolder('course-regrade-');
  const jsonFile = path.join(scratch, 'results.json');
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const name of ['GITHUB_ACTIONS', 'GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY']) delete env[name];
  const child = spawnWatched(
    process.execPath,
    [path.join(graderDir, 'bin', 'course.js'), 'grade', '--target', repo, '--json', jsonFile, ...lessons.map((lesson) => lesson.id)],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stdout!.resume();
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-4000)));
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }, timeoutMs);
  return new Promise((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      unwatch(child.pid);
      try {
        if (existsSync(jsonFile)) return resolve({ results: JSON.parse(readFileSync(jsonFile, 'utf8')) as Results });
        const why = signal === 'SIGKILL' ? `stopped after ${Math.round(timeoutMs / 1000)} s` : `the grader exited with ${signal ?? `code ${code}`}`;
        const last = stderr.trim().split('\n').filter(Boolean).at(-1);
        resolve({ error: `${why}${last ? `: ${last}` : ''}` });
      } catch (error) {
        resolve({ error: (error as Error).message });
      } finally {
        removeTempFolder(scratch);
      }
    });
  });
}

/** Runs `work` over `items` with at most `limit` at once, in order of completion. */
export async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>, done?: (result: R) => void): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
      done?.(results[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** A CSV field: quoted when needed, and never read as a formula by a spreadsheet. */
function csvField(value: string | number): string {
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text) && typeof value === 'string') text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One row per student, one column per lesson (its score), then totals and what needs a look. */
export function gradesCsv(grades: readonly StudentGrade[], lessons: readonly LessonDefinition[]): string {
  const header = ['student', ...lessons.map((lesson) => lesson.id), 'total', 'max', 'lessons_passed', 'changed_outside_exercises', 'error'];
  const max = lessons.reduce((sum, lesson) => sum + lesson.checks.reduce((total, check) => total + check.points, 0), 0);
  const rows = grades.map((grade) => {
    const byId = new Map(grade.results?.lessons.map((lesson) => [lesson.id, lesson]) ?? []);
    const cells = lessons.map((lesson) => byId.get(lesson.id)?.score ?? '');
    const errored = grade.results?.lessons.filter((lesson) => lesson.status === 'error').map((lesson) => `${lesson.id} could not be judged`) ?? [];
    return [
      grade.student,
      ...cells,
      grade.results?.score ?? '',
      max,
      grade.results ? grade.results.lessons.filter((lesson) => lesson.status === 'pass').length : '',
      grade.results?.integrity?.ignored.length ?? '',
      [grade.error, ...errored].filter(Boolean).join('; '),
    ];
  });
  return `${[header, ...rows].map((row) => row.map(csvField).join(',')).join('\n')}\n`;
}

function progressBar(done: number, total: number, width = 30): string {
  const filled = Math.round((done / total) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${done}/${total}`;
}

export async function regradeCommand(folder: string, options: RegradeOptions): Promise<number> {
  const lessons = options.lesson ? parseLessons(options.lesson) : courseLessons();
  const repos = studentRepos(folder);
  if (repos.length === 0) throw new UsageError(`${folder} holds no student repos (one subfolder per student).`);
  const jobs = options.jobs ? Number(options.jobs) : os.availableParallelism();
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError('--jobs must be a whole number of at least 1.');
  // Per repo: every lesson's own limit, plus room for the grader's start and package installs.
  const timeoutMs = lessons.reduce((sum, lesson) => sum + lesson.timeLimitMs, 0) + 180_000;
  const started = Date.now();
  let done = 0;
  const tty = process.stderr.isTTY;
  const show = (grade?: StudentGrade) => {
    if (tty) process.stderr.write(`\r${progressBar(done, repos.length)} ${pc.dim(grade ? grade.student.slice(0, 30).padEnd(30) : '')}`);
    else if (grade) process.stderr.write(`${progressBar(done, repos.length)} ${grade.student}: ${grade.error ? `error: ${grade.error}` : `${grade.results!.score}/${grade.results!.maxScore}`}\n`);
  };
  show();
  const grades = await pool(
    repos,
    jobs,
    async ({ student, repo }): Promise<StudentGrade> => {
      const begun = Date.now();
      if (!existsSync(path.join(repo, 'exercises'))) return { student, repo, error: 'no exercises/ folder: not a repo made from this course', durationMs: 0 };
      const outcome = await gradeInChild(repo, lessons, timeoutMs);
      return { student, repo, ...outcome, durationMs: Date.now() - begun };
    },
    (grade) => {
      done += 1;
      show(grade);
    },
  );
  if (tty) process.stderr.write('\n');
  const out = path.resolve(options.out);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, gradesCsv(grades, lessons));
  if (options.results) {
    for (const grade of grades) {
      if (grade.results) writeJsonAtomic(path.join(path.resolve(options.results), `${grade.student}.json`), { ...grade.results, learner: grade.student });
    }
  }
  const failed = grades.filter((grade) => grade.error);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`Graded ${repos.length - failed.length}/${repos.length} repos in ${seconds} s (${jobs} at a time) → ${out}`);
  for (const grade of failed) console.log(pc.yellow(`  ${grade.student}: ${grade.error}`));
  return failed.length > 0 ? 2 : 0;
}
