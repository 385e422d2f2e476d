import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExitInfo } from '../support/app-process.js';
import { CannotJudge, fail, show } from '../support/expect.js';
import { lesson, type LessonKit, type RunningServer } from '../support/lesson.js';
import { redis } from '../support/redis.js';
import { redisOutage } from '../support/redis-outage.js';
import { type Answer, plainGet } from '../support/plain-get.js';
import { pm2Tour } from '../support/pm2.js';

// Health, readiness and graceful shutdown are proven over the process boundary: src/server.ts runs as a
// process of its own against the lesson's Redis (through a relay the grader can take down), the grader
// sends the signals and judges the answers, the exit code, the time of the exit and the log lines.

const LESSON = '09-health-and-shutdown';
/** The shutdown deadline the grader gives each app in SHUTDOWN_TIMEOUT_MS (the app's own default is 10 s). */
const DEADLINE_MS = 6000;
/** The sales report, which takes 2 s to build: the request in flight when the signal comes. */
const REPORT = '/api/reports/sales';
/**
 * How long one readiness answer may take. The app's own PING timeout should be well under a second;
 * this leaves room for a loaded machine, and is still far from a readiness that waits on a dead Redis
 * (it waits until Redis is back: for ever).
 */
const READY_ANSWER_MS = 4000;
/** How much longer than /health (asked at the same moment) /ready may take while Redis is stalled: its PING timeout, about 0.5 s. */
const STALLED_EXTRA_MS = 1500;
/** How much longer than a route that does not touch Redis (asked at the same moment) /health may take while Redis is stalled. */
const HEALTH_SLOW_MS = 300;
/**
 * How soon /ready must say 503 once Redis went away or stalled: at once for a closed connection, after
 * the PING's timeout (about 0.5 s) for a stalled one; the rest is room for a loaded machine.
 */
const CHANGE_SEEN_MS = 2000;
/** How long after the last in-flight answer the process may take to exit: nothing should hold it then. */
const EXIT_AFTER_LAST_ANSWER_MS = 3000;

const env = (redisUrl: string, extra: Record<string, string> = {}) => ({ NODE_ENV: 'production', REDIS_URL: redisUrl, SHUTDOWN_TIMEOUT_MS: String(DEADLINE_MS), ...extra });

const ask = plainGet;

const said = (answer: Answer) => (typeof answer.status === 'number' ? `${answer.status} ${show(answer.body, 80)}` : answer.status);

/** The exit within `ms`, or undefined if the process is still running then. */
/** The exit of `server` within `ms`: the check judges it, so it is not also reported as an end before the check ended. */
async function exitWithin(server: RunningServer, ms: number): Promise<ExitInfo | undefined> {
  const exit = await Promise.race([server.process.exited, sleep(ms).then(() => undefined)]);
  if (exit) server.process.stopping = true;
  return exit;
}

/** Words a log line uses to say that a second signal ended the process: the signal, or that it came again. */
const SECOND_SIGNAL_WHY = /signal|SIG(INT|TERM)|again|twice|second|another|repeat|ctrl/i;
/** Words a log line uses to say that the shutdown deadline ended it. */
const DEADLINE_WHY = /deadline|time ?out|timed? ?out|too long|SHUTDOWN_TIMEOUT|expire|exceed|elapsed/i;

/**
 * What is wrong with the output an app wrote as it was forced to exit 1 (`why` tells the cause's words), or
 * undefined: a line that says why, not only that it exits (red team 09 r6: "Exiting" for both causes passed).
 */
function unexplained(output: string, why: RegExp, when: string, since: string, example: string): string | undefined {
  if (!output.trim()) return `Expected a log line saying why the process ended ${when}, got no output ${since}.`;
  if (why.test(output)) return undefined;
  return `Expected a log line saying why the process ended ${when}, got only ${show(output.trim(), 160)}, which does not say what forced the exit. Name the cause ("${example}"): whoever reads the log after an exit 1 needs to know which of the two it was.`;
}

