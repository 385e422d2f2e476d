// The grader against hostile learner code, continued (see hostile.test.ts): processes an app leaves
// behind, output past the limit, lessons graded side by side, an app that turns on its Redis.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { exercisesDir, fixturesDir, solutionsDir } from '../src/paths.js';
import type { GradeJob, LessonResult } from '../src/results.js';
import { ended, eventually, hasProc } from './processes.js';
import { BUSY_MACHINE, failedInEveryRun, hostileKit, LESSON } from './hostile-kit.js';

const { work, gradeInChild, scriptApp } = hostileKit();

describe.skipIf(!hasProc)('an app that exits on its own', () => {
  test('takes the processes it started in its group with it', async () => {
    // The child keeps none of the app's output open, so nothing delays the grader's news of the exit.
    const app = await scriptApp("import { spawn } from 'node:child_process';\nconsole.log(`CHILD=${spawn('sleep', ['300'], { stdio: 'ignore' }).pid}`);\nprocess.exit(3);\n");
    expect((await app.exited).code).toBe(3);
    const pid = Number(/CHILD=(\d+)/.exec(app.output())?.[1]);
    expect(pid).toBeGreaterThan(0);
    await eventually(() => ended(pid));
    expect(ended(pid), `sleep ${pid}, started by the app, still runs`).toBe(true);
  }, 60_000);
});

describe('an app whose top-level await never settles', () => {
  test('is said to have exited for that, not with a bare code 13', async () => {
    const app = await scriptApp('await new Promise(() => {});\n');
    expect((await app.exited).code).toBe(13);
    expect(app.describeExit()).toMatch(/code 13 \(.*top-level await that never settled\)/);
  }, 30_000);
});

describe.skipIf(!hasProc)('an app the grader stops', () => {
  test('takes the processes it started in a session of their own with it', async () => {
    // detached: a new session and process group, out of reach of a signal to the app's group.
    const app = await scriptApp(
      "import { spawn } from 'node:child_process';\n" +
        "const child = spawn('sleep', ['300'], { stdio: 'ignore', detached: true });\nchild.unref();\n" +
        "process.on('SIGTERM', () => process.exit(0));\nconsole.log(`CHILD=${child.pid}`);\nsetInterval(() => {}, 1000);\n",
    );
    await eventually(() => /CHILD=\d+/.test(app.output()));
    const pid = Number(/CHILD=(\d+)/.exec(app.output())?.[1]);
    expect(pid).toBeGreaterThan(0);
    await app.stop();
    await eventually(() => ended(pid));
    expect(ended(pid), `sleep ${pid}, started detached by the app, still runs`).toBe(true);
  }, 60_000);
});

describe('output past what the grader keeps', () => {
  test('keeps whole lines only: the line cut by the limit is dropped, not judged as a fragment', async () => {
    const { OUTPUT_LIMIT } = await import('../support/app-process.js');
    // 60 JSON lines of about 100 KB each: half again the limit, so the start of stdout is dropped.
    const app = await scriptApp(
      "const line = JSON.stringify({ level: 'info', message: 'x'.repeat(100_000) }) + '\\n';\n" +
        'for (let i = 0; i < 60; i++) process.stdout.write(`{"n":${i},` + line.slice(1));\n',
    );
    expect((await app.exited).code).toBe(0);
    const stdout = app.streamOutput('stdout');
    expect(app.lost.stdout).toBeGreaterThan(0);
    expect(stdout.length).toBeLessThanOrEqual(OUTPUT_LIMIT);
    const lines = stdout.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(30);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(JSON.parse(lines.at(-1)!).n).toBe(59);
  }, 60_000);
});

