import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './paths.js';

/**
 * The exercises as the course shipped them, read from git so that a learner's edits (committed or
 * not) never count as the course's own. The commit is COURSE_PRISTINE_REF if set, else the point
 * where the learner's branch left its upstream (a clone of the course), else HEAD.
 */
export function pristineRef(): string {
  const given = process.env.COURSE_PRISTINE_REF;
  if (given) return given;
  try {
    return git(['merge-base', 'HEAD', '@{upstream}']).toString().trim();
  } catch {
    return 'HEAD';
  }
}

/** Files of exercises/<lesson> at the pristine commit, keyed by path relative to the lesson folder. */
export function pristineFiles(lessonId: string, ref = pristineRef()): Map<string, Buffer> {
  const folder = `exercises/${lessonId}`;
  let listing: string;
  try {
    listing = git(['ls-tree', '-r', '-z', '--name-only', ref, '--', folder]).toString();
  } catch (error) {
    throw new Error(`Cannot read the pristine exercise from git (${(error as Error).message.split('\n')[0]}). Is this a git clone of the course?`);
  }
  const files = new Map<string, Buffer>();
  for (const file of listing.split('\0').filter(Boolean)) {
    files.set(path.relative(folder, file), git(['show', `${ref}:${file}`]));
  }
  if (files.size === 0) throw new Error(`git has no ${folder} at ${ref}.`);
  return files;
}

export function writeFiles(dir: string, files: Map<string, Buffer>): void {
  for (const [relative, content] of files) {
    const file = path.join(dir, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}

function git(args: string[]): Buffer {
  return execFileSync('git', args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}
