import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CannotJudge, CheckFailure, expectThat, fail } from '../support/expect.js';
import { busyMachine } from '../support/machine.js';
import { setCookies } from '../support/cookies.js';
import { Client, header, type RawReply, type RequestOptions, type SentRequest } from '../support/http.js';
import { lesson } from '../support/lesson.js';
import { burst, describeTimes, expectAll, retryAfterReadable, timeStatements, type SentSpec, type TimeStatement } from '../support/ratelimit.js';
import { redis, withConnection } from '../support/redis.js';
import { redisOutage } from '../support/redis-outage.js';

/**
 * A clock the grader can move ahead in the app's processes, so that a window is proven by behaviour
 * (a spent budget is not refilled before 15 minutes) without waiting 15 minutes. Loaded with
 * NODE_OPTIONS=--import, it moves every clock a limiter may read, all by the same amount: Date
 * (Date.now(), new Date(), which express-rate-limit's and rate-limiter-flexible's memory stores read),
 * the monotonic ones (performance.now(), process.hrtime() and hrtime.bigint(), process.uptime(): a
 * token bucket of one's own may refill on those), and the timers set with setTimeout/setInterval
 * (global, from node:timers or from node:timers/promises): one that would have fired within the jump fires at once, an interval
 * as many times as it missed (at most 100), the others keep their due time on the moved clock (a
 * limiter that empties its counts on a timer is judged by when it empties them). Nothing changes until
 * the grader writes the file. Each process acknowledges a new offset once its timers had a turn; the
 * file may vanish or be half written while it is read (the grader removes it once acknowledged), so
 * nothing in the timer may throw into the app.
 */
const clockShim = `
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import timers from 'node:timers';
import timersPromises from 'node:timers/promises';
import { syncBuiltinESMExports } from 'node:module';
const file = process.env.COURSE_CLOCK_FILE;
if (file) {
  let offset = 0;
  const RealDate = Date;
  const realNow = performance.now.bind(performance);
  const { hrtime, uptime } = process;
  const { setTimeout: realSetTimeout, setInterval: realSetInterval } = timers;
  const now = () => realNow() + offset;
  const ns = () => hrtime.bigint() + BigInt(Math.round(offset * 1e6));
  globalThis.Date = new Proxy(RealDate, {
    construct: (target, args, newTarget) => Reflect.construct(target, args.length ? args : [RealDate.now() + offset], newTarget),
    apply: () => new RealDate(RealDate.now() + offset).toString(),
    get: (target, property, receiver) => (property === 'now' ? () => RealDate.now() + offset : Reflect.get(target, property, receiver)),
  });
  performance.now = now;
  process.hrtime = Object.assign(
    function hrtimeMoved(previous) {
      const time = Array.isArray(previous) ? ns() - BigInt(previous[0]) * 1000000000n - BigInt(previous[1]) : ns();
      return [Number(time / 1000000000n), Number(time % 1000000000n)];
    },
    { bigint: ns },
  );
  process.uptime = () => uptime() + offset / 1000;
  const pending = new Map();
  const track = (make, repeat) =>
    Object.defineProperties(function (callback, ms, ...args) {
      if (typeof callback !== 'function') return make(callback, ms, ...args);
      const period = ms >= 1 && ms <= 2147483647 ? Number(ms) : 1;
      const entry = { due: now() + period, missed: 0 };
      const timer = make(function (...given) {
        const calls = entry.missed + 1;
        entry.missed = 0;
        if (repeat) entry.due = now() + period;
        else pending.delete(timer);
        for (let call = 0; call < calls; call++) callback.apply(this, given);
      }, ms, ...args);
      pending.set(timer, entry);
      return timer;
    }, Object.getOwnPropertyDescriptors(make));
  const untrack = (clear) =>
    Object.defineProperties(function (timer) {
      if (timer && typeof timer === 'object') pending.delete(timer);
      return clear(timer);
    }, Object.getOwnPropertyDescriptors(clear));
  const moved = {
    setTimeout: track(timers.setTimeout, false),
    setInterval: track(timers.setInterval, true),
    clearTimeout: untrack(timers.clearTimeout),
    clearInterval: untrack(timers.clearInterval),
  };
  Object.assign(globalThis, moved);
  Object.assign(timers, moved);
  // node:timers/promises on the moved timers: a sweep with \`for await (const _ of setInterval(ms))\` too.
  const aborted = (signal) => Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR', cause: signal.reason });
  const sleep = (ms, value, { signal, ref = true } = {}) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(aborted(signal));
      const onAbort = () => {
        moved.clearTimeout(timer);
        reject(aborted(signal));
      };
      const timer = moved.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      }, ms);
      if (!ref) timer.unref();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  async function* every(ms, value, { signal, ref = true } = {}) {
    if (signal?.aborted) throw aborted(signal);
    let ticks = 0;
    let wake = () => {};
    const timer = moved.setInterval(() => {
      ticks++;
      wake();
    }, ms);
    if (!ref) timer.unref();
    const onAbort = () => wake();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        if (ticks === 0) await new Promise((resolve) => (wake = resolve));
        if (signal?.aborted) throw aborted(signal);
        ticks--;
        yield value;
      }
    } finally {
      moved.clearInterval(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }
  Object.assign(timersPromises, { setTimeout: sleep, setInterval: every });
  if (timersPromises.scheduler) timersPromises.scheduler.wait = (ms, options) => sleep(ms, undefined, options);
  syncBuiltinESMExports();
  const moveTimers = () => {
    for (const [timer, entry] of pending) {
      if (timer._destroyed || timer._idleTimeout < 0) {
        pending.delete(timer);
        continue;
      }
      const left = entry.due - now();
      if (timer._repeat && left < 0) entry.missed = Math.min(100, Math.floor(-left / timer._repeat));
      timer._idleTimeout = Math.max(1, Math.ceil(left));
      timer.refresh();
    }
  };
  // "<ms>" moves the clock there at once; "<ms>/<step>" walks there in steps of <step> ms, 5 ms apart,
  // so that each step fires what came due in it (a reconnect waiting a few seconds fires at every step).
  let walking = false;
  realSetInterval(() => {
    try {
      if (walking || !existsSync(file)) return;
      const text = readFileSync(file, 'utf8');
      const [ahead, step] = text.split('/').map(Number);
      if (!text || !Number.isFinite(ahead) || ahead === offset) return;
      const ack = () =>
        realSetTimeout(() => {
          try {
            writeFileSync(file + '.ack-' + process.pid, text);
          } catch {}
        }, 10);
      if (step > 0 && ahead > offset) {
        walking = true;
        const walk = () => {
          try {
            offset = Math.min(ahead, offset + step);
            moveTimers();
          } catch {}
          if (offset < ahead) realSetTimeout(walk, 5);
          else {
            walking = false;
            ack();
          }
        };
        return walk();
      }
      const forward = ahead > offset;
      offset = ahead;
      if (forward) moveTimers();
      ack();
    } catch {}
  }, 20).unref();
}
`;

function movableClock(name: string) {
  const file = path.join(tmpdir(), `course-04-clock-${process.pid}-${randomBytes(6).toString('hex')}-${name}`);
  const acks = () => readdirSync(path.dirname(file)).filter((entry) => entry.startsWith(`${path.basename(file)}.ack-`));
  return {
    env: { COURSE_CLOCK_FILE: file, NODE_OPTIONS: `--import data:text/javascript,${encodeURIComponent(clockShim)}` },
    /**
     * Moves the clock of every process started with `env` `ms` ahead and waits until `processes` of them took it.
     * With `walk`, each process walks there from where its clock stands in steps of `walk.step` ms (5 ms apart);
     * the wait ends early, without an error, once `walk.alive()` says the process is gone.
     */
    async moveAhead(ms: number, processes: number, walk?: { step: number; alive: () => boolean }): Promise<void> {
      const text = walk ? `${ms}/${walk.step}` : String(ms);
      writeFileSync(file, text);
      const limit = walk ? 15_000 : 3000;
      try {
        for (const until = Date.now() + limit; Date.now() < until; await new Promise((resolve) => setTimeout(resolve, 20))) {
          if (walk && !walk.alive()) return;
          const taken = acks().filter((ack) => readFileSync(path.join(path.dirname(file), ack), 'utf8') === text);
          if (taken.length >= processes) return;
        }
        throw new CannotJudge(`The grader could not move the clock of your app's processes ahead (${acks().length} of ${processes} answered within ${limit / 1000} s).`);
      } finally {
        for (const leftover of [file, ...acks().map((ack) => path.join(path.dirname(file), ack))]) if (existsSync(leftover)) rmSync(leftover, { force: true });
      }
    },
  };
}

/** The grader's preload for app processes (grader/support/app-preload.cjs): os.hostname() answers COURSE_HOSTNAME. */
const APP_PRELOAD = fileURLToPath(new URL('../support/app-preload.cjs', import.meta.url));
/**
 * The instance ids platforms and process managers set, each different on every instance (Heroku, pm2,
 * Fly, Cloud Run, Render, Kubernetes, containers): a key prefix made of any of them splits the counts
 * as a host name does.
 */
const instanceIds = (n: number): Record<string, string> => ({
  DYNO: `web.${n}`,
  HEROKU_DYNO_ID: `6f1c0d2e-0000-4000-8000-00000000000${n}`,
  NODE_APP_INSTANCE: String(n - 1),
  pm_id: String(n - 1),
  INSTANCE_ID: `instance-${n}`,
  FLY_ALLOC_ID: `alloc-${n}-4a2f9c`,
  FLY_MACHINE_ID: `machine-${n}-1d8e`,
  K_REVISION: `shop-0000${n}-rev`,
  RENDER_INSTANCE_ID: `srv-shop-${n}-inst`,
  POD_NAME: `shop-web-pod-${n}`,
  CONTAINER_ID: `container-${n}-b7e1`,
  WEBSITE_INSTANCE_ID: `site-instance-${n}`,
});
/** The instance ids that only one process of the two was given, as they would appear in a key. */
const instanceMarks = [1, 2].flatMap((n) => Object.values(instanceIds(n)).filter((value) => value.length > 2));
/**
 * A process told it runs on a machine of its own, instance `n` of the shop: HOSTNAME in its environment,
 * os.hostname() through the preload, and every instance id a platform sets.
 */
const onHost = (name: string, n: number, nodeOptions = '') => ({
  ...instanceIds(n),
  HOSTNAME: name,
  COURSE_HOSTNAME: name,
  NODE_OPTIONS: `${nodeOptions} --require ${JSON.stringify(APP_PRELOAD)}`.trim(),
});

/**
 * This machine's first address that is not loopback, if it has one: a proxy on another machine reaches
 * the app from such an address, so `trust proxy 'loopback'` (a proxy on this machine only) can be told
 * from counting one hop.
 */
const lanAddress = Object.values(networkInterfaces())
  .flat()
  .find((entry) => entry?.family === 'IPv4' && !entry.internal)?.address;

/** A client of a started server that reaches it over `lanAddress` (over loopback when the machine has no other address). */
function overLan(client: Client): Client {
  if (!lanAddress) return client;
  const url = new URL(client.baseUrl);
  url.hostname = lanAddress;
  return new Client(url.origin, []);
}

/** How far ahead the grader moves the clock after a budget is spent: the budget must still be spent. */
const LATER_MS = 14 * 60 * 1000;
/**
 * How long after a budget was spent the grader asks again, the window over: 15 minutes and 30 s. The
 * requests 14 minutes in came in the middle of the window, and must not have moved its end.
 */
const WINDOW_OVER_MS = 15.5 * 60 * 1000;
/** How many requests the per-account probe sends for each address: past the per-account limits the text allows (10 failed logins, 3 reset mails). */
const ACCOUNT_PROBES = 12;
/** How far the per-account probe moves the app's clock before the customer logs in again: any limit per account is over by then. */
const DAY_MS = 24 * 60 * 60 * 1000;
/** The most a 429 14 minutes into a 15-minute window may tell a client to wait: the minute left, and a few seconds. */
const LATE_RETRY_AFTER_S = 65;
/** How long after the app started (by its clock) the shared run spends its budgets. */
const SPEND_AT_MS = 10 * 60 * 1000;

/** The cause of one bucket for every client, when express-rate-limit reported it. */
const UNTRUSTED_PROXY =
  "Every client shares one bucket: trust proxy is not set on the app createApp() returns (express-rate-limit printed ERR_ERL_UNEXPECTED_X_FORWARDED_FOR: " +
  "the requests carry X-Forwarded-For, yet req.ip is the proxy's address for all of them). Set app.set('trust proxy', 1) inside createApp(): " +
  'the grader, like your own tests, builds the app from createApp(), and src/server.ts only starts it.';

/** The demo account from the lesson text. */
const account = { email: 'demo@bookshop.test', password: 'correct-horse-battery-staple' };

/**
 * Every check (or the one run that the checks judging a spent budget share) speaks for clients of its
 * own (documentation addresses, RFC 5737), so a learner whose limiters live at module level is still
 * judged on behaviour, not on what an earlier check left behind.
 */
const from = (forwardedFor: string) => ({ 'X-Forwarded-For': forwardedFor });

/** Both API routes, so a limit on GET /api/books alone is not enough. */
const apiPath = (index: number) => (index % 2 ? `/api/books/${1 + (index % 3)}` : '/api/books');

/** Addresses from a leaked list: what credential stuffing and a reset-mail flood cycle through. */
const listed = (index: number) => `customer-${index + 1}@example.com`;

/**
 * A reset address no request of the grader used before: a per-address reset limit on top of the
 * per-client one (allowed by the text) must never be what refuses a reset the checks expect to pass.
 */
let mailed = 0;
const freshAddress = () => `reader-${process.pid}-${++mailed}@example.com`;

function loginAs(app: Client, forwardedFor: string, password: string, path = '/login', email = account.email): Promise<RawReply> {
  return app.raw('POST', path, { headers: from(forwardedFor), body: { email, password } });
}

/**
 * A path with a query string no limiter should care about (a link's campaign tag): Express routes it to
 * the handler of the path alone, so it spends the same budget.
 */
const pathWithQuery = (path: string) => `${path}?ref=newsletter`;

function askReset(app: Client, forwardedFor: string, email = freshAddress()): Promise<RawReply> {
  return app.raw('POST', '/password-reset', { headers: from(forwardedFor), body: { email } });
}

/** A budget being spent: the requests it allows, and the one after them. */
interface Spent {
  burst: RawReply[];
  over: RawReply;
}

/**
 * Five wrong passwords for `email`, then a sixth attempt on the same account (the right password for
 * the demo account, another guess for any other).
 */
async function spendLogin(app: Client, forwardedFor: string, email = account.email): Promise<Spent> {
  const burstReplies = await burst(app, 5, (index) => ({
    method: 'POST',
    path: '/login',
    options: { headers: from(forwardedFor), body: { email, password: `guess-${index + 1}` } },
  }));
  return { burst: burstReplies, over: await loginAs(app, forwardedFor, email === account.email ? account.password : 'guess-6', '/login', email) };
}

/** Five password-reset requests, then one more, each for another address. */
async function spendReset(app: Client, forwardedFor: string, email: (index: number) => string = () => freshAddress()): Promise<Spent> {
  const burstReplies = await burst(app, 5, (index) => ({ method: 'POST', path: '/password-reset', options: { headers: from(forwardedFor), body: { email: email(index) } } }));
  return { burst: burstReplies, over: await askReset(app, forwardedFor, email(5)) };
}

/**
 * The API requests that spend a budget: every 10th asks for a book that does not exist (404), so a
 * limiter that leaves failed requests uncounted (skipFailedRequests) lets ids be scanned without end.
 */
const missingBook = (index: number) => (index % 10 === 9 ? `/api/books/9${index}` : undefined);

/**
 * Which of the API requests repeat GET /api/books as a cache does: conditional (If-None-Match with the
 * ETag the app sent), so the app answers 304. A 304 is an answer too: a limiter that counts only 200s
 * (or leaves 304s out, "conditional requests are free") lets a client poll without end.
 */
const conditional = (index: number) => index % 10 === 2 || index % 10 === 6;
const isConditional = (reply: RawReply) => Object.keys(reply.request.headers).some((name) => name.toLowerCase() === 'if-none-match');

