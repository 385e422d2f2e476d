// What the hostile tests share: a temp folder per test file, hostile fixtures laid over an exercise,
// grade() run in a child process, and the processes found inside a folder. The tests are split over
// three files so that vitest runs them side by side: most of their time is spent waiting out the
// grader's limits (an app that never listens, a check past its deadline).
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { exercisesDir, fixturesDir, graderDir, repoRoot } from '../src/paths.js';
import { lessonById } from '../src/registry/index.js';
import type { GradeJob, LessonResult } from '../src/results.js';

export const LESSON = '01-error-handling';
export const limitMs = lessonById(LESSON).timeLimitMs;
/** Process start-up, the lesson's last check running over, teardown. */
export const SLACK_MS = 10_000;
export const SENTINEL = 'COURSE_HOSTILE_SENTINEL';

/** A temp folder for the calling test file, removed after it, and helpers that work inside it. */
export function hostileKit() {
  const work = mkdtempSync(path.join(os.tmpdir(), 'course-hostile-test-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** The pristine exercise with a hostile fixture laid over it, in a folder of this test's own. */
  function hostileCopy(lesson: string, name: string): string {
    const dir = path.join(work, name, lesson);
    cpSync(path.join(exercisesDir, lesson), dir, { recursive: true });
    cpSync(path.join(fixturesDir, lesson, 'hostile', name), dir, { recursive: true, filter: (source) => path.basename(source) !== 'fixture.json' });
    return dir;
  }

  /** Runs grade() in a child process (vitest inside vitest does not mix), with a sentinel in its environment. */
  function gradeInChild(jobs: GradeJob[], env: Record<string, string> = {}): Promise<LessonResult[]> {
    const out = path.join(work, `results-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
    const script = `
      import { writeFileSync } from 'node:fs';
      import { grade } from ${JSON.stringify(path.join(graderDir, 'src', 'engine.ts'))};
      const results = await grade(JSON.parse(process.env.JOBS));
      writeFileSync(process.env.OUT, JSON.stringify(results));
    `;
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], {
        cwd: repoRoot,
        env: { ...process.env, JOBS: JSON.stringify(jobs), OUT: out, [SENTINEL]: 'grader-only', ...env },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
      child.on('close', (code) => (existsSync(out) ? resolve(JSON.parse(readFileSync(out, 'utf8'))) : reject(new Error(`grade() exited ${code}: ${stderr}`))));
    });
  }

  /** A one-file app run as the grader runs a learner's process, in a folder of its own. */
  async function scriptApp(source: string) {
    const { AppProcess, baseEnv } = await import('../support/app-process.js');
    const dir = mkdtempSync(path.join(work, 'script-'));
    const script = path.join(dir, 'app.mjs');
    writeFileSync(script, source);
    return new AppProcess({ script, cwd: dir, env: baseEnv() });
  }

  return { work, hostileCopy, gradeInChild, scriptApp };
}

/** Processes whose working directory or command line lies inside `dir`. */
export function processesIn(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (cwd.startsWith(dir) || cmdline.includes(dir)) found.push(`${pid} ${cmdline.slice(0, 200)}`);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** What a check says when a time limit ran out: an answer late, a check or a lesson out of time. */
export const OUT_OF_TIME = /got none within \d|was still coming|did not finish within \d|time limit of \d|the machine was too busy/;
/** What a check says when it could not judge because the machine's load average was far above its CPUs. */
export const BUSY_MACHINE = /the machine was too busy \(load average/;

/**
 * A lesson graded beside hostile code, run once or twice: the checks that failed in every run, with each
 * run's message. Harm one lesson does to another (its processes killed, its ports, files or Redis taken,
 * the grader's environment or output leaking into it) fails the same check each time. A check whose every
 * run failed with a message `forgiven` matches is not counted: beside apps that burn both CPUs until their
 * own limits (which the hostile cases prove are kept), OUT_OF_TIME is that load; where the harm under test
 * is a flood through the grader's own thread or a Redis taken away, a starved or hanging check is that harm,
 * and only BUSY_MACHINE (a load average no single thread makes) is forgiven.
 */
export function failedInEveryRun(runs: LessonResult[], forgiven: RegExp): string[] {
  const outcomes = (id: string) => runs.map((run) => run.tests.find((check) => check.id === id));
  // Every check of the registry, so that a run that lost a check (or all of them) cannot pass here.
  return lessonById(runs[0]!.id)
    .checks.filter(({ id }) => outcomes(id).every((check) => check?.status !== 'pass') && !outcomes(id).every((check) => check !== undefined && forgiven.test(check.message)))
    .map(({ id }) => `${id}: ${outcomes(id).map((check) => check?.message ?? 'no result').join(' | then: ')}`);
}
