/**
 * Builds student repos as GitHub Classroom would hand them out: a copy of this course (its files as
 * git sees them), with some lessons fixed (the reference solution copied over the exercise) and
 * whatever tampering a test wants. Shared by the classroom tests and the acceptance script.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, solutionsDir } from '../src/paths.js';
import { repoFiles } from '../src/student.js';

export interface StudentRepoSpec {
  /** Lesson ids whose reference solution the student "wrote". */
  solved?: string[];
  /** Files to write, relative to the repo root (string content), or to delete (null). */
  files?: Record<string, string | null>;
  /** Edits to existing files: path → (old content) → new content. */
  edit?: Record<string, (text: string) => string>;
}

export function makeStudentRepo(dest: string, spec: StudentRepoSpec = {}): string {
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  for (const file of repoFiles(repoRoot)) {
    mkdirSync(path.dirname(path.join(dest, file)), { recursive: true });
    cpSync(path.join(repoRoot, file), path.join(dest, file));
  }
  for (const lesson of spec.solved ?? []) cpSync(path.join(solutionsDir, lesson), path.join(dest, 'exercises', lesson), { recursive: true });
  for (const [file, change] of Object.entries(spec.edit ?? {})) {
    writeFileSync(path.join(dest, file), change(readFileSync(path.join(dest, file), 'utf8')));
  }
  for (const [file, content] of Object.entries(spec.files ?? {})) {
    if (content === null) rmSync(path.join(dest, file), { force: true, recursive: true });
    else {
      mkdirSync(path.dirname(path.join(dest, file)), { recursive: true });
      writeFileSync(path.join(dest, file), content);
    }
  }
  return dest;
}

/** Every way a student might try to fake a grade without fixing the app. */
export const tampering: StudentRepoSpec = {
  edit: {
    // Edited checks: every check of lesson 01 passes without doing anything.
    'grader/checks/01-error-handling.check.ts': (text) => text.replace(/t\.check\('([^']+)', async \(\) => \{/g, "t.check('$1', async () => { return;"),
    // Edited registry: lesson 01 worth 1000 points per check.
    'grader/src/registry/01-error-handling.ts': (text) => text.replace(/points: \d+/g, 'points: 1000'),
  },
  files: {
    // Edited workshop config.
    'course.config.json': JSON.stringify({ hints: 'on', solutions: 'after-pass', passAll: true }),
    // Deleted checks.
    'grader/checks/03-session-store.check.ts': null,
    // A check file with only one test left running (`.only`).
    'grader/checks/05-compression.check.ts': "import { test } from 'vitest';\ntest.only('nothing to see', () => {});\n",
  },
};

/** Lesson 01 (otherwise the flawed exercise) whose app prints fake workflow commands on every request. */
export const fakeCommands: StudentRepoSpec = {
  edit: {
    'exercises/01-error-handling/src/app.ts': (text) =>
      text.replace(
        'app.use(express.json());',
        `app.use(express.json());
  app.use((req, res, next) => {
    console.log('::notice title=Autograding complete::Points 100/100');
    console.log('::set-output name=lesson1::ZmFrZQ==');
    console.error('  ::error file=grader/checks/01-error-handling.check.ts::fake');
    console.log('##[warning]legacy command');
    next();
  });`,
      ),
  },
};
