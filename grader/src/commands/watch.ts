import path from 'node:path';
import { watch } from 'chokidar';
import pc from 'picocolors';
import { hintsAllowed, readConfig } from '../config.js';
import { courseLessons, openTargetSession } from '../grading.js';
import { exercisesDir } from '../paths.js';
import { readProgress } from '../progress.js';
import type { LessonDefinition } from '../registry/types.js';
import type { LessonResult } from '../results.js';
import { bar, renderLesson } from '../reporters/terminal.js';
import { resolveTarget } from '../target.js';
import { hintCommand } from './hint.js';
import { listLessons } from './list.js';

/** How long a lesson's files must stay unchanged before it is re-graded. */
const SETTLE_MS = 50;

/** The first lesson that does not pass yet: where the learner is. */
export function currentLesson(): LessonDefinition {
  const progress = readProgress();
  const lessons = courseLessons();
  return lessons.find((lesson) => progress.lessons[lesson.id]?.status !== 'pass') ?? lessons.at(-1)!;
}

/**
 * Grades the current lesson, then re-grades a lesson whenever a file of its exercise is saved, like
 * rustlings' watch mode. Keys (in a terminal): h hint, l every failure in full, p progress, r re-grade, q quit.
 */
export async function watchCommand(): Promise<void> {
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const lessons = courseLessons();
  let shown = currentLesson();
  const session = await openTargetSession(resolveTarget(), lessons);
  let running: Promise<void> = Promise.resolve();
  let queued: LessonDefinition | undefined;

  const header = () => {
    const progress = readProgress();
    const done = lessons.filter((lesson) => progress.lessons[lesson.id]?.status === 'pass').length;
    return `${pc.bold('Production-Ready Express')}  ${bar(done, lessons.length, 28)} ${done}/${lessons.length} lessons`;
  };
  const footer = () =>
    interactive
      ? pc.dim(`Watching exercises/ — save a file to re-grade.  ${pc.bold('h')} hint  ${pc.bold('l')} list every failure  ${pc.bold('p')} progress  ${pc.bold('r')} re-grade  ${pc.bold('q')} quit`)
      : '';
  /** The last verdict, to show again in full on `l`. */
  let last: LessonResult | undefined;
  const hints = (lesson: LessonDefinition) => hintsAllowed(readConfig(), readProgress().failedRuns[lesson.id] ?? 0).allowed;

  const regrade = (lesson: LessonDefinition) => {
    if (queued) return void (queued = lesson);
    queued = lesson;
    running = running.then(async () => {
      const next = queued!;
      queued = undefined;
      const started = Date.now();
      if (!interactive) console.log(`Grading ${next.id}…`);
      const results = await session.grade(next).catch((error: Error) => {
        console.error(pc.red(`The grader failed: ${error.message}`));
        return undefined;
      });
      if (!results) return;
      shown = next;
      last = results.lessons[0]!;
      if (interactive) process.stdout.write('\u001b[2J\u001b[3J\u001b[H');
      console.log(`${header()}\n\n${renderLesson(last, { hints: hints(next) })}\n`);
      const passed = results.lessons[0]!.status === 'pass';
      if (passed) {
        const following = lessons.find((lesson) => lesson.number > next.number && readProgress().lessons[lesson.id]?.status !== 'pass');
        console.log(pc.green(`Lesson ${next.number} passes!`) + (following ? ` Next: lessons/${following.id}.md, exercises/${following.id}/` : ' That was the last one: the course is done.'));
      }
      console.log(pc.dim(`graded in ${((Date.now() - started) / 1000).toFixed(1)} s`));
      const bottom = footer();
      if (bottom) console.log(bottom);
    });
  };

  // An editor's save is a burst of events (write, rename, chmod) within a few milliseconds.
  const timers = new Map<string, NodeJS.Timeout>();
  const watcher = watch(exercisesDir, {
    ignored: (file) => file.includes(`${path.sep}node_modules`),
    ignoreInitial: true,
  });
  watcher.on('all', (_event, file) => {
    const lesson = lessons.find((candidate) => path.relative(exercisesDir, file).split(path.sep)[0] === candidate.id);
    if (!lesson) return;
    clearTimeout(timers.get(lesson.id));
    timers.set(lesson.id, setTimeout(() => regrade(lesson), SETTLE_MS));
  });

  const stop = async () => {
    await watcher.close();
    await session.close().catch(() => {});
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  if (interactive) {
    process.stdin.setRawMode(true);
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (key: string) => {
      if (key === 'q' || key === '\u0003') void stop();
      else if (key === 'r') regrade(shown);
      else if (key === 'p') console.log(`\n${listLessons()}\n\n${footer()}`);
      else if (key === 'l' && last) console.log(`\n${renderLesson(last, { hints: hints(shown), all: true })}\n\n${footer()}`);
      else if (key === 'h') {
        hintCommand(String(shown.number)).then(
          (text) => console.log(`\n${text}\n\n${footer()}`),
          (error: Error) => console.log(`\n${error.message}\n`),
        );
      }
    });
  }
  regrade(shown);
  await new Promise<never>(() => {});
}