const describe = (exit: ExitInfo) => (exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`);

lesson(LESSON, (t) => {
  t.concurrently(() => {
    t.check('09.health-answers-while-alive', async () => {
      // The Redis tour, and the SIGTERM run's /health half received at the signal (no run of its own).
      const [tour, stop] = await Promise.all([redisTour(t), sigtermDrain(t)]);
      if (tour.health) fail(tour.health);
      if (stop.health) fail(stop.health);
    });

    t.check('09.ready-follows-redis', async () => {
      const tour = await redisTour(t);
      if (tour.ready) fail(tour.ready);
    });

    t.check('09.sigterm-finishes-in-flight-and-exits-0', async () => {
      const [run, idle] = await Promise.all([sigtermDrain(t), idleDrain(t)]);
      if (run.error) throw run.error;
      if (idle) fail(idle);
    });
    // With SIGINT the report's own connection is left idle after its answer (a pooled connection the load
    // balancer does not use again at once): only Connection: close on that answer lets the process exit then.
    t.check('09.sigint-finishes-in-flight-and-exits-0', () => drain(t, 'SIGINT', true));

    t.check('09.second-signal-or-deadline-exits-1-with-a-log-line', async () => {
      // SIGINT then SIGTERM in a run of its own (the two kinds mixed); SIGTERM twice at the end of the Redis tour's run (no start of its own).
      const [second, twice, deadline, stalled, tour] = await Promise.all([
        forcedBySecondSignal(t, 'SIGINT', 'SIGTERM'),
        // Ctrl-C twice (red team 09 r6: process.once('SIGINT') passed).
        forcedBySecondSignal(t, 'SIGINT', 'SIGINT'),
        forcedByDeadline(t),
        endsWithRedisStalled(t),
        redisTour(t).catch((): RedisTour => ({})),
      ]);
      if (second) fail(second);
      if (twice) fail(twice);
      if (tour.secondSigterm) fail(tour.secondSigterm);
      if (deadline) fail(deadline);
      if (stalled) fail(stalled);
    });

    t.check('09.pm2-reload-loses-nothing', async () => {
      const tour = await pm2Tour(t, LESSON, env);
      if (tour.reload instanceof CannotJudge) throw tour.reload;
      if (tour.reload) fail(tour.reload);
    });
    t.check('09.pm2-replaces-a-crashed-worker', async () => {
      const tour = await pm2Tour(t, LESSON, env);
      if (tour.crash instanceof CannotJudge) throw tour.crash;
      if (tour.crash) fail(tour.crash);
    });
    t.check('09.pm2-stop-is-graceful', async () => {
      const tour = await pm2Tour(t, LESSON, env);
      if (tour.stop instanceof CannotJudge) throw tour.stop;
      if (tour.stop) fail(tour.stop);
    });
  });
});

/** What one run against a Redis that comes and goes found wrong with /health and with /ready. */
interface RedisTour {
  health?: string;
  ready?: string;
  /** What a second SIGTERM during shutdown, sent at the end of the tour, found wrong. */
  secondSigterm?: string;
}

const redisTour = (t: LessonKit) => t.shared('09-redis-tour', () => makeRedisTour(t));

/**
 * src/server.ts started while its Redis is unreachable, then Redis comes, goes away and comes back:
 * /health must answer 200 throughout, /ready 503 while Redis is unreachable and 200 once it is back,
 * every answer fast.
 */
async function makeRedisTour(t: LessonKit): Promise<RedisTour> {
  const outage = await redisOutage(await (await redis(LESSON)).isolatedUrl());
  const found: RedisTour = {};
  try {
    await outage.down();
    let server: RunningServer;
    try {
      server = await t.server({ env: env(outage.url) });
    } catch (error) {
      // The grader asks anything only once GET /health answers 200: an app whose liveness asks Redis never gets there.
      const seen = error instanceof Error && !(error instanceof CannotJudge) ? /GET \/health (?:answered (\d+)|got (no answer))/.exec(error.message) : undefined;
      if (!seen) throw error;
      // A liveness probe gives up after a second: a /health that waits on a dead Redis that long never answers it.
      const status = seen[1] ?? 'no answer within a second, each time';
      found.health = `Expected GET /health to answer 200 while Redis was unreachable from the start, got ${status} (asked until the start-up limit). Liveness says only that the process is alive: it must not ask Redis (a Redis outage would make the platform restart every instance at once). Liveness must not wait on Redis, not even for a field of its answer.`;
      found.ready = `Could not ask GET /ready: GET /health ${seen[1] ? `answered ${status}` : 'got no answer within a second'} while Redis was unreachable, and the grader (as a platform) sends nothing else until /health answers 200. Liveness must not ask Redis; readiness does.`;
      return found;
    }
    const { port } = server;
    const health = async (phase: string) => {
      if (found.health) return;
      const answer = await ask(port, '/health', { timeoutMs: READY_ANSWER_MS });
      if (answer.status !== 200) {
        found.health = `Expected GET /health to answer 200 ${phase}, got ${said(answer)}. Liveness says only that the process is alive: it must not ask Redis (a Redis outage would make the platform restart every instance at once).`;
      }
    };
    /** Asks /ready until it answers `wanted` (within `withinMs`), each answer within READY_ANSWER_MS. */
    const ready = async (wanted: number, phase: string, withinMs: number, why: string, stalled = false) => {
      if (found.ready) return;
      const until = Date.now() + withinMs;
      let answer: Answer;
      do {
        answer = await ask(port, '/ready', { timeoutMs: READY_ANSWER_MS });
        if (typeof answer.status !== 'number') {
          found.ready = `Expected GET /ready to answer ${wanted} ${phase}, got ${said(answer)}. Readiness must answer fast: ${
            !answer.status.startsWith('no answer')
              ? 'the process must keep serving it'
              : stalled
                ? 'a stalled Redis keeps the connection open (redis.isReady stays true) and never answers the PING; node-redis\'s own command timeout and abortSignal stop applying once the PING is written, so race the PING against a timer of your own (about 500 ms)'
                : 'a PING to a dead Redis waits in node-redis\'s offline queue; check redis.isReady first and race the PING against a timer of your own'
          }.`;
          return;
        }
        if (answer.status === wanted) return;
        await sleep(200);
      } while (Date.now() < until);
      found.ready = `Expected GET /ready to answer ${wanted} ${phase} (asked for ${withinMs / 1000} s), got ${said(answer)}. ${why}`;
    };
    const unreachable = 'Readiness must answer 503 whenever the app cannot do its work: a load balancer then sends its traffic elsewhere.';
    await health('while Redis was unreachable from the start');
    await ready(503, 'while Redis was unreachable from the start', 0, unreachable);
    await outage.up();
    await ready(200, 'once Redis was reachable again', 10_000, 'Readiness must come back once Redis answers: node-redis reconnects on its own within a few seconds.');
    await health('with Redis connected');
    // Connected but silent (a hung server, a failover): the client still says it is ready, a PING never answers.
    outage.stall();
    {
      // Asked together on the same loaded machine, /health shows how long any answer takes now: /ready may take
      // its PING timeout (about half a second) longer, not seconds longer.
      const origin = Date.now();
      const [readyAnswer, healthAnswer, quickAnswer] = await Promise.all([
        ask(port, '/ready', { timeoutMs: READY_ANSWER_MS, origin }),
        ask(port, '/health', { timeoutMs: READY_ANSWER_MS, origin }),
        // A route that does not touch Redis, asked at the same moment: how fast the loaded machine answers now.
        ask(port, '/api/books/1', { timeoutMs: READY_ANSWER_MS, origin }),
      ]);
      const extra = readyAnswer.at - healthAnswer.at;
      if (!found.health && healthAnswer.status === 200 && quickAnswer.status === 200 && healthAnswer.at > HEALTH_SLOW_MS && healthAnswer.at - quickAnswer.at > HEALTH_SLOW_MS) {
        found.health = `Expected GET /health to answer at once while Redis was connected but did not answer (a stalled server), but it took ${(healthAnswer.at / 1000).toFixed(1)} s, ${((healthAnswer.at - quickAnswer.at) / 1000).toFixed(1)} s longer than GET /api/books/1 asked at the same moment. Liveness must not wait on Redis, not even for a field of its answer: a probe that times out gets the process restarted. Answer /health without asking Redis.`;
      }
      if (!found.ready && readyAnswer.status === 503 && healthAnswer.status === 200 && extra > STALLED_EXTRA_MS) {
        found.ready = `Expected GET /ready to answer 503 within about half a second while Redis was connected but did not answer (a stalled server), but it took ${(readyAnswer.at / 1000).toFixed(1)} s, ${(extra / 1000).toFixed(1)} s longer than GET /health asked at the same moment. A probe gives up after a second or so: time the PING out after about 500 ms.`;
      }
    }
    await ready(
      503,
      'while Redis was connected but did not answer (a stalled server)',
      CHANGE_SEEN_MS,
      'Readiness must not trust the connection alone: a Redis that hangs leaves it open. Give the PING a timeout of half a second or so and answer 503 when it passes; an answer kept from an earlier PING (a cache, a background check run every few seconds) says 200 for as long as it is kept, so ask Redis (or refresh the answer) at least every half second.',
      true,
    );
    await health('while Redis did not answer');
    outage.resume();
    await ready(200, 'once the stalled Redis answered again', 10_000, 'Readiness must come back once Redis answers again.');
    // Redis goes away twice: an answer kept from a check run every few seconds turns 503 within the
    // window now and then by chance, seldom twice (with the stalled server before, a 5 s cache passes about one run in twenty).
    const kept = 'A 200 seconds after Redis went away is an answer kept from before (a cache, a background check run every few seconds): ask Redis (or refresh the answer) at least every half second.';
    await outage.down();
    await health('after Redis went away');
    await ready(503, 'after Redis went away', CHANGE_SEEN_MS, `${unreachable} ${kept}`);
    await outage.up();
    await ready(200, 'once Redis was back after going away', 10_000, 'Readiness must come back once Redis answers: node-redis reconnects on its own within a few seconds.');
    await outage.down();
    await ready(503, 'after Redis went away a second time', CHANGE_SEEN_MS, `${unreachable} ${kept}`);
    await health('after Redis went away, a little later');
    // The run ends as a platform ends it when it gives up waiting: SIGTERM with a report in flight, then SIGTERM again.
    found.secondSigterm = await secondSignal(server, 'SIGTERM');
    return found;
  } finally {
    await outage.close();
  }
}

/** The SIGTERM run: what it found wrong with the drain (thrown by its check), and with /health during shutdown. */
const sigtermDrain = (t: LessonKit) =>
  t.shared('09-drain-sigterm', async (): Promise<{ error?: unknown; health?: string }> => {
    const found: { health?: string } = {};
    try {
      await drain(t, 'SIGTERM', false, found);
      return found;
    } catch (error) {
      return { error, ...found };
    }
  });

/**
 * src/server.ts with a slow report in flight and an idle kept-alive connection, then `signal`: the
 * report completes with 200, /ready never answers 200 again, and the process exits 0 soon after the
 * report's answer, although the grader keeps sending requests over the connections it kept alive, as a
 * load balancer does.
 */
async function drain(t: LessonKit, signal: 'SIGTERM' | 'SIGINT', reportConnectionIdle = false, found: { health?: string } = {}): Promise<void> {
  const server = await t.server({ env: env(await (await redis(LESSON)).isolatedUrl()) });
  const { port, process: app } = server;
  const idle = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const busy = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let half: HalfSent | undefined;
  let halfWork: HalfSent | undefined;
  let halfHealth: HalfSent | undefined;
  let halfReport: HalfSent | undefined;
  try {
    const before = await ask(port, '/api/books/1', { agent: idle, timeoutMs: 5000 });
    if (before.status !== 200) fail(`Expected GET /api/books/1 to answer 200 before any signal, got ${said(before)}.`);
    // A /ready whose request is half sent at the signal and completed after it: as a request PM2's cluster hands a
    // stopping worker, it must hear 503 (or find the connection closed), whatever else closed.
    half = halfSent(port, '/ready');
    // And a request for work (GET /api/books, which asks Redis) on its way the same way: it is in flight, so it must be
    // answered 200 (a connection ended because no request had arrived on it yet, or Redis closed before the drain, loses it).
    halfWork = halfSent(port, '/api/books');
    // And a liveness probe on its way the same way: the process is alive until it exits, so it must be answered 200.
    halfHealth = halfSent(port, '/health');
    // With SIGINT a second report on its way too, which takes 2 s from the signal on: a shutdown that waits only for the
    // responses open at the signal, then ends every connection, drops it (red team 09 r6).
    halfReport = reportConnectionIdle ? halfSent(port, REPORT) : undefined;
    const origin = Date.now();
    const report = ask(port, REPORT, { agent: busy, timeoutMs: DEADLINE_MS + 5000, origin });
    // The report takes 2 s: the signal comes while it is being built.
    await sleep(700);
    if (!app.running) fail(`Expected src/server.ts to keep running, but it ${describe(app.exit!)} before the signal.`);
    const mark = app.mark;
    app.child.kill(signal);
    const signalledAt = Date.now() - origin;
    // As a load balancer does: requests keep coming over the connections kept alive from before.
    let streaming = true;
    const after: Answer[] = [];
    const stream = (async () => {
      for (let turn = 0; streaming && app.running; turn++) {
        await sleep(150);
        if (streaming && app.running) after.push(await ask(port, '/ready', { agent: turn % 2 && !reportConnectionIdle ? busy : idle, timeoutMs: 2000, origin }));
      }
    })();
    // Completed once an answer after the signal shows that the app has taken it (refused, reset or 503).
    const taken = (async () => {
      for (const by = Date.now() + 3000; !after.length && app.running && Date.now() < by; ) await sleep(50);
    })();
    const halfAnswer = taken.then(() => half!.complete(2000));
    const halfWorkAnswer = taken.then(() => halfWork!.complete(3000));
    const halfHealthAnswer = taken.then(() => halfHealth!.complete(3000));
    const halfReportAnswer = halfReport && taken.then(() => halfReport!.complete(DEADLINE_MS + 3000, true));
    // Once the app has taken the signal, a new connection must find nothing listening: server.close() stops new
    // connections (red team 09 r6: an app that never called it served one 0.5 s after the signal).
    const fresh = (async () => {
      for (const by = Date.now() + 3000; !after.some((answer) => answer.status !== 200) && app.running && Date.now() < by; ) await sleep(50);
      return app.running && after.some((answer) => answer.status !== 200) ? ask(port, '/api/books/1', { timeoutMs: 2000, origin }) : undefined;
    })();
    const exit = await exitWithin(server, DEADLINE_MS + 2000);
    const exitedAt = Date.now() - origin;
    streaming = false;
    const halfStatus = (await halfAnswer)?.status;
    const halfWorkStatus = (await halfWorkAnswer)?.status;
    const halves = [
      { path: '/ready', answer: await halfAnswer },
      { path: '/api/books', answer: await halfWorkAnswer },
      { path: '/health', answer: await halfHealthAnswer },
      ...(halfReportAnswer ? [{ path: REPORT, answer: await halfReportAnswer }] : []),
    ];
    const healthStatus = halves[2]!.answer?.status;
    if (typeof healthStatus === 'number' && healthStatus !== 200) {
      found.health = `Expected GET /health, sent over a connection opened before ${signal} and completed after it, to answer 200, got ${healthStatus}. Liveness says only that the process is alive, and it is until it exits: a liveness probe that fails during the shutdown gets the process killed before it has drained. Only /ready turns 503 when shutdown begins; /health stays 200.`;
    }
    const reportAnswer = await report;
    const lateReport = await halfReportAnswer;
    await stream;
    const freshAnswer = await fresh;
    const output = app.output(mark);

    if (reportAnswer.status !== 200 || !/revenue/.test(reportAnswer.body)) {
      fail(
        `Expected GET ${REPORT}, sent ${(signalledAt / 1000).toFixed(1)} s before ${signal}, to complete with 200 and the report, got ${said(reportAnswer)}` +
          `${exit && exitedAt < reportAnswer.at + 500 ? ` (the process ${describe(exit)} ${((exitedAt - signalledAt) / 1000).toFixed(1)} s after the signal)` : ''}. ` +
          `Requests in flight must finish: stop accepting new connections (server.close()) and let the running ones end before exiting, instead of process.exit() in the signal handler.`,
      );
    }
    if (lateReport && (lateReport.status !== 200 || !/revenue/.test(lateReport.body))) {
      fail(
        `Expected a second GET ${REPORT}, sent over a connection opened before ${signal} and completed after it (so it ends 2 s after the signal, after the report in flight), to complete with 200 and the report, got ${typeof lateReport.status === 'number' ? `${lateReport.status} ${show(lateReport.body, 80)}` : lateReport.status}. ` +
          'A request whose bytes were still arriving at the signal is in flight too: a shutdown that waits only for the responses open at the signal, then ends every connection (closeAllConnections()), drops it. Close only idle connections, and let every request that arrives on an open connection finish, with Connection: close.',
      );
    }
    if (reportConnectionIdle && reportAnswer.connection !== 'close') {
      fail(
        `Expected the answer to GET ${REPORT}, in flight at ${signal}, to carry Connection: close, got ${reportAnswer.connection ? `Connection: ${reportAnswer.connection}` : 'no Connection header (keep-alive)'}` +
          `${exit ? `; the process ${describe(exit)} ${((exitedAt - signalledAt) / 1000).toFixed(1)} s after the signal` : ''}. ` +
          'The grader leaves that connection idle after the answer, as a load balancer\'s pool does: an answer sent during shutdown without Connection: close leaves an idle kept-alive connection that holds server.close() until the deadline, and a client that reuses it races a reset (a shorter keepAliveTimeout only cuts it under the client). Set Connection: close on every answer sent after the signal.',
      );
    }
    const readyAfter = after.find((answer) => answer.status === 200);
    if (readyAfter) {
      fail(`Expected GET /ready to answer 503 (or its connection to be refused) from ${signal} on, got 200 ${((readyAfter.at - signalledAt) / 1000).toFixed(1)} s after the signal. Readiness turns 503 the moment shutdown begins, so that a load balancer stops sending traffic.`);
    }
    if (halfStatus === 200) {
      fail(
        `Expected GET /ready, sent over a connection opened before ${signal} and completed after it, to answer 503 (or its connection to be closed), got 200. Closing connections is not enough: a request already on its way (PM2's cluster hands one to a stopping worker for a moment) reaches the handler, and readiness must answer 503 from the moment shutdown begins.`,
      );
    }
    if (halfWork && halfWorkStatus !== 200) {
      fail(
        `Expected GET /api/books, sent over a connection opened before ${signal} and completed after it, to answer 200, got ${halfWorkStatus}. A request already on its way when the signal comes is in flight and must be answered. ${
          typeof halfWorkStatus === 'number'
            ? `It reached the app but failed: ${
                halfWorkStatus === 503
                  ? 'the app turned away a request it had already received (a shutdown middleware that answers 503 to everything once shutdown begins?). Only /ready answers 503 at shutdown; a request that reached the app is served as any other, with Connection: close'
                  : halfWorkStatus >= 500
                    ? 'was Redis closed before the server had drained? Close Redis only once server.close() has called back'
                    : 'it must be served as any request before the signal'
              }.`
            : 'Its connection was ended without an answer: a shutdown that ends every connection with no request in progress at the signal (as stoppable, used by @godaddy/terminus, does) also ends one whose request is only half received. Close only idle connections (server.closeIdleConnections() leaves those alone) and answer the rest with Connection: close.'
        }`,
      );
    }
    const keptAlive = halves.filter(({ answer }) => typeof answer?.status === 'number' && !answer.close);
    if (keptAlive.length) {
      fail(
        `Expected the answers to requests received after ${signal} (half sent at the signal, completed after it) to carry Connection: close, but ${keptAlive
          .map(({ path, answer }) => `GET ${path} answered ${answer!.status}`)
          .join(' and ')} without it${exit ? `; the process ${describe(exit)} ${((exitedAt - signalledAt) / 1000).toFixed(1)} s after the signal` : `; the process was still running ${((exitedAt - signalledAt) / 1000).toFixed(1)} s after it`}. ` +
          'The grader keeps those connections open afterwards, as a load balancer\'s pool does: a kept-alive connection holds server.close() until the deadline. Set Connection: close on every answer sent after the signal, those to requests that arrive after it included, not only on those in flight at it.',
      );
    }
    if (freshAnswer && typeof freshAnswer.status === 'number') {
      fail(
        `Expected a new connection, opened after ${signal} once /ready had said the app took it, to be refused, got GET /api/books/1 answered ${freshAnswer.status} over it ${(freshAnswer.at - signalledAt) / 1000 > 0 ? `${((freshAnswer.at - signalledAt) / 1000).toFixed(1)} s after the signal` : 'after the signal'}. ` +
          'The server was still accepting connections: call server.close() when shutdown begins (it stops new connections and waits for the open ones), then close the idle ones.',
      );
    }
    const servedAfter = after.filter((answer) => typeof answer.status === 'number');
    if (!exit) {
      fail(
        `Expected the process to exit within ${DEADLINE_MS / 1000} s (SHUTDOWN_TIMEOUT_MS) of ${signal}, but it was still running ${((exitedAt - signalledAt) / 1000).toFixed(1)} s after it` +
          `${servedAfter.length ? `, answering ${servedAfter.length} requests over connections kept alive from before the signal` : ''}. ` +
          'server.close() only stops new connections: kept-alive connections stay open, and so does the Redis client. Close idle connections, answer the last requests with Connection: close, close Redis, and give the whole shutdown a deadline.',
      );
    }
    if (exit.code !== 0 || exit.signal) {
      fail(`Expected the process to exit with code 0 once its requests were done, but it ${describe(exit)} ${((exitedAt - signalledAt) / 1000).toFixed(1)} s after ${signal}. Its output since the signal: ${show(output, 300)}`);
    }
    const lingered = exitedAt - Math.max(reportAnswer.at, signalledAt, lateReport ? lateReport.at - origin : 0);
    if (lingered > EXIT_AFTER_LAST_ANSWER_MS) {
      fail(
        `Expected the process to exit soon after its last in-flight request was answered, but it exited ${(lingered / 1000).toFixed(1)} s later` +
          `${servedAfter.length ? `, after answering ${servedAfter.length} more requests over connections kept alive from before the signal` : ''}. ` +
          `Something held it open: idle kept-alive connections (server.close() waits for them until their keep-alive timeout), a connection answered without Connection: close${
            reportConnectionIdle ? ` (the grader left the report's own connection idle after its answer: that answer must carry Connection: close)` : ''
          }, or the Redis client.`,
      );
    }
  } finally {
    idle.destroy();
    busy.destroy();
    half?.destroy();
    halfWork?.destroy();
    halfHealth?.destroy();
    halfReport?.destroy();
  }
}

/** What a half-sent request got: its status or what happened instead, whether it said Connection: close, its body, and when (Date.now()). */
/**
 * SIGTERM with no answer in the making, only a request on its way (half sent before, completed 0.15 s after): it is
 * in flight too, and must be answered (red team 09 r6: a shutdown that exits at once when no response is open
 * passed). A problem, or undefined.
 */
async function idleDrain(t: LessonKit): Promise<string | undefined> {
  const server = await t.server({ env: env(await (await redis(LESSON)).isolatedUrl()) });
  const { port, process: app } = server;
  const probe = halfSent(port, '/api/books/1');
  try {
    await sleep(100);
    app.stopping = true; // its exit is the drain's, judged by the other runs
    const signalledAt = Date.now();
    app.child.kill('SIGTERM');
    await sleep(150);
    const answer = await probe.complete(3000);
    if (answer.status === 200) return undefined;
    return (
      `Expected GET /api/books/1, half sent before SIGTERM and completed 0.15 s after it, with no other request in flight, to answer 200, got ${answer.status}` +
      `${app.exit ? ` (the process ${describe(app.exit)} ${((Date.now() - signalledAt) / 1000).toFixed(1)} s after the signal)` : ''}. ` +
      'A request whose bytes were still arriving at the signal is in flight too, even when no answer is in the making: a shutdown that exits at once when no response is open drops it. Close only idle connections, and let every request that arrives on an open connection finish, with Connection: close.'
    );
  } finally {
    probe.destroy();
  }
}

interface HalfAnswer {
  status: number | string;
  close: boolean;
  body: string;
  at: number;
}

interface HalfSent {
  /**
   * Sends the rest of the request: its status, or what happened to the connection instead, and whether the answer
   * carried Connection: close. The connection stays open afterwards (as a load balancer's pool keeps it) until destroy().
   */
  complete(timeoutMs: number, whole?: boolean): Promise<HalfAnswer>;
  destroy(): void;
}

/** A GET whose request line and headers are sent now, all but the blank line that ends them. */
function halfSent(port: number, path: string): HalfSent {
  const socket = net.connect(port, '127.0.0.1');
  let data = '';
  let ended: string | undefined;
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (data += chunk));
  socket.on('error', (error: NodeJS.ErrnoException) => (ended ??= error.code === 'ECONNRESET' ? 'connection reset' : (error.code ?? error.message)));
  socket.on('close', () => (ended ??= 'connection closed'));
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
  return {
    complete: (timeoutMs, whole = false) =>
      new Promise((resolve) => {
        const status = () => /^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1];
        const head = () => (data.includes('\r\n\r\n') ? data.slice(0, data.indexOf('\r\n\r\n')) : undefined);
        // With `whole`, the body too: as long as Content-Length says, or up to the last chunk.
        const bodyDone = () => {
          const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head()!)?.[1];
          const body = data.slice(data.indexOf('\r\n\r\n') + 4);
          return length === undefined ? /(^|\r\n)0\r\n\r\n$/.test(body) : Buffer.byteLength(body, 'latin1') >= Number(length);
        };
        let done = false;
        const finish = (result: number | string) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          const end = data.indexOf('\r\n\r\n');
          resolve({ status: result, close: /\r\nconnection:[ \t]*close/i.test(head() ?? data), body: end < 0 ? '' : data.slice(end + 4), at: Date.now() });
        };
        const timer = setTimeout(() => finish(status() ? Number(status()) : `no answer within ${timeoutMs / 1000} s`), timeoutMs);
        const look = () => {
          const code = status();
          if (code && ((head() !== undefined && (!whole || bodyDone())) || ended)) finish(Number(code));
          else if (ended) finish(ended);
        };
        socket.on('data', look);
        socket.on('close', look);
        if (!socket.destroyed) socket.write('\r\n', () => {});
        look();
      }),
    destroy: () => socket.destroy(),
  };
}

/**
 * A report in flight, SIGINT (Ctrl-C), then SIGTERM (the platform): exit 1 at once with a log line. The other kind of
 * signal second, so that handlers installed per signal (a once handler for each, the force-exit listener only for the
 * signal that came) are caught: the second kind runs the shutdown again and exits 0. The same signal twice is sent at
 * the end of the Redis tour. A problem, or undefined.
 */
async function forcedBySecondSignal(t: LessonKit, first: 'SIGINT', then: 'SIGTERM' | 'SIGINT'): Promise<string | undefined> {
  // Ctrl-C twice comes with Redis unreachable since the start: the app listens at once, so its signals must be
  // handled from then on (red team 09 r6: handlers installed once Redis connected left a Redis outage's SIGTERM to kill it).
  const outage = then === first ? await redisOutage(await (await redis(LESSON)).isolatedUrl()) : undefined;
  await outage?.down();
  try {
    return await secondSignalRun(t, first, then, outage ? ' (Redis unreachable since the start)' : '', outage?.url);
  } finally {
    await outage?.close();
  }
}

async function secondSignalRun(t: LessonKit, first: 'SIGINT', then: 'SIGTERM' | 'SIGINT', redisNote: string, redisUrl?: string): Promise<string | undefined> {
  const server = await t.server({ env: env(redisUrl ?? (await (await redis(LESSON)).isolatedUrl())) });
  const { port, process: app } = server;
  const origin = Date.now();
  const report = ask(port, REPORT, { timeoutMs: DEADLINE_MS + 5000, origin });
  await sleep(700);
  app.child.kill(first);
  await sleep(500);
  if (!app.running) {
    void report;
    return `Expected the process to keep running after ${first} while ${REPORT} was in flight${redisNote}, but it ${describe(app.exit!)} within 0.5 s, before the second signal.${
      app.exit!.signal ? ` No handler for ${first} was installed when it came: install the signal handlers at startup, not once Redis has connected (the app listens, and serves, before that).` : ''
    }`;
  }
  const mark = app.mark;
  const secondAt = Date.now();
  app.child.kill(then);
  const exit = await exitWithin(server, 2500);
  const took = ((Date.now() - secondAt) / 1000).toFixed(1);
  // A report the app never took (a loaded machine, slow to accept it before the first signal closed the
  // listener) leaves a shutdown with nothing to wait for, which may end before the second signal is handled.
  // So does a report answered before the second signal (a machine so loaded that the signals came late).
  if ((exit?.code === 0 && (await report).status !== 200) || origin + (await report).at <= secondAt) return undefined;
  await report;
  const second = then === first ? `a second ${then} during shutdown (Ctrl-C pressed twice)` : `a second signal of the other kind (${then} during a shutdown begun by ${first})`;
  if (!exit) return `Expected ${second} to end the process at once with code 1, but it was still running 2.5 s later. Whoever sends a second signal will not wait: exit 1 there, with a log line that says why.`;
  if (exit.signal) return `Expected ${second} to end the process with code 1, but it ${describe(exit)} ${took} s after it, with no log line: no handler for ${then} was left${then === first ? ' (process.once?)' : ''}. Keep handling both signals during shutdown, and exit 1 at the second, whichever it is.`;
  if (exit.code !== 1) {
    return `Expected ${second} to end the process at once with code 1, but it ${describe(exit)} ${took} s after it${
      exit.code === 0
        ? ': it waited for the shutdown to finish instead of giving up at the second signal (a handler per signal, once each, runs the shutdown again for the other kind). Keep one "shutting down" state for both signals: any signal that finds it set logs why and exits 1'
        : ''
    }. Whoever sends a second signal will not wait: exit 1 there, with a log line that says why.`;
  }
  await sleep(50);
  return unexplained(app.output(mark), SECOND_SIGNAL_WHY, `when ${second} forced it to exit 1`, 'after the second signal', 'Second SIGTERM during shutdown, exiting now');
  return undefined;
}

/**
 * At the end of a run that sent no signal yet: a report in flight, `signal`, then `signal` again 0.5 s later: exit 1 at
 * once with a log line. Undefined when that holds, or when the process did not outlive the first signal (the drain
 * checks judge that).
 */
async function secondSignal(server: RunningServer, signal: 'SIGTERM'): Promise<string | undefined> {
  const { port, process: app } = server;
  const origin = Date.now();
  const report = ask(port, REPORT, { timeoutMs: DEADLINE_MS + 5000, origin });
  await sleep(700);
  if (!app.running) return undefined;
  // From here the process is meant to end: its exit is judged here, not reported as an end before the check ended.
  app.stopping = true;
  app.child.kill(signal);
  await sleep(500);
  if (!app.running) {
    await report;
    return undefined;
  }
  const mark = app.mark;
  const secondAt = Date.now();
  app.child.kill(signal);
  const exit = await exitWithin(server, 2500);
  const took = ((Date.now() - secondAt) / 1000).toFixed(1);
  // As in forcedBySecondSignal: a report the app never took leaves nothing in flight to judge the second signal by.
  // So does a report answered before the second signal (a machine so loaded that the signals came late).
  if ((exit?.code === 0 && (await report).status !== 200) || origin + (await report).at <= secondAt) return undefined;
  await report;
  const second = `a second ${signal} during shutdown (a platform that gave up waiting)`;
  if (!exit) return `Expected ${second} to end the process at once with code 1, but it was still running 2.5 s later. Handle each signal the same way: a second one during shutdown, whichever it is, logs why and exits 1.`;
  if (exit.signal) return `Expected ${second} to end the process with code 1, but it ${describe(exit)} ${took} s after it, with no log line: no handler for ${signal} was left (process.once, or a 'pressed twice' count for SIGINT only?). Handle each signal the same way during shutdown, and exit 1 at the second.`;
  if (exit.code !== 1) return `Expected ${second} to end the process at once with code 1, but it ${describe(exit)} ${took} s after it. Whoever sends a second signal will not wait: exit 1 there, with a log line that says why.`;
  await sleep(50);
  return unexplained(app.output(mark), SECOND_SIGNAL_WHY, `when ${second} forced it to exit 1`, `after the second ${signal}`, 'Second SIGTERM during shutdown, exiting now');
  return undefined;
}

/**
 * src/server.ts whose Redis stops answering (connected, no reply: a failover) just before SIGTERM, with a GET /ready
 * asked into the stall first (a load balancer's probe), so that a PING is waiting for its reply: the server drains at
 * once, and a close of Redis that waits for that reply never ends. The deadline must cover the whole shutdown: the
 * process exits by then, and if it exits 1, with the deadline's log line (not a crash).
 */
async function endsWithRedisStalled(t: LessonKit): Promise<string | undefined> {
  const deadline = 1000;
  const outage = await redisOutage(await (await redis(LESSON)).isolatedUrl());
  try {
    const server = await t.server({ env: env(outage.url, { SHUTDOWN_TIMEOUT_MS: String(deadline) }) });
    const { port, process: app } = server;
    const until = Date.now() + 10_000;
    while ((await ask(port, '/ready', { timeoutMs: READY_ANSWER_MS })).status !== 200) {
      // Never ready: the Redis tour judges readiness; this run has nothing to say.
      if (Date.now() > until) return undefined;
      await sleep(200);
    }
    outage.stall();
    // A probe asked into the stall: its PING stays pending (whatever /ready answers, the Redis tour judges that).
    await ask(port, '/ready', { timeoutMs: 1500 });
    if (!app.running) return undefined;
    const mark = app.mark;
    const signalled = Date.now();
    server.process.child.kill('SIGTERM');
    // What the app writes from here on is about the deadline, not about the signal.
    let atDeadline = mark;
    void sleep(deadline * 0.7).then(() => (atDeadline = app.mark));
    const exit = await exitWithin(server, deadline + 4000);
    const when = `when Redis stopped answering (connected, no reply, as in a failover) just before SIGTERM, with a GET /ready's PING still waiting for its reply`;
    if (!exit) {
      // Judged here: its end when the relay closes is not also reported as an end before the check ended.
      app.stopping = true;
      return `Expected the process to exit by its shutdown deadline (SHUTDOWN_TIMEOUT_MS=${deadline}) ${when}, but it was still running ${(deadline + 4000) / 1000} s after the signal. Closing Redis is part of the shutdown: redis.close() waits for the replies of pending commands, so keep the deadline running until the process exits (a deadline cleared once the server has drained leaves that close holding the process for ever).`;
    }
    const took = Date.now() - signalled;
    await sleep(50);
    const output = app.output(mark);
    if (exit.code === 0 && !exit.signal) {
      // Exit 0 is a close that did not wait on the silent Redis (disconnect(), destroy()), before the deadline. Past
      // it, the deadline did not end the process with code 1 (red team 09 r6: a deadline cleared once the server had
      // drained, and one that exited 0 when no request was open, passed).
      const logged = app.output(atDeadline).trim();
      if (took < deadline + 1000 && !(took >= deadline && DEADLINE_WHY.test(logged))) return undefined;
      return `Expected the process to exit 1 at its shutdown deadline (SHUTDOWN_TIMEOUT_MS=${deadline}) ${when}, or with code 0 before it, but it exited with code 0 ${(took / 1000).toFixed(1)} s after SIGTERM${logged ? `, after writing ${show(logged, 120)}` : ''}. When the deadline passes, the shutdown did not finish in time, whether or not a request was open: exit 1, at any moment of the shutdown, closing Redis included (keep the deadline's timer running until the process exits, and give the Redis close no timer of its own).`;
    }
    const crashed = /Unhandled 'error' event|Emitted 'error' event|^\s+at .+:\d+:\d+\)?$/m.test(output);
    if (exit.code !== 1 || exit.signal || crashed) {
      return `Expected the process to exit 1 at its shutdown deadline (SHUTDOWN_TIMEOUT_MS=${deadline}) with a log line ${when}, but it ${describe(exit)}${
        crashed ? ' after a crash' : ''
      }. Its output since the signal: ${show(output, 300)}. ${
        /write after end/i.test(output) ? 'The deadline wrote to a logger already ended: close the logger last, after Redis, so that the deadline can still log. ' : ''
      }The deadline's log line and exit 1 must work at any moment of the shutdown, closing Redis included.`;
    }
    if (!app.output(atDeadline).trim()) {
      return `Expected a log line saying the shutdown deadline (SHUTDOWN_TIMEOUT_MS=${deadline}) forced the exit ${when}, got ${
        output.trim() ? 'only what the app wrote when the signal came' : 'no output after SIGTERM'
      }. The deadline must be able to log at any moment of the shutdown, closing Redis included: close the logger last (after Redis), and write the line just before exiting 1.`;
    }
    return unexplained(app.output(atDeadline), DEADLINE_WHY, `at its shutdown deadline (SHUTDOWN_TIMEOUT_MS=${deadline}) ${when}`, 'at the deadline', 'Shutdown deadline passed, exiting');
  } finally {
    await outage.close();
  }
}

