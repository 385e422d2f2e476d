/**
 * Pristine grading of a student's repository (a repo made from this course, graded by CI or by the
 * instructor). Only the student's exercise folders are taken, copied to a temp folder; the checks,
 * registry, config and support code are this trusted checkout's. Whatever the student changed
 * outside exercises/ has no effect and is listed in the results' integrity section.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunOptions } from './engine.js';
import { gradeTarget } from './grading.js';
import { repoRoot } from './paths.js';
import type { LessonDefinition } from './registry/types.js';
import type { Results } from './results.js';
import { makeTempFolder, removeTempFolder } from '../support/watchdog.js';

/** A folder that holds exercises/ and is not this course itself: a student's repo. */
export function isStudentRepo(given: string | undefined): boolean {
  if (!given || given === 'exercises' || given === 'solutions') return false;
  const absolute = path.resolve(given);
  return existsSync(path.join(absolute, 'exercises')) && path.resolve(absolute) !== path.resolve(repoRoot);
}

export interface StudentOptions extends RunOptions {
  /** Where notes for the log go (packages installed or refused); stderr by default. */
  log?: (line: string) => void;
}

/** Grades a student's repo from this trusted checkout. */
export async function gradeStudentRepo(given: string, lessons: readonly LessonDefinition[], options: StudentOptions = {}): Promise<Results> {
  const log = options.log ?? ((line: string) => console.error(line));
  const studentRoot = path.resolve(given);
  const studentExercises = path.join(studentRoot, 'exercises');
  const work = makeTempFolder('course-student-');
  const copyRoot = path.join(work, 'exercises');
  try {
    for (const lesson of lessons) {
      const from = path.join(studentExercises, lesson.id);
      if (!existsSync(path.join(from, 'src', 'app.ts'))) continue; // graded as missing, with the usual message
      const to = path.join(copyRoot, lesson.id);
      try {
        cpSync(from, to, { recursive: true, dereference: true, filter: (source) => !['node_modules', '.git'].includes(path.basename(source)) });
      } catch (error) {
        log(`${lesson.id}: could not copy the student's folder (${(error as Error).message.split('\n')[0]}); graded as missing.`);
        rmSync(to, { recursive: true, force: true });
        continue;
      }
      for (const note of installDependencies(lesson, to)) log(`${lesson.id}: ${note}`);
    }
    const results = await gradeTarget({ root: copyRoot, name: given, learner: false }, lessons, options);
    mapPaths(results, copyRoot, studentRoot);
    results.target = given;
    results.integrity = { ignored: integrity(studentRoot) };
    return results;
  } finally {
    removeTempFolder(work);
  }
}

/** Rewrites the temp copy's paths (folders, locations, stack traces) to the student's own. */
function mapPaths(results: Results, copyRoot: string, studentRoot: string): void {
  const studentExercises = path.join(studentRoot, 'exercises');
  const swap = (text: string) => text.replaceAll(`file://${copyRoot}`, `file://${studentExercises}`).replaceAll(copyRoot, studentExercises);
  for (const lesson of results.lessons) {
    lesson.dir = swap(lesson.dir);
    for (const test of lesson.tests) {
      test.message = swap(test.message);
      if (test.output) test.output = swap(test.output);
      if (test.location) {
        const located = /^(.*):(\d+)$/.exec(swap(test.location));
        if (located) test.location = `${path.relative(studentRoot, path.resolve(studentRoot, located[1]!)).split(path.sep).join('/')}:${located[2]}`;
      }
    }
  }
}

/** A version range or dist-tag from the npm registry; git, file, URL and alias specs are refused. */
const REGISTRY_SPEC = /^(?:[\w.*^~<>=|\s-]+|latest|next)$/;

/**
 * For a lesson that lets the learner add packages: installs the student's dependencies that the course
 * does not provide already, into the temp copy, with lifecycle scripts off. Returns notes for the log.
 */
