import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import pc from 'picocolors';
import { readConfig, solutionAllowed } from '../config.js';
import { courseLessons } from '../grading.js';
import { courseStateDir, exercisesDir, solutionsDir } from '../paths.js';
import { pristineFiles, writeFiles } from '../pristine.js';
import { readProgress, updateProgress } from '../progress.js';
import type { LessonDefinition } from '../registry/types.js';
import { displayPath } from '../target.js';
import { parseLesson, UsageError } from './common.js';

/** The files of a lesson folder, keyed by relative path (installed packages left out). */
export function readTree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  if (!existsSync(dir)) return files;
  const walk = (relative: string) => {
    for (const name of readdirSync(path.join(dir, relative))) {
      if (name === 'node_modules') continue;
      const child = path.join(relative, name);
      if (statSync(path.join(dir, child)).isDirectory()) walk(child);
      else files.set(child, readFileSync(path.join(dir, child)));
    }
  };
  walk('');
  return files;
}

/** A unified diff from one set of files to another; empty when they are the same. */
export function diffTrees(from: Map<string, Buffer>, to: Map<string, Buffer>, fromLabel: string, toLabel: string): string {
  const names = [...new Set([...from.keys(), ...to.keys()])].sort();
  return names
    .filter((name) => !from.get(name)?.equals(to.get(name) ?? Buffer.alloc(0)) || !to.has(name))
    .map((name) => createTwoFilesPatch(`${fromLabel}/${name}`, `${toLabel}/${name}`, from.get(name)?.toString() ?? '', to.get(name)?.toString() ?? ''))
    .join('\n');
}

export function colorDiff(diff: string): string {
  return diff
    .split('\n')
    .map((line) => (line.startsWith('+') && !line.startsWith('+++') ? pc.green(line) : line.startsWith('-') && !line.startsWith('---') ? pc.red(line) : line))
    .join('\n');
}

/** Copies the learner's lesson folder aside before the course overwrites it; returns where. */
function backup(lesson: LessonDefinition): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const destination = path.join(courseStateDir, 'backups', `${lesson.id}-${stamp}`);
  mkdirSync(destination, { recursive: true });
  cpSync(path.join(exercisesDir, lesson.id), destination, { recursive: true, filter: (source) => path.basename(source) !== 'node_modules' });
  return destination;
}

/** Makes exercises/<lesson> hold exactly `files`, after a backup. */
function replaceExercise(lesson: LessonDefinition, files: Map<string, Buffer>): string {
  const dir = path.join(exercisesDir, lesson.id);
  const saved = backup(lesson);
  for (const name of readTree(dir).keys()) if (!files.has(name)) rmSync(path.join(dir, name));
  writeFiles(dir, files);
  return saved;
}

export function resetCommand(name: string, options: { dryRun?: boolean }): string {
  const lesson = parseLesson(name);
  const pristine = pristineFiles(lesson.id);
  const current = readTree(path.join(exercisesDir, lesson.id));
  const diff = diffTrees(current, pristine, 'yours', 'pristine');
  if (!diff) return `exercises/${lesson.id} is already as the course shipped it.`;
  if (options.dryRun) return `${colorDiff(diff)}\n${pc.dim('Dry run: nothing changed. Without --dry-run, your files are backed up, then restored as above.')}`;
  const saved = replaceExercise(lesson, pristine);
  return `Restored exercises/${lesson.id}. Your version is saved in ${displayPath(saved)}.`;
}

export function solutionCommand(name: string, options: { force?: boolean; instructor?: boolean }): string {
  const lesson = parseLesson(name);
  const passed = readProgress().lessons[lesson.id]?.status === 'pass';
  const { allowed, why } = solutionAllowed(readConfig(), { passed, ...options });
  if (!allowed) {
    const reasons = {
      never: 'Solutions are not shown in this workshop (course.config.json). Ask your instructor.',
      'instructor-only': 'In this workshop only the instructor shows solutions (course.config.json).',
      'not-passed':
        `Lesson ${lesson.number} does not pass yet, so its solution stays hidden. Try \`npx course hint ${lesson.number}\`, ` +
        `or \`npx course solution ${lesson.number} --force\` to see it anyway (your progress will note that).`,
    };
    throw new UsageError(reasons[why!]);
  }
  updateProgress((progress) => {
    progress.solutionsShown[lesson.id] = { at: new Date().toISOString(), forced: !passed };
  });
  const diff = diffTrees(readTree(path.join(exercisesDir, lesson.id)), readTree(path.join(solutionsDir, lesson.id)), 'yours', 'solution');
  return diff ? colorDiff(diff) : 'Your files are identical to the reference solution.';
}

/** Applies the reference fix of every lesson before `name`, so a stuck attendee can join the room. */
export function catchUpCommand(name: string): string {
  const target = parseLesson(name);
  // A lesson of a later part starts from an app that already has the fixes of the parts before it.
  const earlier = courseLessons().filter((lesson) => lesson.number < target.number && lesson.part === target.part);
  if (earlier.length === 0 && target.part) {
    return `Lesson ${target.number} opens "${target.part}": its app already has the fixes of the lessons before it, so there is nothing to apply.`;
  }
  if (earlier.length === 0) return `Lesson ${target.number} is the first lesson: nothing to catch up.`;
  return earlier
    .map((lesson) => {
      const saved = replaceExercise(lesson, readTree(path.join(solutionsDir, lesson.id)));
      return `${lesson.id}: reference fix applied (yours saved in ${displayPath(saved)})`;
    })
    .join('\n');
}
