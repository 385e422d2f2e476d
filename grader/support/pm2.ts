import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../src/paths.js';
import { AppProcess, baseEnv } from './app-process.js';
import { CannotJudge, show } from './expect.js';
import type { LessonKit } from './lesson.js';
import { plainGet } from './plain-get.js';
import { pickPort } from './ports.js';
import { redis } from './redis.js';
import { spawnWatched, unwatch } from './watchdog.js';

// PM2 as the learner's ecosystem.config.cjs describes it, run by the grader with a PM2_HOME of its own
// in a temp folder. PM2 runs with --no-daemon: its "God" process (which forks the workers, restarts them
// and answers the CLI) is then the grader's own child, started in a process group the watchdog knows of
// from its first moment, and the cluster workers it forks stay in that group. So when the grader is
// killed, the watchdog kills PM2 and every worker, and removes PM2_HOME; when it is not, the group is
// ended at the end of the tour (the workers have stopped by then) and the temp folder is removed with the lesson's others. One PM2 start per grade: the
// reload, the crash and the stop are judged on the same run.

const PM2_BIN = path.join(repoRoot, 'node_modules', 'pm2', 'bin', 'pm2');
const APP_NAME_HINT = 'the app named in ecosystem.config.cjs';
/** How long PM2 and the workers may take to start on a loaded machine. */
const START_MS = 40_000;
/** How long one `pm2 reload` or `pm2 stop` may take: a worker's start, its readiness, the old one's shutdown. */
const COMMAND_MS = 45_000;
/** Requests that were already on their way to a worker PM2 killed are not counted against the app. */
const CRASH_GRACE_MS = 700;
const REPORT = '/api/reports/sales';
/**
 * The shortest listen_timeout the lesson accepts ("long enough for a start on a slow machine"; the reference
 * has 10 s). With one at least this long, connections refused during a reload mean that this machine took
 * longer than that to start a worker: the reload cannot be judged then, rather than failed.
 */
const LISTEN_TIMEOUT_FLOOR_MS = 5000;
/** PM2's kill_timeout when the config sets none. */
const PM2_KILL_TIMEOUT_MS = 1600;
/** The shutdown deadline the app runs with when nothing sets SHUTDOWN_TIMEOUT_MS (the lesson's default). */
const APP_DEADLINE_MS = 10_000;

export interface Pm2Tour {
  reload?: string | CannotJudge;
  crash?: string | CannotJudge;
  /** A message, or why the stop could not be judged. */
  stop?: string | CannotJudge;
}

interface Worker {
  pid: number;
  id: number;
  name: string;
  status: string;
  mode: string;
  /** When PM2 started it (ms since the epoch). */
  since: number;
  /** The listen_timeout PM2 runs it with, if the config sets one. */
  listenTimeout?: number;
  /** The kill_timeout PM2 runs it with, if the config sets one. */
  killTimeout?: number;
  /** The files PM2 writes the worker's output and errors to. */
  logs: string[];
  /** SHUTDOWN_TIMEOUT_MS in the worker's environment, as PM2 gave it (the config's own: the grader passes none to PM2). */
  deadline?: string;
}

interface Sent {
  path: string;
  startedAt: number;
  at: number;
  status: number | string;
  body: string;
}

/** The tour of PM2 that the three PM2 checks judge, made once per folder. */
export function pm2Tour(t: LessonKit, lesson: string, envFor: (redisUrl: string) => Record<string, string>): Promise<Pm2Tour> {
  return t.shared('09-pm2-tour', () => makeTour(t, lesson, envFor));
}

