// The grader against hostile learner code, continued (see hostile.test.ts): the course CLI and the
// commands that grade many folders, killed; apps that insist on a port, never listen, or grow past
// the memory limit; temp folders left behind.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { exercisesDir, fixturesDir, graderDir, repoRoot, solutionsDir } from '../src/paths.js';
import { lessonById } from '../src/registry/index.js';
import { cpuSeconds } from '../support/app-process.js';
import { ended, eventually, hasProc } from './processes.js';
import { makeStudentRepo } from './student-repos.js';
import { hostileKit, LESSON, processesIn } from './hostile-kit.js';

const { work, hostileCopy, gradeInChild, scriptApp } = hostileKit();

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