describe.skipIf(process.platform !== 'linux')('lessons graded side by side, one folder each', () => {
  // One worker grades them all from one check file (`course grade`): the hostile lesson's flood of
  // output passes through the same thread as the other lessons' checks.
  test('a hostile lesson fails alone, and each lesson beside it gets the verdicts it gets when graded alone', async () => {
    const flood = path.join(work, 'side-by-side', LESSON);
    cpSync(path.join(exercisesDir, LESSON), flood, { recursive: true });
    cpSync(path.join(fixturesDir, LESSON, 'hostile', 'output-flood'), flood, { recursive: true, filter: (source) => path.basename(source) !== 'fixture.json' });
    const healthy: GradeJob = { lesson: '02-security-headers', dir: path.join(solutionsDir, '02-security-headers'), label: 'solution' };
    const flawed: GradeJob = { lesson: '05-compression', dir: path.join(exercisesDir, '05-compression'), label: 'exercise' };
    // Checks judged differently in the two runs, with both messages. A could-not-judge for a machine far
    // busier than its CPUs (either run) is load, not harm: the two grades run at once here.
    const differing = (one: LessonResult, other: LessonResult) =>
      one.tests.flatMap((check) => {
        const twin = other.tests.find((candidate) => candidate.id === check.id);
        if (twin?.status === check.status || [check, twin].some((run) => run?.status === 'error' && BUSY_MACHINE.test(run.message))) return [];
        return [`${check.id}: ${check.status} (${check.message}) | alone: ${twin?.status ?? 'no result'} (${twin?.message ?? ''})`];
      });

    const [together, alone] = await Promise.all([gradeInChild([{ lesson: LESSON, dir: flood, label: 'output-flood' }, healthy, flawed]), gradeInChild([flawed])]);
    expect(together.map((result) => result.id)).toEqual([LESSON, healthy.lesson, flawed.lesson]);
    const [hostile, passing, failing] = together as [LessonResult, LessonResult, LessonResult];
    expect(hostile.status).not.toBe('pass');
    expect(failedInEveryRun([passing], BUSY_MACHINE)).toEqual([]);
    expect(failing.status).toBe('fail');
    expect(failing.tests.map((check) => check.id)).toEqual(alone[0]!.tests.map((check) => check.id));
    expect(differing(failing, alone[0]!)).toEqual([]);
  }, 180_000);
});

describe('a lesson whose app turns on its Redis', () => {
  // Lesson 03 hands the app a REDIS_URL. An app that shuts that Redis down (or pauses it, or sets a
  // password on it) fails its own checks; lesson 04, graded in the same run, keeps its own Redis.
  test("takes no other lesson's checks with it", async () => {
    const dir = path.join(work, 'redis-shutdown', '03-session-store');
    cpSync(path.join(solutionsDir, '03-session-store'), dir, { recursive: true, filter: (source) => path.basename(source) !== 'node_modules' });
    const store = path.join(dir, 'src', 'session-store.ts');
    const connect = 'await client.connect();';
    expect(readFileSync(store, 'utf8')).toContain(connect);
    writeFileSync(
      store,
      // At once: the checks of 03 end within a few hundred milliseconds of their apps starting.
      readFileSync(store, 'utf8').replace(connect, `${connect}\n    await client.sendCommand(['SHUTDOWN', 'NOSAVE']).catch(() => {});`),
    );
    // Without REDIS_URL, as in CI: the grader's own Redis servers are what is tested.
    const run = () =>
      gradeInChild(
        [
          { lesson: '03-session-store', dir, label: 'redis-shutdown' },
          { lesson: '04-rate-limiting', dir: path.join(solutionsDir, '04-rate-limiting'), label: 'solution' },
        ],
        { REDIS_URL: '' },
      );
    const [own, other] = await run();
    const others = [other!];
    // A shared Redis taken down fails the same check of lesson 04 in every run; a check that ran out of time
    // on a loaded machine seldom does twice, so the run is made again once and a check is judged by its better run.
    if (other!.status !== 'pass') others.push((await run())[1]!);
    expect(own!.status).not.toBe('pass');
    expect(failedInEveryRun(others, BUSY_MACHINE)).toEqual([]);
  }, 360_000);
});