/**
 * A report in flight (2 s), a request that never finishes and SHUTDOWN_TIMEOUT_MS=1000, then SIGINT (what pm2 stop and
 * pm2 reload send; the silent-Redis run sends SIGTERM): exit 1 at the deadline with a log line that says so.
 */
async function forcedByDeadline(t: LessonKit): Promise<string | undefined> {
  const deadline = 1000;
  const server = await t.server({ env: env(await (await redis(LESSON)).isolatedUrl(), { SHUTDOWN_TIMEOUT_MS: String(deadline) }) });
  const report = ask(server.port, REPORT, { timeoutMs: DEADLINE_MS + 5000 });
  // And a client whose request never finishes (its headers never end): only a timer ends the wait for it (red team
  // 09 r6: a deadline checked between the steps of the shutdown kept the process up as long as that client).
  const stuck = halfSent(server.port, '/api/books/1');
  await sleep(400);
  try {
    return await deadlineRun(server, report, deadline);
  } finally {
    stuck.destroy();
  }
}

async function deadlineRun(server: RunningServer, report: Promise<Answer>, deadline: number): Promise<string | undefined> {
  const app = server.process;
  const mark = app.mark;
  const signalled = Date.now();
  app.child.kill('SIGINT');
  // What the app writes from here on is about the deadline, not about the signal (a line such as "Shutting down").
  let atDeadline = mark;
  void sleep(deadline * 0.7).then(() => (atDeadline = app.mark));
  const exit = await exitWithin(server, deadline + 4000);
  const took = Date.now() - signalled;
  await report;
  if (!exit) {
    return `Expected the process to exit with code 1 at its shutdown deadline (SHUTDOWN_TIMEOUT_MS=${deadline}) while ${REPORT} (2 s) was still in flight and another client's request never finished (its headers never ended), but it was still running ${(took / 1000).toFixed(1)} s after SIGINT. server.close() waits for that connection as long as the client keeps it open: the deadline must be a timer started when shutdown begins, that exits 1 when it fires, not a test made between the steps of the shutdown; start it for SIGINT as for SIGTERM (pm2 stop and pm2 reload send SIGINT).`;
  }
  if (exit.code !== 1) {
    return `Expected the process to exit with code 1 at its shutdown deadline (SHUTDOWN_TIMEOUT_MS=${deadline}) while ${REPORT} (2 s) was still in flight, but it ${describe(exit)} ${(took / 1000).toFixed(1)} s after SIGINT. ${
      exit.code === 0 ? 'A shutdown that did not finish in time is not clean: read the deadline from SHUTDOWN_TIMEOUT_MS, start it for SIGINT as for SIGTERM (pm2 stop and pm2 reload send SIGINT), and exit 1 when it passes.' : ''
    }`;
  }
  if (took < deadline * 0.7) return `Expected the process to wait for its requests until the shutdown deadline (SHUTDOWN_TIMEOUT_MS=${deadline}), but it exited with code 1 ${(took / 1000).toFixed(1)} s after SIGINT.`;
  await sleep(50);
  if (!app.output(atDeadline).trim()) {
    return `Expected a log line saying the shutdown deadline (SHUTDOWN_TIMEOUT_MS=${deadline}) forced the exit, got ${
      app.output(mark).trim() ? 'only what the app wrote when the signal came' : 'no output after SIGINT'
    }: write one when the deadline passes, just before exiting 1.`;
  }
  return unexplained(app.output(atDeadline), DEADLINE_WHY, `at its shutdown deadline (SHUTDOWN_TIMEOUT_MS=${deadline})`, 'at the deadline', 'Shutdown deadline passed, exiting');
}
