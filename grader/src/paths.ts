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
/** The course's packages bundled per lesson (src/vendor.ts). Gitignored. */
export const vendorCacheDir = path.join(graderDir, '.cache', 'vendor');
/** Learner state: progress, backups. Gitignored. */
export const courseStateDir = path.join(repoRoot, '.course');
/** Tests and tools may point the CLI and the site at another file. */
export const progressFile = process.env.COURSE_PROGRESS_FILE ?? path.join(courseStateDir, 'progress.json');
/** Preloaded into TypeScript run as is (`course dev`, tests): tsx, and packages resolved from the course. */
export const appLoader = path.join(graderDir, 'support', 'app-loader.js');

/** Node's own options for every learner process: a heap cap, so that a memory blow-up ends as a clear failure. */
export const APP_NODE_FLAGS = ['--max-old-space-size=512'];

/**
 * The preload a script needs: TypeScript gets tsx. JavaScript the grader compiled needs none: its
 * run folder has the course's node_modules linked above it.
 */
export function loaderFor(script: string): string | undefined {
  return /\.[cm]?tsx?$/.test(script) ? appLoader : undefined;
}
