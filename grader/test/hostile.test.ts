// The grader against hostile learner code, end to end: what the self-check's hostile fixtures
// cannot show on their own. Grading a hostile lesson beside a healthy one leaves the healthy one's
// grade alone; each hostile case ends within its lesson's time limit with a message that says what
// happened; nothing the grader started is left running; the app never sees the grader's
// environment; the terminal never receives escape codes, workflow commands or megabytes.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exercisesDir, fixturesDir, graderDir, repoRoot, solutionsDir } from '../src/paths.js';
import { lessonById } from '../src/registry/index.js';
import type { GradeJob, LessonResult } from '../src/results.js';
import { APP_MALLOC_TUNING, cpuSeconds } from '../support/app-process.js';
import { ended, eventually, hasProc } from './processes.js';
import { makeStudentRepo } from './student-repos.js';

const LESSON = '01-error-handling';
const limitMs = lessonById(LESSON).timeLimitMs;
/** Process start-up, the lesson's last check running over, teardown. */
const SLACK_MS = 10_000;
const SENTINEL = 'COURSE_HOSTILE_SENTINEL';

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
  const out = path.join(work, `results-${Date.now()}.json`);
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

/** Processes whose working directory or command line lies inside `dir`. */
function processesIn(dir: string): string[] {
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

const cases = [
  { name: 'exit-at-import', message: /exited with code 3 while loading src\/app\.ts/ },
  { name: 'loop-at-import', message: /did not finish loading src\/app\.ts within \d+ s \(an endless loop/ },
  { name: 'loop-in-handler', message: /event loop was blocked|got none within|connection was cut/ },
  { name: 'type-error-at-import', message: /could not be started: TypeError: Cannot read properties of undefined/ },
  { name: 'not-an-app', message: /createApp\(\) must return an Express app, but it returned undefined/ },
  // The memory note races the failing request on a loaded machine, so only the failure is asserted here;
  // the watchdog itself is proven by its own test below.
  { name: 'buffer-blowup', message: /./ },
  { name: 'output-flood', message: /./ },
  { name: 'escape-codes', message: /./ },
] as const;

describe.skipIf(process.platform !== 'linux')('hostile learner code graded beside a healthy lesson', () => {
  let results: LessonResult[] = [];
  let dirs: Record<string, string> = {};
  let envDir = '';
  let healthy: GradeJob;

  beforeAll(async () => {
    dirs = Object.fromEntries(cases.map(({ name }) => [name, hostileCopy(LESSON, name)]));
    // An app that shows what environment it was given, then fails like the exercise.
    envDir = path.join(work, 'env-probe', LESSON);
    cpSync(path.join(exercisesDir, LESSON), envDir, { recursive: true });
    const app = readFileSync(path.join(envDir, 'src', 'app.ts'), 'utf8');
    writeFileSync(path.join(envDir, 'src', 'app.ts'), `console.log('ENV=' + JSON.stringify(process.env));\n${app}`);
    // The cheapest lesson to grade (no browser, no Redis): the point is only that it keeps its verdicts.
    healthy = { lesson: '05-compression', dir: path.join(solutionsDir, '05-compression'), label: 'healthy' };
    const jobs: GradeJob[] = [
      ...cases.map(({ name }) => ({ lesson: LESSON, dir: dirs[name]!, label: name })),
      { lesson: LESSON, dir: envDir, label: 'env-probe' },
      healthy,
    ];
    results = await gradeInChild(jobs);
  }, 600_000);

  test('the healthy lesson graded in the same run still passes every check', () => {
    const result = results.find((candidate) => candidate.dir === healthy.dir)!;
    expect(result.tests.filter((check) => check.status !== 'pass').map((check) => `${check.id}: ${check.message}`)).toEqual([]);
    expect(result.status).toBe('pass');
  });

  for (const hostile of cases) {
    test(`${hostile.name}: a clear failure, within the lesson's time limit`, () => {
      const result = results.find((candidate) => candidate.dir === dirs[hostile.name])!;
      expect(result.status).not.toBe('pass');
      const checksMs = result.tests.reduce((sum, check) => sum + check.durationMs, 0);
      expect(checksMs).toBeLessThan(limitMs + SLACK_MS);
      const failing = result.tests.filter((check) => check.status !== 'pass');
      expect(failing.length).toBeGreaterThan(0);
      expect(failing.some((check) => hostile.message.test(check.message))).toBe(true);
    });
  }

  test('output is kept bounded per check, however much the app prints', () => {
    const result = results.find((candidate) => candidate.dir === dirs['output-flood'])!;
    for (const check of result.tests) expect((check.output ?? '').length).toBeLessThanOrEqual(2 * 256 * 1024 + 1024);
  });

  test('the app sees only the environment the grader gives it, and a temp folder of its own', () => {
    const result = results.find((candidate) => candidate.dir === envDir)!;
    const line = result.tests.map((check) => check.output ?? '').join('\n').match(/^ENV=(\{.*\})$/m);
    expect(line, 'the probe app printed its environment').toBeTruthy();
    const env = JSON.parse(line![1]!) as Record<string, string>;
    expect(env[SENTINEL]).toBeUndefined();
    const allowed = new Set(['PATH', 'HOME', 'TMPDIR', 'LANG', 'NODE_ENV', 'NODE_CHANNEL_FD', 'NODE_CHANNEL_SERIALIZATION_MODE', 'NODE_UNIQUE_ID', ...Object.keys(APP_MALLOC_TUNING)]);
    expect(Object.keys(env).filter((key) => !allowed.has(key))).toEqual([]);
    for (const [key, value] of Object.entries(APP_MALLOC_TUNING)) expect(env[key]).toBe(value);
    expect(env.TMPDIR).not.toBe(os.tmpdir());
  });

  test.skipIf(!hasProc)('no process the grader started is left behind', () => {
    expect(processesIn(work)).toEqual([]);
  });
});

describe.skipIf(process.platform !== 'linux')('the course CLI on hostile code', () => {
  const outputs: string[] = [];
  function cli(args: string[], env: Record<string, string>) {
    return spawnSync(process.execPath, [path.join(graderDir, 'bin', 'course.js'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: '1', GITHUB_ACTIONS: '', ...env },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: 300_000,
    });
  }

  test('escape codes, fake workflow commands and megabytes of output never reach the terminal as such', () => {
    const target = path.join(work, 'cli-target');
    for (const name of ['escape-codes', 'output-flood']) {
      cpSync(hostileCopy(LESSON, name), path.join(target, name, LESSON), { recursive: true });
    }
    const progressDir = mkdtempSync(path.join(work, 'progress-'));
    const progress = path.join(progressDir, 'progress.json');
    writeFileSync(progress, '{"schemaVersion":1,"marker":"untouched"}\n');
    for (const name of ['escape-codes', 'output-flood']) {
      const run = cli(['grade', '1', '--target', path.join(target, name), '--verbose'], { COURSE_PROGRESS_FILE: progress });
      expect([1, 2], run.stderr).toContain(run.status); // failed, or could not judge (a time limit on a loaded machine)
      const out = run.stdout;
      expect(out.length).toBeLessThan(1024 * 1024); // --verbose shows all kept output: 256 KB per process at most
      outputs.push(out);
      expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/); // ESC, BEL, BS, NUL …
      expect(out.split(/\r?\n|\r/).filter((line) => /^\s*::/.test(line) || line.includes('##['))).toEqual([]);
      expect(out).toContain('[your app]');
    }
    // Not a learner's exercises/: the progress file is not written, and certainly not left half-written.
    expect(readFileSync(progress, 'utf8')).toBe('{"schemaVersion":1,"marker":"untouched"}\n');
    expect(readdirSync(progressDir)).toEqual(['progress.json']);
  }, 600_000);

  // C1 controls (U+0080-U+009F): U+009B is CSI, which many terminals read like ESC [.
  test('C1 control characters never reach the terminal either', () => {
    expect(outputs.length).toBeGreaterThan(0);
    for (const out of outputs) expect(out).not.toMatch(/[\u0080-\u009f]/);
  });

  // SIGINT is what Ctrl-C sends; SIGKILL (an out-of-memory kill, a cancelled CI job) gives the
  // grader no chance to clean up at all.
  test.skipIf(!hasProc).each(['SIGINT', 'SIGKILL'] as const)('%s during grading leaves no learner process or temp folder behind', async (signal) => {
    const dir = hostileCopy(LESSON, 'loop-at-import');
    const tmp = mkdtempSync(path.join(work, 'tmp-'));
    const child = spawn(process.execPath, [path.join(graderDir, 'bin', 'course.js'), 'grade', '1', '--target', path.dirname(dir)], {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: '1', TMPDIR: tmp },
      stdio: 'ignore',
      detached: true, // its own process group, as a terminal's foreground job
    });
    // Signalled once the app is inside its loop (it has burnt CPU), where it can no longer notice
    // anything itself: a process still starting would exit on its own when the grader's channel closes.
    const looping = () => processesIn(dir).some((line) => (cpuSeconds(Number(line.split(' ')[0])) ?? 0) >= 0.5);
    await eventually(looping, 60_000);
    expect(looping()).toBe(true);
    process.kill(-child.pid!, signal); // to the whole foreground group, as a terminal does, not the app's own group
    await new Promise((resolve) => child.once('close', resolve));
    await eventually(() => processesIn(dir).length === 0 && readdirSync(tmp).length === 0); // the watchdog reads the end of its input
    expect(processesIn(dir)).toEqual([]);
    expect(readdirSync(tmp), 'temp folders left in TMPDIR').toEqual([]);
  }, 120_000);

  // The run's own Redis is the grader's child, not the learner's: it must not outlive a killed grader
  // either. The kill hits the grader alone, as the kernel's out-of-memory killer does.
  test.skipIf(!hasProc)("SIGKILL to the grader alone leaves the run's Redis and temp folders behind neither", async () => {
    const dir = path.join(work, 'redis-run', '03-session-store');
    const tmp = mkdtempSync(path.join(work, 'tmp-'));
    cpSync(path.join(solutionsDir, '03-session-store'), dir, { recursive: true });
    const { REDIS_URL: _given, ...env } = process.env; // so that the grader starts a redis-server of its own
    const child = spawn(process.execPath, [path.join(graderDir, 'bin', 'course.js'), 'grade', '3', '--target', path.dirname(dir)], {
      cwd: repoRoot,
      env: { ...env, NO_COLOR: '1', TMPDIR: tmp },
      stdio: 'ignore',
      detached: true,
    });
    const redisOf = (parent: number) =>
      readdirSync('/proc')
        .filter((entry) => /^\d+$/.test(entry))
        .find((pid) => {
          try {
            const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
            return stat.includes('(redis-server)') && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent;
          } catch {
            return false;
          }
        });
    let redisPid: string | undefined;
    await eventually(() => (redisPid = redisOf(child.pid!)) !== undefined, 60_000); // killed at its first sight
    expect(redisPid, 'the grader started no redis-server (is it installed?)').toBeDefined();
    process.kill(child.pid!, 'SIGKILL');
    await new Promise((resolve) => child.once('close', resolve));
    await eventually(() => ended(redisPid!) && readdirSync(tmp).length === 0);
    expect(ended(redisPid!), `redis-server ${redisPid} still runs`).toBe(true);
    expect(readdirSync(tmp), 'temp folders left in TMPDIR').toEqual([]);
  }, 120_000);
});

