import type { LessonDefinition } from './types.js';

export default {
  number: 9,
  id: '09-health-and-shutdown',
  title: 'Health, shutdown and PM2',
  part: 'Shipping it',
  summary:
    'The bookshop says it is ready while Redis is gone, and a deploy drops every request in flight: it needs a readiness endpoint, a graceful shutdown, and a process manager that reloads it without downtime.',
  edits: ['src/app.ts', 'src/server.ts', 'ecosystem.config.cjs'],
  packages: ['redis', 'close-with-grace', '@godaddy/terminus', 'http-terminator'],
  // Servers of their own side by side, and one PM2 run (start, reload, crash, stop) on a busy machine: at a load
  // average of 40 on 2 CPUs (the self-check grades 09 beside other lessons' work) the PM2 run took over 110 s.
  timeLimitMs: 180_000,
  checkTimeLimitMs: 170_000,
  waits: true,
  checks: [
    {
      id: '09.health-answers-while-alive',
      title: 'GET /health answers 200 while the process is alive, whether Redis is connected, unreachable from the start, or gone',
      points: 1,
      needs: 'redis',
      guards: 'The exercise\'s /health already answers 200 without asking Redis; a readiness fix must not move the Redis check into liveness.',
      hints: [
        'Stop Redis and curl /health: what does a platform do with an instance whose liveness probe fails?',
        'Liveness says only that the process is alive and its event loop turns. A failing liveness probe gets the process restarted: if it asks Redis, a Redis outage restarts every instance at once, and fixes nothing.',
        'In src/app.ts, GET /health must answer without awaiting Redis; the Redis question belongs to GET /ready.',
        "Keep app.get('/health', (req, res) => { res.json({ status: 'ok' }) }) as it is, and put the dependency check in /ready.",
      ],
    },
    {
      id: '09.ready-follows-redis',
      title: 'GET /ready answers 503 fast while Redis is unreachable (from the start, or after it goes away) or connected but not answering, and 200 once it answers again',
      points: 2,
      needs: 'redis',
      hints: [
        'Start the app with REDIS_URL pointing at a port where nothing listens, and curl /ready. How long does the answer take?',
        "node-redis queues commands while it is disconnected (the offline queue): a PING sent to a dead Redis waits until Redis is back, so a readiness probe that awaits it never answers. Readiness must answer fast, with 503, whenever the app cannot do its work.",
        'In src/app.ts, GET /ready awaits redis.ping() with no timeout and answers 200 whatever happens. Check redis.isReady first, and race the PING against a short timer.',
        "const ready = redis.isReady && (await Promise.race([redis.ping().then(() => true, () => false), sleep(500).then(() => false)])); res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready' });",
      ],
    },
    {
      id: '09.sigterm-finishes-in-flight-and-exits-0',
      title: 'On SIGTERM the app stops taking traffic (readiness 503, no new connections), finishes the request in flight with 200, closes kept-alive connections, and exits 0 soon after',
      points: 2,
      needs: 'redis',
      hints: [
        'Start GET /api/reports/sales (it takes 2 s), send the process SIGTERM half-way, and see what the report request gets.',
        "process.exit() ends the process at once, whatever is in flight. server.close() stops new connections and waits for the open ones: the requests in flight, but also idle kept-alive connections, which a load balancer keeps using. Mark the app not ready, close the server, close idle connections and answer the last requests with Connection: close, then close Redis and the logger, then exit 0.",
        "In src/server.ts, the SIGTERM handler calls process.exit(0) straight away. Keep a flag the app's /ready reads (createApp can take it), call server.close() and server.closeIdleConnections(), and set 'Connection: close' on responses sent after the signal.",
        "async function shutdown(signal) { lifecycle.shuttingDown = true; const closed = new Promise((resolve) => server.close(resolve)); server.closeIdleConnections(); /* Connection: close on in-flight and new responses */ await closed; await redis.close(); logger.info('Shutdown complete'); process.exit(0); }",
      ],
    },
    {
      id: '09.sigint-finishes-in-flight-and-exits-0',
      title: 'SIGINT (what PM2 and Ctrl-C send) runs the same graceful shutdown as SIGTERM',
      points: 1,
      needs: 'redis',
      hints: [
        'Run the app, start the 2-second report, and press Ctrl-C: does the report complete, and does its answer say Connection: close (curl -v)?',
        'Kubernetes and Docker send SIGTERM; PM2 and a terminal send SIGINT. Both mean "finish up and go".',
        'In src/server.ts, look at which signals lead to your shutdown function.',
        "process.on('SIGTERM', shutdown); process.on('SIGINT', shutdown);",
      ],
    },
    {
      id: '09.second-signal-or-deadline-exits-1-with-a-log-line',
      title: 'A second signal during shutdown, or the shutdown deadline (SHUTDOWN_TIMEOUT_MS) passing, ends the process with code 1 and a log line saying why',
      points: 2,
      needs: 'redis',
      hints: [
        'Start the 2-second report, send SIGTERM, then SIGINT: how does the process end? And with SHUTDOWN_TIMEOUT_MS=1000?',
        'A graceful shutdown must still end: a request that never finishes must not keep the process up for ever. Whoever sends a second signal has stopped waiting. Both end the process with code 1, which tells the platform the shutdown was not clean, and a log line says why.',
        'In src/server.ts, start a timer of config.shutdownTimeoutMs when shutdown begins (unref() it), and treat a signal that arrives while shutting down as "exit now".',
        "if (shuttingDown) { logger.error('Second signal, exiting now'); process.exit(1); } setTimeout(() => { logger.error('Shutdown deadline passed'); process.exit(1); }, config.shutdownTimeoutMs).unref();",
      ],
    },
    {
      id: '09.pm2-reload-loses-nothing',
      title: '`pm2 reload` with your ecosystem.config.cjs (2 instances in cluster mode) loses no request of a steady stream, slow reports included',
      points: 2,
      needs: 'redis',
      hints: [
        'Run npx pm2 start ecosystem.config.cjs, keep curl running in a loop, and run npx pm2 reload bookshop: do any requests fail?',
        "A zero-downtime reload needs more than one worker behind the port (cluster mode), and an old worker that finishes its requests before PM2 kills it (a graceful shutdown on SIGINT, and kill_timeout above the app's own deadline). wait_ready with process.send('ready') makes PM2 wait for the new worker to be ready, not only listening.",
        'In ecosystem.config.cjs, add exec_mode, instances, wait_ready, listen_timeout and kill_timeout; in src/server.ts, send process.send?.(\'ready\') once Redis is connected.',
        "{ name: 'bookshop', script: 'src/server.ts', interpreter: 'node', node_args: ['--import', 'tsx'], exec_mode: 'cluster', instances: 2, wait_ready: true, listen_timeout: 10000, kill_timeout: 12000 }",
      ],
    },
    {
      id: '09.pm2-replaces-a-crashed-worker',
      title: 'A worker that crashes is replaced by PM2, and requests keep succeeding meanwhile',
      points: 1,
      needs: 'redis',
      hints: [
        'Under PM2, kill one worker with kill -9 <pid> while curl runs in a loop.',
        'PM2 restarts a process that dies. With one process, every request fails until the new one is up; with two workers in cluster mode, the other keeps answering.',
        'In ecosystem.config.cjs, look at exec_mode and instances.',
        "exec_mode: 'cluster', instances: 2",
      ],
    },
    {
      id: '09.pm2-stop-is-graceful',
      title: '`pm2 stop` runs the graceful shutdown: reports in flight complete with 200 and every worker exits 0 before kill_timeout',
      points: 1,
      needs: 'redis',
      hints: [
        'Start the 2-second report under PM2 and run npx pm2 stop bookshop right away: does the report complete?',
        "PM2 stops a worker with SIGINT, then SIGKILL after kill_timeout (1.6 s by default): a shorter limit than the app's own deadline cuts its graceful shutdown short.",
        'In ecosystem.config.cjs, look at kill_timeout; in src/server.ts, at what SIGINT does.',
        'kill_timeout: 12000 (above SHUTDOWN_TIMEOUT_MS, 10 s by default), and process.on(\'SIGINT\', shutdown).',
      ],
    },
  ],
  requirements: [
    {
      text: 'Answer GET /health with 200 while the process is alive, without asking Redis: before Redis is connected, while it is unreachable and after it goes away, at once while it is connected but silent (no longer than a route that does not use Redis), and during shutdown until the process exits (a /health half received at SIGTERM is answered 200: only /ready turns 503).',
      checks: ['09.health-answers-while-alive'],
    },
    {
      text: 'Listen before Redis is connected, and answer GET /ready with 503 until Redis is connected, whenever it is unreachable and whenever it is connected but does not answer a PING within a second or so (a stalled server), with 200 once it answers again, every answer within a second or so: never wait on a dead or silent Redis.',
      checks: ['09.ready-follows-redis'],
    },
    {
      text: 'On SIGTERM and on SIGINT, answer GET /ready with 503 (or refuse its connection) from the signal on, stop accepting new connections, let requests in flight finish (a 2-second report started before the signal completes with 200, and a GET /api/books whose request was half received at the signal is answered 200; with SIGINT no answer is in the making at the signal, and a 2-second report half received then completes with 200 too), from the moment the signal comes: a new connection opened once /ready has turned 503 is refused, close idle kept-alive connections and answer the last requests with Connection: close (every answer sent from the signal on: the report in flight, and the requests received after the signal, whose connections the grader keeps open as a load balancer\'s pool does), close the Redis client once the server has drained, and exit with code 0 as soon as that is done (within 3 s of the last answer) although clients keep sending over their kept-alive connections.',
      checks: ['09.sigterm-finishes-in-flight-and-exits-0', '09.sigint-finishes-in-flight-and-exits-0'],
    },
    {
      text: 'Give the shutdown a deadline read from SHUTDOWN_TIMEOUT_MS (10 s by default), started by SIGINT as by SIGTERM and running until the process exits, closing Redis included (a Redis that stops answering at that moment, with a command waiting for its reply, must not hold the process, and the deadline\'s log line must still be written): when it passes (also when no request is open then, and when a request of some client never finishes), or when a second signal of either kind (SIGINT then SIGTERM, SIGINT twice, SIGTERM twice) arrives during shutdown, log a line saying which of the two it was (the deadline or a second signal) and exit with code 1. Handle both signals from the start, before Redis has connected.',
      checks: ['09.second-signal-or-deadline-exits-1-with-a-log-line'],
    },
    {
      text: 'Describe the app for PM2 in ecosystem.config.cjs: 2 instances in cluster mode, a kill_timeout above the shutdown deadline the workers run with (SHUTDOWN_TIMEOUT_MS in their environment, written as a string or a number, or the app\'s 10 s default when the workers have none: PM2 must never kill a worker its own deadline would have ended with a log line), and a listen_timeout of at least 5 s, above the time a worker takes to start on a slow machine (PM2 stops the old worker when it passes, listening or not), so that `pm2 reload` loses no request of a steady stream (2-second reports included), a crashed worker is replaced while the other answers, and `pm2 stop` runs the graceful shutdown (reports in flight complete, every worker exits 0 on its own once drained, none is killed with SIGKILL, and none crashes on the way: the grader reads the workers\' own output in PM2\'s log files).',
      checks: ['09.pm2-reload-loses-nothing', '09.pm2-replaces-a-crashed-worker', '09.pm2-stop-is-graceful'],
    },
  ],
  advice: [
    'Close the logger last (logger.end()) and exit once it has finished, so the last lines are not lost: the grader cannot tell a flushed logger from one that had nothing left to write.',
    'Close the Redis client before exiting (redis.close()): an app that ends with process.exit() looks the same from outside whether it did or not.',
    "Set wait_ready: true and send process.send('ready') once the app can serve (Redis connected): PM2 then keeps the old worker until the new one says so. The grader cannot see it for this app: in cluster mode a new worker gets connections as soon as it listens, ready or not, and this app's requests wait for Redis (node-redis's offline queue) rather than fail, so a reload without wait_ready loses nothing here. It matters for apps that refuse work until they are ready, or that do not listen at all.",
    'End the shutdown with process.exit(0) once everything is closed, and do not wait on Redis answering to get there (redis.close() rather than a quit that waits for a reply a gone Redis never sends): under PM2 the IPC channel keeps a worker alive, so a shutdown that relies on the event loop emptying, or waits on Redis, lingers until the deadline. The grader stops the app alone (where an empty event loop ends it too) with Redis up; under PM2 it fails a worker whose output shows a crash (a deadline writing to a logger already ended), but not one that lingered until its deadline and then exited cleanly.',
    "Make every environment of ecosystem.config.cjs safe: kill_timeout must exceed SHUTDOWN_TIMEOUT_MS in env and in every env_* block (env_production is what pm2 start --env production uses). The grader starts PM2 without --env, so it reads only the default env.",
    "Keep the app's own default deadline at config.shutdownTimeoutMs (10 s when SHUTDOWN_TIMEOUT_MS is unset) and kill_timeout above it: when the workers run without SHUTDOWN_TIMEOUT_MS the grader takes the lesson's 10 s as their deadline, and does not see a default of the app's own.",
    'Listen at once, before Redis connects, not after waiting a few seconds for it: while the app waits, /health and /ready are refused. The grader checks that both answer while Redis is unreachable from the start, but cannot tell a start that waits a few seconds for Redis from a slow start on a busy machine.',
    '/health must not ask Redis at all, not even with a short timeout or for a field of its answer: the grader compares /health with a route that does not use Redis while Redis is silent, with 300 ms of room for a busy machine, so a PING raced against a shorter timer goes unseen.',
    "Let node-redis keep reconnecting for as long as the process runs (a capped delay, never giving up): a reconnectStrategy that returns an error after a few tries leaves the app on 503 and 500 for good after an outage longer than those tries. The grader's outages last a few seconds, shorter than such a strategy's tries.",
    'The grader sends its second signals 0.5 s after the first: ignoring a duplicate that arrives within a few hundred milliseconds (a wrapper that relays Ctrl-C may send one) is your choice, and the grader cannot see it.',
    "Use instances: 2, as the lesson asks: instances: 'max' starts as many workers as the machine has cores, which is 2 on the grader's machine and may be many more on a server, and the grader cannot tell the two apart there.",
    "Leave node-redis's socketTimeout unset (or handle it): it closes a connection that has been idle that long, and the default reconnectStrategy does not reconnect after it, so a quiet minute takes the app off Redis for good. The grader never leaves Redis idle long enough to see it.",
    'In Kubernetes, map /health to the livenessProbe and /ready to the readinessProbe, and keep terminationGracePeriodSeconds above SHUTDOWN_TIMEOUT_MS, as kill_timeout is for PM2.',
  ],
} satisfies LessonDefinition;
