import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The course repository that holds this grader. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const graderDir = path.join(repoRoot, 'grader');
export const checksDir = path.join(graderDir, 'checks');
export const fixturesDir = path.join(graderDir, 'fixtures');
export const exercisesDir = path.join(repoRoot, 'exercises');
export const solutionsDir = path.join(repoRoot, 'solutions');
export const lessonsDir = path.join(repoRoot, 'lessons');
/** Learner state: progress, backups. Gitignored. */
export const courseStateDir = path.join(repoRoot, '.course');
/** Tests and tools may point the CLI and the site at another file. */
export const progressFile = process.env.COURSE_PROGRESS_FILE ?? path.join(courseStateDir, 'progress.json');
/** Imported by every app the grader starts: TypeScript, and packages resolved from the course. */
export const appLoader = path.join(graderDir, 'support', 'app-loader.js');