// The commands that grade many folders (the self-check, an instructor's regrade) make temp folders
// and start graders of their own: killed, they too must leave nothing behind.
describe.skipIf(!hasProc)('a killed command that grades many folders', () => {
  const course = path.join(graderDir, 'bin', 'course.js');
  const run = (args: string[], tmp: string) =>
    spawn(process.execPath, [course, ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1', TMPDIR: tmp }, stdio: 'ignore', detached: true });
  const looping = (dir: string) => processesIn(dir).some((line) => (cpuSeconds(Number(line.split(' ')[0])) ?? 0) >= 0.5);

  async function killAndExpectNothingLeft(child: ReturnType<typeof spawn>, tmp: string): Promise<void> {
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((resolve) => child.once('close', resolve));
    await eventually(() => processesIn(tmp).length === 0 && readdirSync(tmp).length === 0, 15_000);
    expect(processesIn(tmp), 'processes left running').toEqual([]);
    expect(readdirSync(tmp), 'temp folders left in TMPDIR').toEqual([]);
  }

  test('SIGKILL to a self-check leaves none of its folders behind', async () => {
    const tmp = mkdtempSync(path.join(work, 'tmp-'));
    const child = run(['self-check', '--skip', 'typecheck', 'unit', '--lesson', '1'], tmp);
    await eventually(() => readdirSync(tmp).some((name) => name.startsWith('course-run-')), 60_000); // grading has begun
    expect(readdirSync(tmp).some((name) => name.startsWith('course-selfcheck-'))).toBe(true);
    await killAndExpectNothingLeft(child, tmp);
  }, 120_000);

  test('SIGKILL to a regrade ends the graders it started and leaves none of their folders behind', async () => {
    const tmp = mkdtempSync(path.join(work, 'tmp-'));
    const repos = mkdtempSync(path.join(work, 'repos-'));
    const repo = makeStudentRepo(path.join(repos, 'student-a'));
    cpSync(path.join(fixturesDir, LESSON, 'hostile', 'loop-at-import'), path.join(repo, 'exercises', LESSON), {
      recursive: true,
      filter: (source) => path.basename(source) !== 'fixture.json',
    });
    const child = run(['regrade', repos, '--out', path.join(work, 'regrade.csv'), '--lesson', '1'], tmp);
    await eventually(() => looping(tmp), 60_000); // the student's app, started by the grader the regrade started
    expect(looping(tmp)).toBe(true);
    await killAndExpectNothingLeft(child, tmp);
  }, 120_000);
});

describe('a port the app insists on', () => {
  test.skipIf(process.platform !== 'linux')('a server.ts on a fixed port already in use fails fast and says it exited', async () => {
    const dir = hostileCopy('07-logging', 'fixed-port');
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.once('error', () => resolve()).listen(8787, () => resolve()));
    try {
      const started = Date.now();
      const [result] = await gradeInChild([{ lesson: '07-logging', dir, label: 'fixed-port' }]);
      expect(result!.status).not.toBe('pass');
      expect(Date.now() - started).toBeLessThan(lessonById('07-logging').timeLimitMs + 30_000);
      // Held by this test or by anyone else, 8787 is taken either way: the app's listen fails.
      expect(result!.tests.some((check) => /exited with code \d+ during startup/.test(check.message))).toBe(true);
    } finally {
      holder.close();
    }
  }, 300_000);
});

describe('a server.ts that never listens', () => {
  test.skipIf(!hasProc)('is said to be waiting for something, not busy and not crashed', async () => {
    const dir = path.join(work, 'never-listens', '07-logging');
    cpSync(path.join(solutionsDir, '07-logging'), dir, { recursive: true });
    // Waits for a connection to a database that never comes before it would listen.
    writeFileSync(path.join(dir, 'src', 'server.ts'), 'setInterval(() => {}, 60_000);\nawait new Promise(() => {});\n');
    const [result] = await gradeInChild([{ lesson: '07-logging', dir, label: 'never-listens' }]);
    expect(result!.status).not.toBe('pass');
    const waiting = result!.tests.filter((check) => /nothing accepted connections on 127\.0\.0\.1:\d+ .*main thread was idle in its event loop/.test(check.message ?? ''));
    expect(waiting).not.toEqual([]);
    // The app's own wait fails its checks; only a machine too busy to run it leaves them unjudged.
    for (const check of waiting) expect(check.status === 'fail' || /too busy/.test(check.message ?? ''), check.message).toBe(true);
  }, 120_000);
});

/** A one-file app run as the grader runs a learner's process, in a folder of its own. */
async function scriptApp(source: string) {
  const { AppProcess, baseEnv } = await import('../support/app-process.js');
  const dir = mkdtempSync(path.join(work, 'script-'));
  const script = path.join(dir, 'app.mjs');
  writeFileSync(script, source);
  return new AppProcess({ script, cwd: dir, env: baseEnv() });
}

describe.skipIf(process.platform !== 'linux')('the memory watchdog', () => {
  test('stops a process whose Buffers grow past the limit, and says so in its output', async () => {
    // Buffers live outside the V8 heap: --max-old-space-size alone would not stop this.
    const app = await scriptApp('const kept = []; setInterval(() => { for (let i = 0; i < 4; i++) kept.push(Buffer.alloc(32 * 1024 * 1024, 1)); }, 20);\n');
    const exit = await Promise.race([app.exited, new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 30_000))]);
    app.kill();
    expect(exit).not.toBe('running');
    expect(app.output()).toMatch(/Stopped your app: it used \d+ MB of memory/);
  }, 60_000);
});