/** 100 API requests (10 of them 404s, about 20 conditional ones answered 304 when the app sends an ETag), then one more. */
async function spendApi(app: Client, forwardedFor: string): Promise<Spent> {
  // The first alone: its ETag is what the conditional ones send back.
  const first = await app.raw('GET', apiPath(0), { headers: from(forwardedFor) });
  const etag = header(first, 'etag');
  const rest = await burst(app, 99, (at) => {
    const index = at + 1;
    const validator: Record<string, string> = etag && conditional(index) ? { 'If-None-Match': etag } : {};
    return { method: 'GET', path: missingBook(index) ?? apiPath(index), options: { headers: { ...from(forwardedFor), ...validator } } };
  });
  return { burst: [first, ...rest], over: await app.raw('GET', apiPath(100), { headers: from(forwardedFor) }) };
}

/*
 * `shared`, in the three below: why a budget was refused too early when every client shares one bucket,
 * if the app's output says so (the lesson reads it: each folder graded has output of its own).
 */

/** The five failed logins must each answer 401; returns the sixth reply. */
function loginSpentBy({ burst: replies, over }: Spent, shared?: string): RawReply {
  expectAll(replies, 401, '5 failed logins from one client', shared ?? 'The limit is 5 attempts per 15 minutes, not fewer.');
  return over;
}

/** The five password-reset requests must each answer 200; returns the sixth reply. */
function resetSpentBy({ burst: replies, over }: Spent, shared?: string): RawReply {
  expectAll(replies, 200, '5 password-reset requests from one client, each for another address', shared ?? 'The per-client limit is 5 requests per 15 minutes, not fewer.');
  return over;
}

/** The 100 API requests must each answer 200 (404 for a missing book); returns the 101st reply. */
function apiSpentBy({ burst: replies, over }: Spent, shared?: string): RawReply {
  const index = replies.findIndex((reply, at) => reply.status !== (missingBook(at) ? 404 : 200) && !(isConditional(reply) && reply.status === 304));
  if (index >= 0) {
    const reply = replies[index]!;
    fail(
      `Expected the first 100 API requests from one client to answer 200 (404 for the books that do not exist, 304 for the conditional ones), got ${reply.status} on request ${index + 1} of 100 (${reply.request.method} ${reply.request.path}).` +
        (reply.status === 429 ? ` ${shared ?? 'The API allows 100 requests per 15 minutes per client (express-rate-limit on its own allows 5 per minute).'}` : ''),
    );
  }
  return over;
}

const bruteForceBy = async (app: Client, forwardedFor: string, email = account.email, shared?: () => string | undefined) =>
  loginSpentBy(await spendLogin(app, forwardedFor, email), shared?.());
const exhaustResetBy = async (app: Client, forwardedFor: string, email?: (index: number) => string, shared?: () => string | undefined) =>
  resetSpentBy(await spendReset(app, forwardedFor, email), shared?.());

/**
 * Runs independent request sequences (from different clients) at the same time, then reports their
 * outcomes in the order given: the first failure in that order, whichever happened first.
 */
async function inOrder<T extends unknown[]>(runs: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(runs);
  for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
  return settled.map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value) as T;
}

/** Like burst(), with request `index` sent to `servers[index % servers.length]`: one client spread over processes. */
async function spread(servers: Client[], count: number, spec: (index: number) => SentSpec): Promise<RawReply[]> {
  const replies: RawReply[] = [];
  for (let start = 0; start < count; start += 10) {
    const batch = Array.from({ length: Math.min(10, count - start) }, (_, offset) => {
      const { method, path, options } = spec(start + offset);
      return servers[(start + offset) % servers.length]!.raw(method, path, options);
    });
    replies.push(...(await Promise.all(batch)));
  }
  return replies;
}

/** How many requests the limiter says are left, from the headers of any draft or the legacy ones. */
function remaining(reply: RawReply): number | undefined {
  const plain = header(reply, 'ratelimit-remaining') ?? header(reply, 'x-ratelimit-remaining');
  const structured = /(?:^|[;,\s])(?:r|remaining)\s*=\s*(\d+)/i.exec(header(reply, 'ratelimit') ?? '')?.[1];
  const value = Number(plain ?? structured);
  return (plain ?? structured) !== undefined && Number.isFinite(value) ? value : undefined;
}

/** The headers a limiter adds to what it counts (express-rate-limit's drafts 6, 7 and 8 and its legacy ones, rate-limiter-flexible's examples). */
const LIMIT_HEADERS = ['ratelimit', 'ratelimit-policy', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'retry-after'];

function expectLimited(reply: RawReply, after: string, advice: string): void {
  const { method, path } = reply.request;
  expectThat(reply.status === 429, `Expected ${method} ${path} to answer 429 after ${after}, got ${reply.status}. ${advice}`.trim());
}

/**
 * A burst sent at once by one client: at most the budget (5) may get past the limiter, the rest answer 429.
 * `show` gives the report's curl line: the first request past the budget that got through.
 */
function expectRushHeld(replies: RawReply[], what: string, show: (reply: RawReply) => void, where = ''): void {
  const through = replies.filter((reply) => reply.status !== 429);
  if (through.length <= 5) return;
  show(through[5]!);
  const answered = [...new Set(through.map((reply) => reply.status))].join('/');
  fail(
    `Expected at most 5 of ${replies.length} ${what} sent at once from one client${where} to get past the limiter (the rest answered 429), ${through.length} got through (answered ${answered}): ` +
      'the count must be taken atomically as the request arrives (a store or code that reads, then writes later, loses counts). ' +
      "Reading the count first (get()) and counting the request only once it has answered (consume() after a 401, on 'finish') lets every request of a burst read the same count, " +
      'and so does a store that reads a key, adds one and writes it back (GET, then SET). Count each request as it arrives, before the route runs, in one step: ' +
      "express-rate-limit does, rate-limiter-flexible's consume() in front of the route does, and in Redis INCR (or a script) does.",
  );
}

const inRange = (seconds: number) => seconds >= 14 * 60 && seconds <= 15 * 60 + 1;

/** The 429 must point about 15 minutes ahead, in whichever header format the limiter speaks. */
function expectFifteenMinutes(reply: RawReply, appAheadMs = 0): void {
  const where = `the 429 from ${reply.request.method} ${reply.request.path}`;
  // Dates and Unix times are read against the app's clock, which the grader moved `appAheadMs` ahead
  // (Node writes the Date header from a clock of its own, not the moved one).
  const statements = timeStatements(reply, Date.now() + appAheadMs);
  // A Retry-After in neither of its two forms is ignored by HTTP clients, whatever Date.parse() makes of it.
  const written = header(reply, 'retry-after');
  if (written !== undefined && !retryAfterReadable(written)) {
    fail(
      `Expected ${where} to carry Retry-After as a number of seconds (900) or an HTTP-date (IMF-fixdate: Mon, 07 Dec 2026 03:19:06 GMT), got Retry-After: ${written}. ` +
        'Clients read only those two forms (RFC 9110) and ignore anything else, an ISO 8601 time (toISOString()) or a date with an offset (+0000) included: write the seconds, Math.ceil((resetTime - Date.now()) / 1000), ' +
        "an HTTP-date with toUTCString(), or leave the header to the limiter.",
    );
  }
  if (statements.length === 0) {
    fail(`Expected ${where} to say when the client may come back (Retry-After, RateLimit-* or X-RateLimit-Reset), got none of those headers.`);
  }
  // Retry-After is what clients obey, so it decides when present.
  const retryAfter = statements.filter((statement) => statement.header === 'retry-after');
  const judged = retryAfter.length > 0 ? retryAfter : statements;
  if (judged.some((statement) => inRange(statement.seconds))) return;
  fail(`Expected ${where} to point about 15 minutes ahead (900 seconds), got ${describeTimes(judged)}. ${windowCause(retryAfter[0], statements)}`);
}

/** Why the time a 429 states is wrong, as far as its headers tell: the window, or the unit of Retry-After. */
function windowCause(retryAfter: TimeStatement | undefined, statements: TimeStatement[]): string {
  const window = 'windowMs counts milliseconds: 15 minutes is 15 * 60 * 1000.';
  if (!retryAfter) return window;
  const others = statements.filter((statement) => statement.header !== 'retry-after');
  const limiterRight = others.some((statement) => inRange(statement.seconds));
  // Every header agrees on an early reset while the policy states a 15-minute window: the window is
  // right but the counts go early, as with one reset tick for every client since startup.
  const waits = others.filter((statement) => statement.meaning === 'wait');
  const windowRight = others.some((statement) => statement.meaning === 'window' && inRange(statement.seconds));
  if (windowRight && waits.length > 0 && waits.every((statement) => Math.abs(statement.seconds - retryAfter.seconds) <= 2) && retryAfter.seconds < 14 * 60) {
    return (
      `Your limiter states a 15-minute window, yet says this client's budget comes back in ${retryAfter.seconds} s, though it was spent just now: ` +
      "its counts end before the client's 15 minutes are up. A store that empties every count at once on one timer (setInterval(windowMs) since startup) hands every client a fresh budget at each tick, " +
      "however recently it spent it. Give each client a reset time of its own, 15 minutes after its first request (express-rate-limit's own stores do)."
    );
  }
  // The limiter's own headers state the same wrong time: the window is what is wrong.
  if (others.length > 0 && !limiterRight) return window;
  const seconds = retryAfter.seconds;
  const unit = inRange(seconds * 60) ? 'minutes' : inRange(seconds / 1000) ? 'milliseconds' : undefined;
  const fix = 'Whatever sets Retry-After (a handler of your own?) must give seconds, Math.ceil((req.rateLimit.resetTime.getTime() - Date.now()) / 1000), or leave it to the limiter.';
  if (limiterRight) {
    const says = `while ${describeTimes(others)} from the limiter says 15 minutes`;
    return unit
      ? `Retry-After counts seconds, so ${seconds} looks written in ${unit}, ${says}. ${fix}`
      : `Retry-After disagrees with the limiter, ${says}. ${fix}`;
  }
  if (!unit) return window;
  return `Retry-After counts seconds: either the window is ${seconds} seconds (${window.replace(/\.$/, '')}), or Retry-After was written in ${unit}. ${fix}`;
}

/**
 * Requests sent again after the clock moved 14 minutes ahead, each by a client whose budget was spent
 * (`first` is the 429 it got then): each must still answer 429, whatever the 429 claimed.
 */
function expectStillLimited(probes: { reply: RawReply; first: RawReply }[], how: string, show: (reply: RawReply) => void): void {
  for (const { reply, first } of probes) {
    // The report's curl line gives the request that was let through, not the last one sent.
    if (reply.status !== 429) show(reply);
    const { method, path: where } = reply.request;
    const claimed = header(first, 'retry-after');
    expectThat(
      reply.status === 429,
      `Expected ${method} ${where}, from the client that had spent its budget, to still answer 429 14 minutes later (${how}), got ${reply.status}: ` +
        `the limiter forgot the spent budget before its 15 minutes were over${claimed ? `, though its 429 said Retry-After: ${claimed}` : ''}. ` +
        'A header states the window; only what counts the requests makes it last: windowMs (express-rate-limit, milliseconds: 15 * 60 * 1000), duration (rate-limiter-flexible, seconds: 15 * 60), ' +
        'or, in a limiter of your own, how soon it refills or forgets a count (the grader moved every clock your app can read: Date, performance.now(), process.hrtime(), and its timers). ' +
        'Look at the window of the limiter in front of this route, not at what its 429 says.',
    );
  }
}

/**
 * Why a probe after a spent budget was let through when a plain request from the same client, sent
 * after the probes, was let through too: the budget came back within seconds (the window), not the probe.
 */
function refilled(run: SpentBudgets, kind: 'api' | 'login' | 'reset'): string | undefined {
  const reply = run.again[kind];
  if (reply.status === 429) return undefined;
  return (
    `Yet a plain ${reply.request.method} ${reply.request.path} from a client that had spent its budget at the same time, sent right after, got ${reply.status} too: the spent budget came back within seconds, ` +
    'so what let this request through is the window, far shorter than 15 minutes, not what the request sent (windowMs counts milliseconds: 15 * 60 * 1000); see 04.limits-use-a-15-minute-window.'
  );
}

/**
 * Headers any client can write, each a way a skip rule or key might be fooled. `appCookies` are the
 * cookies the app itself set at a successful login (Cookie header form): a client keeps and replays them.
 */