async function makeTour(t: LessonKit, lesson: string, envFor: (redisUrl: string) => Record<string, string>): Promise<Pm2Tour> {
  const dir = t.runDir;
  if (!existsSync(path.join(dir, 'ecosystem.config.cjs'))) {
    const missing = 'Expected ecosystem.config.cjs in the lesson folder (PM2\'s description of the app), found none.';
    return { reload: missing, crash: missing, stop: missing };
  }
  if (!existsSync(PM2_BIN)) {
    const missing = `PM2 is not installed in the course (${PM2_BIN}): run npm install at the course root.`;
    return { reload: missing, crash: missing, stop: missing };
  }
  const home = t.tempDir('course-pm2-');
  const port = await pickPort();
  // Without the grader's own SHUTDOWN_TIMEOUT_MS: the workers run with the deadline ecosystem.config.cjs gives them, or the
  // app's default, as in production, and kill_timeout is judged against that one.
  const { SHUTDOWN_TIMEOUT_MS: _graderDeadline, ...appEnv } = envFor(await (await redis(lesson)).isolatedUrl());
  const env = baseEnv({ ...appEnv, PORT: String(port), PM2_HOME: home });
  const god = new AppProcess({ script: PM2_BIN, args: ['start', 'ecosystem.config.cjs', '--no-daemon'], cwd: dir, env });
  // The CLI starts a daemon of its own (detached, out of the watchdog's reach) when it finds none: so it is
  // used only while the grader's PM2 runs and answers on its socket, and any daemon it started anyway is
  // killed at once.
  const rpc = path.join(home, 'rpc.sock');
  const strays = () => {
    try {
      const pid = Number(readFileSync(path.join(home, 'pm2.pid'), 'utf8'));
      if (pid && pid !== god.child.pid) process.kill(-pid, 'SIGKILL');
    } catch {
      // no pid file, or that daemon is gone
    }
  };
  const pm2 = async (args: string[], ms = COMMAND_MS) => {
    if (!god.running || !existsSync(rpc)) return { code: null, output: `PM2 is not running: it ${god.describeExit() ?? 'has not opened its socket yet'}.` };
    const result = await runPm2(args, dir, env, ms);
    strays();
    return result;
  };
  const found: Pm2Tour = {};
  const daemon = rpcClient(rpc);
  const list = async (): Promise<Worker[]> => (god.running ? daemon.workers() : []);
  try {
    // Started: every worker online and GET /health answered.
    let workers: Worker[] = [];
    const started = Date.now();
    const until = started + START_MS;
    for (;;) {
      workers = await list();
      if (workers.length && workers.every((worker) => worker.status === 'online') && (await plainGet(port, '/health', { timeoutMs: 2000 })).status === 200) break;
      if (!god.running || Date.now() > until) {
        const problem = `Expected \`pm2 start ecosystem.config.cjs\` to start the app and GET /health on PORT to answer 200 within ${START_MS / 1000} s, but ${
          god.running ? `PM2 lists ${describeWorkers(workers)}` : `PM2 ${god.describeExit()}`
        }. PM2's output: ${show(god.output().slice(-600), 600)}`;
        return { reload: problem, crash: problem, stop: problem };
      }
      await sleep(300);
    }
    /** How long a start took on this machine now: the longest a new worker may take to listen. */
    const startMs = Date.now() - started;
    const name = workers[0]!.name;
    /** The workers' own output files (the same ids, so the same files, after the reload and the crash). */
    const logFiles = [...new Set(workers.flatMap((worker) => worker.logs))];
    const shape =
      workers.length >= 2 && workers.every((worker) => worker.mode === 'cluster_mode')
        ? undefined
        : `Expected PM2 to run the app as 2 instances in cluster mode (exec_mode: 'cluster', instances: 2), got ${describeWorkers(workers)}: with one process, or processes that each listen on their own, a reload or a crash leaves no one to answer.`;

    // 1. pm2 reload under a steady stream of requests, slow reports included.
    {
      const traffic = stream(port);
      await sleep(500);
      const reloadAt = Date.now();
      const since = (at: number) => `${((at - reloadAt) / 1000).toFixed(1)} s`;
      const reload = await pm2(['reload', name]);
      await sleep(500);
      const sent = await traffic.stop();
      let failed = sent.filter((request) => request.status !== 200);
      // A connection the cluster hands to a worker at the very moment PM2 stops it can hang: one such request,
      // with nothing else lost, is PM2's handover, not the app.
      if (failed.length === 1 && failed[0]!.status.toString().startsWith('no answer')) failed = [];
      const listenTimeout = workers[0]!.listenTimeout ?? 3000;
      const refused = failed.filter((request) => request.status === 'connection refused');
      const reset = failed.filter((request) => request.status === 'connection reset');
      // Refused while no worker listened, with a listen_timeout at the lesson's minimum or above: this machine took longer
      // than that to start a worker. A hang, or one reset (a connection handed over as the old worker closed), beside them is PM2's handover.
      const slowStart =
        refused.length > 0 && failed.every((request) => request.status === 'connection refused' || request.status === 'connection reset' || request.status.toString().startsWith('no answer')) && reset.length <= 1 && listenTimeout >= LISTEN_TIMEOUT_FLOOR_MS;
      if (reload.code !== 0) found.reload = `Expected \`pm2 reload ${name}\` to succeed, but it ${reload.code === null ? `did not finish within ${COMMAND_MS / 1000} s` : `exited with code ${reload.code}`}: ${show(reload.output.slice(-400), 400)}`;
      else if (slowStart && !shape) {
        // Refused means no worker listened: the new one had not started within listen_timeout, which is long enough.
        found.reload = new CannotJudge(
          `Could not judge \`pm2 reload\`: ${failed.length} of ${sent.length} connections were refused while no worker listened, although listen_timeout is ${listenTimeout / 1000} s; a start took ${(startMs / 1000).toFixed(1)} s here (a busy machine). Grade again when it is quieter.`,
        );
      } else if (failed.length) {
        found.reload =
          `Expected every request to succeed during \`pm2 reload\`, but ${failed.length} of ${sent.length} failed (${tally(failed)}, from ${since(failed[0]!.startedAt)} to ${since(failed.at(-1)!.at)} after the reload began), the first ${describeSent(failed[0]!)}. ` +
          (shape ??
            'A reload starts a new worker, then stops the old one with SIGINT: the old one must finish its requests (a report takes 2 s) before kill_timeout, close its connections and exit, while the other worker keeps answering.' +
              (reset.length > 1
                ? ` Reset connections mean a worker accepted them and then destroyed them: a worker that keeps listening while it drains (http-terminator does so, destroying each new connection) loses the requests PM2 still hands it; stop listening with server.close() at the signal instead.`
                : '') +
              (refused.length && !(reset.length > 1 && listenTimeout >= LISTEN_TIMEOUT_FLOOR_MS)
                ? ` Refused connections mean no worker was listening: PM2 waits for a new worker to listen (or, with wait_ready, to send 'ready') only up to listen_timeout (3 s by default), then stops the old one anyway; a start took ${(startMs / 1000).toFixed(1)} s here, so give listen_timeout room for a slow machine (${LISTEN_TIMEOUT_FLOOR_MS / 1000} s at least; listen_timeout is ${listenTimeout / 1000} s here).`
                : ''));
      } else if (shape) found.reload = shape;
      else if (listenTimeout < LISTEN_TIMEOUT_FLOOR_MS) {
        found.reload = `Expected PM2 to run the app with a listen_timeout of at least ${LISTEN_TIMEOUT_FLOOR_MS / 1000} s, but PM2 runs it with ${
          workers[0]!.listenTimeout === undefined ? 'none set (3 s by default)' : `listen_timeout ${listenTimeout / 1000} s`
        }. The reload lost nothing this time, but a start took ${(startMs / 1000).toFixed(1)} s here: PM2 stops the old worker when listen_timeout passes, listening or not. Set listen_timeout in ecosystem.config.cjs above a start on a slow machine.`;
      }
    }

    // 2. A worker killed outright (as a crash would end it) is replaced, and requests keep succeeding.
    {
      // A worker PM2 calls online may still be starting (without wait_ready, PM2 does not wait for it to
      // listen): kill one only when every worker has been up as long as the first start took, so that the
      // other one is listening, not still loading (which a loaded machine can stretch to many seconds).
      for (const by = Date.now() + 20_000; Date.now() < by; await sleep(300)) {
        workers = await list();
        if (workers.length >= 2 && workers.every((worker) => worker.status === 'online' && Date.now() - worker.since > startMs)) break;
      }
      // Then prove that each worker listens: a connection the cluster handed to it is one of its open files.
      // Killing one while the other was still loading would refuse connections for the machine's sake, not the app's.
      const listening = new Set<number>();
      for (const by = Date.now() + 30_000; Date.now() < by && workers.some((worker) => !listening.has(worker.pid)); ) {
        const pid = await servedBy(port, workers.map((worker) => worker.pid));
        if (pid) listening.add(pid);
        else await sleep(300);
        if (listening.size >= workers.length) break;
        workers = (await list()).filter((worker) => worker.status === 'online');
      }
      const victim = workers.find((worker) => worker.status === 'online');
      const unproven = shape === undefined && workers.filter((worker) => !listening.has(worker.pid));
      if (unproven && unproven.length) found.crash = new CannotJudge(`Could not judge a crashed worker: ${unproven.length} of PM2's ${workers.length} workers did not take a connection within 30 s of being online (a busy machine?). Grade again when it is quieter.`);
      else if (!victim) found.crash = `Expected PM2's workers to be online after the reload, got ${describeWorkers(workers)}.`;
      else {
        const traffic = stream(port, false);
        await sleep(300);
        const killedAt = Date.now();
        process.kill(victim.pid, 'SIGKILL');
        let replaced: Worker | undefined;
        // PM2's primary hands connections to the killed worker until it has seen it die: a loaded machine can take a while.
        let noticedAt: number | undefined;
        const by = Date.now() + 20_000;
        while (!replaced && Date.now() < by) {
          await sleep(300);
          const now = await list();
          if (noticedAt === undefined && !now.some((worker) => worker.pid === victim.pid && worker.status === 'online')) noticedAt = Date.now();
          replaced = now.find((worker) => worker.id === victim.id && worker.pid !== victim.pid && worker.status === 'online');
        }
        await sleep(500);
        const from = Math.max(killedAt + CRASH_GRACE_MS, noticedAt ?? 0);
        const sent = (await traffic.stop(8000)).filter((request) => request.startedAt >= from);
        const failed = sent.filter((request) => request.status !== 200);
        if (!replaced) found.crash = `Expected PM2 to start a new worker in place of the one that was killed (pid ${victim.pid}), but none was online 20 s later: PM2 lists ${describeWorkers(await list())}.`;
        else if (failed.length) {
          found.crash = `Expected requests to keep succeeding while PM2 replaced a crashed worker, but ${failed.length} of ${sent.length} sent after the crash failed, the first ${describeSent(failed[0]!)}. ${shape ?? ''}`;
        } else if (shape) found.crash = shape;
      }
    }

    // 3. pm2 stop while reports are in flight: they complete, and each worker exits 0 on its own.
    {
      // After the crash, the app answers again before the reports are sent.
      for (const by = Date.now() + 10_000; Date.now() < by && (await plainGet(port, '/health', { timeoutMs: 2000 })).status !== 200; ) await sleep(200);
      workers = (await list()).filter((worker) => worker.status === 'online');
      const mark = god.mark;
      // Reports back to back on five staggered connections, so that whenever PM2 begins the stop ("Stopping
      // app:" in its output; the CLI takes seconds to start on a busy machine) some are in flight, one of
      // them with more than kill_timeout's default 1.6 s still to go.
      let going = true;
      const sent: Sent[] = [];
      const loops = [0, 1, 2, 3, 4].map(async (index) => {
        await sleep(index * 400);
        while (going) {
          const report = await stamped(port, REPORT, 25_000);
          sent.push(report);
          if (report.status !== 200) await sleep(50);
        }
      });
      await sleep(2500);
      let stoppingAt: number | undefined;
      const stopping = pm2(['stop', name]);
      let stopDone = false;
      void stopping.then(() => (stopDone = true));
      while (!stopDone && stoppingAt === undefined) {
        if (/Stopping app:/.test(god.output(mark))) stoppingAt = Date.now();
        else await sleep(20);
      }
      const stop = await stopping;
      going = false;
      await Promise.all(loops);
      await sleep(300);
      // In flight at the stop: sent well before it (time to reach a worker), answered after it (or as its log line
      // was being read).
      const answers = stoppingAt === undefined ? [] : sent.filter((report) => report.startedAt < stoppingAt! - 300 && report.at > stoppingAt! - 250);
      const exits = [...god.output(mark).matchAll(/App \[[^\]]*\] exited with code \[([^\]]*)\] via signal \[([^\]]*)\]/g)].map(([, code, signal]) => ({ code, signal }));
      const killed = /sending it SIGKILL|SIGKILL/.test(god.output(mark)) || exits.some((exit) => exit.signal === 'SIGKILL');
      const dropped = answers.find((answer) => answer.status !== 200);
      if (stop.code !== 0) found.stop = `Expected \`pm2 stop ${name}\` to succeed, but it ${stop.code === null ? `did not finish within ${COMMAND_MS / 1000} s` : `exited with code ${stop.code}`}: ${show(stop.output.slice(-400), 400)}`;
      else if (dropped) {
        found.stop =
          `Expected the reports in flight when \`pm2 stop\` was sent to complete with 200, but one ${describeSent(dropped)}` +
          `${killed ? ': PM2 had to kill a worker with SIGKILL (kill_timeout, 1.6 s by default, must be longer than the app\'s own shutdown deadline)' : ''}. PM2 stops a worker with SIGINT: the app's graceful shutdown must run on it.`;
      } else if (!answers.length) {
        found.stop = new CannotJudge(`Could not judge \`pm2 stop\`: ${stoppingAt === undefined ? 'PM2 never said it was stopping the app' : 'no report was in flight when PM2 began the stop'} (a busy machine?). Grade again when it is quieter.`);
      } else if (killed) found.stop = 'Expected every worker to exit on its own after `pm2 stop` (SIGINT), but PM2 had to kill one with SIGKILL after kill_timeout: make kill_timeout longer than the app\'s shutdown deadline, and let the shutdown end with an exit.';
      else if (exits.some((exit) => exit.code !== '0')) found.stop = `Expected every worker to exit with code 0 after \`pm2 stop\`, got ${exits.map((exit) => `code ${exit.code} via ${exit.signal}`).join(', ')}.`;
      else if (crashInLogs(logFiles)) {
        // PM2 reports the code of the signal it sent, whatever ended the worker: the workers' own output says how they ended.
        found.stop = `Expected every worker to exit by itself once drained during \`pm2 reload\` and \`pm2 stop\` (SIGINT), but a worker's own output (PM2's log files) shows it crashed instead: ${show(crashInLogs(logFiles)!, 300)}. Under PM2 the IPC channel keeps a worker alive, so a shutdown that relies on the event loop emptying lingers until its deadline, which then writes to a logger already ended. End the shutdown with process.exit(0) once Redis and the logger are closed.`;
      } else {
        // The deadline the workers actually run with: SHUTDOWN_TIMEOUT_MS in their environment as PM2 reports it (string or
        // number alike: the ecosystem's env, or one the ecosystem passed on from the environment PM2 started in). The grader
        // starts PM2 without one of its own, so without it the workers run with the app's 10 s default.
        const worker = workers[0];
        const ownDeadline = worker?.deadline !== undefined && worker.deadline !== '' ? Number(worker.deadline) || undefined : undefined;
        const deadline = ownDeadline ?? APP_DEADLINE_MS;
        const killTimeout = worker?.killTimeout ?? PM2_KILL_TIMEOUT_MS;
        if (worker && killTimeout <= deadline) {
          found.stop = `Expected PM2 to give a stopping worker longer than its shutdown deadline before SIGKILL, but kill_timeout is ${
            worker.killTimeout === undefined ? 'not set (1.6 s by default)' : `${killTimeout / 1000} s`
          } and the deadline is ${deadline / 1000} s (${ownDeadline ? `SHUTDOWN_TIMEOUT_MS=${worker.deadline} in the workers' environment` : 'the app\'s default: the workers run with no SHUTDOWN_TIMEOUT_MS, nothing in ecosystem.config.cjs sets one'}). The reports here took 2 s and finished, but a request that takes longer would be cut by SIGKILL before the app's deadline could end it with its log line: make kill_timeout longer than the deadline.`;
        }
      }
    }
    return found;
  } finally {
    daemon.close();
    // PM2 and its workers are one process group, ended together (the workers have stopped by now).
    await god.stop(2000);
    strays();
  }
}