describe('temp folders', () => {
  // Two folders of one lesson in one run: the second's app host starts (and makes its session folder)
  // while the first is graded. Embedded sessions are files, which an app writes into whatever folder
  // it is given, recreating one that was taken away too early.
  test('a run leaves none behind, in the grader temp folder or the apps\' own', async () => {
    const tmp = mkdtempSync(path.join(work, 'tmp-'));
    const results = await gradeInChild(
      [
        { lesson: '03-session-store', dir: path.join(exercisesDir, '03-session-store'), label: 'exercise' },
        { lesson: '03-session-store', dir: path.join(solutionsDir, '03-session-store'), label: 'solution' },
      ],
      { TMPDIR: tmp, COURSE_SESSION_STORE: 'embedded' },
    );
    expect(results.map((result) => result.status)).toEqual(['fail', 'pass']);
    // tsx-*: the cache of the tsx that runs this test's grade() from TypeScript.
    expect(readdirSync(tmp).filter((name) => !name.startsWith('tsx-'))).toEqual([]);
  }, 180_000);
});

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
    const verdicts = (result: LessonResult) => result.tests.map((check) => `${check.id}: ${check.status}`);

    const [together, alone] = await Promise.all([gradeInChild([{ lesson: LESSON, dir: flood, label: 'output-flood' }, healthy, flawed]), gradeInChild([flawed])]);
    expect(together.map((result) => result.id)).toEqual([LESSON, healthy.lesson, flawed.lesson]);
    const [hostile, passing, failing] = together as [LessonResult, LessonResult, LessonResult];
    expect(hostile.status).not.toBe('pass');
    expect(passing.tests.filter((check) => check.status !== 'pass').map((check) => `${check.id}: ${check.message}`)).toEqual([]);
    expect(failing.status).toBe('fail');
    expect(verdicts(failing)).toEqual(verdicts(alone[0]!));
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
    const [own, other] = await gradeInChild(
      [
        { lesson: '03-session-store', dir, label: 'redis-shutdown' },
        { lesson: '04-rate-limiting', dir: path.join(solutionsDir, '04-rate-limiting'), label: 'solution' },
      ],
      { REDIS_URL: '' },
    );
    expect(own!.status).not.toBe('pass');
    expect(other!.tests.filter((check) => check.status !== 'pass').map((check) => `${check.id}: ${check.message}`)).toEqual([]);
  }, 180_000);
});