function clientWrittenHeaders(appCookies: string | undefined, appOrigin: string): { what: string; headers: Record<string, string>; query?: string; body?: Record<string, unknown> }[] {
  const made = () => randomBytes(12).toString('hex');
  // Nobody can guess every name a skip rule may read: each probe carries a family of names (ids a partner,
  // tenant or client sends; a captcha, a "resend", a "remember me" in the body; a page of the shop on
  // another host in Referer), so that the common ones are met without a request of their own.
  return [
    // Whole families at once, each value new: a key or skip that reads any one of them is a bucket (or a
    // pass) the client chooses. A browser writes these too, but so does any script, with any value.
    {
      what: 'a prefetch or preview hint',
      headers: {
        'Sec-Purpose': 'prefetch;prerender',
        Purpose: 'prefetch',
        'X-Moz': 'prefetch',
        'X-Purpose': 'preview',
        'Sec-Fetch-Dest': 'empty',
        'Sec-Fetch-Mode': 'no-cors',
        'Sec-Fetch-Site': 'same-origin',
        // A page of the app itself, at the address the request went to: a same-origin test on Referer.
        Referer: `${appOrigin}/books`,
      },
    },
    {
      what: 'browser preferences it made up',
      headers: {
        'Accept-Language': `x-${made().slice(0, 8)}`,
        'User-Agent': `Mozilla/5.0 (${made()})`,
        'Sec-CH-UA': `"${made()}";v="1"`,
        'Sec-CH-UA-Platform': `"${made().slice(0, 6)}"`,
        DNT: '1',
        'Sec-GPC': '1',
        'Save-Data': 'on',
        'Cache-Control': 'no-cache',
        Pragma: 'no-cache',
        'Accept-Encoding': `${made().slice(0, 6)}, identity`,
        // The shop's pages on a public host (its production domain is nobody's secret).
        Origin: 'https://bookshop.example',
        Referer: 'https://bookshop.example/books',
      },
    },
    {
      what: 'ids it made up',
      headers: {
        'X-Device-Id': made(),
        'X-Client-Id': made(),
        'X-Request-Id': made(),
        'X-Correlation-Id': made(),
        'X-Session-Id': made(),
        'X-Fingerprint': made(),
        'If-None-Match': `"${made()}"`,
        'CF-IPCountry': 'XX',
        'X-Partner-Id': made(),
        'X-Partner-Key': made(),
        'X-Tenant-Id': made(),
        'X-Tenant': made(),
        'X-Client-Name': made(),
        'X-Client-Version': `9.${made().slice(0, 4)}`,
        'X-App-Id': made(),
        'X-Org-Id': made(),
        'X-Account-Id': made(),
        'X-User-Id': made(),
        'X-Customer-Id': made(),
        Referer: 'https://www.bookshop.example/',
      },
    },
    // The JSON body is the client's too: a field no route reads, with a new value.
    {
      what: 'body fields it made up',
      headers: {},
      body: {
        deviceId: made(),
        device_id: made(),
        clientId: made(),
        fingerprint: made(),
        locale: `x-${made().slice(0, 6)}`,
        // A captcha nobody verified, flags a page of the shop might send: true or a new value each.
        captcha: made(),
        captchaToken: made(),
        'g-recaptcha-response': made(),
        'h-captcha-response': made(),
        'cf-turnstile-response': made(),
        token: made(),
        resend: true,
        remember: true,
        rememberMe: true,
        trusted: true,
        trustedDevice: true,
        bypass: true,
        debug: true,
        internal: true,
      },
    },
    ...(appCookies ? [{ what: 'the cookies your app set at a successful login', headers: { Cookie: appCookies } }] : []),
    { what: "the shop's own Origin", headers: { Origin: 'https://bookshop.test', Referer: 'https://bookshop.test/' } },
    { what: 'another Host', headers: { Host: 'bookshop.internal' } },
    { what: 'another X-Forwarded-Host', headers: { 'X-Forwarded-Host': 'bookshop.internal' } },
    { what: 'another address in Forwarded (RFC 7239)', headers: { Forwarded: 'for=198.51.100.35;proto=https' } },
    { what: 'an Authorization header it made up', headers: { Authorization: `Bearer ${made()}` } },
    { what: 'Basic credentials it made up', headers: { Authorization: `Basic ${Buffer.from(`${account.email}:${made()}`).toString('base64')}` } },
    { what: 'a session cookie it made up', headers: { Cookie: `connect.sid=s%3A${made()}; session=${made()}` } },
    { what: 'an API key it made up', headers: { 'X-API-Key': made(), 'X-Auth-Token': made() } },
    { what: "a Kubernetes probe's User-Agent", headers: { 'User-Agent': 'kube-probe/1.31' } },
    { what: "a load balancer's User-Agent", headers: { 'User-Agent': 'ELB-HealthChecker/2.0' } },
    { what: "Googlebot's User-Agent", headers: { 'User-Agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' } },
    { what: 'another address in X-Real-IP', headers: { 'X-Real-IP': '198.51.100.31' } },
    { what: 'another address in X-Client-IP', headers: { 'X-Client-IP': '198.51.100.32' } },
    // The client-address headers of CDNs and hosting platforms ride together: behind this shop's one proxy
    // none of them is written by anyone but the client.
    {
      what: 'another address in True-Client-IP and the other client-address headers of CDNs and platforms',
      headers: {
        'True-Client-IP': '198.51.100.33',
        'Fly-Client-IP': '198.51.100.36',
        'Fastly-Client-IP': '198.51.100.37',
        'X-Cluster-Client-IP': '198.51.100.38',
        'X-Envoy-External-Address': '198.51.100.39',
        'X-Azure-ClientIP': '198.51.100.40',
        'X-Appengine-User-IP': '198.51.100.41',
        'Akamai-Client-IP': '198.51.100.42',
        'X-Original-Forwarded-For': '198.51.100.43',
        'Forwarded-For': '198.51.100.44',
        'X-Forwarded': 'for=198.51.100.45',
      },
    },
    { what: 'another address in CF-Connecting-IP', headers: { 'CF-Connecting-IP': '198.51.100.34' } },
    { what: 'Host: localhost', headers: { Host: 'localhost' } },
    { what: "the shop's own Origin and Referer", headers: { Origin: 'http://localhost:3000', Referer: 'http://localhost:3000/', 'X-Requested-With': 'XMLHttpRequest' } },
    { what: 'query parameters it made up', headers: {}, query: `?api_key=${made()}&apiKey=${made()}&token=${made()}&internal=true` },
    // Red team 04 r10: a skip unless Content-Type is exactly application/json, a key with the Accept type or with
    // req.protocol (which reads X-Forwarded-Proto once the proxy is trusted), a skip when email is not a string.
    { what: 'a Content-Type with a charset and an Accept type it made up', headers: { 'Content-Type': 'application/json; charset=utf-8', Accept: `application/vnd.x-${made().slice(0, 6)}+json` } },
    { what: 'another X-Forwarded-Proto and X-Forwarded-Port', headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Port': '443' } },
    { what: 'the email as a one-item list', headers: {}, body: { email: [account.email] } },
  ];
}

/** A client at a private address that reads the API past its budget (04.clients-have-separate-buckets). */
const INTERNAL_READER = '10.9.8.7';
/** The clients that spend the three budgets of the shared run. */
const reader = '203.0.113.10';
const guesser = '203.0.113.30';
const asker = '203.0.113.40';
/** Clients that spend login's and reset's budgets beside `guesser` and `asker`, and send no probes. */
const twin = { guesser: '203.0.113.31', asker: '203.0.113.41' };
/** Clients that each send one burst of requests at once, to login and to password reset. */
const rusher = { login: '203.0.113.33', reset: '203.0.113.43' };
/** How many requests a rushing client sends at once: past the 5 of the budget by far. */
const RUSH = 12;
/** A client the proxy saw at a private address (an office, a VPN, another service in the VPC). */
const insider = '10.1.2.3';
/** A public client doing what the insider does. */
const outsider = '203.0.113.32';

/** A request sent after a budget was spent, and what it tried. */
interface Probe {
  after: string;
  what: string;
  reply: RawReply;
}

/** One app whose three budgets are spent, then asked again in every way that must not open them. */
interface SpentBudgets {
  api: Spent;
  login: Spent;
  reset: Spent;
  /** The same clients with another address written in front of theirs in X-Forwarded-For: login, then API, then the insider's login. */
  forwardedFor: [RawReply, RawReply, RawReply, RawReply];
  /** The insider's five failed logins. */
  insider: Spent;
  /** The same five failed logins from a public client, for another address without an account. */
  outsider: Spent;
  /**
   * The same clients on other spellings of the paths Express routes to the same handlers: upper case, a
   * trailing slash, a query string no limiter should care about.
   */
  paths: Record<'login' | 'api' | 'reset', RawReply[]>;
  /** The same clients with headers (or query parameters) they made up, on each route. */
  written: Probe[];
  /** RUSH password-reset requests, sent at once by a fresh client. */
  rush: RawReply[];
  /** How far the app's clock stood ahead of the grader's when the budgets were spent. */
  spentAhead: number;
  /** The API's client again with other methods than GET: the limit covers everything under /api. */
  methods: RawReply[];
  /** The API's client, its budget spent, logging in with the right password and asking for a reset link. */
  afterApi: RawReply[];
  /** The API's, login's and reset's clients again right after the probes, on the real clock. */
  again: Record<'api' | 'login' | 'reset', RawReply>;
  /** The API's, login's and reset's clients again once the app's clock was moved 14 minutes ahead. */
  later: RawReply[];
  /** The same clients 15 minutes and 30 s after they spent their budgets: the window is over. */
  back: RawReply[];
}

/** `moveTo` moves the app's clock to `ms` past `base`, where it stood when the run began. */
async function spendBudgets(given: Client, moveTo: (ms: number) => Promise<void>, base: number): Promise<SpentBudgets> {
  // The budgets are spent 10 minutes after the app started, by its clock, and judged 14 minutes after
  // that: a store that forgets every count at once on one timer of windowMs (a tick since startup, not
  // a window per client) refills them 5 minutes after they were spent, and its 429 says so.
  await moveTo(SPEND_AT_MS);
  // This run proves no speed and sends about 300 requests, many at once: each may wait 6 s for its
  // answer (not 2.5), so that a loaded machine is not taken for an app that does not answer.
  const app: Client = Object.assign(Object.create(given) as Client, {
    raw: (method: string, path: string, options: RequestOptions = {}) => given.raw(method, path, { timeoutMs: 6000, ...options }),
  });
  const [api, login, reset, inside, outside, , , welcome, rush] = await Promise.all([
    spendApi(app, reader),
    spendLogin(app, guesser),
    spendReset(app, asker),
    spendLogin(app, insider, listed(2)),
    // A public client making the insider's attempts (for another address without an account): tells a
    // skip by client address from one by the submitted email.
    spendLogin(app, outsider, listed(3)),
    // Twins of login's and reset's clients that send no probes: whether their budgets are back after
    // the probes tells a window of seconds from a probe that escaped (the probes alone re-spend 5).
    spendLogin(app, twin.guesser),
    spendReset(app, twin.asker),
    // A customer's successful login, from a client of its own: the cookies it gets back are replayed as a probe.
    loginAs(app, '203.0.113.36', account.password),
    // A burst sent at once by a fresh client: a limiter that reads the count, lets the request on and counts
    // it only later (once the answer is sent) lets the whole burst through.
    burst(app, RUSH, () => ({ method: 'POST', path: '/password-reset', options: { headers: from(rusher.reset), body: { email: freshAddress() } } }), RUSH),
  ]);
  const appCookies = setCookies(welcome).map((cookie) => `${cookie.name}=${cookie.value}`).join('; ') || undefined;
  const written = clientWrittenHeaders(appCookies, given.baseUrl.replace(/\/$/, '')).flatMap(({ what, headers, query = '', body }) => [
    // A GET carries no body: the body fields go to login and password reset only.
    ...(body ? [] : [{ what, after: '100 API requests', reply: app.raw('GET', `/api/books${query}`, { headers: { ...headers, ...from(reader) } }) }]),
    { what, after: '5 failed logins', reply: app.raw('POST', `/login${query}`, { headers: { ...headers, ...from(guesser) }, body: { ...account, ...body } }) },
    { what, after: '5 password-reset requests', reply: app.raw('POST', `/password-reset${query}`, { headers: { ...headers, ...from(asker) }, body: { email: account.email, ...body } }) },
  ]);
  // The proxy appends the address it saw; the client may write anything in front of it.
  const [forwardedFor, paths, replies, methods, afterApi] = await Promise.all([
    Promise.all([
      loginAs(app, `198.51.100.1, ${guesser}`, account.password),
      app.raw('GET', '/api/books', { headers: from(`198.51.100.2, ${reader}`) }),
      loginAs(app, `198.51.100.3, ${insider}`, 'guess-6', '/login', listed(2)),
      // Not judged on its own: the spent client second from the right, a fresh address right-most. Only
      // an app that trusts exactly two hops counts it against the spent client (429); it names the cause.
      loginAs(app, `198.51.100.4, ${guesser}, 198.51.100.5`, 'guess-7', '/login', listed(91)),
    ]),
    Promise.all([
      Promise.all(['/LOGIN', '/login/', pathWithQuery('/login')].map((path) => loginAs(app, guesser, account.password, path))),
      Promise.all(['/API/books', '/api/books/', pathWithQuery('/api/books')].map((path) => app.raw('GET', path, { headers: from(reader) }))),
      Promise.all([app.raw('POST', pathWithQuery('/password-reset'), { headers: from(asker), body: { email: freshAddress() } })]),
    ]).then(([login, api, reset]) => ({ login, api, reset })),
    Promise.all(written.map((probe) => probe.reply)),
    Promise.all(
      (['HEAD /api/books/2', 'HEAD /api/books', 'POST /api/books', 'PUT /api/books/1', 'DELETE /api/books/2', 'OPTIONS /api/books', 'PATCH /api/orders', 'GET /api/nope'] as const).map((line) => {
        const [method, path] = line.split(' ') as [string, string];
        return app.raw(method, path, { headers: from(reader), ...(method === 'OPTIONS' || method === 'DELETE' || method === 'HEAD' || method === 'GET' ? {} : { body: {} }) });
      }),
    ),
    // The API's client, its 100 spent, still tries a login (for an account of its own: the demo account
    // may be locked by a per-account limit on top by now) and asks for a reset link: those budgets are not the API's.
    Promise.all([loginAs(app, reader, 'guess-1', '/login', listed(50)), askReset(app, reader)]),
  ]);
  // The API's client (its probes spend far less than 100) and the twins once more, on the real clock:
  // a budget back already tells a window of seconds from a probe that escaped.
  const [againApi, againLogin, againReset] = await Promise.all([
    app.raw('GET', '/api/books', { headers: from(reader) }),
    loginAs(app, twin.guesser, 'guess-again'),
    askReset(app, twin.asker),
  ]);
  // Last, 14 minutes later by the app's clock: the API's, login's and reset's clients again.
  await moveTo(SPEND_AT_MS + LATER_MS);
  const later = await Promise.all([
    app.raw('GET', apiPath(101), { headers: from(reader) }),
    loginAs(app, guesser, account.password),
    askReset(app, asker),
  ]);
  // And once the window is over, 15 minutes and 30 s after the first request: each budget is back, though
  // the requests just sent (refused) came in the middle of the window. A store that sets the expiry again on
  // every hit (INCR and PEXPIRE each time) still refuses: the window moved. A fresh account for login, so
  // that a per-account limit on top (allowed) decides nothing.
  await moveTo(SPEND_AT_MS + WINDOW_OVER_MS);
  const back = await Promise.all([
    app.raw('GET', apiPath(102), { headers: from(reader) }),
    loginAs(app, guesser, 'guess-back', '/login', listed(92)),
    askReset(app, asker),
  ]);
  return {
    again: { api: againApi, login: againLogin, reset: againReset },
    later,
    back,
    api,
    login,
    reset,
    forwardedFor: forwardedFor as [RawReply, RawReply, RawReply, RawReply],
    insider: inside,
    outsider: outside,
    paths,
    written: written.map((probe, index) => ({ ...probe, reply: replies[index]! })),
    rush,
    spentAhead: base + SPEND_AT_MS,
    methods,
    afterApi,
  };
}

/** One request sent while the grader holds Redis down, and when (or whether) its answer came. */
interface OutageProbe {
  request: SentRequest;
  what: string;
  /** performance.now() when it was sent. */
  sentAt: number;
  /** What serving it looks like; a limiter that fails closed answers 429, 500 or 503 instead. */
  served: number;
  settled: Promise<{ status?: number; error?: string; at: number }>;
  /** Filled in as soon as it settles; `at` is performance.now() then. */
  outcome?: { status?: number; error?: string; at: number };
}

/**
 * Sends a request with no time limit of its own (Client.raw gives up after 2.5 s): a request that waits
 * for Redis is watched until Redis is back, to say whether it was waiting for Redis.
 */
function probe(baseUrl: string, what: string, served: number, method: string, path: string, forwardedFor: string, body?: unknown): OutageProbe {
  const headers: Record<string, string> = { ...from(forwardedFor), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) };
  const request: SentRequest = { method, path, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) };
  const entry: OutageProbe = { request, what, sentAt: performance.now(), served, settled: undefined as never };
  entry.settled = new Promise<{ status?: number; error?: string; at: number }>((resolve) => {
    const req = http.request(new URL(path, baseUrl), { method, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, at: performance.now() }));
      res.on('error', (error) => resolve({ error: error.message, at: performance.now() }));
    });
    req.on('error', (error) => resolve({ error: (error as NodeJS.ErrnoException).code ?? error.message, at: performance.now() }));
    req.end(request.body);
  }).then((outcome) => (entry.outcome = outcome));
  return entry;
}

/** The statuses a limiter that cannot reach its store may answer with when it fails closed. */
const CLOSED = [429, 500, 503];
/** How long the grader waits for the limited routes to answer while Redis is down: a store error is known at once. */
const DOWN_ANSWER_MS = 4_000;
/**
 * How much longer than GET /health, sent at the same time, a limited route may take to answer while Redis
 * is down: a store error comes at once, a command timeout (even of 1 s) waits. Beyond SLOW_HEALTH_MS for
 * /health itself the machine is too busy to tell.
 */
const AT_ONCE_MS = 300;
const SLOW_HEALTH_MS = 1_000;
/** What a Redis client sends when it connects or reconnects: no limiter's command. */
const CONNECTING = ['HELLO', 'CLIENT', 'SELECT', 'AUTH', 'PING', 'INFO', 'COMMAND', 'READONLY', 'QUIT'];
/**
 * How long after Redis is back the app has to limit again, in Redis (node-redis retries at most every 2.2 s;
 * the text asks for a reconnect delay of a few seconds at most).
 */
const RECOVERY_MS = 6_000;
/** The first minute of the outage by the app's clock, in short steps (it goes on to LONG_OUTAGE_MS in longer ones). */
const OUTAGE_MS = 60_000;
/** The steps the outage's clock moves in: longer than node-redis's longest wait between reconnects (2 s plus up to 0.2 s of jitter). */
const OUTAGE_STEP_MS = 2_400;
/**
 * Then the outage goes on to two hours by the app's clock, in longer steps: one reconnect refused at each,
 * about 380 in all, past a strategy that gives up after 200 (7 minutes of a real outage at node-redis's
 * delays). Steps of 20 s: a reconnect delay capped at 30 s has its next try 10 s or 30 s after the last
 * step, never within the RECOVERY_MS the app has once Redis is back.
 */
const LONG_OUTAGE_MS = 7_200_000;
const OUTAGE_LONG_STEP_MS = 20_000;