/** The first crash (an uncaught error's stack, a write to an ended stream) in the workers' output files, with the lines before it. */
function crashInLogs(files: string[]): string | undefined {
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const crash = /write after end|Unhandled 'error' event|Emitted 'error' event|^\s+at .+:\d+:\d+\)?$/m.exec(text);
    if (crash) return text.slice(Math.max(0, crash.index - 200), crash.index + 200).trim();
  }
  return undefined;
}

/**
 * Which of `pids` holds the server end of one kept-alive connection to `port` (PM2's primary accepts it and
 * hands it to a worker that listens): found through /proc, by the connection's inode. Undefined if none did.
 */
async function servedBy(port: number, pids: number[]): Promise<number | undefined> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const clientPort = await new Promise<number | undefined>((resolve) => {
      const request = http.get({ host: '127.0.0.1', port, path: '/health', agent }, (response) => {
        response.resume();
        response.on('end', () => resolve(request.socket?.localPort));
      });
      request.setTimeout(5000, () => request.destroy());
      request.on('error', () => resolve(undefined));
    });
    if (!clientPort) return undefined;
    const hex = (value: number) => value.toString(16).toUpperCase().padStart(4, '0');
    let inode: string | undefined;
    for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
      for (const line of (existsSync(file) ? readFileSync(file, 'utf8') : '').split('\n')) {
        const fields = line.trim().split(/\s+/);
        if (fields[1]?.endsWith(`:${hex(port)}`) && fields[2]?.endsWith(`:${hex(clientPort)}`)) inode = fields[9];
      }
    }
    if (!inode) return undefined;
    for (const pid of pids) {
      try {
        for (const fd of readdirSync(`/proc/${pid}/fd`)) {
          try {
            if (readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`) return pid;
          } catch {
            // closed meanwhile
          }
        }
      } catch {
        // that worker is gone
      }
    }
    return undefined;
  } finally {
    agent.destroy();
  }
}

/**
 * A steady stream of requests on fresh connections (as a load balancer opens them): two loops of GET
 * /api/books, and with `reports`, two loops of the 2-second report. `stop(settleMs)` waits at most that
 * long for the requests still in flight and counts those as unanswered (a connection the cluster handed
 * to a worker just as it was killed can hang until the client gives up).
 */
function stream(port: number, reports = true): { stop(settleMs?: number): Promise<Sent[]> } {
  let going = true;
  const sent: Sent[] = [];
  const inFlight = new Map<number, { path: string; startedAt: number }>();
  let next = 0;
  const loop = async (path: string, pause: number) => {
    while (going) {
      const id = next++;
      inFlight.set(id, { path, startedAt: Date.now() });
      // A loaded machine can hold one request for many seconds; one that never gets an answer still fails.
      const answer = await stamped(port, path, 25_000);
      if (!inFlight.delete(id)) return; // counted as unanswered by stop()
      sent.push(answer);
      await sleep(pause);
    }
  };
  const loops = [loop('/api/books', 40), loop('/api/books', 40), ...(reports ? [loop(REPORT, 0), sleep(900).then(() => loop(REPORT, 0))] : [])];
  return {
    async stop(settleMs) {
      going = false;
      const all = Promise.all(loops);
      if (settleMs === undefined) await all;
      else await Promise.race([all, sleep(settleMs)]);
      const at = Date.now();
      for (const { path, startedAt } of inFlight.values()) sent.push({ path, startedAt, at, status: `no answer within ${((at - startedAt) / 1000).toFixed(1)} s`, body: '' });
      inFlight.clear();
      return sent;
    },
  };
}

async function stamped(port: number, path: string, ms: number): Promise<Sent> {
  const startedAt = Date.now();
  const { status, body } = await plainGet(port, path, { timeoutMs: ms });
  return { path, startedAt, at: Date.now(), status, body };
}

/** "12 connection reset, 3 answered 503": the failures by what they got. */
function tally(failed: Sent[]): string {
  const counts = new Map<string, number>();
  for (const request of failed) {
    const key = typeof request.status === 'number' ? `answered ${request.status}` : request.status;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, count]) => `${count} ${key}`).join(', ');
}

function describeSent(request: Sent): string {
  const status = typeof request.status === 'number' ? `answered ${request.status} ${show(request.body, 80)}` : `got ${request.status}`;
  return `(GET ${request.path}) ${status}`;
}

function describeWorkers(workers: Worker[]): string {
  if (!workers.length) return `no process (is ${APP_NAME_HINT} started?)`;
  return workers.map((worker) => `${worker.name} #${worker.id} ${worker.status} in ${worker.mode.replace('_mode', ' mode')}`).join(', ');
}

const pm2Require = createRequire(path.join(repoRoot, 'node_modules', 'pm2', 'package.json'));

/**
 * PM2's own RPC client (the one its CLI uses) on the daemon's socket, asking what `pm2 jlist` asks: a
 * CLI takes one to three seconds to start, and the tour asks for the workers every few hundred ms.
 */
function rpcClient(socketFile: string): { workers(): Promise<Worker[]>; close(): void } {
  const axon = pm2Require('./modules/pm2-axon') as { socket(type: 'req'): AxonSocket };
  const { Client } = pm2Require('./modules/pm2-axon-rpc') as { Client: new (socket: AxonSocket) => RpcClient };
  const socket = axon.socket('req');
  socket.on('error', () => {}); // the daemon gone: a call then times out and finds no workers
  socket.connect(socketFile);
  const client = new Client(socket);
  return {
    workers: () =>
      new Promise((resolve) => {
        const timer = setTimeout(() => resolve([]), 5000);
        client.call('getMonitorData', {}, (error, all) => {
          clearTimeout(timer);
          if (error || !Array.isArray(all)) return resolve([]);
          resolve(
            all.map((entry) => ({
              pid: entry.pid,
              id: entry.pm_id,
              name: entry.name,
              status: entry.pm2_env?.status ?? 'unknown',
              mode: entry.pm2_env?.exec_mode ?? 'unknown',
              since: entry.pm2_env?.pm_uptime ?? 0,
              listenTimeout: Number(entry.pm2_env?.listen_timeout) || undefined,
              killTimeout: Number(entry.pm2_env?.kill_timeout) || undefined,
              logs: [entry.pm2_env?.pm_out_log_path, entry.pm2_env?.pm_err_log_path].filter((file): file is string => typeof file === 'string' && file !== '/dev/null'),
              deadline: (entry.pm2_env?.SHUTDOWN_TIMEOUT_MS ?? entry.pm2_env?.env?.SHUTDOWN_TIMEOUT_MS)?.toString(),
            })),
          );
        });
      }),
    close: () => socket.close(),
  };
}

interface AxonSocket {
  connect(path: string): void;
  close(): void;
  on(event: 'error', listener: (error: Error) => void): void;
}

interface RpcClient {
  call(method: 'getMonitorData', env: object, done: (error: Error | null, all?: { pid: number; name: string; pm_id: number; pm2_env?: { status?: string; exec_mode?: string; pm_uptime?: number; listen_timeout?: number | string; kill_timeout?: number | string; pm_out_log_path?: string; pm_err_log_path?: string; SHUTDOWN_TIMEOUT_MS?: string | number; env?: { SHUTDOWN_TIMEOUT_MS?: string | number } } }[]) => void): void;
}

/** One PM2 CLI command against this run's PM2_HOME, in a watched process group, stopped after `ms`. */
function runPm2(args: string[], cwd: string, env: Record<string, string>, ms: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawnWatched(process.execPath, [PM2_BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (output += text));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }, ms);
    child.once('error', (error) => (output += error.message));
    child.once('close', (code) => {
      clearTimeout(timer);
      unwatch(child.pid);
      resolve({ code: timedOut ? null : code, output });
    });
  });
}
