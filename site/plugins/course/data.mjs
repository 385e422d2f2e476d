// What the site knows about the course, read on the Node side: the lesson registry (TypeScript, loaded
// through tsx from the repository root), the learner's progress file, and where the lessons live.
// Shared by the Docusaurus plugin, the remark plugin and scripts/start.mjs.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

export const siteDir = fileURLToPath(new URL('../../', import.meta.url));
export const repoRoot = path.resolve(siteDir, '..');
export const registryIndex = path.join(repoRoot, 'grader', 'src', 'registry', 'index.ts');
export const registryDir = path.dirname(registryIndex);
export const rosterModule = path.join(repoRoot, 'grader', 'src', 'roster.ts');

/** lessons/, or another folder of lesson texts (drafts) via COURSE_LESSONS_DIR. */
export const lessonsDir = process.env.COURSE_LESSONS_DIR ? path.resolve(process.env.COURSE_LESSONS_DIR) : path.join(repoRoot, 'lessons');

/**
 * The progress file the site shows: `.course/progress.json`, written by the grader. COURSE_PROGRESS_FILE
 * points the site elsewhere (the browser tests use it so they never touch a learner's progress).
 */
export function progressFile() {
  return process.env.COURSE_PROGRESS_FILE ? path.resolve(process.env.COURSE_PROGRESS_FILE) : path.join(repoRoot, '.course', 'progress.json');
}

/** The progress object, or null when the learner has not graded anything yet or the file is unreadable. */
export function readProgress(file = progressFile()) {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8'));
    return parsed && parsed.schemaVersion === 1 && typeof parsed.lessons === 'object' ? parsed : null;
  } catch {
    return null;
  }
}

/** The lesson's text file, if it has been written. */
export function lessonDocFile(id) {
  for (const ext of ['.md', '.mdx']) {
    const file = path.join(lessonsDir, `${id}${ext}`);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/**
 * The registry as plain data: what the site needs of each lesson and check (no hints). It is TypeScript,
 * so a child Node with tsx (installed at the repository root) reads it: Docusaurus loads this file
 * through jiti, under which tsx's in-process API cannot register its loader.
 */
export async function loadRegistry() {
  const script = `const { lessons } = await import(${JSON.stringify(pathToFileURL(registryIndex).href)}); process.stdout.write(JSON.stringify(lessons));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: repoRoot,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout).map((lesson) => ({
    number: lesson.number,
    id: lesson.id,
    title: lesson.title,
    summary: lesson.summary,
    edits: [...lesson.edits],
    packages: [...(lesson.packages ?? [])],
    hasDoc: Boolean(lessonDocFile(lesson.id)),
    checks: lesson.checks.map((check) => ({
      id: check.id,
      title: check.title,
      points: check.points,
      ...(check.guards ? { guards: check.guards } : {}),
      ...(check.needs ? { needs: check.needs } : {}),
    })),
  }));
}

/**
 * Where the learner is: the first lesson with checks and a page that does not pass yet (the last one
 * once all pass). The same rule as `course watch`, restricted to lessons the site can open.
 */
export function currentLessonId(lessons, progress) {
  const withChecks = lessons.filter((lesson) => lesson.checks.length > 0);
  const withPages = withChecks.filter((lesson) => lesson.hasDoc);
  const course = withPages.length > 0 ? withPages : withChecks;
  const current = course.find((lesson) => progress?.lessons?.[lesson.id]?.status !== 'pass') ?? course.at(-1);
  return current?.id;
}

/**
 * What pages need of the progress: per check its status, score, message and hint level. The app output
 * and curl lines stay in the terminal; they would only make every page's bundle heavier.
 */
export function slimProgress(progress) {
  if (!progress) return null;
  const lessons = {};
  for (const [id, lesson] of Object.entries(progress.lessons ?? {})) {
    lessons[id] = {
      number: lesson.number,
      id: lesson.id,
      title: lesson.title,
      status: lesson.status,
      score: lesson.score,
      maxScore: lesson.maxScore,
      gradedAt: lesson.gradedAt,
      tests: (lesson.tests ?? []).map(({ id: testId, status, points, score, message, hintLevel }) => ({ id: testId, status, points, score, message, hintLevel })),
    };
  }
  return { schemaVersion: progress.schemaVersion, updatedAt: progress.updatedAt, lessons, hints: progress.hints ?? {} };
}