export function installDependencies(lesson: LessonDefinition, dir: string, courseRoot = repoRoot): string[] {
  const manifestFile = path.join(dir, 'package.json');
  if (!existsSync(manifestFile)) return [];
  let manifest: { dependencies?: Record<string, string> };
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  } catch {
    return ['package.json is not valid JSON; no packages installed.'];
  }
  const declared = Object.entries(manifest.dependencies ?? {});
  if (declared.length === 0) return [];
  if (!lesson.packages?.length) return [`this lesson adds no packages; ignored the dependencies in package.json (${declared.map(([name]) => name).join(', ')}).`];
  const notes: string[] = [];
  const wanted: Record<string, string> = {};
  for (const [name, spec] of declared) {
    if (existsSync(path.join(courseRoot, 'node_modules', name, 'package.json'))) continue; // the course's copy serves it
    if (typeof spec !== 'string' || !REGISTRY_SPEC.test(spec.trim())) notes.push(`not installed: ${name}@${String(spec)} (only npm registry versions are installed).`);
    else wanted[name] = spec.trim();
  }
  if (Object.keys(wanted).length === 0) return notes;
  // npm installs what package.json lists; let it see only the packages to add, then put the student's back.
  const aside = path.join(dir, `package.json.course-${process.pid}`);
  renameSync(manifestFile, aside);
  try {
    writeFileSync(manifestFile, JSON.stringify({ private: true, dependencies: wanted }));
    const run = spawnSync(
      process.platform === 'win32' ? 'npm.cmd' : 'npm',
      ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock', '--omit=dev', '--loglevel=error'],
      { cwd: dir, encoding: 'utf8', timeout: 180_000 },
    );
    const installed = Object.entries(wanted).map(([name, spec]) => `${name}@${spec}`).join(', ');
    notes.push(run.status === 0 ? `installed ${installed} (scripts off).` : `npm install ${installed} failed: ${(run.stderr || run.error?.message || '').trim().split('\n').slice(-3).join(' ')}`);
  } finally {
    rmSync(manifestFile, { force: true });
    renameSync(aside, manifestFile);
  }
  return notes;
}

/** Files of a repository, as git sees them (tracked plus untracked, not ignored), else by walking it. */
export function repoFiles(root: string): string[] {
  try {
    const top = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    if (path.resolve(top) === path.resolve(root)) {
      const listing = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 });
      // ls-files --cached lists files deleted from the working tree too; only what exists counts.
      return [...new Set(listing.toString().split('\0').filter(Boolean))].filter((file) => existsSync(path.join(root, file)));
    }
  } catch {
    // not a git repository: walk it
  }
  const files: string[] = [];
  const walk = (relative: string) => {
    for (const name of readdirSync(path.join(root, relative))) {
      if (['node_modules', '.git', '.course'].includes(name)) continue;
      const child = relative ? `${relative}/${name}` : name;
      const stat = statSync(path.join(root, child), { throwIfNoEntry: false });
      if (stat?.isDirectory()) walk(child);
      else if (stat?.isFile()) files.push(child);
    }
  };
  walk('');
  return files;
}

const outsideExercises = (file: string) => !file.startsWith('exercises/') && file !== 'exercises';

/**
 * What differs between the student's repo and this trusted checkout outside exercises/: each path,
 * sorted, with ` (changed)`, ` (added)` or ` (deleted)`.
 */
export function integrity(studentRoot: string, courseRoot = repoRoot): string[] {
  const theirs = new Set(repoFiles(studentRoot).filter(outsideExercises));
  const ours = new Set(repoFiles(courseRoot).filter(outsideExercises));
  const differences: string[] = [];
  for (const file of [...new Set([...theirs, ...ours])].sort()) {
    if (!ours.has(file)) differences.push(`${file} (added)`);
    else if (!theirs.has(file)) differences.push(`${file} (deleted)`);
    else if (!readFileSync(path.join(studentRoot, file)).equals(readFileSync(path.join(courseRoot, file)))) differences.push(`${file} (changed)`);
  }
  return differences;
}
