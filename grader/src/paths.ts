import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The course repository that holds this grader. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const graderDir = path.join(repoRoot, 'grader');
export const checksDir = path.join(graderDir, 'checks');
export const fixturesDir = path.join(graderDir, 'fixtures');
/** The learner's exercises; the benchmark points the watch loop at a scratch copy. */
export const exercisesDir = process.env.COURSE_EXERCISES_DIR ? path.resolve(process.env.COURSE_EXERCISES_DIR) : path.join(repoRoot, 'exercises');
export const solutionsDir = path.join(repoRoot, 'solutions');
export const lessonsDir = path.join(repoRoot, 'lessons');
/** Learner state: progress, backups. Gitignored. */
export const courseStateDir = path.join(repoRoot, '.course');
/** Tests and tools may point the CLI and the site at another file. */
export const progressFile = process.env.COURSE_PROGRESS_FILE ?? path.join(courseStateDir, 'progress.json');
/** Preloaded into TypeScript run as is: tsx, and packages resolved from the course. */
export const appLoader = path.join(graderDir, 'support', 'app-loader.js');
/** Preloaded into apps the grader compiled beforehand: packages resolved from the course. */
export const compiledAppLoader = path.join(graderDir, 'support', 'register-resolve.js');

/** The preload a script needs: TypeScript gets tsx, compiled JavaScript only the resolve hook. */
export function loaderFor(script: string): string {
  return /\.[cm]?tsx?$/.test(script) ? appLoader : compiledAppLoader;
}
