// The solutions and the pristine exercises, graded once for the tests that look at real verdicts (the
// site, the terminal's first screen). Inside `course self-check` the lesson phase has just graded both
// with the same engine and left the results in COURSE_SELFCHECK_RESULTS: reuse them.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../src/paths.js';
import { pristineFiles, writeFiles } from '../src/pristine.js';
import { lessons } from '../src/registry/index.js';
import type { Results } from '../src/results.js';

/** `course grade --target <target> --json`: the grader's own CLI, never touching the learner's .course/. */
function gradeWithCli(target: string, jsonFile: string, work: string): Results {
  const run = spawnSync(process.execPath, [path.join(repoRoot, 'grader', 'bin', 'course.js'), 'grade', '--target', target, '--json', jsonFile], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1', COURSE_PROGRESS_FILE: path.join(work, 'cli-progress.json') },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (!existsSync(jsonFile)) throw new Error(`course grade --target ${target} wrote no results (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(readFileSync(jsonFile, 'utf8')) as Results;
}

/** The exercises as the course shipped them (from git; the working tree for lessons not committed yet). */
function pristineExercises(into: string): void {
  for (const lesson of lessons) {
    const dir = path.join(into, lesson.id);
    try {
      writeFiles(dir, pristineFiles(lesson.id));
    } catch {
      cpSync(path.join(repoRoot, 'exercises', lesson.id), dir, { recursive: true, filter: (file) => !file.includes('node_modules') });
    }
  }
}

/** Every lesson's `solutions` or pristine `exercises`, graded; `work` is a temp folder of the caller's. */
export function gradedResults(name: 'solutions' | 'exercises', work: string): Results {
  const graded = process.env.COURSE_SELFCHECK_RESULTS;
  if (graded) return JSON.parse(readFileSync(path.join(graded, `${name}-results.json`), 'utf8')) as Results;
  if (name === 'solutions') return gradeWithCli('solutions', path.join(work, 'solutions-results.json'), work);
  pristineExercises(path.join(work, 'pristine'));
  return gradeWithCli(path.join(work, 'pristine'), path.join(work, 'exercises-results.json'), work);
}