/** express-rate-limit's misconfiguration errors in some output: each code once, with the library's words. */
function misconfigurations(output: string): { code: string; words: string }[] {
  const found = new Map<string, string>();
  for (const match of output.matchAll(/ERR_ERL_[A-Z0-9_]+/g)) {
    const code = match[0];
    if (found.has(code)) continue;
    // The line that names the code in its help address carries the message: "ValidationError: <words> See https://…/ERR_ERL_X/ …"
    const line = output.split('\n').find((text) => text.includes(`/${code}/`) && /See https?:\/\//.test(text));
    const words = line?.replace(/^.*?(?:ValidationError|ChangeWarning):\s*/, '').replace(/\s*See https?:\/\/\S+ for more information\.?.*$/, '').trim();
    found.set(code, words ?? '');
  }
  return [...found].map(([code, words]) => ({ code, words }));
}

lesson('04-rate-limiting', (t) => {
  // Every app of the in-memory checks runs in one host whose clock the window check moves ahead.
  const hostClock = movableClock('host');
  // express-rate-limit prints ERR_ERL_UNEXPECTED_X_FORWARDED_FOR when a request carries X-Forwarded-For
  // and the app does not trust the proxy: then every client is the proxy, one bucket for all.
  const sharedBucket = () =>
    t.outputSoFar().some(({ env, output }) => !env.REDIS_URL && output.includes('ERR_ERL_UNEXPECTED_X_FORWARDED_FOR'))
      ? UNTRUSTED_PROXY
      : undefined;
  // The module's judges of a spent budget, with this folder's cause of one bucket for all.
  const loginSpent = (spent: Spent) => loginSpentBy(spent, sharedBucket());
  const resetSpent = (spent: Spent) => resetSpentBy(spent, sharedBucket());
  const apiSpent = (spent: Spent) => apiSpentBy(spent, sharedBucket());
  const bruteForce = (app: Client, forwardedFor: string, email = account.email) => bruteForceBy(app, forwardedFor, email, sharedBucket);
  const exhaustReset = (app: Client, forwardedFor: string, email?: (index: number) => string) => exhaustResetBy(app, forwardedFor, email, sharedBucket);
  const memoryApp = () => t.app({ env: hostClock.env });
  t.prestart(hostClock.env);

  /**
   * The checks that judge a spent budget share one run, made on the app of the first of them to ask,
   * instead of spending the API's 100 requests once each. Each check's report gives as curl the
   * request it judged.
   */
  let spending: Promise<SpentBudgets> | undefined;
  /** The app the shared run spent its budgets on: asked again only to name a cause. */
  let spendingApp: Client | undefined;
  /** How far the host's clock stands ahead: it only moves forward, whichever check moves it. */
  let hostAhead = 0;
  const moveHost = async (ms: number) => {
    await hostClock.moveAhead(ms, 1);
    hostAhead = ms;
  };
  const spentBudgets = async () =>
    (spending ??= memoryApp().then((app) => {
      spendingApp = app;
      const base = hostAhead;
      return spendBudgets(app, (ms) => moveHost(base + ms), base).catch((error: unknown) => {
        // The shared run sends about 300 requests, many at once: on a machine far busier than its CPUs,
        // one answer late by 2.5 s says nothing about the app (as t.server() judges a slow start).
        const busy = busyMachine();
        if (busy && error instanceof CheckFailure && / got none within /.test(error.message)) {
          throw Object.assign(new CannotJudge(`${error.message.replace(/ Some code path.*$/, '')}, but ${busy}. Grade again when it is quieter.`), {
            request: (error as { request?: unknown }).request,
          });
        }
        throw error;
      });
    }));
  const shown = (reply: RawReply) => (t.reproduce(reply.request), reply);
  const shownSpent = (spent: Spent, expected: number) => (shown(spent.burst.find((reply) => reply.status !== expected) ?? spent.over), spent);

  // First: their servers start while the app host started ahead loads, instead of after the last check;
  // the two checks have servers of their own and run side by side.
  t.concurrently(() => {
    // First: its two servers start while the app host started ahead loads, instead of after the last check.
    t.check('04.redis-shares-limit-across-processes', async () => {
      const url = await (await redis('04-rate-limiting')).isolatedUrl();
      const clock = movableClock('redis');
      const env = { REDIS_URL: url, ...clock.env };
      // Two instances run on two machines (or containers): each gets a host name of its own, so a key
      // prefix made of os.hostname() or HOSTNAME is not shared by accident.
      // The second starts once a client spent its login budget on the first: a new instance (a deploy, a
      // restart, a scale-out) finds the counts of the running ones and must keep them, not wipe them.
      const one = await t.server({ env: { ...env, ...onHost('web-1', 1, env.NODE_OPTIONS) } });
      const early = '203.0.113.108';
      const earlyEmail = listed(11);
      const earlyAttempts = await burst(overLan(one.client), 5, (index) => ({ method: 'POST', path: '/login', options: { headers: from(early), body: { email: earlyEmail, password: `guess-${index + 1}` } } }), 1);
      expectAll(earlyAttempts, 401, '5 failed logins with REDIS_URL set', 'The limit is 5 attempts per 15 minutes, not fewer.');
      const two = await t.server({ env: { ...env, ...onHost('web-2', 2, env.NODE_OPTIONS) } });
      const both = [one.client, two.client];
      // Every limit at once, each from a client of its own, its requests sent to one process and the other.
      // Each on an account of its own, so that a per-account limit on top decides nothing here.
      const login = async () => {
        const client = '203.0.113.100';
        // Over the machine's network address, as from a proxy on another machine.
        const attempts = [one, one, one, two, two].map((server, index) => loginAs(overLan(server.client), client, `guess-${index + 1}`, '/login', listed(10)));
        expectAll(await Promise.all(attempts), 401, '5 failed logins spread over two processes', 'The limit is 5 attempts per 15 minutes, not fewer.');
        return loginAs(overLan(two.client), client, 'guess-6', '/login', listed(10));
      };
      const reset = async () => {
        const client = '203.0.113.101';
        const requests = await spread(both, 5, () => ({ method: 'POST', path: '/password-reset', options: { headers: from(client), body: { email: freshAddress() } } }));
        expectAll(requests, 200, '5 password-reset requests spread over two processes, each for another address', 'The per-client limit is 5 requests per 15 minutes, not fewer.');
        return askReset(two.client, client);
      };
      const api = async () => {
        const client = '203.0.113.102';
        const replies = await spread(both, 100, (index) => ({ method: 'GET', path: apiPath(index), options: { headers: from(client) } }));
        expectAll(replies, 200, '100 API requests spread over two processes', 'The API allows 100 requests per 15 minutes per client.');
        return one.client.raw('GET', '/api/books', { headers: from(client) });
      };
      // A customer who browses, then logs in and asks for a reset link: each limit counts only its own routes.
      const browse = async () => {
        const client = '203.0.113.103';
        const replies = await spread(both, 12, (index) => ({ method: 'GET', path: apiPath(index), options: { headers: from(client) } }));
        expectAll(replies, 200, '12 API requests spread over two processes', 'The API allows 100 requests per 15 minutes per client.');
        return [await loginAs(one.client, client, account.password), await askReset(two.client, client)] as const;
      };
      // A burst on each auth route, sent at once by a fresh client and spread over both processes: counts
      // read from Redis and written back later (GET, then SET; get() now, consume() after the answer) are lost.
      const rush = () =>
        Promise.all(
          (['login', 'reset'] as const).map((route, at) =>
            Promise.all(
              Array.from({ length: RUSH }, (_, index) => {
                const server = both[index % 2]!;
                const client = `198.51.100.${60 + at}`;
                return route === 'login'
                  ? loginAs(server, client, `rush-${index + 1}`, '/login', listed(140 + index))
                  : askReset(server, client);
              }),
            ),
          ),
        );
      const [sixthLogin, sixthReset, overApi, [browserLogin, browserReset], [rushLogin, rushReset]] = await inOrder([login(), reset(), api(), browse(), rush()]);
      // Judged only where requests sent one after another are limited: the judgement below names other causes.
      const withRedis = ' with REDIS_URL set (spread over two processes)';
      if (sixthLogin.status === 429) expectRushHeld(rushLogin!, 'failed logins (each for another address)', (reply) => t.reproduce(reply.request), withRedis);
      if (sixthReset.status === 429) expectRushHeld(rushReset!, 'password-reset requests (each for another address)', (reply) => t.reproduce(reply.request), withRedis);

      const shared = { login: sixthLogin.status === 429, 'password reset': sixthReset.status === 429, API: overApi.status === 429 };
      const apart = Object.entries(shared).filter(([, ok]) => !ok).map(([name]) => name);
      const together = Object.entries(shared).filter(([, ok]) => ok).map(([name]) => name);
      // A limit that is not refused even with every request sent to one process is not about sharing:
      // the same requests (the same address submitted) from a fresh client, all to the first process.
      const inOneProcess: Record<string, () => Promise<RawReply[]>> = {
        login: () => burst(one.client, 6, (index) => ({ method: 'POST', path: '/login', options: { headers: from('203.0.113.104'), body: { email: listed(10), password: `guess-${index + 1}` } } }), 1),
        'password reset': () => burst(one.client, 6, () => ({ method: 'POST', path: '/password-reset', options: { headers: from('203.0.113.105'), body: { email: freshAddress() } } }), 1),
        API: () => burst(one.client, 101, (index) => ({ method: 'GET', path: apiPath(index), options: { headers: from('203.0.113.106') } })),
      };
      if (apart.length > 0) {
        const unlimited = (await Promise.all(apart.map(async (name) => ((await inOneProcess[name]!()).at(-1)!.status === 429 ? undefined : name)))).filter(Boolean);
        if (unlimited.length > 0) {
          const sent: Record<string, string> = {
            login: `6 failed logins for ${listed(10)}`,
            'password reset': '6 reset requests, each for another address',
            API: '101 API requests',
          };
          const submitted = unlimited.filter((name) => name !== 'API').map((name) => (name === 'login' ? listed(10) : 'the reset addresses'));
          // The store's own report, when it printed one: a store whose setup failed (an init sent before the
          // client connected) fails every count, and passOnStoreError lets each request through.
          const storeError = `${one.process.output()}\n${two.process.output()}`
            .split('\n')
            .find((line) => /error during store initiali[sz]ation|store.*(?:init|setup).*(?:error|fail)/i.test(line))
            ?.trim();
          fail(
            `Expected the ${unlimited.join(' and ')} limit${unlimited.length > 1 ? 's' : ''} to answer 429 with REDIS_URL set, but ${unlimited.map((name) => sent[name!]).join(' and ')} ` +
              'from one client, all sent to one process, were not refused either: this is not about sharing between processes. ' +
              (storeError
                ? `Your app printed "${storeError.length > 160 ? `${storeError.slice(0, 160)}…` : storeError}": a store whose setup failed fails every count, and passOnStoreError: true lets every request through unlimited. ` +
                  'Create the stores once the Redis client is connected (await redis.connect() before createApp()), and see the output below.'
                : submitted.length > 0
                  ? `${submitted.join(' and ')} ${submitted.length > 1 ? 'have' : 'has'} no account: does a skip rule or keyGenerator read the submitted email? See 04.auth-limits-hold-across-accounts.`
                  : 'If 04.api-allows-100-then-429 passes, the API is limited in memory but not in Redis: the grader sends these requests 10 at once, and a Redis store that reads a count, ' +
                    'adds one and writes it back (GET, then SET) loses counts when requests arrive together. The count must be taken atomically as the request arrives: INCR (or a script), or rate-limit-redis.'),
          );
        }
      }
      // Keys that name the instance's host are never shared by instances on other hosts.
      const hostKeys = apart.length === 0 ? [] : await withConnection(url, async (connection) => ((await connection.command('KEYS', '*')) as string[]).filter((key) => /web-[12]/.test(key) || instanceMarks.some((mark) => key.includes(mark))));
      expectThat(
        apart.length === 0,
        () =>
          'Expected the 6th login attempt, the 6th password-reset request and the 101st API request to answer 429 when the ones before them ' +
          `were spread over two processes started with the same REDIS_URL, got ${[sixthLogin, sixthReset, overApi].map((reply) => `${reply.status} from ${reply.request.method} ${reply.request.path}`).join(', ')}. ` +
          (together.length === 0
            ? 'Either each process counts on its own, so N instances allow N times every budget, or nothing limits these routes yet (see 04.api-allows-100-then-429 and 04.login-limited-after-five-failures).'
            : `The ${apart.join(' and ')} limit${apart.length > 1 ? 's count' : ' counts'} in each process's memory (${together.join(' and ')} ${together.length > 1 ? 'are' : 'is'} shared), so N instances allow N times ${apart.length > 1 ? 'those budgets' : 'that budget'}.`) +
          (hostKeys.length > 0
            ? ` Your keys name the host or instance (${hostKeys.slice(0, 2).join(', ')}): the grader started the two processes as two instances, each with a host name of its own (web-1, web-2) ` +
              'and the instance ids platforms set (DYNO web.1 and web.2, NODE_APP_INSTANCE 0 and 1, POD_NAME, FLY_ALLOC_ID, …), ' +
              'and a key prefix made of os.hostname(), HOSTNAME or any instance id gives each instance keys of its own. Use the same prefix on every instance.'
            : apart.length > 0 && together.length > 0
              ? ' When REDIS_URL is set, give every limiter a store in Redis (rate-limit-redis), with a prefix that is the same on every instance: the grader started the two processes ' +
                'with host names of their own and the instance ids platforms set (DYNO web.1 and web.2, NODE_APP_INSTANCE 0 and 1, pm_id, POD_NAME, …), and nothing of them may go into a key.'
            : ' When REDIS_URL is set, give every limiter a store in Redis (rate-limit-redis).'),
      );
      // The client that spent its logins on the first process before the second started: refused by the second.
      if (apart.length === 0) {
        const afterStart = await loginAs(overLan(two.client), early, 'guess-6', '/login', earlyEmail);
        expectThat(
          afterStart.status === 429,
          () =>
            (t.reproduce(afterStart.request),
            `Expected the 6th failed login from one client to answer 429 on a second process started with the same REDIS_URL after the first 5 were sent to the first process, got ${afterStart.status}, ` +
              'while limits spent after both had started were shared. The counts made before the second process started are gone: does src/server.ts delete keys (DEL, FLUSHDB, FLUSHALL, a reset of the store) when it starts? ' +
              'Every deploy, restart or scale-out would then hand every client a fresh budget. Leave the counts to expire on their own.'),
        );
      }
      for (const reply of [browserLogin, browserReset]) {
        const { method, path } = reply.request;
        expectThat(
          reply.status === 200,
          `Expected ${method} ${path}${path === '/login' ? ' with the right password' : ''} to answer 200 for a client that had made 12 API requests (under the API's 100), ` +
            `with REDIS_URL set, got ${reply.status}. ` +
            (reply.status === 429
              ? "In Redis the API's requests counted against the 5 of login and password reset: the limiters share one key per client, " +
                'through one RedisStore instance for both or one key prefix (rate-limit-redis uses rl: unless told otherwise). Give each limiter a RedisStore of its own, each with a prefix of its own.'
              : ''),
        );
      }
      // Another client through the same "proxy on another machine" as the spent login budget: a bucket of its own.
      const stranger = await loginAs(overLan(one.client), '203.0.113.107', account.password);
      expectThat(
        stranger.status === 200,
        () =>
          (t.reproduce(stranger.request),
          `Expected POST /login with the right password from another client (X-Forwarded-For: 203.0.113.107) to answer 200, got ${stranger.status}, ` +
            `after 6 failed logins from 203.0.113.100, all reaching the app from ${lanAddress ?? 'loopback'}${lanAddress ? ' (not loopback, as a proxy on another machine does)' : ''}. ` +
            (stranger.status === 429
              ? "Every client behind that proxy shares one bucket: the proxy's own address is req.ip. trust proxy 'loopback' (or a list of this machine's addresses) trusts only a proxy on the app's own machine, " +
                "and a load balancer runs elsewhere. Count the hops instead: with one proxy, app.set('trust proxy', 1)."
              : '')),
      );
      // The counts must not outlive their window: a key that lives on fills Redis and keeps old counts.
      const lives = await withConnection(url, async (connection) => {
        const keys = (await connection.command('KEYS', '*')) as string[];
        return Promise.all(keys.map(async (key) => ({ key, ms: Number(await connection.command('PTTL', key)) })));
      });
      // A day at most: a limit on top may have a longer window of its own (3 reset mails per address per
      // hour), while 15 minutes written in milliseconds and given to EXPIRE lives 10 days.
      const tooLong = lives.filter(({ ms }) => ms === -1 || ms > 24 * 60 * 60 * 1000);
      expectThat(
        tooLong.length === 0,
        () =>
          `Expected every key your app wrote to Redis to expire (the 15-minute limits within 15 minutes, none later than a day), got ${tooLong
            .slice(0, 3)
            .map(({ key, ms }) => `${key} ${ms === -1 ? 'with no expiry' : `living ${Math.round(ms / 1000)} s`}`)
            .join(', ')}. ` +
          'EXPIRE counts seconds and PEXPIRE milliseconds: a window in milliseconds given to EXPIRE lives 1000 times too long. Let the store (rate-limit-redis) set the expiry, or use PEXPIRE with windowMs.',
      );
      // Nor end early: 14 minutes later (every key's expiry and both processes' clocks moved ahead), each
      // client whose budget was spent must still be refused.
      await withConnection(url, async (connection) => {
        for (const { key, ms } of lives) {
          if (ms > LATER_MS) await connection.command('PEXPIRE', key, String(ms - LATER_MS));
          else if (ms > 0) await connection.command('DEL', key);
        }
      });
      await clock.moveAhead(LATER_MS, 2);
      const later = await Promise.all([
        loginAs(one.client, '203.0.113.100', 'guess-7', '/login', listed(10)),
        askReset(one.client, '203.0.113.101'),
        two.client.raw('GET', '/api/books', { headers: from('203.0.113.102') }),
      ]);
      expectStillLimited(
        later.map((reply, index) => ({ reply, first: [sixthLogin, sixthReset, overApi][index]! })),
        "the grader moved the expiry of every key your app wrote to Redis, and both processes' clocks, 14 minutes ahead",
        (reply) => t.reproduce(reply.request),
      );
      // Those requests came in the middle of each window: its end must not have moved. A key whose expiry is
      // set again on every hit (INCR and PEXPIRE each time) lives a whole window again after them.
      const grown = await withConnection(url, async (connection) =>
        (
          await Promise.all(
            lives
              .filter(({ ms }) => ms > LATER_MS)
              .map(async ({ key, ms }) => ({ key, moved: ms - LATER_MS, now: Number(await connection.command('PTTL', key)) })),
          )
        ).filter(({ moved, now }) => now > moved + 5000),
      );
      expectThat(
        grown.length === 0,
        () =>
          `Expected the keys of the spent budgets to keep their expiry when the same clients asked again 14 minutes into their window, got ${grown
            .slice(0, 3)
            .map(({ key, moved, now }) => `${key} living ${Math.round(now / 1000)} s after the request, ${Math.round(moved / 1000)} s before it`)
            .join(', ')}: ` +
          "each hit sets the expiry again, so the window slides with every request, a refused one included, and a client that keeps trying (or makes a request every few minutes) never gets its budget back. " +
          "Each client's window starts with its own first request and does not move: set the expiry only when the key is created (PEXPIRE key windowMs NX, or only when INCR returned 1), or let rate-limit-redis do it.",
      );
      // A restart or a scale-down stops one instance with SIGTERM while the others run on: the counts are
      // the shop's, not the instance's, so the running one still refuses the spent client.
      await two.process.stop(3000);
      const afterStop = await loginAs(one.client, '203.0.113.100', 'guess-8', '/login', listed(10));
      expectThat(
        afterStop.status === 429,
        () =>
          (t.reproduce(afterStop.request),
          `Expected the 8th failed login from a client whose budget was spent to answer 429 on the first process after the grader stopped the second one with SIGTERM (as a restart, a deploy or a scale-down does), got ${afterStop.status}, ` +
            'while it was refused before. The counts in Redis are gone: does src/server.ts delete keys (DEL, UNLINK, FLUSHDB, a reset of the store) when it shuts down? ' +
            "They belong to every instance, not to the one stopping: deleting them hands every client a fresh budget on every restart and wipes the counts of the instances still running. On shutdown close the connection and leave the keys to expire on their own."),
      );
    });

    t.check('04.shutdown-closes-redis', async () => {
      const url = await (await redis('04-rate-limiting')).isolatedUrl();
      const server = await t.server({ env: { REDIS_URL: url } });
      // One request through each limiter, so that the app has used its Redis connection.
      const client = '203.0.113.120';
      await Promise.all([server.client.raw('GET', '/api/books', { headers: from(client) }), loginAs(server.client, client, 'guess'), askReset(server.client, client)]);
      // A process that holds a Redis connection must still end on SIGTERM, as src/server.ts does without one.
      const exit = await server.process.stop(3000);
      expectThat(
        exit.signal !== 'SIGKILL',
        'Expected src/server.ts started with REDIS_URL to exit after SIGTERM, but it was still running 3 s later and the grader killed it. ' +
          "An open Redis connection keeps Node's event loop alive after server.close(): an orchestrator waits out its grace period, then kills the instance. " +
          'In the shutdown handler, close the Redis client (await redis.close()) once the server has closed, then exit.',
      );
    });
    // Redis stops while the app runs (the grader cuts the app's connections and refuses new ones, as a
    // stopped Redis does), then comes back. Any policy is the learner's: served (fail open) or refused
    // (429, 500, 503: fail closed), route by route; what is judged is that each answer comes at once,
    // that the process lives on, and that the limits hold again, in Redis, once Redis is back.
    t.check('04.redis-down-answers-and-recovers', async () => {
      const outage = await redisOutage(await (await redis('04-rate-limiting')).isolatedUrl());
      // Its clock is moved ahead while Redis is down: an outage of a minute, as the app sees it, in a moment.
      const clock = movableClock('outage');
      try {
        const server = await t.server({ env: { REDIS_URL: outage.url, ...clock.env } });
        const app = server.client;
        /** Fails if the app is gone; `long` once Redis has been down a minute by the app's clock. */
        const crashed = (when: string, long = false) => {
          if (server.process.running) return;
          const output = server.process.output();
          // Node prints "Unhandled 'error' event" for an 'error' nobody listens to; the Redis errors a listener logs are no sign of one.
          fail(
            `Expected src/server.ts to keep running ${when}, but it ${server.process.describeExit()}. ` +
              (/Unhandled 'error' event/.test(output) || (!long && /ClientClosedError|SocketClosedUnexpectedly|ECONNREFUSED|ECONNRESET/.test(output))
                ? "The Redis client emits 'error' when its connection drops and on every failed reconnect, and an 'error' event with no listener ends a Node process. " +
                  "Listen for it (redis.on('error', …)): the client reconnects on its own. "
                : long
                  ? "It lived through the first seconds of the outage, then ended: an app that exits after some time without Redis, or after some number of failed reconnects (each an 'error' event), " +
                    'to be restarted by its orchestrator, takes the catalogue and /health down on every instance at once whenever Redis is away longer than that, and a restarted instance finds no Redis either. ' +
                    "Keep running, answer as your limiters decide, and let the client reconnect: count nothing toward an exit in the 'error' listener. "
                  : '') +
              'Its output is below.',
          );
        };
        // Redis is up: one request through each limiter, so that the app has connected and used it.
        // A reader spends its 100 API requests in Redis: once Redis is back, it must still be refused,
        // as every other process would refuse it, counted in Redis (not in a store the outage swapped in).
        const before = '203.0.113.140';
        const spender = '203.0.113.142';
        // And /health first, alone: it passes no limiter, so it sends Redis nothing (see 04.health-never-limited).
        const healthBefore = outage.commands.length;
        const healthy = await app.raw('GET', '/health', { headers: from('203.0.113.143') });
        await new Promise((resolve) => setTimeout(resolve, 50));
        const healthSent = outage.calls.slice(healthBefore).filter(([name]) => ![...CONNECTING, 'SCRIPT'].includes(name!.toUpperCase())); // a store loads its scripts when it likes
        expectThat(
          healthSent.length === 0,
          () =>
            (t.reproduce(healthy.request),
            `Expected GET /health (answered ${healthy.status}) to send Redis nothing, got ${healthSent.slice(0, 2).map((call) => call.slice(0, 2).join(' ')).join(', ')}: a limiter counts the health probes in Redis. ` +
              'However high its limit (a safety net for the whole app, app.use(limiter)), the load balancer polls /health every few seconds from a few addresses, spends it and takes every instance out of service at once. ' +
              'Register /health before every limiter, or skip it in that limiter.'),
        );
        const [, , , readBefore] = await Promise.all([
          app.raw('GET', '/api/books', { headers: from(before) }),
          loginAs(app, before, 'guess', '/login', listed(30)),
          askReset(app, before),
          burst(app, 100, (index) => ({ method: 'GET', path: apiPath(index), options: { headers: from(spender) } })),
        ]);
        expectAll(readBefore, 200, '100 API requests from one client with REDIS_URL set, before the grader stopped Redis', 'The API allows 100 requests per 15 minutes per client.');

        await outage.down();
        await new Promise((resolve) => setTimeout(resolve, 300)); // the app's client sees its connection close
        const during = '203.0.113.141';
        const probes = [
          probe(app.baseUrl, 'GET /api/books', 200, 'GET', '/api/books', during),
          probe(app.baseUrl, 'POST /login with a wrong password', 401, 'POST', '/login', during, { email: listed(31), password: 'guess-1' }),
          probe(app.baseUrl, 'POST /password-reset', 200, 'POST', '/password-reset', during, { email: freshAddress() }),
        ];
        const health = probe(app.baseUrl, 'GET /health', 200, 'GET', '/health', during);
        const all = [...probes, health];
        await Promise.race([Promise.all(all.map((sent) => sent.settled)), new Promise((resolve) => setTimeout(resolve, DOWN_ANSWER_MS))]);
        crashed('while Redis was down');
        const waiting = probes.filter((sent) => !sent.outcome);
        if (waiting.length > 0) {
          const busy = busyMachine();
          if (!health.outcome && busy) throw new CannotJudge(`GET /health got no answer within ${DOWN_ANSWER_MS / 1000} s either while Redis was down, but ${busy}. Grade again when it is quieter.`);
          await outage.up();
          await Promise.race([Promise.all(waiting.map((sent) => sent.settled)), new Promise((resolve) => setTimeout(resolve, 3000))]);
          const first = waiting[0]!;
          t.reproduce(first.request);
          const answered = waiting.filter((sent) => sent.outcome?.status !== undefined);
          const after = (sent: OutageProbe) => `${sent.what} answered ${sent.outcome!.status} ${((sent.outcome!.at - sent.sentAt) / 1000).toFixed(1)} s after it was sent`;
          fail(
            `Expected ${waiting.map((sent) => sent.what).join(', ')} to answer at once while Redis was down (served, or refused with 429, 500 or 503), ` +
              `got no answer within ${DOWN_ANSWER_MS / 1000} s${answered.length > 0 ? ` (${answered.map(after).join('; ')})` : ', nor within 3 s after the grader started Redis again'}. ` +
              (answered.length < waiting.length ? 'A request that does not answer even once Redis is back waits on something that never comes (a promise of your store that never settles?). ' : '') +
              "The limiter's command to Redis waited instead of failing: node-redis keeps commands in its offline queue while it reconnects, each until Redis is back or its command timeout passes " +
              '(5 s by default in node-redis 6), so every limited request is held that long, and the customer with it. ' +
              'Create the client with disableOfflineQueue: true, so that commands fail at once and passOnStoreError decides: served (true) or refused (false, the default).',
          );
        }
        for (const sent of probes) {
          const { status, error } = sent.outcome!;
          if (status !== undefined && (status === sent.served || CLOSED.includes(status))) continue;
          t.reproduce(sent.request);
          fail(
            `Expected ${sent.what} to be served (${sent.served}) or refused (429, 500 or 503) while Redis was down, got ${status ?? `no answer (${error})`}. ` +
              (status === undefined
                ? 'The connection closed without an answer.'
                : 'When the limiter cannot reach its store, the route should either be served unlimited (passOnStoreError: true) or refused, and say nothing else.'),
          );
        }
        // At once, not after a command timeout of a few seconds: each limited route within AT_ONCE_MS of
        // GET /health, sent to the same process at the same time (what load costs, /health pays too).
        const took = (sent: OutageProbe) => (sent.outcome ? sent.outcome.at - sent.sentAt : Infinity);
        const held = probes.filter((sent) => took(sent) - took(health) > AT_ONCE_MS);
        if (held.length > 0) {
          const seconds = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
          if (took(health) > SLOW_HEALTH_MS) {
            throw new CannotJudge(
              `${held.map((sent) => sent.what).join(', ')} answered ${held.map((sent) => seconds(took(sent))).join(', ')} after it was sent while Redis was down, ` +
                `but GET /health, sent at the same time, took ${health.outcome ? seconds(took(health)) : 'longer still'} too: ${busyMachine() ?? `the machine was busy (load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs)`}. Grade again when it is quieter.`,
            );
          }
          t.reproduce(held[0]!.request);
          fail(
            `Expected ${held.map((sent) => sent.what).join(', ')} to answer at once while Redis was down (within ${seconds(AT_ONCE_MS)} of GET /health, sent at the same time), ` +
              `got ${held.map((sent) => `${sent.outcome!.status} after ${seconds(took(sent))}`).join(', ')}, while GET /health answered in ${seconds(took(health))}. ` +
              "The limiter's command waited for Redis until a timeout ended it: node-redis holds commands in its offline queue while it reconnects, and a command timeout (commandOptions: { timeout }, a socket or connect timeout), " +
              'even of 1 s, only ends the wait: every limited request, and the customer with it, is held that long while the requests pile up. ' +
              'Create the client with disableOfflineQueue: true, so that commands fail at once and passOnStoreError decides; a short timeout may come beside it, never instead.',
          );
        }
        // A minute without Redis, by the app's clock (its timers fire, its Date moves): the process lives
        // on through a long outage too, not only through a blip. The clock moves in steps longer than
        // node-redis's longest wait between reconnects (2 s and up to 0.2 s of jitter), so each step fires
        // the pending one: the app meets a minute's worth of failed reconnects (about 25, each refused at
        // once, an 'error' event each) as it would for real, counted by events as much as by time.
        // Then the rest of two hours in steps of 20 s: an exit after some minutes without Redis, or a
        // reconnectStrategy that gives up after some 200 retries (about 380 in all here), is met too.
        // The app walks its own clock there (5 ms between steps), so the two hours cost about two seconds.
        const longOutage =
          `while Redis was down (two hours by its clock, with a reconnect refused every ${OUTAGE_STEP_MS / 1000} s of the first minute and every ${OUTAGE_LONG_STEP_MS / 1000} s after, ` +
          "about 380 in all: the grader moved the app's clock and timers ahead)";
        const alive = () => server.process.running;
        for (const [until, step] of [
          [OUTAGE_MS, OUTAGE_STEP_MS],
          [LONG_OUTAGE_MS, OUTAGE_LONG_STEP_MS],
        ] as const) {
          crashed(longOutage, true);
          await clock.moveAhead(until, 1, { step, alive }).catch((error: unknown) => {
            crashed(longOutage, true); // a process that exited never acknowledges the move
            throw error;
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 400)); // the last step's reconnect fails, its 'error' comes (the steps before gave each exit its chance)
        crashed(longOutage, true);

        await outage.up();
        const sentAtUp = outage.commands.length;
        // Once Redis is back the limits hold again, counted in Redis: a new client's 5 failed logins and
        // a 6th refused, sent to Redis, tried again (a new client each time) while the app's client
        // reconnects. A store that counts in memory while Redis fails refuses the 6th before the client is
        // back: only a round that reached Redis ends the wait early.
        const until = performance.now() + RECOVERY_MS;
        let round = 0;
        let logins: RawReply[];
        let sentToRedis: number;
        const limited = (replies: RawReply[], served: number) => replies.slice(0, 5).every((reply) => reply.status === served) && replies[5]!.status === 429;
        for (;;) {
          const who = `203.0.113.${150 + round++}`;
          const sentBefore = outage.commands.length;
          // An account of its own each round: a per-account limit on top (allowed) must not refuse the retries.
          const tried = listed(80 + round);
          logins = await burst(app, 6, (index) => ({ method: 'POST', path: '/login', options: { headers: from(who), body: { email: tried, password: `guess-${index + 1}` } } }), 1);
          // What a client sends when it (re)connects is not counting: only the commands of the limiters.
          sentToRedis = outage.commands.slice(sentBefore).filter((name) => !CONNECTING.includes(name)).length;
          if ((limited(logins, 401) && sentToRedis > 0) || performance.now() > until) break;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        crashed('once Redis was back');
        // Whether the app's client came back at all: anything it sent since Redis is back, a reconnect's HELLO included.
        const reconnected = outage.commands.length > sentAtUp;
        const closed = /ClientClosedError|client is closed/i.test(server.process.output());
        const notBack =
          `The app's client has not reconnected within ${RECOVERY_MS / 1000} s of Redis's return: it sent Redis nothing. ` +
          (closed
            ? "Your app printed that the client is closed: it does not reconnect, as with a reconnectStrategy that gives up (after some number of retries or some time) or a client closed on an error, and never comes back, however long the shop runs. Let node-redis reconnect on its own, for as long as it takes."
            : 'A reconnect delay over a few seconds (a backoff capped at 30 s?) keeps the shop without shared limits that long after every outage: cap the delay at a few seconds (node-redis waits at most 2 s between tries unless told otherwise). ' +
              'Or the client does not reconnect at all: a reconnectStrategy that gives up (after some number of retries or some time) never comes back. Let node-redis reconnect on its own.');
        if (!limited(logins, 401)) {
          t.reproduce(logins.at(-1)!.request);
          const statuses = logins.map((reply) => reply.status);
          const failing = statuses.every((status) => status >= 500);
          if (outage.commands.every((name) => CONNECTING.includes(name))) {
            fail(
              `Expected 5 failed logins from one client and a 6th refused with 429 with REDIS_URL set, got ${statuses.join(', ')}, and the app never sent anything to its Redis. ` +
                'Nothing limits login through Redis yet: see 04.login-limited-after-five-failures and 04.redis-shares-limit-across-processes first.',
            );
          }
          fail(
            `Expected 5 failed logins from a new client and a 6th refused with 429 once Redis was back, got ${statuses.join(', ')} ` +
              `for the last 6 attempts, sent again and again until ${RECOVERY_MS / 1000} s after the grader started Redis again. ` +
              (failing
                ? reconnected
                  ? "The limiter still cannot reach Redis, though the app's client reconnected: does the limiter's store use a client closed or replaced on its first error? Keep one client and let node-redis reconnect it."
                  : notBack
                : 'The limit stayed open after the outage: requests let through while the store failed are fine, but once Redis answers again the limiter must count again. Let node-redis reconnect on its own, and do not switch the limiter off for good on a store error.'),
          );
        }
        expectThat(
          sentToRedis > 0,
          () =>
            `Expected the limits to be counted in Redis again once Redis was back, but 6 logins from a new client (the 6th refused), sent again until ${RECOVERY_MS / 1000} s after Redis's return, sent no command to Redis: ` +
            (reconnected
              ? "the app's client reconnected, yet after the outage the app counts in its own memory, so every process has a budget of its own again. Once Redis answers, count in Redis again."
              : `they were counted in the app's memory meanwhile. ${notBack}`),
        );
        const asker2 = '203.0.113.149';
        const resets = await burst(app, 6, () => ({ method: 'POST', path: '/password-reset', options: { headers: from(asker2), body: { email: freshAddress() } } }), 1);
        const apiBefore = outage.commands.length;
        const book = await app.raw('GET', '/api/books', { headers: from(asker2) });
        const apiToRedis = outage.commands.slice(apiBefore).filter((name) => !CONNECTING.includes(name)).length;
        for (const reply of [...resets.slice(0, 5), book]) {
          expectThat(reply.status === 200, () => (t.reproduce(reply.request), `Expected ${reply.request.method} ${reply.request.path} to answer 200 once Redis was back, got ${reply.status}.`));
        }
        expectThat(
          resets[5]!.status === 429,
          () => (t.reproduce(resets[5]!.request), `Expected the 6th POST /password-reset from one client to answer 429 once Redis was back, got ${resets[5]!.status}. Every limit must hold again after the outage, not only login's.`),
        );
        // The reader's 100 were counted in Redis before the outage: its next request is refused once the
        // API's limiter counts in Redis again (asked again while a client of its own may still reconnect).
        let reread: RawReply;
        for (;;) {
          reread = await app.raw('GET', '/api/books', { headers: from(spender) });
          if (reread.status === 429 || performance.now() > until) break;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        if (reread.status !== 429 || apiToRedis === 0) {
          t.reproduce(reread.request);
          fail(
            `Expected GET /api/books from a client that had spent its 100 API requests in Redis before the outage to answer 429 once Redis was back, got ${reread.status}` +
              `${apiToRedis === 0 ? `, and a new client's GET /api/books (answered ${book.status}) sent no command to Redis` : ''}, while login and password reset were limited in Redis again. ` +
              "The API's limiter does not count in Redis after the outage: every process has a budget of its own again (or none). " +
              'A store swapped for memory at the first error, or a client of its own whose reconnectStrategy gives up, stays that way for good: let node-redis reconnect on its own and keep the RedisStore.',
          );
        }
      } finally {
        await outage.close();
      }
    });
  });

  t.check('04.api-allows-100-then-429', async () => {
    const run = await spentBudgets();
    const over = apiSpent(shownSpent(run.api, 200));
    // What the limiter says is left tells which requests it counted: about 9 left when the 10 answered
    // 404 went uncounted, about half when each path (/api/books, /api/books/1 …) has a budget of its own.
    const left = remaining(over);
    const skipped = 'a limiter that leaves failed requests out (skipFailedRequests) lets anyone scan ids or unknown paths without limit';
    const perPath =
      "a keyGenerator that adds the path or the method to req.ip gives each route a budget of its own (the 100 requests went to /api/books and /api/books/1, /2, /3), so a client may send 100 to each: key on the client alone";
    // Conditional requests the app answered 304: a limiter that leaves them out says about as many are left.
    const notModified = run.api.burst.filter((reply) => reply.status === 304).length;
    const free =
      `${notModified} of the 100 were conditional (If-None-Match with the ETag your app sent, as a browser or cache revalidates) and answered 304: ` +
      'a 304 is an answer like any other and must count, or a client that sends the ETag back polls without limit (skipSuccessfulRequests with a requestWasSuccessful that takes 304 as free, a skip rule on If-None-Match, or a count taken only for 200s)';
    const freeFirst = notModified > 0 && left !== undefined && Math.abs(left - notModified) <= 3;
    expectLimited(
      over,
      `100 API requests from one client (10 of them for books that do not exist, answered 404${notModified > 0 ? `, ${notModified} conditional ones answered 304` : ''})`,
      'Put a limiter of 100 requests per 15 minutes per client in front of every /api route, and count every request: ' +
        (freeFirst
          ? `your limiter says ${left} are left after the 100: ${free}.`
          : left === undefined
            ? `either ${skipped}, or ${perPath}${notModified > 0 ? `, or ${free}` : ''}.`
            : left >= 30
              ? `your limiter says ${left} are left after the 100, so it counted far fewer: ${perPath}.`
              : `${skipped}.`),
    );
    expectThat(
      header(over, 'retry-after') !== undefined,
      `Expected the 429 from ${over.request.method} ${over.request.path} to carry a Retry-After header, got none. Clients and proxies read it to know when to come back.`,
    );
    const getLimited = run.again.api.status === 429;
    // Every request under /api outside /api/books let through, whatever its method: the mount path is narrower than /api.
    const elsewhere = run.methods.filter((reply) => !reply.request.path.startsWith('/api/books'));
    const booksOnly = elsewhere.every((reply) => reply.status !== 429) && run.methods.some((reply) => reply.request.path.startsWith('/api/books') && reply.status === 429);
    for (const reply of run.methods) {
      const { method } = reply.request;
      expectLimited(
        shown(reply),
        '100 API requests from the same client',
        refilled(run, 'api') ??
          (booksOnly && !reply.request.path.startsWith('/api/books')
            ? `Requests under /api/books are limited, but none elsewhere under /api (${elsewhere.map((other) => `${other.request.method} ${other.request.path} answered ${other.status}`).join(', ')}), whatever the method: ` +
              "the limiter is mounted on a narrower path (app.use('/api/books', limiter)) or attached to the book routes only. The limit covers every request under /api: mount it with app.use('/api', limiter)."
            : method === 'HEAD'
            ? 'Express answers HEAD with the GET route, so HEAD reads the catalogue as GET does: the limit must count it. A skip rule by method (HEAD, OPTIONS, "safe" methods) lets any client through; skip no method. ' +
              (getLimited ? 'Or a keyGenerator adds the method (or the path) to req.ip, giving each method a budget of its own: key on the client alone.' : '')
            : method === 'GET'
              ? 'A request under /api that no route answers must count too: mount the limiter with app.use(\'/api\', limiter) and skip nothing by path or status.'
              : getLimited
                ? `GET is limited but ${method} is not: either a skip rule by method lets ${method} through, the limiter is attached to GET routes only (app.get()), ` +
                  'or a keyGenerator adds the method (or the path) to req.ip, giving each method a budget of its own' +
                  (method === 'OPTIONS' ? ', or a middleware registered before the limiter (a CORS handler) answers OPTIONS itself, so the limiter never sees it: register the limiter first. ' : '. ') +
                  "The limit covers every request under /api, whatever its method: mount it with app.use('/api', limiter) and skip no method."
                : 'The limit covers every request under /api, whatever its method or whether a route answers it: mount the limiter with app.use(\'/api\', limiter), not app.get().'),
      );
    }
  });

  t.check('04.limits-use-a-15-minute-window', async () => {
    const run = await spentBudgets();
    const api = apiSpent(shownSpent(run.api, 200));
    expectLimited(api, '100 API requests from one client', 'Without a 429 there is no window to read; see 04.api-allows-100-then-429.');
    expectFifteenMinutes(api, run.spentAhead);
    const login = loginSpent(shownSpent(run.login, 401));
    expectLimited(login, '5 failed logins from one client', 'Without a 429 there is no window to read; see 04.login-limited-after-five-failures.');
    // The same spent budget for an address without an account (the outsider's 6th) states the per-client
    // window: when it is right and the demo account's is not, a limit per account answered a request the
    // per-client limiter would have refused, so it runs in front of it.
    const perClient = timeStatements(run.outsider.over, Date.now() + run.spentAhead).filter((statement) => statement.header === 'retry-after');
    const demoTold = timeStatements(login, Date.now() + run.spentAhead).filter((statement) => statement.header === 'retry-after');
    if (run.outsider.over.status === 429 && perClient.some((statement) => inRange(statement.seconds)) && demoTold.length > 0 && !demoTold.some((statement) => inRange(statement.seconds))) {
      shown(login);
      fail(
        `Expected the 429 from POST /login to point about 15 minutes ahead (900 seconds), got ${describeTimes(demoTold)} for the 6th login of a client that had spent its 5 on ${account.email}, ` +
          `while the same client budget spent on ${listed(3)} (no account) answered ${describeTimes(perClient)}: your per-client window is right, and the 429 came from your limit per account. ` +
          'It answered a request the per-client limiter refuses, so it is registered in front of the per-client limiter: it counts every attempt a spent client keeps sending, and its own window answers first. ' +
          'Register the per-client limiter first and the per-account one after it (app.post(\'/login\', perClient, perAccount, handler)), so that it counts only what the per-client limit lets through.',
      );
    }
    expectFifteenMinutes(login, run.spentAhead);
    const reset = resetSpent(shownSpent(run.reset, 200));
    expectLimited(reset, '5 password-reset requests from one client', 'Without a 429 there is no window to read; see 04.password-reset-limited.');
    expectFifteenMinutes(reset, run.spentAhead);
    // Behaviour, not headers: 14 minutes later each of the three clients must still be refused.
    expectStillLimited(
      run.later.map((reply, index) => ({ reply, first: [api, login, reset][index]! })),
      "the grader moved your app's clock 14 minutes ahead",
      shown,
    );
    // The window is over 15 minutes after each client's first request, wherever its later requests fell.
    for (const reply of run.back) {
      const { method, path: where } = reply.request;
      // A login refused then: whether a fresh client's first login for another address without an account
      // is refused too tells one bucket shared by every such address (a per-account key like 'unknown') from a sliding window.
      if (reply.status === 429 && where === '/login' && spendingApp) {
        const stranger = await loginAs(spendingApp, '192.0.2.201', 'guess-1', '/login', freshAddress());
        if (stranger.status === 429) {
          shown(stranger);
          fail(
            `Expected ${method} ${where} for ${listed(92)} (no account) to be let through again 15 minutes and 30 s after the client's first request, its window over, got 429, ` +
              `and the first login of a client never seen before, for another address without an account (${JSON.parse(stranger.request.body ?? '{}').email}), got 429 too. ` +
              'Every address without an account shares one bucket in your limit per account (a key such as findAccount(email)?.email ?? \'unknown\'): whoever guesses at made-up addresses spends it for everyone, ' +
              'and a 429 that addresses without an account meet and real ones do not tells which addresses have one. Key the per-account limit on the normalised email itself, with an account or without.',
          );
        }
      }
      expectThat(
        reply.status !== 429,
        () =>
          (shown(reply),
          `Expected ${method} ${where}, from the client that had spent its budget, to be let through again 15 minutes and 30 s after its first request, its window over, got 429. ` +
            "Its refused request 14 minutes in pushed the end of the window later: the window slides with every hit, so a client that keeps trying (or one that makes a request every few minutes) never gets its budget back. " +
            "Each client's window starts with its own first request and does not move: set the expiry only when the count is created (PEXPIRE … NX, or only when INCR returned 1), never again on later hits, in the memory store as in Redis."),
      );
    }
    // Last (a window that slides is named above): a refusal 14 minutes into the window says how much of it is left (a minute at most), not a whole window again.
    for (const reply of run.later) {
      const [told] = timeStatements(reply, Date.now() + run.spentAhead + LATER_MS).filter((statement) => statement.header === 'retry-after');
      if (!told || told.seconds <= LATE_RETRY_AFTER_S) continue;
      shown(reply);
      fail(
        `Expected the 429 from ${reply.request.method} ${reply.request.path}, 14 minutes into the client's 15-minute window, to say come back when the window ends ` +
          `(Retry-After at most ${LATE_RETRY_AFTER_S} s: a minute is left of it), got ${describeTimes([told])}. ` +
          'Retry-After must be honest: it tells the client when its window ends, Math.ceil((req.rateLimit.resetTime.getTime() - Date.now()) / 1000), not the length of a window. ' +
          'A constant written by a handler of your own (windowMs / 1000) keeps every client away up to 15 minutes longer than the limit does, and contradicts the RateLimit headers beside it. ' +
          'Leave Retry-After to the limiter, or compute it from the reset time.',
      );
    }
  });

  t.check('04.login-limited-after-five-failures', async () => {
    const run = await spentBudgets();
    const sixth = loginSpent(shownSpent(run.login, 401));
    expectLimited(
      sixth,
      '5 failed logins from the same client, even with the right password',
      sixth.status === 200
        ? 'A brute force may keep guessing until it gets in: limit POST /login to 5 requests per 15 minutes per client.'
        : '',
    );
    // A botnet sends its guesses at once, not one after another: RUSH wrong passwords for the demo account
    // (whose password check takes time, as a real one does), at once from a fresh client, on an app of their
    // own (so that a per-account limit on top, allowed, starts from nothing and decides nothing).
    const app = await memoryApp();
    const rush = await burst(app, RUSH, (index) => ({ method: 'POST', path: '/login', options: { headers: from(rusher.login), body: { email: account.email, password: `rush-${index + 1}` } } }), RUSH);
    expectRushHeld(rush, `wrong passwords for ${account.email}`, shown);
  });

  t.check('04.password-reset-limited', async () => {
    const run = await spentBudgets();
    const sixth = resetSpent(shownSpent(run.reset, 200));
    expectLimited(
      sixth,
      '5 password-reset requests from the same client',
      'Put a 5-per-15-minutes limiter in front of it that counts every request from the client, whatever address it names: the route always answers 200, so a limiter that skips successful requests never counts it.',
    );
    // The reset-mail flood of the story, sent at once.
    expectRushHeld(run.rush, 'password-reset requests (each for another address)', shown);
  });

  t.check('04.auth-limits-hold-across-accounts', async () => {
    const app = await memoryApp();
    // Credential stuffing: one client, one guess for each account on its list, then the account it knows.
    const stuffing = async () => {
      const client = '203.0.113.110';
      const guesses = await burst(app, 5, (index) => ({ method: 'POST', path: '/login', options: { headers: from(client), body: { email: listed(index), password: `leaked-${index + 1}` } } }));
      expectAll(guesses, 401, '5 failed logins from one client, each for another account', 'The limit is 5 attempts per 15 minutes, not fewer.');
      return loginAs(app, client, account.password);
    };
    // A client with one working account: its successful login must not give back the guesses spent on others.
    const insiderGuesses = async () => {
      const client = '203.0.113.116';
      const before = await burst(app, 4, (index) => ({ method: 'POST', path: '/login', options: { headers: from(client), body: { email: listed(40 + index), password: `leaked-${index + 1}` } } }), 1);
      expectAll(before, 401, '4 failed logins from one client, each for another account', 'The limit is 5 attempts per 15 minutes, not fewer.');
      const success = await loginAs(app, client, account.password);
      const after = await burst(app, 2, (index) => ({ method: 'POST', path: '/login', options: { headers: from(client), body: { email: listed(44 + index), password: `leaked-${index + 5}` } } }), 1);
      return { success, last: after.at(-1)! };
    };
    const [login, reset, { success, last }] = await inOrder([stuffing(), exhaustReset(app, '203.0.113.111', listed), insiderGuesses()]);
    // Whether six requests for one account or address from a fresh client meet a 429 tells a key on
    // what the client submits from no limit at all.
    const oneTarget = async (spec: (index: number) => SentSpec) => (await burst(app, 6, spec, 1)).some((reply) => reply.status === 429);
    // Six requests for one address that has no account tell a key on the address (refused at the 6th)
    // from a rule that leaves such addresses uncounted (never refused, while the demo account is).
    const unknown = listed(30);
    if (login.status !== 429) {
      const [perAccount, unknownLimited] = await Promise.all([
        oneTarget((index) => ({
          method: 'POST',
          path: '/login',
          options: { headers: from('203.0.113.112'), body: { email: account.email, password: index < 5 ? `guess-${index + 1}` : account.password } },
        })),
        oneTarget((index) => ({ method: 'POST', path: '/login', options: { headers: from('203.0.113.114'), body: { email: unknown, password: `guess-${index + 1}` } } })),
      ]);
      fail(
        `Expected POST /login to answer 429 after 5 failed logins from one client, each for a different account, got ${login.status}${login.status === 200 ? `: the 6th attempt, for ${account.email}, got in` : ''}. ` +
          (perAccount && !unknownLimited
            ? `Logins for addresses without an account are never counted: 6 failed logins from one client for ${unknown} (no account) were never refused, while 6 for ${account.email} were. ` +
              'A skip rule or keyGenerator that reads the submitted email lets one client guess as often as it likes, and a 429 that only real accounts meet tells it which addresses have one. ' +
              'Count every attempt, whatever it submits, on the client alone (req.ip, the default).'
            : perAccount
              ? 'Your login limit counts per account (or per client and account), so one client gets 5 guesses for every account on its list: credential stuffing is never stopped. ' +
                'Key the 5-per-15-minutes limit on the client alone (req.ip, the default); a per-account limit may come on top of it.'
              : 'POST /login is not limited per client; see 04.login-limited-after-five-failures.'),
      );
    }
    if (reset.status !== 429) {
      const [perAddress, unknownLimited] = await Promise.all([
        oneTarget(() => ({ method: 'POST', path: '/password-reset', options: { headers: from('203.0.113.113'), body: { email: account.email } } })),
        oneTarget(() => ({ method: 'POST', path: '/password-reset', options: { headers: from('203.0.113.115'), body: { email: unknown } } })),
      ]);
      fail(
        `Expected POST /password-reset to answer 429 after 5 requests from one client, each for a different address, got ${reset.status}. ` +
          (perAddress && !unknownLimited
            ? `Requests for addresses without an account are never counted: 6 from one client for ${unknown} (no account) were never refused, while 6 for ${account.email} were. ` +
              'A skip rule or keyGenerator that reads the submitted email leaves those requests out, and a 429 that only real accounts meet tells a client which addresses have one, ' +
              'though the route answers 200 to every address so that nobody can find out. Count every request, whatever it submits, on the client alone (req.ip, the default).'
            : perAddress
              ? 'Your limit counts per address, so one client can have reset mail sent to every address on a list, 5 times each. ' +
                'Key the 5-per-15-minutes limit on the client alone (req.ip, the default); a per-address limit may come on top of it.'
              : 'POST /password-reset is not limited per client; see 04.password-reset-limited.'),
      );
    }
    // Last: the causes above explain a 401 here first.
    if (success.status === 200 && last.status !== 429) {
      t.reproduce(last.request);
      fail(
        `Expected the 7th POST /login from one client (4 failed logins for other accounts, 1 successful login as ${account.email}, then 2 more failed logins) to answer 429, got ${last.status}. ` +
          'Its successful login gave back the guesses it had spent: whoever owns one working account guesses at every other account without limit. ' +
          'Do not reset the client\'s count (resetKey) after a successful login; to count failed logins only, use skipSuccessfulRequests.',
      );
    }
    // A limit per account on top (allowed) must meet an address without an account as it meets the demo
    // account: the same requests for each, every one from a fresh client (so the per-client limit decides
    // nothing), past the per-account limits the text allows, must meet 429 at the same requests.
    const perAccount = async (route: 'login' | 'reset', email: string, first: number) =>
      burst(
        app,
        ACCOUNT_PROBES,
        (index) => ({
          method: 'POST',
          path: route === 'login' ? '/login' : '/password-reset',
          options: { headers: from(`192.0.2.${first + index}`), body: route === 'login' ? { email, password: `guess-${index + 1}` } : { email } },
        }),
        1,
      );
    const nobody = listed(33);
    const [demoLogins, nobodyLogins, demoResets, nobodyResets] = await Promise.all([
      perAccount('login', account.email, 10),
      perAccount('login', nobody, 30),
      perAccount('reset', account.email, 50),
      perAccount('reset', nobody, 70),
    ]);
    const refusedAt = (replies: RawReply[]) => replies.flatMap((reply, index) => (reply.status === 429 ? [index + 1] : []));
    const describe = (at: number[]) =>
      at.length === 0
        ? 'never'
        : at.length > 2 && at.at(-1) === ACCOUNT_PROBES && at.at(-1)! - at[0]! === at.length - 1
          ? `from request ${at[0]} on`
          : `on request${at.length > 1 ? 's' : ''} ${at.join(', ')}`;
    for (const [what, demo, other, tells] of [
      ['failed logins', demoLogins, nobodyLogins, 'a guesser learns which addresses are worth guessing at'],
      ['password-reset requests', demoResets, nobodyResets, 'though the route answers 200 to every address so that nobody can find out'],
    ] as const) {
      const [a, b] = [refusedAt(demo), refusedAt(other)];
      if (a.join() === b.join()) continue;
      const route = what === 'failed logins' ? 'login' : 'reset';
      // Addresses without an account met 429 first: whether a fresh client's first request for another
      // such address is refused too tells one bucket shared by all of them (a key like 'unknown').
      if (b.length > 0 && (a.length === 0 || b[0]! < a[0]!)) {
        const email = freshAddress();
        const stranger = await app.raw('POST', route === 'login' ? '/login' : '/password-reset', {
          headers: from('192.0.2.230'),
          body: route === 'login' ? { email, password: 'guess-1' } : { email },
        });
        if (stranger.status === 429) {
          t.reproduce(stranger.request);
          fail(
            `Expected ${ACCOUNT_PROBES} ${what} for ${account.email} and ${ACCOUNT_PROBES} for ${nobody} (no account), each from a client of its own, to meet 429 at the same requests, ` +
              `got 429 ${describe(a)} for ${account.email} and ${describe(b)} for ${nobody}, and the first request of a client never seen before, for another address without an account, got 429 too. ` +
              "Every address without an account shares one bucket in your limit per account (a key such as findAccount(email)?.email ?? 'unknown'): requests for made-up addresses spend it for everyone, " +
              `and a 429 that addresses without an account meet and real ones do not tells which addresses have one, ${tells}. Key the per-account limit on the normalised email itself, with an account or without.`,
          );
        }
      }
      // The demo account met 429 first, though both met it: this check sent the demo account requests
      // the per-client limiter refused (the 6th of a spent client). Whether requests a spent client sends
      // for a fresh address bring its 429 forward tells a per-account limiter in front of the per-client one.
      if (route === 'login' && a.length > 0 && b.length > 0 && a[0]! < b[0]!) {
        const target = freshAddress();
        await burst(app, 3, (index) => ({ method: 'POST', path: '/login', options: { headers: from('203.0.113.110'), body: { email: target, password: `spent-${index + 1}` } } }), 1);
        const c = refusedAt(await perAccount('login', target, 240));
        if (c.length > 0 && c[0]! < b[0]!) {
          t.reproduce(demo[a[0]! - 1]!.request);
          fail(
            `Expected ${ACCOUNT_PROBES} failed logins for ${account.email} and ${ACCOUNT_PROBES} for ${nobody} (no account), each from a client of its own, to meet 429 at the same requests, ` +
              `got 429 ${describe(a)} for ${account.email} and ${describe(b)} for ${nobody}. The difference is requests the per-client limiter refused: after 3 logins for another fresh address, ` +
              `sent by a client that had spent its 5 (each refused with 429), that address met 429 ${describe(c)}. Your limit per account counts requests the per-client limiter refuses, ` +
              'so it is registered in front of it: a client that keeps sending after its 429 spends the account\'s budget and keeps the customer out. ' +
              "Register the per-client limiter first and the per-account one after it (app.post('/login', perClient, perAccount, handler)), so that it counts only what the per-client limit lets through.",
          );
        }
      }
      t.reproduce((a.length > 0 ? demo : other)[Math.min(...(a.length > 0 ? a : b)) - 1]!.request);
      fail(
        `Expected ${ACCOUNT_PROBES} ${what} for ${account.email} and ${ACCOUNT_PROBES} for ${nobody} (no account), each from a client of its own, to meet 429 at the same requests, ` +
          `got 429 ${describe(a)} for ${account.email} and ${describe(b)} for ${nobody}: a 429 that only addresses with an account meet (or meet first) tells anyone which addresses have one, ${tells}. ` +
          'A limit per account on top of the per-client one must count every address it is given, with an account or without, the same way (key it on the normalised email, whatever findAccount() says).',
      );
    }
    // Limit, don't lock: a day later (the grader moves your app's clock) the customer logs in again.
    await moveHost(hostAhead + DAY_MS);
    const dayLater = await loginAs(app, '192.0.2.99', account.password);
    expectThat(
      dayLater.status === 200,
      () =>
        (t.reproduce(dayLater.request),
        `Expected POST /login with the right password for ${account.email}, from a client of its own, to answer 200 a day after ${ACCOUNT_PROBES} failed logins for that account ` +
          `(each from another client; the grader moved your app's clock 24 hours ahead), got ${dayLater.status}. ` +
          (dayLater.status === 429 || dayLater.status === 423 || dayLater.status === 403
            ? 'The account is locked for good: anyone can keep a customer out of their own account by spending a few wrong passwords on it. ' +
              'Limit, don\'t lock: a limit per account is a window that ends by itself (say 10 failed logins per account per hour), never a lock that only support can lift.'
            : '')),
    );
  });

  t.check('04.login-limit-leaves-api-open', async () => {
    const app = await memoryApp();
    const client = '203.0.113.50';
    const sixth = await bruteForce(app, client);
    expectLimited(sixth, '5 failed logins', 'This check needs login limited first; see 04.login-limited-after-five-failures.');
    await burst(app, 6, () => ({ method: 'POST', path: '/password-reset', options: { headers: from(client), body: { email: freshAddress() } } }));
    for (const path of ['/api/books', '/api/books/1']) {
      const reply = await app.raw('GET', path, { headers: from(client) });
      expectThat(
        reply.status === 200,
        `Expected GET ${path} to answer 200 for a client that used up its login and password-reset attempts, got ${reply.status}. ` +
          'The 5-per-15-minutes limit belongs to those two routes only; the API has its own budget of 100.',
      );
    }
  });

  t.check('04.browsing-leaves-login-open', async () => {
    const [app, run] = await Promise.all([memoryApp(), spentBudgets()]);
    const client = '203.0.113.55';
    const replies = await burst(app, 12, (index) => ({ method: 'GET', path: apiPath(index), options: { headers: from(client) } }));
    expectAll(replies, 200, '12 API requests from one client', 'The API allows 100 requests per 15 minutes per client; the 5 of login and password reset are for those routes only.');
    const browsed = [await loginAs(app, client, account.password), await askReset(app, client)];
    // Then pages no route answers (a browser asks for /favicon.ico on its own): they are nobody's login attempts.
    const pages = ['/favicon.ico', '/robots.txt', '/about', '/books', '/static/app.js', '/apple-touch-icon.png'];
    const wandered = await burst(app, pages.length, (index) => ({ method: 'GET', path: pages[index]!, options: { headers: from(client) } }), 1);
    const again = await loginAs(app, client, account.password);
    if (browsed.every((reply) => reply.status === 200) && again.status !== 200) {
      shown(again);
      fail(
        `Expected POST /login with the right password to answer 200 for a client that had also asked for ${pages.length} pages no route answers (${pages.slice(0, 3).join(', ')} …, answered ${[...new Set(wandered.map((reply) => reply.status))].join('/')}), got ${again.status}. ` +
          (again.status === 429
            ? 'Those requests counted against the 5 of login and password reset: the login limiter sees more than its two routes (router.use(limiter) on a router mounted at / runs for every request that reaches the router). ' +
              'Attach it to POST /login and POST /password-reset only.'
            : ''),
      );
    }
    for (const reply of run.afterApi) {
      const { method, path } = reply.request;
      const expected = path === '/login' ? 401 : 200;
      expectThat(
        reply.status === expected,
        `Expected ${method} ${path}${path === '/login' ? ` with a wrong password for ${listed(50)}` : ''} to answer ${expected} for a client that had spent its 100 API requests, got ${reply.status}. ` +
          (reply.status === 429
            ? "The API's limit reaches beyond /api: a limiter mounted for the whole app (app.use(limiter)) refuses login and password reset to anyone who browsed the catalogue. Mount it with app.use('/api', limiter)."
            : ''),
      );
    }
    for (const reply of browsed) {
      const { method, path } = reply.request;
      expectThat(
        reply.status === 200,
        `Expected ${method} ${path}${path === '/login' ? ' with the right password' : ''} to answer 200 for a client that had made 12 API requests (under the API's 100), got ${reply.status}. ` +
          (reply.status === 429
            ? "The API's requests counted against the 5 of login and password reset: both limiters count in one store under one key per client. Give each limiter a store of its own (leave store out for memory)."
            : ''),
      );
    }
  });

  t.check('04.clients-have-separate-buckets', async () => {
    const app = await memoryApp();
    // Another account than the one the second client uses: a per-account limit on top must not decide this.
    // An IPv6 client owns a whole subnet (a /64 at least, often a /56): its addresses in turn, on an account of its own.
    const in56 = (net: number) => (index: number) => `2001:db8:${net}:${((index * 0x31) % 0x100).toString(16)}::${index + 1}`;
    const ipv6 = in56(4);
    const sixIn56 = async () => {
      const guesses = await burst(app, 5, (index) => ({ method: 'POST', path: '/login', options: { headers: from(ipv6(index)), body: { email: listed(1), password: `guess-${index + 1}` } } }));
      expectAll(guesses, 401, '5 failed logins from one IPv6 client', 'The limit is 5 attempts per 15 minutes, not fewer.');
      return loginAs(app, ipv6(5), 'guess-6', '/login', listed(1));
    };
    // The same for the other two limiters: each keys an IPv6 client by its network.
    const apiIn56 = in56(5);
    const resetIn56 = in56(6);
    /** 100 API requests from one client (its address for each request), all served, then the 101st. */
    const pastApiBudget = async (address: (index: number) => string, client: string) => {
      const reads = await burst(app, 100, (index) => ({ method: 'GET', path: apiPath(index), options: { headers: from(address(index)) } }));
      expectAll(reads, 200, `100 API requests from ${client}`, 'The API allows 100 requests per 15 minutes per client.');
      return app.raw('GET', apiPath(100), { headers: from(address(100)) });
    };
    const v6Api = () => pastApiBudget(apiIn56, 'one IPv6 client');
    const v6Reset = async () => {
      const asks = await burst(app, 5, (index) => ({ method: 'POST', path: '/password-reset', options: { headers: from(resetIn56(index)), body: { email: freshAddress() } } }));
      expectAll(asks, 200, '5 password-reset requests from one IPv6 client', 'The per-client limit is 5 requests per 15 minutes, not fewer.');
      return askReset(app, resetIn56(5));
    };
    // Clients the proxy saw at private and loopback addresses (an office, a VPN, the VPC, the proxy's own host) are clients too.
    // And the shared (CGNAT) range a VPN such as Tailscale hands out, link-local, and the benchmarking range.
    const addressed = ['192.168.7.8', '172.20.1.2', 'fd12:3456:789a::7', '127.0.0.9', '100.100.7.7', '169.254.10.20', '198.18.0.9'];
    // The API from a private address too (red team 04 r10: an API limiter that skipped, or raised the limit for, internal clients passed).
    const internalApi = () => pastApiBudget(() => INTERNAL_READER, `one client at ${INTERNAL_READER}`);
    const [sixth, sixthV6, overApiV6, sixthResetV6, overApiInternal, ...sixthsAt] = await inOrder<RawReply[]>([
      bruteForce(app, '203.0.113.60', listed(0)),
      sixIn56(),
      v6Api(),
      v6Reset(),
      internalApi(),
      ...addressed.map((address, index) => bruteForce(app, address, listed(60 + index))),
    ]);
    expectLimited(sixth!, `5 failed logins for ${listed(0)}`, `This check needs login limited first, whatever account is submitted (${listed(0)} has none); see 04.auth-limits-hold-across-accounts.`);
    const unlimited = sixthsAt.map((reply, index) => ({ reply, address: addressed[index]! })).filter(({ reply }) => reply.status !== 429);
    if (unlimited.length > 0) {
      t.reproduce(unlimited[0]!.reply.request);
      fail(
        `Expected POST /login to answer 429 after 5 failed logins from one client at ${unlimited.map(({ address }) => address).join(', ')} (as the proxy saw it), got ${unlimited[0]!.reply.status}, ` +
          `while a client at 203.0.113.60 was refused after the same attempts. Your limiter skips clients by their address (private, loopback, a VPN's 100.64.0.0/10, link-local or other "internal" ranges): ` +
          'anyone who reaches the proxy from an office, a VPN, another service in the VPC or a compromised host there has no limit at all. ' +
          'Limit every client, whatever its address; if some caller must be exempt, check a key your server issued.',
      );
    }
    if (overApiInternal!.status !== 429 && (await spentBudgets()).api.over.status === 429) {
      t.reproduce(overApiInternal!.request);
      fail(
        `Expected the 101st API request from one client at ${INTERNAL_READER} (as the proxy saw it) to answer 429, got ${overApiInternal!.status}, while a public client was refused after 100: ` +
          'your API limiter skips clients at private or "internal" addresses, or gives them a higher limit. Anyone who reaches the proxy from an office, a VPN or another service in the VPC then reads the catalogue without a limit. ' +
          'Limit every client, whatever its address; if some caller must be exempt, check a key your server issued.',
      );
    }
    // The report's curl line gives the IPv6 request that was let through, not the last one sent.
    if (sixthV6!.status !== 429) t.reproduce(sixthV6!.request);
    expectLimited(
      sixthV6!,
      `5 failed logins from one IPv6 client, each from another address in 2001:db8:4::/56 (${ipv6(0)} … ${ipv6(4)})`,
      'An IPv6 client owns a whole /64 or /56 and can change address at every request, so a bucket per IPv6 address stops nothing. ' +
        "Key on ipKeyGenerator(req.ip) from express-rate-limit (what its default keyGenerator does), which counts an IPv6 client per /56.",
    );
    // Judged where the IPv4 client of the same limiter was refused in the shared run (read only when an IPv6
    // client got through; see 04.api-allows-100-then-429 and 04.password-reset-limited otherwise).
    for (const [reply, sent, net, kind] of [
      [overApiV6!, '100 API requests', apiIn56, 'api'],
      [sixthResetV6!, '5 password-reset requests', resetIn56, 'reset'],
    ] as const) {
      if (reply.status === 429) continue;
      const ipv4 = (await spentBudgets())[kind].over;
      if (ipv4.status !== 429) continue;
      t.reproduce(reply.request);
      expectLimited(
        reply,
        `${sent} from one IPv6 client, each from another address in ${net(0).replace(/:[0-9a-f]+::.*$/, '')}::/56 (${net(0)}, ${net(1)} …)`,
        `The same requests from one IPv4 client were refused (${ipv4.request.method} ${ipv4.request.path} answered 429): the limiter in front of ${reply.request.path} counts each IPv6 address apart. ` +
          'An IPv6 client owns a whole /64 or /56 and can change address at every request. Every limiter must key an IPv6 client by its network: ' +
          'ipKeyGenerator(req.ip) from express-rate-limit (its default keyGenerator, with ipv6Subnet left at 56; ipv6Subnet: false keys by address).',
      );
    }
    const other = '203.0.113.61';
    const reply = await loginAs(app, other, account.password);
    expectThat(
      reply.status === 200,
      `Expected POST /login with the right password from another client (X-Forwarded-For: ${other}) to answer 200, got ${reply.status}. ` +
        (reply.status === 429
          ? (sharedBucket() ?? "Every client shares one bucket: behind a proxy, req.ip is the proxy's address unless you tell Express to trust it (app.set('trust proxy', 1) in createApp()).")
          : ''),
    );
  });

  t.check('04.forwarded-for-cannot-escape', async () => {
    const run = await spentBudgets();
    // Trusting two hops (app.set('trust proxy', 2)) shows as a 429 for the client second from the right.
    const twoHops = run.forwardedFor[3].status === 429;
    const advice = twoHops
      ? `Your app trusts two hops (app.set('trust proxy', 2)?): X-Forwarded-For "198.51.100.4, ${guesser}, 198.51.100.5" was counted against ${guesser}, the second address from the right. ` +
        "Behind one proxy only the right-most entry is written by your proxy; the one before it is whatever the client wrote. Count the hops there are: app.set('trust proxy', 1), and key on req.ip."
      : "Your app takes an X-Forwarded-For entry the client wrote as req.ip: trust proxy true (every hop) or a count of more hops than there are proxies. " +
        "Behind one proxy only the right-most entry is written by your proxy: app.set('trust proxy', 1), and key on req.ip.";
    expectLimited(loginSpent(shownSpent(run.login, 401)), '5 failed logins', 'This check needs login limited first; see 04.login-limited-after-five-failures.');
    expectLimited(shown(run.forwardedFor[0]), `5 failed logins from ${guesser}, which then wrote another address in front of its own`, refilled(run, 'login') ?? advice);
    expectLimited(apiSpent(shownSpent(run.api, 200)), '100 API requests', 'This check needs the API limited first; see 04.api-allows-100-then-429.');
    expectLimited(shown(run.forwardedFor[1]), `100 API requests from ${reader}, which then wrote another address in front of its own`, refilled(run, 'api') ?? advice);
    expectLimited(
      loginSpent(shownSpent(run.insider, 401)),
      `5 failed logins from ${insider} for ${listed(2)}`,
      run.outsider.over.status === 429
        ? `Yet 5 failed logins from a public client (${outsider}) for ${listed(3)}, also without an account, were refused: your limiter skips clients by their address (private, loopback or "internal" ranges). ` +
            'Anyone who reaches the proxy from an office, a VPN or another service in the VPC then has no limit at all. Limit every client, whatever its address; if some caller must be exempt, check a key your server issued.'
        : `This check needs login limited first, whatever account is submitted (${listed(2)} has none); see 04.auth-limits-hold-across-accounts.`,
    );
    expectLimited(
      shown(run.forwardedFor[2]),
      `5 failed logins from ${insider} (a private address, as the proxy saw it), which then wrote another address in front of its own`,
      "A client can sit at a private address too (an office, a VPN, the VPC): trusting private ranges ('uniquelocal', 'loopback, linklocal, uniquelocal', a subnet) " +
        "lets it write the address it wants. Count the hops instead: with one proxy, app.set('trust proxy', 1).",
    );
  });

  t.check('04.client-headers-cannot-skip-a-limit', async () => {
    const run = await spentBudgets();
    expectLimited(apiSpent(shownSpent(run.api, 200)), '100 API requests', 'This check needs the API limited first; see 04.api-allows-100-then-429.');
    expectLimited(loginSpent(shownSpent(run.login, 401)), '5 failed logins', 'This check needs login limited first; see 04.login-limited-after-five-failures.');
    expectLimited(resetSpent(shownSpent(run.reset, 200)), '5 password-reset requests', 'This check needs password reset limited first; see 04.password-reset-limited.');
    for (const { what, after, reply } of run.written) {
      const names = Object.keys(reply.request.headers).filter((name) => !/^(x-forwarded-for|content-type)$/i.test(name));
      const query = reply.request.path.includes('?');
      // Fields beyond the ones the route reads (email, password): the probe that made them up.
      const fields = Object.keys(JSON.parse(reply.request.body ?? '{}') as object).filter((name) => !['email', 'password'].includes(name));
      const written = [
        ...names.map((name) => `${name}: ${reply.request.headers[name]!.length > 40 ? `${reply.request.headers[name]!.slice(0, 40)}…` : reply.request.headers[name]}`),
        ...(fields.length > 0 ? [`body fields ${fields.join(', ')}`] : []),
      ];
      const read = query ? 'the query string' : fields.length > 0 ? `req.body (${fields.join(', ')})` : names.join(' or ');
      const kind = after.includes('API') ? 'api' : after.includes('login') ? 'login' : 'reset';
      // The same route with a query no skip rule could read was let through too: what misses these
      // requests is a route match on the whole URL, not the parameters; 04.path-variants-share-the-bucket fails on it.
      if (query && run.paths[kind].some((variant) => variant.request.path.includes('?') && variant.status !== 429)) continue;
      expectLimited(
        shown(reply),
        `${after} from one client, which then sent ${what}${query ? '' : ` (${written.join(', ')})`}`,
        refilled(run, kind) ??
          `Every header, every query parameter and every field of the body is written by the client, except the address your proxy appends to X-Forwarded-For: ` +
          `a skip rule, keyGenerator or limit function that reads ${read} lets any client out of its limit (a new value is a new bucket, a name a higher limit). ` +
          'Key on req.ip alone and skip nothing a client can write; a real key must be checked against the keys you issued.',
      );
    }
  });

  t.check('04.path-variants-share-the-bucket', async () => {
    const run = await spentBudgets();
    /** Why a spelling of a limited path was let through: a query string names no other route, so the match read the whole URL. */
    const spelled = (reply: RawReply, counted: string, route: string, otherwise: string, attach: string) => {
      const { method, path } = reply.request;
      return path.includes('?')
        ? `${method} ${path} was not counted as ${counted}: Express routes it to the handler of ${route}, so the same bucket must count it. ` +
            `The route match must use the path (req.path), not the URL with its query (req.originalUrl, req.url); better, ${attach}.`
        : `${otherwise}, so the same bucket must count it, but the limiter's match ` +
            (/[A-Z]/.test(path)
              ? `minds the letter case where Express does not (a test on req.path, or a RegExp mount such as app.use(/^\\/api/, limiter) without the i flag): ${attach} instead.`
              : `wants the path exactly, without the trailing slash Express ignores (a test such as req.path === '/login', or a RegExp ending in $): ${attach} instead.`);
    };
    expectLimited(loginSpent(shownSpent(run.login, 401)), '5 failed logins', 'This check needs login limited first; see 04.login-limited-after-five-failures.');
    for (const reply of run.paths.login) {
      const otherwise = `Express routes ${reply.request.path} to the same handler (case-insensitive, trailing slash ignored)`;
      expectLimited(shown(reply), '5 failed logins to POST /login', refilled(run, 'login') ?? spelled(reply, 'a login attempt', 'POST /login', otherwise, 'attach the limiter to the route'));
    }
    expectLimited(resetSpent(shownSpent(run.reset, 200)), '5 password-reset requests', 'This check needs password reset limited first; see 04.password-reset-limited.');
    for (const reply of run.paths.reset) {
      const otherwise = `Express routes ${reply.request.path} to the same handler`;
      expectLimited(
        shown(reply),
        '5 password-reset requests to POST /password-reset',
        refilled(run, 'reset') ?? spelled(reply, 'a password-reset request', 'POST /password-reset', otherwise, 'attach the limiter to the route'),
      );
    }
    expectLimited(apiSpent(shownSpent(run.api, 200)), '100 API requests', 'This check needs the API limited first; see 04.api-allows-100-then-429.');
    for (const reply of run.paths.api) {
      const otherwise = `Express serves ${reply.request.path} from the /api routes`;
      expectLimited(
        shown(reply),
        '100 requests to the API',
        refilled(run, 'api') ?? spelled(reply, 'an API request', 'GET /api/books', otherwise, "mount the limiter with app.use('/api', limiter)"),
      );
    }
  });

  t.check('04.health-never-limited', async () => {
    // The load balancer polls src/server.ts itself, started as a single instance is: without REDIS_URL.
    const started = await t.serverOrExit({ env: {} });
    if (!('client' in started)) {
      fail(
        `Expected src/server.ts started without REDIS_URL to answer GET /health, but it ${started.description} during startup. ` +
          'Without REDIS_URL the limits stay in memory: connect to Redis only when REDIS_URL is set. Its output is below.',
      );
    }
    const app = started.client;
    const replies = await burst(app, 150, () => ({ method: 'GET', path: '/health', options: { headers: from('203.0.113.90') } }), 15);
    expectAll(
      replies,
      200,
      '150 health checks in a row',
      'The load balancer polls /health; a 429 there takes the instance out of service. Register /health before any limiter, or skip it.',
    );
    // A limiter high enough not to refuse 150 probes (a "safety net" of 1000 for the whole app) still
    // counts them, and refuses the load balancer once the budget is spent: it says so in its headers.
    const counted = replies.find((reply) => LIMIT_HEADERS.some((name) => header(reply, name) !== undefined));
    expectThat(
      counted === undefined,
      () =>
        (t.reproduce(counted!.request),
        `Expected GET /health to pass no limiter, but its answer carries ${LIMIT_HEADERS.filter((name) => header(counted!, name) !== undefined).map((name) => `${name}: ${header(counted!, name)}`).join(', ')}: ` +
          'a limiter counts the health probes. However high its limit (a safety net for the whole app, app.use(limiter)), the load balancer polls /health from a few addresses every few seconds, ' +
          'spends it and takes every instance out of service at once. Register /health before every limiter, or skip it in that limiter.'),
    );
    // The in-memory path behind a proxy on another machine (over this machine's network address, when it
    // has one): 6 failed logins from one client leave another client's login open.
    const lan = overLan(app);
    const kept = await burst(lan, 6, (index) => ({ method: 'POST', path: '/login', options: { headers: from('203.0.113.91'), body: { email: listed(70), password: `guess-${index + 1}` } } }), 1);
    const stranger = await loginAs(lan, '203.0.113.92', account.password);
    expectThat(
      stranger.status !== 429,
      () =>
        (t.reproduce(stranger.request),
        `Expected POST /login with the right password from another client (X-Forwarded-For: 203.0.113.92) not to be refused, got 429, after 6 failed logins from 203.0.113.91, ` +
          `both reaching src/server.ts (without REDIS_URL) from ${lanAddress ?? 'loopback'}${lanAddress ? ' (not loopback, as a proxy on another machine does)' : ''}. ` +
          "Every client behind that proxy shares one bucket: the proxy's own address is req.ip. trust proxy 'loopback' (or a list of this machine's addresses) trusts only a proxy on the app's own machine, " +
          "and a load balancer runs elsewhere. Count the hops instead: with one proxy, app.set('trust proxy', 1)."),
    );
    // Those 6 came over one kept-alive connection, so to one process. A proxy opens new connections, and
    // src/server.ts may run several processes (node:cluster workers) that each take some of them: without
    // REDIS_URL each counts in its own memory and allows its own budget. 11 failed logins, each on a
    // connection of its own: from the 6th on, every one must be refused (only when the limit held above:
    // an app with no login limit yet is judged by 04.login-limited-after-five-failures).
    if (kept.at(-1)!.status !== 429) return;
    const fresh = await burst(
      lan,
      11,
      (index) => ({ method: 'POST', path: '/login', options: { headers: { ...from('203.0.113.93'), Connection: 'close' }, body: { email: listed(71), password: `guess-${index + 1}` } } }),
      1,
    );
    const through = fresh.slice(5).filter((reply) => reply.status !== 429);
    expectThat(
      through.length === 0,
      () =>
        (t.reproduce(through[0]!.request),
        `Expected failed logins 6 to 11 from one client to answer 429 on src/server.ts without REDIS_URL, each sent on a new connection as a proxy may, got ${fresh.map((reply) => reply.status).join(', ')}, ` +
          'while the same logins over one kept-alive connection were refused at the 6th. The connections reached processes that count apart: src/server.ts runs several processes (node:cluster workers?), ' +
          'each with a store in its own memory, so each allows its own budget. Several processes need a shared store: without REDIS_URL run one process, and share the counts through Redis when you run several.'),
    );
  });

  // Last: it reads everything the apps of the checks before it printed, the Redis servers' included.
  t.check('04.no-misconfiguration-reported', async () => {
    const app = await memoryApp();
    // One request through each limiter, from behind the proxy: the library checks most of its setup on the first.
    const client = '203.0.113.130';
    await Promise.all([app.raw('GET', '/api/books', { headers: from(client) }), loginAs(app, client, 'guess'), askReset(app, client)]);
    const runs = t.outputSoFar().map(({ env, output }) => ({ redis: Boolean(env.REDIS_URL), found: misconfigurations(output) }));
    const seen = new Map<string, { words: string; redis: boolean[] }>();
    for (const { redis: withRedis, found } of runs) {
      for (const { code, words } of found) {
        const entry = seen.get(code) ?? { words, redis: [] };
        entry.words ||= words;
        entry.redis.push(withRedis);
        seen.set(code, entry);
      }
    }
    const reports = [...seen].map(
      ([code, { words, redis: withRedis }]) => `${code}${words ? ` ("${words}")` : ''}${withRedis.every(Boolean) ? ', printed only when started with REDIS_URL set' : ''}`,
    );
    expectThat(
      reports.length === 0,
      () =>
        `Expected no misconfiguration errors from express-rate-limit in your app's output, got ${reports.join('; ')}. ` +
        'The library checks how each limiter is set up and prints these when something in it would let clients through or count wrong; ' +
        `each code has a page at https://express-rate-limit.github.io/${[...seen.keys()][0]}/.`,
    );
  });
});
