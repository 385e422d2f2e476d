// Prints median wall times of grading the reference solutions, end to end (a fresh `course grade`
// process each run, as a learner or CI would start it). Usage: npm run bench [-- --runs 5 --lessons 1 3]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { courseLessons } from '../src/grading.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, lessons: { type: 'string', multiple: true } } });
const runs = Number(values.runs);
const course = fileURLToPath(new URL('../bin/course.js', import.meta.url));
const lessons = courseLessons().filter((lesson) => !values.lessons || values.lessons.some((name) => Number(name) === lesson.number));

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time(args: string[]): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, [course, 'grade', ...args, '--target', 'solutions'], { encoding: 'utf8' });
  const elapsed = performance.now() - started;
  if (run.status !== 0) throw new Error(`course grade ${args.join(' ')} exited with ${run.status}:\n${run.stdout}${run.stderr}`);
  return elapsed;
}

console.log(`Grading the solutions, ${runs} runs each, median wall time (${process.version}, ${(await import('node:os')).availableParallelism()} cores)`);
for (const lesson of lessons) {
  const samples = Array.from({ length: runs }, () => time([String(lesson.number)]));
  console.log(`  ${lesson.id.padEnd(22)} ${(median(samples) / 1000).toFixed(2)} s   (min ${(Math.min(...samples) / 1000).toFixed(2)} s)`);
}
if (lessons.length > 1) {
  const samples = Array.from({ length: runs }, () => time(lessons.map((lesson) => String(lesson.number))));
  console.log(`  ${`all ${lessons.length} lessons`.padEnd(22)} ${(median(samples) / 1000).toFixed(2)} s   (min ${(Math.min(...samples) / 1000).toFixed(2)} s)`);
}
