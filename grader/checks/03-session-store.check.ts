import { createHmac, randomBytes } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CookieJar, describeCookie, isDeletion, lifetimeSeconds, setCookieLines, setCookies, type SetCookie } from '../support/cookies.js';
import { CannotJudge, CheckFailure, expectThat, show } from '../support/expect.js';
import { ANSWER_TIMEOUT_MS, type Client, type Reply } from '../support/http.js';
import { lesson, type RunningServer } from '../support/lesson.js';
import { connectedTo } from '../support/app-process.js';
import { installRedis, redis, RedisConnection } from '../support/redis.js';
import { redisOutage } from '../support/redis-outage.js';

/*
 * Where the checks keep sessions. The app reads its store from the environment, as the lesson says:
 * REDIS_URL set: Redis (connect-redis); otherwise the embedded file store in SESSION_DIR.
 *
 * Every grade proves both paths when it can: with Redis (REDIS_URL, or redis-server on PATH) each
 * check that depends on the store runs once with REDIS_URL set and once without it, so that an app
 * whose path without Redis keeps sessions in memory (or refuses to start) cannot pass on a machine
 * that has Redis. Without Redis only the embedded path runs, and 03.sessions-stored-in-redis says
 * how to install Redis. COURSE_SESSION_STORE in the grader's environment chooses only what a
 * machine without Redis does:
 *   unset, "auto" or "embedded": grade the embedded path alone;
 *   "redis": report every check as `error` with install commands (for CI, where Redis must be there).
 * Each check gets stores of its own: a flushed Redis database (REDIS_URL) and, so that nothing lands
 * in the learner's folder if the app ignores REDIS_URL, a temporary SESSION_DIR on the Redis path;
 * only the SESSION_DIR on the embedded path. Two processes of one check share them, as two instances
 * behind one proxy would.
 */
type StorePath = 'redis' | 'embedded';

/**
 * NODE_ENV of each store path's run (two processes sharing a store, a restart, logins and logouts across
 * processes), not production (the one-process checks, the lifetime and the outage run in production):
 * NODE_ENV=development on the Redis path, where a store, a cookie flag or a secret "for development" hides
 * (what `npm run dev` often sets), and unset on the embedded path, as in a deployment that forgot it.
 */
const RUN_NODE_ENV: Record<StorePath, string | undefined> = { redis: 'development', embedded: undefined };
const RUN_MODE_WORDS: Record<StorePath, string> = {
  redis: 'with NODE_ENV=development',
  embedded: 'without NODE_ENV (as in development, or a deployment that forgot it)',
};

/**
 * NODE_ENV of the process that makes the login of the store run, when it differs from RUN_NODE_ENV: on the
 * embedded path, NODE_ENV=test (what a test runner sets), where a MemoryStore, a cookie without Secure or a
 * secret "for the tests" hides. The process that reads the login runs as the rest of the run. On the Redis path,
 * NODE_ENV=production (the rest of the run has development): a Redis prefix made from NODE_ENV splits the
 * processes of one app, which the lesson asks to share sessions whatever NODE_ENV says (one fixed prefix).
 */
const LOGIN_NODE_ENV: Record<StorePath, string | undefined> = { redis: 'production', embedded: 'test' };
const LOGIN_MODE_WORDS: Record<StorePath, string | undefined> = { redis: 'with NODE_ENV=production', embedded: 'with NODE_ENV=test (as a test runner sets it)' };

/** The store paths, in words for messages. */
const PATH_WORDS: Record<StorePath, string> = {
  redis: 'with REDIS_URL set, sessions in Redis',
  embedded: 'without REDIS_URL, sessions in the embedded store in SESSION_DIR',
};

let chosenPaths: Promise<StorePath[]> | undefined;
/** The store paths this machine can prove: both with Redis, the embedded one alone without. */
function storePaths(): Promise<StorePath[]> {
  chosenPaths ??= (async (): Promise<StorePath[]> => {
    const wanted = (process.env.COURSE_SESSION_STORE ?? 'auto').trim().toLowerCase();
    if (!['redis', 'embedded', 'auto', ''].includes(wanted)) {
      throw new CannotJudge(`COURSE_SESSION_STORE must be "redis", "embedded" or unset, got ${show(wanted)}.`);
    }
    try {
      await redis('03-session-store');
      return ['redis', 'embedded'];
    } catch (error) {
      if (!(error instanceof CannotJudge)) throw error;
      if (wanted === 'redis') throw new CannotJudge(`COURSE_SESSION_STORE=redis asks for Redis, and none was found. ${error.message}`);
      return ['embedded'];
    }
  })();
  return chosenPaths;
}

/** The lesson's stated limit: a login lasts at most 8 hours. */
const MAX_SESSION_SECONDS = 8 * 60 * 60;
/** Clock steps between the app's Date header and its Expires. */
const CLOCK_SLACK_SECONDS = 5;
/** How long an app started without a secret has to exit. One that refuses exits as soon as it has loaded. */
const REFUSAL_WAIT_MS = 10_000;
/** How long an app that listened without a secret is watched again from its start, to see whether it exits afterwards (it checked too late: a second after listening, say, behind a start of 2 to 3 s under load). */
const LISTENING_WATCH_MS = 5_000;
const DEMO = { username: 'reader', password: 'open-sesame' };
const WRONG_PASSWORD = { username: 'reader', password: 'not-the-password' };
/** What the one reverse proxy in front of the app adds to every request it forwards. */
const PROXY_HEADERS = { 'X-Forwarded-Proto': 'https' };
/**
 * NODE_ENV of the process whose clock the lifetime check moves, per store path, and of the embedded path's login
 * process: a limit switched off "for development" or "for the tests" (red team 03 r10), or kept "for production"
 * only (red team 03 r9), fails on one of them.
 */
const LIFETIME_NODE_ENV: Record<StorePath, string> = { redis: 'development', embedded: 'production' };
/** NODE_ENV of the embedded path's login process, where the old cookie is replayed too. */
const LIFETIME_LOGIN_NODE_ENV = 'test';
/** How far ahead the clock of the process that must find the session expired runs: past the 8 hours, with room for the run itself. */
const EXPIRED_SHIFT_MS = (MAX_SESSION_SECONDS + 10 * 60) * 1000;
/**
 * How long an app given a REDIS_URL that does not answer is watched after its first try to reach it: a
 * fallback to another store shows within it. Its timers (setTimeout, setInterval, timers/promises,
 * AbortSignal.timeout) and its Date run DEAD_REDIS_SPEEDUP times faster meanwhile, so that a fallback
 * after a timeout of its own of up to half an hour (DEAD_REDIS_HORIZON) shows within these seconds too.
 */
const DEAD_REDIS_WATCH_MS = 6_000;
/** How long it is watched at most, when it never tries that address (under the grader's 10 s limit on a start). */
const DEAD_REDIS_LIMIT_MS = 9_000;
const DEAD_REDIS_SPEEDUP = 300;
/** The key of that start's shared run. */
const DEAD_REDIS_RUN = '03-dead-redis';
/** How long an idle timeout of the app's own must allow: 15 minutes without a request. */
const IDLE_ALLOWED_MS = 15 * 60_000;
/**
 * How long the lifetime check leaves the session unused between two uses, on the app's clock: 3 s under
 * the 15 minutes, so that an idle timeout of 14 min 57 s or less signs the session out, while the real
 * time two requests take (counted: the gap is measured from the previous answer) stays under the 3 s.
 */
const USE_GAP_MS = IDLE_ALLOWED_MS - 3_000;
/** How often the lifetime check uses the session, in words for messages. */
const USE_EVERY = 'every 14 minutes 57 seconds';
/** The longest a login lasts: 8 hours, in ms. */
const LOGIN_LIMIT_MS = MAX_SESSION_SECONDS * 1000;
/**
 * The last use of the session before its 8 hours are over, after the login: it must still hold. 10 s
 * under the limit, room for the request itself (the time is counted from when the login was sent).
 */
const LAST_USE_MS = LOGIN_LIMIT_MS - 10_000;
/**
 * When the lifetime check replays the cookie, after the login: the login must be over. 3 seconds past
 * the 8 hours, room for a login time kept in whole seconds (the time is counted from the login's answer,
 * so the app's clock shows at least this much). A limit with a "grace" of more than that is a longer limit.
 */
const REPLAY_AFTER_MS = LOGIN_LIMIT_MS + 3_000;
/** When the lifetime check asks again, after a replay that still held: over then, the limit is a little longer than 8 hours. */
const LATER_REPLAYS_MS = [LOGIN_LIMIT_MS + 60_000, LOGIN_LIMIT_MS + 30 * 60_000];
/** Where the lifetime check keeps copies of the app's Redis keys while it replays cookies. */
const KEPT_PREFIX = 'course-grader-kept:';
/** How long the grader waits after stopping its Redis before it asks: the app's client has seen the cut and tried again. */
const OUTAGE_NOTICE_MS = 500;
/** While Redis is down, an answer later than this is a wait for Redis (an app that does not wait answers in milliseconds)... */
const OUTAGE_ANSWER_MS = 1_500;
/** ...unless a request that needs no store, sent beside it, was nearly as slow: the machine, not the app. */
const OUTAGE_GAP_MS = 1_000;
/**
 * How long Redis stays down the second time (after the short outage of the timed requests), in real time, and how
 * many times faster the app's timers and clock run meanwhile: half an hour on its clock, past an exit or a
 * reconnectStrategy that gives up after some minutes. Until it has recovered they run RECOVERY_SPEEDUP times
 * faster (node-redis's connect timeout, 5 s, must stay longer than a reconnect takes on a loaded machine).
 */
const OUTAGE_FAST_MS = 1_500;
const OUTAGE_SPEEDUP = 1_200;
/** The tries node-redis's default (2 s apart at most) makes in half an hour, which the long outage waits for... */
const OUTAGE_TRIES = 900;
/** ...for this long at most, in real time. */
const OUTAGE_FAST_MAX_MS = 6_000;
const RECOVERY_SPEEDUP = 40;
/**
 * The last stretch of the second outage, at RECOVERY_SPEEDUP: how long it lasts in real time (a minute on the app's
 * clock), and the longest the app's client may go without a try to reconnect, on its clock. The grader's own
 * listener takes the relay's port meanwhile and resets every connection, as a Redis that refuses, so that
 * each try is seen. A delay capped at 30 s leaves at least half the stretch (30 s on its clock) without one;
 * node-redis's default (2 s at most) or a cap of a few seconds leaves a few seconds.
 */
const SILENCE_STRETCH_MS = 1_500;
const SILENCE_ALLOWED_MS = 15_000;
/** How long an app has to log a customer in again once its Redis is back (node-redis retries every 2 s at most, sped up here). */
const RECOVERY_MS = 6_000;
/** The grader's preload for app processes: a host name of their own (COURSE_HOSTNAME), the ports they listened on (COURSE_LISTEN_FILE). */
const APP_PRELOAD = fileURLToPath(new URL('../support/app-preload.cjs', import.meta.url));
/** NODE_OPTIONS preloading these files, quoted for paths with spaces. */
const preloading = (...files: string[]) => files.map((file) => `--require ${JSON.stringify(file)}`).join(' ');
/** A process told it runs on a machine of its own: HOSTNAME in its environment, and os.hostname() through the preload. */
const onHost = (name: string) => ({ HOSTNAME: name, COURSE_HOSTNAME: name, NODE_OPTIONS: preloading(APP_PRELOAD) });

/** The outcome of one step of a run, kept so that the check that judges it fails with the step's own message. */
type Settled<T> = { value: T } | { error: unknown };
function settle<T>(step: () => Promise<T>): Promise<Settled<T>> {
  return step().then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}
function settled<T>(outcome: Settled<T>): T {
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}

/** Removes every file under a folder, keeping the folders (a store may have made its own subfolder). */
function emptyFolder(dir: string): void {
  for (const file of filesUnder(dir, 5)) rmSync(path.join(dir, file), { force: true });
}

/** What the apps printed during the current check (set by the lesson: t.checkOutput). */
let checkOutput: () => string = () => '';

/**
 * For a login that answered a server error: when the app's output shows its Redis client not connected yet
 * (node-redis's "The client is offline" or "The client is closed"), the likely cause, in words; else empty.
 */
function notConnectedNote(): string {
  const seen = /\b(?:ClientOfflineError|ClientClosedError)\b|The client is (?:offline|closed)/.exec(checkOutput())?.[0];
  return seen
    ? ` The app's output shows its Redis client not connected (${show(seen)}): the app took the request before client.connect() had finished, or after its client was closed. ` +
        'Let createApp await client.connect() before it returns, so that the server listens only once Redis answers, and never close the client on an error.'
    : '';
}

/** A browser behind the proxy: sends X-Forwarded-Proto: https and its cookies, keeps what it is given. */
class Browser {
  constructor(
    readonly client: Client,
    readonly jar = new CookieJar(),
    /** How far the app's wall clock runs ahead of the grader's, in ms (the lifetime check moves it). */
    readonly clockAhead: () => number = () => 0,
  ) {}

  /** The same cookies, sent to another process of the app. */
  on(server: RunningServer): Browser {
    return new Browser(server.client, this.jar, this.clockAhead);
  }

  async request(method: string, route: string, body?: unknown): Promise<Reply> {
    const reply = await this.client.request(method, route, { headers: { ...PROXY_HEADERS, ...this.jar.headers() }, body });
    this.jar.update(reply);
    return reply;
  }

  /**
   * Logs in with the demo account; fails the check unless the app answers 200, sets a cookie, and
   * knows the customer on its next request (GET /me on the same process).
   */
  async login(): Promise<{ reply: Reply; cookies: SetCookie[] }> {
    const reply = await this.request('POST', '/login', DEMO);
    expectThat(
      reply.status === 200,
      `Expected POST /login with the demo account ${show(DEMO)} to answer 200, got ${reply.status} ${show(reply.text, 80)}.${reply.status >= 500 ? notConnectedNote() : ''}`,
    );
    const cookies = setCookies(reply).filter((cookie) => !isDeletion(cookie));
    expectThat(
      cookies.length > 0,
      'Expected POST /login (sent through the proxy, with X-Forwarded-Proto: https) to set a session cookie, got no Set-Cookie header. ' +
        "A Secure cookie is only sent when Express trusts the proxy's header: app.set('trust proxy', 1).",
    );
    const me = await this.me();
    // A cookie whose Expires is already past on the app's own clock names a session the store has let go:
    // an expiry fixed once (cookie.expires computed when the app was made), not one counted from the login.
    const date = Date.parse(String(reply.headers.date ?? ''));
    const appNow = (Number.isNaN(date) ? Date.now() : date) + this.clockAhead();
    const stale = cookies.find((cookie) => cookie.maxAge === undefined && cookie.expires !== undefined && cookie.expires.getTime() <= appNow);
    if (stale && me.status !== 200) throw new CheckFailure(
      `Expected GET /me right after POST /login, on the same process and with the cookie it set, to answer 200, got ${me.status} ${show(me.text, 60)}: ` +
        `the cookie the login set, ${describeCookie(stale)}, expires at ${stale.expires?.toISOString()}, already past on the app's own clock${this.clockAhead() ? ` (moved ${hoursInWords(this.clockAhead() / 3_600_000)} ahead since the app started)` : ''}, ` +
        'so the store holds the new session as expired. The expiry is a fixed date (cookie.expires computed once, when the app was made), not counted from each login: set cookie.maxAge instead.',
    );
    expectThat(
      me.status === 200,
      `Expected GET /me right after POST /login, on the same process and with the cookie it set, to answer 200, got ${me.status} ${show(me.text, 60)}: ` +
        'the login answered 200 and set a cookie, but the session that cookie names holds nobody. req.session.regenerate() replaces req.session only when its callback runs: ' +
        'write the user into req.session inside that callback, not before or after the call.',
    );
    return { reply, cookies };
  }

  me(): Promise<Reply> {
    return this.request('GET', '/me');
  }
}

async function expectLoggedOut(browser: Browser, where: string, why: string): Promise<void> {
  const reply = await browser.me();
  expectThat(
    reply.status === 401,
    reply.status >= 500
      ? `Expected GET /me ${where} to answer 401, got ${reply.status}: a cookie that is no longer valid must read as "not logged in", never as a server error.`
      : `Expected GET /me ${where} to answer 401, got ${reply.status} ${show(reply.text, 60)}: ${why}`,
  );
}

function expectStatus401(reply: Reply, where: string, why: string): void {
  expectThat(
    reply.status === 401,
    reply.status >= 500
      ? `Expected GET /me ${where} to answer 401, got ${reply.status}: a cookie that is no longer valid must read as "not logged in", never as a server error.`
      : `Expected GET /me ${where} to answer 401, got ${reply.status} ${show(reply.text, 60)}: ${why}`,
  );
}

/** Secrets anyone can read: the exercise's own, and express-session's documentation example. */
const KNOWN_SECRETS = ['bookshop-secret', 'keyboard cat'];

/** How many cookies signed with strings from the app's code the secret check sends at once. */
const FORGERIES_AT_ONCE = 8;

/** Folders and files of a lesson folder that the learner did not write: installed packages, git's own, the lockfile. */
const NOT_WRITTEN = new Set(['node_modules', '.git', 'package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml']);
/** Files of the lesson folder read for secrets: code, JSON, and configuration written as KEY=value or key: value. */
const CODE_FILE = /\.(?:[cm]?[jt]sx?|json5?)$/;
const CONFIG_FILE = /(?:^|\/)\.env[^/]*$|\.(?:env|ya?ml|toml|ini|conf|cfg|properties|txt)$/;
/** At most this many files are read, and files up to this size: a folder of session files the app wrote must not cost minutes. */
const FILES_READ = 200;
const LARGEST_FILE = 100_000;

/** The files under `dir` (five levels), relative to it, leaving out what the learner did not write. */
function writtenFiles(dir: string, depth = 5): string[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) =>
    NOT_WRITTEN.has(entry.name)
      ? []
      : entry.isDirectory()
        ? depth > 1 ? writtenFiles(path.join(dir, entry.name), depth - 1).map((file) => path.join(entry.name, file)) : []
        : [entry.name],
  );
}

/**
 * Every string written in the lesson folder `dir` (the learner's files, wherever they are: src/, a JSON
 * file beside it, a committed .env): string literals in code and JSON (comments skipped; literals joined with + also as the one string they make), and the values
 * of KEY=value or key: value lines in configuration files, of 4 to 256 characters. The secrets somebody
 * who reads the repository would try, each with the file it is written in (src/ first). Strings built at run time are out of its reach.
 */
function stringsInCode(dir: string): Map<string, string> {
  /** Each string, with the first file it was found in. */
  const found = new Map<string, string>();
  const add = (value: string, file: string) => {
    if (value.length >= 4 && value.length <= 256 && !value.includes('${') && !found.has(value)) found.set(value, file.split(path.sep).join('/'));
  };
  const files = writtenFiles(dir).sort((a, b) => Number(!a.startsWith(`src${path.sep}`)) - Number(!b.startsWith(`src${path.sep}`)));
  for (const file of files.filter((name) => CODE_FILE.test(name) || CONFIG_FILE.test(name)).slice(0, FILES_READ)) {
    let text: string;
    try {
      if (statSync(path.join(dir, file)).size > LARGEST_FILE) continue;
      text = readFileSync(path.join(dir, file), 'utf8');
    } catch {
      continue;
    }
    if (!CODE_FILE.test(file)) {
      for (const line of text.split('\n')) {
        const value = /^\s*(?:export\s+)?[\w.-]+\s*[=:]\s*(.*?)\s*$/.exec(line)?.[1]?.replace(/^(['"])(.*)\1$/, '$2');
        if (value) add(value, file);
      }
      continue;
    }
    // Literals joined with + ('bookshop-' + 'secret', a long one split over lines) are tried as the string they make too.
    let joined: { value: string; end: number } | undefined;
    for (let at = 0; at < text.length; at++) {
      const char = text[at]!;
      if (char === '/' && text[at + 1] === '/') at = text.indexOf('\n', at) === -1 ? text.length : text.indexOf('\n', at);
      else if (char === '/' && text[at + 1] === '*') at = text.indexOf('*/', at + 2) === -1 ? text.length : text.indexOf('*/', at + 2) + 1;
      else if (char === "'" || char === '"' || char === '`') {
        let value = '';
        let end = at + 1;
        for (; end < text.length && text[end] !== char; end++) {
          if (text[end] === '\\') value += text[++end] ?? '';
          else if (char !== '`' && text[end] === '\n') break;
          else value += text[end];
        }
        const follows = joined && /^\s*\+\s*$/.test(text.slice(joined.end + 1, at));
        joined = { value: follows ? joined!.value + value : value, end };
        at = end;
        add(value, file);
        if (follows) add(joined.value, file);
      }
    }
  }
  return found;
}

/** A signed express-session cookie: "s:" + id + "." + HMAC-SHA256(id, secret) in base64, URL-encoded. */
interface SignedId {
  cookie: string;
  id: string;
  signature: string;
}

function signedIds(cookies: Record<string, string>): SignedId[] {
  return Object.entries(cookies).flatMap(([cookie, value]) => {
    const parts = /^s:(.+)\.([^.]+)$/.exec(safeDecode(value));
    return parts ? [{ cookie, id: parts[1]!, signature: parts[2]! }] : [];
  });
}

function signedWith({ id, signature }: SignedId, secret: string): boolean {
  return signature === createHmac('sha256', secret).update(id).digest('base64').replace(/=+$/, '');
}

/** A cookie re-signed with a secret anyone can read that the app accepted: the key and the app's answer. */
interface Forgery {
  key: string;
  reply: Reply;
}

/**
 * The first of `keys` the app takes a live session of `browser` (logged in) signed with: GET /me with each
 * session cookie re-signed with the key, FORGERIES_AT_ONCE at a time. Undefined when every one reads as
 * signed out (401).
 */
async function acceptedForgery(browser: Browser, keys: string[]): Promise<Forgery | undefined> {
  for (const cookie of signedIds(browser.jar.toObject())) {
    const forgedWith = (key: string) => {
      const forged = `s:${cookie.id}.${createHmac('sha256', key).update(cookie.id).digest('base64').replace(/=+$/, '')}`;
      return new Browser(browser.client, new CookieJar({ ...browser.jar.toObject(), [cookie.cookie]: encodeURIComponent(forged) }));
    };
    for (let next = 0; next < keys.length; next += FORGERIES_AT_ONCE) {
      const batch = keys.slice(next, next + FORGERIES_AT_ONCE);
      const replies = await Promise.all(batch.map((key) => forgedWith(key).me()));
      const accepted = replies.findIndex((reply) => reply.status !== 401);
      if (accepted !== -1) return { key: batch[accepted]!, reply: replies[accepted]! };
    }
  }
  return undefined;
}

/** Where one of these session ids is kept in the check's store, in words, or undefined when it is not there. */
async function findInStore(storePath: StorePath, env: Record<string, string>, ids: string[]): Promise<{ where: string; count: number } | undefined> {
  if (storePath === 'redis') {
    const db = graderConnection(env.REDIS_URL!);
    try {
      const keys = (await db.command('KEYS', '*')) as string[];
      const key = keys.find((candidate) => ids.some((id) => candidate.includes(id)));
      const id = key && ids.find((candidate) => key.includes(candidate))!;
      return key ? { where: `under the key prefix ${show(key.slice(0, key.indexOf(id!)))}`, count: keys.length } : { where: '', count: keys.length };
    } finally {
      db.close();
    }
  }
  const files = filesUnder(env.SESSION_DIR!);
  const file = files.find((candidate) => ids.some((id) => path.basename(candidate).includes(id)));
  if (!file) return { where: '', count: files.length };
  const folder = path.dirname(file);
  return { where: folder === '.' ? 'at its top level' : `in the folder ${show(`${folder}/`)} inside it`, count: files.length };
}

/** Files in a folder and the folders in it (three levels), relative to it. */
function filesUnder(dir: string, depth = 3): string[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) =>
    entry.isDirectory() ? (depth > 1 ? filesUnder(path.join(dir, entry.name), depth - 1).map((file) => path.join(entry.name, file)) : []) : [entry.name],
  );
}

/**
 * Why `other` (a second process of the app, or the app after a restart) does not know a session that
 * `browser` logged in with elsewhere, though both had the same environment: from what the grader can
 * see, the cookie's signature and the store the check gave them.
 */
async function whyUnknown(
  storePath: StorePath,
  env: Record<string, string>,
  browser: Browser,
  atLogin: Awaited<ReturnType<typeof findInStore>>,
  other: RunningServer,
  otherName: string,
  /** What the store held once the grader had stopped the process that made the session (before the restart). */
  afterStop?: Awaited<ReturnType<typeof findInStore>>,
  /** How the process that made the login was started, when not as `other` was (LOGIN_MODE_WORDS). */
  madeUnder?: string,
): Promise<string> {
  const store = storePath === 'redis' ? 'the Redis at REDIS_URL' : 'SESSION_DIR';
  const signed = signedIds(browser.jar.toObject());
  if (!signed.length) return `the session cookie holds no signed session id (s:<id>.<signature>), so ${otherName} cannot look it up in a shared store. Keep the session in express-session and its store.`;
  const first = await findInStore(storePath, env, signed.map((cookie) => cookie.id));
  if (atLogin?.where && !first?.where && afterStop) {
    // The grader stopped the process that made the session, then started another: which of the two emptied the store.
    const gone = `${store} held the session ${atLogin.where} right after the login, ` +
      (afterStop.where ? 'still held it once the grader had stopped the process that made it, and holds nothing for it since the restarted app started' : 'and held nothing for it once the grader had stopped (SIGTERM) the process that made it');
    const stops = !afterStop.where;
    return (
      `${gone} (${first?.count ? `${first.count} ${storePath === 'redis' ? 'keys' : 'files'} there now, none with its id` : 'it is empty now'}): ` +
      `the app deletes what the store holds when it ${stops ? 'stops (a clear() or clean-up at shutdown)' : 'starts'}. Sessions must outlive the processes that made them: do not empty or recreate ${store} at ${stops ? 'shutdown' : 'startup'}.`
    );
  }
  if (atLogin?.where && !first?.where) {
    return (
      `${store} held the session ${atLogin.where} right after the login, and holds nothing for it now (${first?.count ? `${first.count} ${storePath === 'redis' ? 'keys' : 'files'} there, none with its id` : 'it is empty'}): ` +
      `the app deletes what the store holds when it starts${otherName === 'the restarted app' ? '' : ' (or when a second process starts)'}. Sessions must outlive the processes that made them: do not empty or recreate ${store} at startup.`
    );
  }
  if (!first?.where && madeUnder) {
    // Made under another NODE_ENV: whether a login on `other`, started as the rest of the run, reaches the store.
    const visitor = new Browser(other.client);
    const there = (await visitor.login().then(() => true, () => false)) && (await findInStore(storePath, env, signedIds(visitor.jar.toObject()).map((cookie) => cookie.id)));
    if (there && there.where) {
      return (
        `${store} holds nothing for this session, made on a process started ${madeUnder}, while a login on ${otherName}, started ${RUN_MODE_WORDS[storePath]}, is kept there ${there.where}: ` +
        `under that NODE_ENV the app keeps sessions elsewhere, such as in memory (a MemoryStore for the tests). The store must not depend on NODE_ENV: ` +
        (storePath === 'redis' ? 'with REDIS_URL set, always pass the RedisStore to session({ store })' : 'without REDIS_URL, always pass the file store in SESSION_DIR to session({ store })') +
        '; a test suite gets a SESSION_DIR (or a REDIS_URL) of its own.'
      );
    }
  }
  if (!first?.where) {
    return (
      `${store} holds nothing for this session after the login (${first?.count ? `${first.count} ${storePath === 'redis' ? 'keys' : 'files'} there, none with its id` : 'it is empty'}): ` +
      `the session lives where ${otherName} cannot see it, such as the memory of the process that made it (the default MemoryStore, or a store of your own). ` +
      (storePath === 'redis' ? 'With REDIS_URL set, pass a RedisStore to session({ store }), whatever NODE_ENV says' : 'Without REDIS_URL, pass the file store in SESSION_DIR to session({ store }), whatever NODE_ENV says') +
      ` (these processes ran ${RUN_MODE_WORDS[storePath]}).`
    );
  }
  // The store has it: see where the other process keeps the sessions it makes itself.
  const visitor = new Browser(other.client);
  const second = (await visitor.login().then(() => true, () => false)) ? await findInStore(storePath, env, signedIds(visitor.jar.toObject()).map((cookie) => cookie.id)) : undefined;
  if (second && !second.where) {
    return (
      `${store} holds the session ${first.where}, but a login on ${otherName} leaves nothing there: it keeps its sessions elsewhere, such as in memory` +
      ` (it was started ${RUN_MODE_WORDS[storePath]}, ${madeUnder ? `the process that made the session ${madeUnder}` : 'as was the process that made the session'}: a store chosen only in production, or a MemoryStore for development?). ` +
      (storePath === 'redis' ? 'With REDIS_URL set, always pass the RedisStore to session({ store }).' : 'Without REDIS_URL, always pass the file store in SESSION_DIR to session({ store }), whatever NODE_ENV says.')
    );
  }
  if (second?.where && second.where !== first.where) {
    return (
      `${store} holds the session ${first.where}, but ${otherName} keeps its own sessions ${second.where}, and each process looks only there. ` +
      (storePath === 'redis'
        ? `Give RedisStore one fixed prefix, not one made from NODE_ENV${madeUnder ? ` (the process that made the session was started ${madeUnder}, ${otherName} ${RUN_MODE_WORDS[storePath]}: one app, one store, whatever NODE_ENV says)` : ''}, the host name, the process id, the time or a random value.`
        : 'Give the file store the same path in every process: SESSION_DIR itself (or one fixed subfolder of it), not a folder named after the host, the process or a random value.')
    );
  }
  // Blamed on NODE_ENV only when the other process signs with SESSION_SECRET itself (not a secret made up per process).
  const otherSigns = signedIds(visitor.jar.toObject());
  if (madeUnder && otherSigns.length && otherSigns.every((cookie) => signedWith(cookie, env.SESSION_SECRET!)) && signed.some((cookie) => !signedWith(cookie, env.SESSION_SECRET!))) {
    return (
      `${store} holds the session ${first.where}, but the process that made it, started ${madeUnder}, signed its cookie with a key other than the SESSION_SECRET both processes were given, and ${otherName}, started ${RUN_MODE_WORDS[storePath]}, rejects it: ` +
      'under that NODE_ENV the app signs with a secret of its own (one for the tests written in the code, say), which anybody who reads the code can sign a cookie with. The secret must not depend on NODE_ENV: ' +
      'give session({ secret }) the value of process.env.SESSION_SECRET always; a test suite sets a SESSION_SECRET of its own.'
    );
  }
  if (signed.some((cookie) => !signedWith(cookie, env.SESSION_SECRET!))) {
    return (
      `${store} holds the session ${first.where}, but the cookie is not signed with the SESSION_SECRET both processes were given, and ${otherName}, with a key of its own, rejects it. ` +
      'Give session({ secret }) the value of process.env.SESSION_SECRET itself: a secret made up at startup, or a key made from the host name or the process, differs on every process.'
    );
  }
  return `${store} holds the session ${first.where}, yet ${otherName} does not find it.`;
}

const GRADER_CLIENT_NAME = 'course-grader-03';

/** A connection of the grader's own to the check's Redis, named so that a look for the app's connections leaves it out. */
function graderConnection(url: string): RedisConnection {
  const db = new RedisConnection(url);
  db.command('CLIENT', 'SETNAME', GRADER_CLIENT_NAME).catch(() => {}); // commands keep their order: the name comes first
  return db;
}

/**
 * Whether a failure to start says the process exited (or was killed) during startup: then it holds no
 * connection to look at, and what it printed (a crash at import, a refusal) names the cause, not its Redis.
 */
const exitedAtStartup = (error: Error) => /to keep running, but it .* during startup\.|^Your app could not be started/.test(error.message);

/** Adds a sentence to a failure's message, before the pointer to the app's output when there is one. */
function addNote(error: Error, note: string): void {
  const pointer = ' Its output is below.';
  error.message = error.message.endsWith(pointer) ? `${error.message.slice(0, -pointer.length)}${note}${pointer}` : `${error.message}${note}`;
}

/**
 * A note for an app on the Redis path that did not start, or kept nothing in Redis: that no connection
 * from it was open to the Redis it was given, and, for a process still running, where it is connected
 * instead. Empty when the app is connected to REDIS_URL.
 */
async function redisConnectionNote(url: string | undefined, pid?: number): Promise<string> {
  if (!url) return '';
  const db = graderConnection(url);
  try {
    const clients = String(await db.command('CLIENT', 'LIST'))
      .split('\n')
      .filter((line) => line.includes(` db=${new URL(url).pathname.slice(1) || '0'} `) && !line.includes(` name=${GRADER_CLIENT_NAME} `));
    if (clients.length) return '';
    const { host, pathname } = new URL(url);
    const connections = connectedTo(pid);
    if (connections.includes(host)) return ` The app is connected to the Redis server of REDIS_URL (${url}), but not to database ${pathname.slice(1)}, the one the URL names: pass the whole URL to createClient({ url }).`;
    return ` No connection from the app was open to the Redis at REDIS_URL (${url})${connections.length ? `; it is connected to ${connections.join(', ')} instead` : ''}: it does not use the address it was given.`;
  } catch {
    return '';
  } finally {
    db.close();
  }
}


/** The JSON of the session with one of these ids in the store of `env` (Redis at REDIS_URL, or a file in SESSION_DIR), if any. */
async function storedSession(env: Record<string, string>, ids: string[]): Promise<unknown> {
  try {
    if (env.REDIS_URL) {
      const db = graderConnection(env.REDIS_URL);
      try {
        const key = ((await db.command('KEYS', '*')) as string[]).find((name) => !name.startsWith(KEPT_PREFIX) && ids.some((id) => name.includes(id)));
        return key ? JSON.parse(String(await db.command('GET', key))) : undefined;
      } finally {
        db.close();
      }
    }
    const file = filesUnder(env.SESSION_DIR!, 5).find((name) => ids.some((id) => path.basename(name).includes(id)));
    return file ? JSON.parse(readFileSync(path.join(env.SESSION_DIR!, file), 'utf8')) : undefined;
  } catch {
    return undefined; // not JSON (encrypted, a store of its own): nothing to tell
  }
}

/**
 * A field of a stored session (outside express-session's cookie and the file store's own) holding a time within
 * a few seconds of the login, sent at `from` and answered at `to`: a number of milliseconds or seconds, or a
 * string a Date became in JSON (date: true).
 */
function loginTimeKept(session: unknown, from: number, to: number, where = ''): { field: string; value: unknown; date: boolean } | undefined {
  if (!session || typeof session !== 'object') return undefined;
  const near = (ms: number) => ms >= from - 5_000 && ms <= to + 5_000;
  for (const [name, value] of Object.entries(session)) {
    if (!where && (name === 'cookie' || name.startsWith('__'))) continue;
    const field = `${where}${name}`;
    if (typeof value === 'number' && (near(value) || near(value * 1000))) return { field, value, date: false };
    if (typeof value === 'string' && /^\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:\d\d)$/.test(value) && near(Date.parse(value))) return { field, value, date: true };
    const inner = where.split('.').length < 3 ? loginTimeKept(value, from, to, `${field}.`) : undefined;
    if (inner) return inner;
  }
  return undefined;
}

/** Hours in words: 7.83 → "7 hours 50 minutes", 0.2472 → "14 minutes 50 seconds". */
function hoursInWords(hours: number): string {
  const seconds = Math.round(hours * 3600);
  const whole = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  const parts = [whole && `${whole} hour${whole === 1 ? '' : 's'}`, minutes && `${minutes} minute${minutes === 1 ? '' : 's'}`, rest && `${rest} seconds`].filter(Boolean);
  return parts.join(' ') || '0 hours';
}

lesson('03-session-store', (t) => {
  checkOutput = () => t.checkOutput();
  /** expectThat, with `reply`'s request as the curl line of the failure: the request that showed it. */
  function expectOn(reply: Reply | undefined, condition: unknown, message: string): asserts condition {
    if (!condition && reply) t.reproduce(reply.request);
    expectThat(condition, message);
  }

  let shiftScript: string | undefined;
  /**
   * A script for NODE_OPTIONS=--require that moves the process's wall clock (Date, Date.now) ahead by
   * COURSE_CLOCK_SHIFT_MS, plus the number of milliseconds written in the file COURSE_CLOCK_FILE when
   * there is one (read at every call, so the grader moves a running process's clock by writing it): time
   * passing, for a store or a login lifetime judged by the clock of the process that reads it. Only the
   * wall clock moves: a login time must mean the same on every process and after a restart, which a
   * monotonic clock (performance.now(), process.hrtime()) or a timer in one process does not.
   */
  function clockShift(): string {
    if (!shiftScript) {
      const file = path.join(t.tempDir('course-03-clock-'), 'shift-clock.cjs');
      writeFileSync(
        file,
        `const { readFileSync } = require('node:fs');
  const fixed = Number(process.env.COURSE_CLOCK_SHIFT_MS || 0);
  const file = process.env.COURSE_CLOCK_FILE;
  const shift = () => {
    if (!file) return fixed;
    try { return fixed + (Number(readFileSync(file, 'utf8')) || 0); } catch { return fixed; }
  };
  const RealDate = Date;
  class ShiftedDate extends RealDate {
    constructor(...args) { if (args.length === 0) super(RealDate.now() + shift()); else super(...args); }
    static now() { return RealDate.now() + shift(); }
  }
  globalThis.Date = ShiftedDate;
  `,
      );
      shiftScript = file;
    }
    return shiftScript;
  }

  let captureScript: string | undefined;
  /**
   * A script for NODE_OPTIONS=--require that notes every key the app's HMACs are made with (crypto.createHmac:
   * cookie-signature, which express-session and cookie-parser sign and check cookies with, tries every secret of
   * the list when a cookie matches none; the packages may be bundled, Node's crypto is not) in
   * COURSE_SECRETS_FILE, one JSON string a line. Only a proposal: 03.secret-from-environment signs a cookie with
   * each one that is not SESSION_SECRET, and what the app does with that cookie decides (a secret the app builds
   * in its code, from a template literal or a join(), which no reading of the folder finds).
   */
  function secretCapture(): string {
    if (!captureScript) {
      const file = path.join(t.tempDir('course-03-capture-'), 'secret-capture.cjs');
      writeFileSync(
        file,
        `'use strict';
  const crypto = require('node:crypto');
  const { appendFileSync } = require('node:fs');
  const file = process.env.COURSE_SECRETS_FILE;
  if (file) {
    const seen = new Set();
    const createHmac = crypto.createHmac;
    crypto.createHmac = function (algorithm, key, ...rest) {
      if (typeof key === 'string' && !seen.has(key)) {
        seen.add(key);
        try { appendFileSync(file, JSON.stringify(key) + '\\n'); } catch {}
      }
      return createHmac.call(this, algorithm, key, ...rest);
    };
    require('node:module').syncBuiltinESMExports(); // \`import { createHmac } from 'node:crypto'\` too
  }
  `,
      );
      captureScript = file;
    }
    return captureScript;
  }

  let fastScript: string | undefined;
  /**
   * A script for NODE_OPTIONS=--require that runs the process's timers (setTimeout, setInterval, their
   * timers/promises forms, AbortSignal.timeout) and its wall clock (Date) COURSE_TIME_SPEEDUP times
   * faster: a wait of the app's own (a timeout before it falls back, a count of failed reconnects) is
   * over that many times sooner. With COURSE_TIME_SPEEDUP_FILE, the speed is the number written in that
   * file (read every 50 ms; 1 until then), and a change reschedules the timers already pending (a
   * watchdog armed before the speed-up fires as much sooner): the grader speeds a running process up
   * once the answers it times are in. Only while a process is watched, not while its answers are timed.
   */
  function fastTimers(): string {
    if (!fastScript) {
      const file = path.join(t.tempDir('course-03-fast-'), 'fast-timers.cjs');
      writeFileSync(
        file,
        `'use strict';
  const { readFileSync } = require('node:fs');
  const timers = require('node:timers');
  const promises = require('node:timers/promises');
  const speedFile = process.env.COURSE_TIME_SPEEDUP_FILE;
  let factor = Number(process.env.COURSE_TIME_SPEEDUP) || 1;
  const RealDate = Date;
  let realAnchor = RealDate.now();
  let appAnchor = realAnchor;
  const now = () => appAnchor + (RealDate.now() - realAnchor) * factor;
  const faster = (ms) => (typeof ms === 'number' && ms > 0 ? ms / factor : ms);
  // Timers pending, with when they are due on the app's clock (only when the speed can change).
  const pending = new Set();
  const original = { setTimeout: timers.setTimeout, setInterval: timers.setInterval };
  const wrap = (name) => Object.assign(function (callback, ms, ...args) {
    const make = original[name];
    if (!speedFile || typeof callback !== 'function') return make.call(this, callback, faster(ms), ...args);
    const every = typeof ms === 'number' && ms >= 1 ? ms : 1;
    const entry = { due: now() + every, every, repeat: name === 'setInterval', handle: undefined };
    entry.handle = make.call(this, function (...values) {
      if (entry.repeat) entry.due = now() + every;
      else pending.delete(entry);
      return callback.apply(this, values);
    }, faster(ms), ...args);
    if (pending.size > 5000) for (const old of pending) if (old.handle._destroyed) pending.delete(old);
    pending.add(entry);
    return entry.handle;
  }, original[name]);
  for (const name of ['setTimeout', 'setInterval']) {
    const sped = wrap(name);
    globalThis[name] = timers[name] = sped;
    const promised = promises[name];
    promises[name] = name === 'setTimeout' && speedFile
      ? (ms, value, options = {}) => new Promise((resolve, reject) => {
          const { signal, ref = true } = options;
          const aborted = () => Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR', cause: signal.reason });
          if (signal && signal.aborted) return reject(aborted());
          const onAbort = () => { timers.clearTimeout(handle); reject(aborted()); };
          const handle = sped(() => { if (signal) signal.removeEventListener('abort', onAbort); resolve(value); }, ms);
          if (!ref) handle.unref();
          if (signal) signal.addEventListener('abort', onAbort, { once: true });
        })
      : (ms, ...args) => promised(faster(ms), ...args);
    sped[require('node:util').promisify.custom] = promises[name];
  }
  const timeout = AbortSignal.timeout;
  AbortSignal.timeout = (ms) => timeout.call(AbortSignal, faster(ms));
  require('node:module').syncBuiltinESMExports();
  class FastDate extends RealDate {
    constructor(...args) { if (args.length === 0) super(now()); else super(...args); }
    static now() { return now(); }
  }
  globalThis.Date = FastDate;
  if (speedFile) {
    const poll = original.setInterval(() => {
      let next;
      try { next = Number(readFileSync(speedFile, 'utf8')); } catch { return; }
      if (!(next > 0) || next === factor) return;
      const at = now();
      realAnchor = RealDate.now();
      appAnchor = at;
      factor = next;
      for (const entry of pending) {
        const handle = entry.handle;
        if (!handle || handle._destroyed) { pending.delete(entry); continue; }
        if (entry.repeat) handle._repeat = Math.max(1, entry.every / factor);
        handle._idleTimeout = Math.max(1, (entry.due - at) / factor);
        handle.refresh();
      }
    }, 50);
    poll.unref();
  }
  `,
      );
      fastScript = file;
    }
    return fastScript;
  }

  /** Environment for the servers of one check on one store path: the same secret and one shared store, as in production. */
  async function deployment(storePath: StorePath, secret = randomSecret()): Promise<Record<string, string>> {
    const env: Record<string, string> = { NODE_ENV: 'production', SESSION_SECRET: secret, SESSION_DIR: t.tempDir('course-03-sessions-') };
    if (storePath === 'redis') env.REDIS_URL = await (await redis('03-session-store')).isolatedUrl();
    return env;
  }

  /** src/server.ts on this environment; a start that fails on the Redis path says whether the app reached its Redis. */
  async function start(env: Record<string, string>): Promise<RunningServer> {
    try {
      return await t.server({ env });
    } catch (error) {
      if (error instanceof CheckFailure && !exitedAtStartup(error)) addNote(error, await redisConnectionNote(env.REDIS_URL));
      throw error;
    }
  }

  /** Runs `prove` once per store path this machine can prove; a failure says on which path. */
  async function onEveryStore(prove: (storePath: StorePath) => Promise<void>): Promise<void> {
    for (const storePath of await storePaths()) {
      try {
        await prove(storePath);
      } catch (error) {
        if (error instanceof CheckFailure) error.message += ` (Seen ${PATH_WORDS[storePath]}.)`;
        throw error;
      }
    }
  }

  // Checks about one process's answers share one deployment per store path, so that one app host
  // serves them all. They start ahead, while the checks that start servers of their own run.
  const shared = new Map<StorePath, Promise<Record<string, string>>>();
  const sharedDeployment = (storePath: StorePath) => {
    let env = shared.get(storePath);
    if (!env) shared.set(storePath, (env = deployment(storePath)));
    return env;
  };
  t.prestart(
    () => sharedDeployment('redis'),
    () => sharedDeployment('embedded'),
  );

  let written: Map<string, string> | undefined;
  /** Every string written in the lesson folder, with its file (stringsInCode), read once per grade. */
  const writtenStrings = () => (written ??= stringsInCode(t.dir));

  /**
   * A fresh app from createApp({ secret, redisUrl, sessionDir }), in a host process whose
   * environment holds the same values (SESSION_SECRET, REDIS_URL, SESSION_DIR), so that an app
   * reading either works.
   */
  async function oneApp(storePath: StorePath): Promise<{ browser: Browser; secret: string }> {
    const env = await sharedDeployment(storePath);
    try {
      const client = await t.app({ env, args: [{ secret: env.SESSION_SECRET, redisUrl: env.REDIS_URL, sessionDir: env.SESSION_DIR }] });
      return { browser: new Browser(client), secret: env.SESSION_SECRET! };
    } catch (error) {
      if (error instanceof CheckFailure && !exitedAtStartup(error)) addNote(error, await redisConnectionNote(env.REDIS_URL));
      throw error;
    }
  }

  /**
   * src/server.ts given a REDIS_URL whose Redis does not answer (a port of the grader's that resets every
   * connection, as a Redis that is down), watched until DEAD_REDIS_WATCH_MS after its first try to reach it
   * (DEAD_REDIS_LIMIT_MS at most): it may exit with an error, or wait for Redis, or answer without
   * keeping sessions; a login it serves (POST /login, then GET /me with its cookie) was kept somewhere
   * other than the Redis it was given, such as a MemoryStore it fell back to. The verdict in words, or
   * undefined when it did not serve one.
   */
  async function servesLoginsWithRedisDown(): Promise<string | undefined> {
    let tries = 0;
    let firstTry = 0;
    const down = net.createServer((socket) => {
      tries++;
      firstTry ||= Date.now();
      socket.resetAndDestroy();
    });
    await new Promise<void>((resolve, reject) => down.once('error', reject).listen(0, '127.0.0.1', resolve));
    let server: RunningServer | undefined;
    try {
      const url = `redis://127.0.0.1:${(down.address() as net.AddressInfo).port}`;
      const env: Record<string, string> = {
        NODE_ENV: 'production',
        SESSION_SECRET: randomSecret(),
        SESSION_DIR: t.tempDir('course-03-sessions-'),
        REDIS_URL: url,
        NODE_OPTIONS: preloading(fastTimers()),
        COURSE_TIME_SPEEDUP: String(DEAD_REDIS_SPEEDUP),
      };
      const spawned = Date.now();
      // A start still waiting when the watch ends is stopped by serverOrExit's own limit, or with the grade.
      const started = t.serverOrExit({ env }).catch(() => 'waiting' as const);
      let timer: NodeJS.Timeout | undefined;
      const watched = new Promise<'waiting'>((resolve) => {
        timer = setInterval(() => {
          const now = Date.now();
          if ((firstTry && now >= firstTry + DEAD_REDIS_WATCH_MS) || now >= spawned + DEAD_REDIS_LIMIT_MS) resolve('waiting');
        }, 100);
      });
      const outcome = await Promise.race([started, watched]).finally(() => clearInterval(timer));
      const given = `src/server.ts started with REDIS_URL=${url}, a Redis that does not answer (every connection reset)`;
      const tried = tries ? `It tried that address ${tries} time${tries === 1 ? '' : 's'} first` : 'It never tried that address';
      const after = ` within ${((Date.now() - spawned) / 1000).toFixed(1)} s of its start (its timers and clock ran ${DEAD_REDIS_SPEEDUP} times faster: a wait of its own of up to ${Math.round(((Date.now() - spawned) * DEAD_REDIS_SPEEDUP) / 60_000)} minutes was over by then)`;
      if (outcome === 'waiting') return undefined;
      if ('exit' in outcome) {
        return outcome.exit.code === 0
          ? `Expected ${given} to wait for it or to refuse to start with a non-zero exit code, got exit code 0: a supervisor or a deploy reads 0 as success. Exit with process.exit(1).`
          : undefined;
      }
      server = outcome;
      const browser = new Browser(outcome.client);
      const login = await browser.request('POST', '/login', DEMO).catch(() => undefined);
      const me = login?.status === 200 && setCookies(login).some((cookie) => !isDeletion(cookie)) ? await browser.me().catch(() => undefined) : undefined;
      if (me?.status !== 200) {
        // It listened with no store to keep a login in: neither waiting for Redis nor exiting, as the lesson asks.
        return (
          `Expected ${given} to wait for it (not listen) or to refuse to start with a non-zero exit code, got a server listening on its PORT${after}, POST /login answering ${login ? `${login.status} ${show(login.text, 40)}` : 'nothing'}: ` +
          `a deploy or a health probe sees the process up while it cannot keep a login. ${tried}. Let createApp await client.connect() (it retries until Redis answers) before the server listens, or exit with an error.`
        );
      }
      return (
        `Expected ${given} to wait for it or to refuse to start, never to keep sessions elsewhere, got a server listening on its PORT${after}, POST /login 200 and then GET /me 200 with its cookie: ` +
        `the session was kept somewhere other than the Redis at REDIS_URL, such as a MemoryStore or a file store it falls back to after a timeout, which other processes do not share and a restart loses. ${tried}. ` +
        'Let createApp await client.connect() (it waits until Redis answers, however long), or exit with an error; never fall back to another store.'
      );
    } finally {
      down.close();
      await server?.stop();
    }
  }

  /**
   * One process on one store path whose wall clock the grader moves (COURSE_CLOCK_FILE): a login, the
   * session used again every 14 min 57 s on the app's clock, then 10 s before the 8 hours are over
   * (on Redis, every key's expiry moved by as much), each answering 200, then the cookie replayed 3 s
   * after the 8 hours: 401, however busy the session was, also as an attacker who copied the cookies
   * would send them: the other cookies the app set replaced by those of a new login, their times set to
   * now, or dropped. A new login (from a browser without the old cookie) works then. On the embedded
   * path (every machine runs it) the login is made on a second process with the same clock, so that a
   * login time kept in one process's memory is seen for what it is on the process used since.
   */
  async function loginLifetime(storePath: StorePath): Promise<void> {
    const clockFile = path.join(t.tempDir('course-03-clock-file-'), 'ahead-ms');
    const env: Record<string, string> = {
      ...(await deployment(storePath)),
      NODE_ENV: LIFETIME_NODE_ENV[storePath],
      ...onHost('web-1'),
      NODE_OPTIONS: preloading(APP_PRELOAD, clockShift()),
      COURSE_CLOCK_FILE: clockFile,
    };
    let ahead = 0;
    // One connection for every move (on Redis), closed with the check's run below.
    const db = storePath === 'redis' ? graderConnection(env.REDIS_URL!) : undefined;
    const setAhead = async (target: number) => {
      // Never backwards: a clock that runs back would renew what it should end.
      const step = Math.max(0, Math.round(target) - ahead);
      ahead += step;
      // Time passes in Redis too: each key's expiry comes as much closer, and a key whose time is up is gone.
      // Every key at once (one connection keeps the commands in order): fewer round trips on a loaded machine.
      await Promise.all(
        (db ? ((await db.command('KEYS', '*')) as string[]) : []).map(async (key) => {
          const left = Number(await db!.command('PTTL', key));
          if (left > step) await db!.command('PEXPIRE', key, String(left - step));
          else if (left > 0) await db!.command('DEL', key);
        }),
      );
      writeFileSync(clockFile, String(ahead));
    };
    // What the store holds, kept so that it can be put back: an app that refused one replayed cookie may
    // rightly have destroyed the session, and the next replay must meet the session as it was.
    const keep = async (): Promise<() => Promise<void>> => {
      if (db) {
        const keys = ((await db.command('KEYS', '*')) as string[]).filter((key) => !key.startsWith(KEPT_PREFIX));
        await Promise.all(keys.map((key) => db.command('COPY', key, `${KEPT_PREFIX}${key}`, 'REPLACE').catch(() => 0)));
        return async () => {
          await Promise.all(keys.map((key) => db.command('COPY', `${KEPT_PREFIX}${key}`, key, 'REPLACE').catch(() => 0)));
        };
      }
      const dir = env.SESSION_DIR!;
      const files = filesUnder(dir, 5).map((file) => [file, readFileSync(path.join(dir, file))] as const);
      return async () => {
        for (const [file, data] of files) writeFileSync(path.join(dir, file), data);
      };
    };
    try {
      await livesEightHours(env, setAhead, () => ahead, storePath === 'embedded', keep);
    } finally {
      db?.close();
    }
  }

  /**
   * The lifetime run itself, on a process started with `env`, whose clock `setAhead` moves (`ahead` says
   * by how much); with `elsewhere`, the login is made on a second process of the same clock and store.
   * Every move is counted from a moment the grader saw (the login's answer, the last answer), so that
   * the real time a loaded machine takes adds nothing the app could read as idleness or age.
   */
  async function livesEightHours(
    env: Record<string, string>,
    setAhead: (ms: number) => Promise<void>,
    ahead: () => number,
    elsewhere: boolean,
    keep: () => Promise<() => Promise<void>>,
  ): Promise<void> {
    // The login process runs under another NODE_ENV (LIFETIME_LOGIN_NODE_ENV): the 8 hours hold whatever NODE_ENV says.
    const [app, loginApp] = await Promise.all([start(env), elsewhere ? start({ ...env, NODE_ENV: LIFETIME_LOGIN_NODE_ENV, HOSTNAME: 'web-2', COURSE_HOSTNAME: 'web-2' }) : undefined]);
    const loginBrowser = new Browser((loginApp ?? app).client, new CookieJar(), ahead);
    const loginSent = Date.now();
    await loginBrowser.login();
    // The login time the app kept lies between these two moments of the grader's clock (the app's ran with it until now).
    const loginAnswered = Date.now();
    const browser = loginBrowser.on(app);
    const madeOn = `${loginApp ? ` (made on another process of the app, started with NODE_ENV=${LIFETIME_LOGIN_NODE_ENV}, with the same store and clock)` : ''}, on a process started with NODE_ENV=${env.NODE_ENV}`;
    /** `ms` after the login on the app's clock: at least (counted from the login's answer) or at most (from when it was sent). */
    const afterLogin = (ms: number, atLeast: boolean) => setAhead(ms - (Date.now() - (atLeast ? loginAnswered : loginSent)));
    // The session used with USE_GAP_MS between an answer and the next request on the app's clock, then once
    // more at LAST_USE_MS: each must hold. The gap the app may have seen is at most USE_GAP_MS plus the real
    // time of the two requests around it (the last activity lies between the previous request and its answer).
    let lastSent = loginSent;
    let lastAnswered = loginAnswered;
    const uses = Math.ceil(LAST_USE_MS / USE_GAP_MS) - 1;
    for (let use = 1; use <= uses + 1; use++) {
      const moved = Date.now();
      const last = use > uses;
      await (last ? afterLogin(LAST_USE_MS, false) : setAhead(ahead() + USE_GAP_MS - (moved - lastAnswered)));
      const sent = Date.now();
      const reply = await browser.me();
      const answered = Date.now();
      const since = Math.round((answered - loginSent + ahead()) / 1000) * 1000;
      const when = `${hoursInWords(since / 3_600_000)} after the login${madeOn} (the session used ${USE_EVERY} since${last ? ', and once more 10 seconds before the 8 hours are over' : ''})`;
      if (reply.status === 200) {
        lastSent = sent;
        lastAnswered = answered;
        continue;
      }
      const longestIdle = last ? 0 : USE_GAP_MS + (answered - moved) + (lastAnswered - lastSent);
      if (reply.status === 401 && longestIdle >= IDLE_ALLOWED_MS) {
        throw new CannotJudge(
          `GET /me ${when} answered 401, after a gap the app may have seen as ${(longestIdle / 60_000).toFixed(2)} minutes: the machine took ${((longestIdle - USE_GAP_MS) / 1000).toFixed(1)} s for two requests, ` +
            'more than the 3 s the check leaves under the 15 minutes an idle timeout of your own must allow. Grade again when the machine is quieter.',
        );
      }
      throw new CheckFailure(
        reply.status >= 500
          ? `Expected GET /me ${when} to answer 200, got ${reply.status} ${show(reply.text, 60)}: a server error on a login that is still valid.`
          : `Expected GET /me ${when} to answer 200, got ${reply.status} ${show(reply.text, 60)}: the login ended before its 8 hours, ` +
              (last
                ? "10 seconds before they were over on the app's clock: the limit is shorter than 8 hours. "
                : `with its last request ${hoursInWords(USE_GAP_MS / 3_600_000)} before on the app's clock: an idle timeout shorter than the 15 minutes the lesson allows. `) +
              'A login holds for 8 hours, and an idle timeout of your own must allow 15 minutes without a request (more is yours to choose, less signs customers out too soon): check that limit, the unit of the 8 hours (Date.now() counts milliseconds) and what you measure them from, the time of the login.',
      );
    }
    await afterLogin(REPLAY_AFTER_MS, true);
    const replayed = `${hoursInWords(REPLAY_AFTER_MS / 3_600_000)} after the login${madeOn}, with the session cookie used ${USE_EVERY} since`;
    const renewed =
      'every request renewed the session (express-session touches it, and the store renews its expiry: an idle timeout, which rolling: true is too), ' +
      'so a copied cookie used now and then keeps a login alive forever. Keep the time of the login in the session and treat a login older than 8 hours as signed out.';
    // Why a login still held at REPLAY_AFTER_MS, asked only on the way to a failure (it moves the clock on):
    // over a little later, its limit is a little longer than 8 hours; still held then, nothing ends it.
    const whyStillIn = async (jar: CookieJar): Promise<string> => {
      for (const later of LATER_REPLAYS_MS) {
        await afterLogin(later, true);
        if ((await new Browser(app.client, jar.clone()).me()).status !== 401) continue;
        return (
          `the login still held ${hoursInWords(REPLAY_AFTER_MS / 3_600_000)} after it was made and was over ${hoursInWords(later / 3_600_000)} after it: the limit is longer than 8 hours ` +
          '(a grace period, or a limit counted from something later than the login). A login lasts 8 hours: treat a session whose login is older than exactly 8 * 60 * 60 * 1000 ms as signed out.'
        );
      }
      // What the session in the store holds: a login time kept there that does not end the login names another cause.
      const kept = loginTimeKept(await storedSession(env, signedIds(jar.toObject()).map((cookie) => cookie.id)), loginSent, loginAnswered);
      if (kept?.date) {
        return (
          `the session in the store holds the login time ${kept.field}: ${show(kept.value, 40)}, a Date the store gave back as a string (JSON has no dates), ` +
          'so the check of the 8 hours compares with a string: Number() or arithmetic on it is NaN, and a comparison with NaN is never true. Keep the login time as a number, Date.now(), and compare numbers.'
        );
      }
      if (kept) {
        return (
          `the session in the store holds the login time ${kept.field}: ${show(kept.value, 40)}, yet nothing ends the login with it: ` +
          'check the test of the 8 hours on every request (the field it reads, the unit: Date.now() counts milliseconds) and that a login older than 8 hours reads as signed out.'
        );
      }
      return renewed;
    };
    // A new login from a browser that dropped the expired cookie, as a browser does: it must work (no limit
    // counted from the process's start). Its cookies are also what an attacker with an account of his own gets.
    const fresh = new Browser(app.client, new CookieJar(), ahead);
    try {
      await fresh.login();
    } catch (error) {
      if (error instanceof CheckFailure) error.message = `After the first login's 8 hours were over, a new login must work and last 8 hours of its own. ${error.message}`;
      throw error;
    }
    // As an attacker who copied the cookies would send them: the session cookie with the other cookies'
    // times set to now (written as the cookie writes them: digits, an ISO date, inside URI, base64 or
    // base64url encoding), with the other cookies of a new login of his own (whatever they hold, however
    // written or signed), and alone. A login time the browser holds must not outlast any of these. After each refusal
    // the store is put back as it was, so that a session destroyed by one replay does not answer the next.
    const all = browser.jar.toObject();
    const sessionCookies = new Set(signedIds(all).map((signed) => signed.cookie));
    const others = Object.keys(all).filter((name) => !sessionCookies.has(name));
    const freshAll = fresh.jar.toObject();
    const freshSession = new Set(signedIds(freshAll).map((signed) => signed.cookie));
    const freshOthers = Object.keys(freshAll).filter((name) => !freshSession.has(name));
    const sessionAlone = Object.fromEntries([...sessionCookies].map((name) => [name, all[name]!]));
    const attacks: [string, Record<string, string>, string][] = [];
    const bareTime =
      'a login time the browser holds (plain or encoded, but not signed) is no limit. Keep the time of the login where only the server can change it: in the session (or a cookie signed with the secret together with the session id, and treat a missing one as signed out).';
    const now = Date.now() + ahead();
    const layers = new Set<string>();
    const edited = Object.fromEntries(Object.entries(all).map(([name, value]) => [name, sessionCookies.has(name) ? value : withTimesAt(value, now, layers)]));
    const read = layers.size ? ` (read through their ${[...layers].reverse().join(' and ')} encoding and encoded again)` : '';
    if (sessionCookies.size && JSON.stringify(edited) !== JSON.stringify(all)) {
      attacks.push([`with the times in the other cookies the login set (${others.join(', ')}) changed to now${read}`, edited, bareTime]);
    }
    if (sessionCookies.size && freshOthers.length) {
      attacks.push([
        `with the other cookies (${freshOthers.join(', ')}) taken from a new login made just now, as whoever copied the session cookie can take them from a login of his own`,
        { ...Object.fromEntries(freshOthers.map((name) => [name, freshAll[name]!])), ...sessionAlone },
        `the login time rides in a cookie that belongs to no session in particular: the one from any fresh login (an account of the attacker's own) keeps a copied session cookie alive for ever, however it is written or signed (with a key from the code, or even with the secret). ` +
          'Keep the time of the login in the session, or sign it together with the session id (an HMAC of id and time with SESSION_SECRET), so that it is worth nothing beside another session.',
      ]);
    }
    if (sessionCookies.size && others.length) {
      attacks.push([`with the session cookie alone (the other cookies the login set, ${others.join(', ')}, dropped)`, sessionAlone, bareTime]);
    }
    const putBack = attacks.length ? await keep() : undefined;
    for (const [how, cookies, why] of attacks) {
      const attacked = await new Browser(app.client, new CookieJar(cookies)).me();
      if (attacked.status === 401) {
        await putBack!();
        continue;
      }
      const whole = await new Browser(app.client, browser.jar.clone()).me();
      throw new CheckFailure(
        attacked.status >= 500
          ? `Expected GET /me ${replayed}, ${how}, to answer 401, got ${attacked.status}: a login past its 8 hours must read as signed out, never as a server error.`
          : `Expected GET /me ${replayed}, ${how}, to answer 401, got ${attacked.status} ${show(attacked.text, 60)}: ` +
              (whole.status === 401 ? `the login is over only while the browser sends its other cookies back as the app set them, and whoever copied the cookies decides what to send: ${why}` : await whyStillIn(browser.jar)),
      );
    }
    // The store as it was before the late request, put back for the same request on the login process (one that refused it may rightly have destroyed the session).
    const beforeLate = putBack ?? (loginApp ? await keep() : undefined);
    const lateJar = browser.jar.clone();
    const late = await browser.me();
    let sameCookieOnLoginProcess: Reply | undefined;
    if (loginApp) {
      if (late.status === 401) await beforeLate!();
      sameCookieOnLoginProcess = await new Browser(loginApp.client, lateJar).me();
    }
    expectThat(
      late.status === 401,
      late.status >= 500
        ? `Expected GET /me ${replayed}, to answer 401, got ${late.status}: a login past its 8 hours must read as signed out, never as a server error.`
        : `Expected GET /me ${replayed}, to answer 401, got ${late.status} ${show(late.text, 60)}: ` +
            (sameCookieOnLoginProcess?.status === 401
              ? 'the process that made the login ends it, the other does not: the login time is kept in one process (a Map, a timer), where no other process and no restart sees it. Keep the time of the login in the session, which the store shares.'
              : await whyStillIn(browser.jar)),
    );
    // The same cookie on the login process, started under another NODE_ENV: a limit that depends on it is no limit.
    if (sameCookieOnLoginProcess) {
      const reply = sameCookieOnLoginProcess;
      const [there, here] = [`NODE_ENV=${LIFETIME_LOGIN_NODE_ENV}`, `NODE_ENV=${env.NODE_ENV}`];
      expectOn(
        reply,
        reply.status === 401,
        reply.status >= 500
          ? `Expected GET /me ${replayed}, on the process started with ${there}, to answer 401, got ${reply.status}: a login past its 8 hours must read as signed out, never as a server error.`
          : `Expected GET /me ${replayed}, on the process started with ${there}, to answer 401, got ${reply.status} ${show(reply.text, 60)}, while the process started with ${here} answered 401 to the same cookie: ` +
              `the app ends a login after 8 hours under ${here} only. A test run, a development box, a staging server or a deployment that forgot NODE_ENV keeps a copied cookie alive for ever: check the 8 hours on every request, whatever NODE_ENV says.`,
      );
    }
    // Signed out is not locked out: with that cookie still in the browser, the catalogue answers (it needs no
    // session) and a new login works, as it does for a browser without a cookie.
    const lockedOut =
      'a login whose 8 hours are over reads as signed out, not as locked out: treat its session as if there were none (destroy it, or give the request a fresh one with req.session.regenerate()) and let the request go on, so that only the routes that need a customer (GET /me) answer 401.';
    const books = await browser.request('GET', '/books');
    expectOn(
      books,
      books.status === 200,
      `Expected GET /books ${replayed}, to answer 200 (the catalogue is for everybody), got ${books.status} ${show(books.text, 60)}: ${lockedOut}`,
    );
    try {
      await browser.login();
    } catch (error) {
      if (error instanceof CheckFailure) error.message = `After the first login's 8 hours were over, a new login from the browser that still holds its cookie must work. ${error.message} (${lockedOut})`;
      throw error;
    }
  }

  /**
   * One run of the app per store path, which the checks about sharing, restarts, logins, logouts and
   * the stores themselves judge: two processes on one store, each told another host name (HOSTNAME
   * web-1, web-2, and os.hostname() through the preload, as on two machines); a login on the first, then GET /me on the second; the first
   * stopped and a third started, then GET /me there. On the Redis path, the keys and their expiry. Then,
   * with the second process having read the session: a new login and a logout on the third, each
   * followed by the old cookie on the second, which must no longer know it (a copy of sessions kept in
   * a process's memory outlives both); and GET /me once the grader has emptied the store (FLUSHDB, or
   * every file in SESSION_DIR). On the embedded path also: the files in SESSION_DIR after the login, a
   * process given another SESSION_DIR from the start (it must not know the session), and one started
   * on a copy of SESSION_DIR taken after the login with its clock 8 hours and 10 minutes ahead (the
   * session has expired; a copy, so that a store sweeping expired sessions at startup harms nothing
   * else). Why a process did not know the session is worked out while the store still holds what the
   * run left in it. Steps after the restart keep their own outcome, so that each check fails for its
   * own reason.
   */
  interface StoreRun {
    shared: { reply: Reply; why?: string };
    restart: { reply: Reply; why?: string };
    /** GET /me on the second process with the cookie from before a new login on the third. */
    afterRelogin: Settled<Reply>;
    /** GET /me on the second process with a copy of the cookie from before a logout on the third; undefined when the second never knew that session. */
    afterLogout: Settled<Reply | undefined>;
    /** GET /me on the third process, with the cookie of a new login there, once the second was stopped with SIGINT; whether the store lost that session meanwhile. */
    afterSigint: Settled<{ reply: Reply; emptied: boolean } | undefined>;
    /** The cookies the third process (started with RUN_NODE_ENV) set at the new login, and its reply. */
    devLoginCookies?: SetCookie[];
    devLogin?: Reply;
    /** The login on the first process (started with LOGIN_NODE_ENV when there is one) and the cookies it set. */
    firstLogin: Reply;
    firstLoginCookies: SetCookie[];
    /** On the embedded path, a cookie re-signed with a string from the lesson folder that the first process (NODE_ENV=test) accepted. */
    testForgery?: Settled<Forgery | undefined>;
    /** heldAtLogin, heldAfterStop: whether Redis held the session right after the login, and once the first process had stopped. */
    /** devHeld: whether Redis held the session of the new login on the third process (RUN_NODE_ENV), undefined when that login failed. */
    redis?: { keys: string[]; ttls: Map<string, number>; elsewhere: string; filesInSessionDir: number; heldAtLogin: boolean; heldAfterStop: boolean; devHeld?: boolean; afterFlush: Settled<Reply> };
    /**
     * server: the third process, still running (a shared run's processes live until the grade ends): one started
     * from src/server.ts, where what the server loads (a committed .env, say) is live, as it is not in an app
     * built by createApp alone.
     */
    embedded?: { filesAfterLogin: number; otherDir: Settled<Reply>; expired: Settled<Reply>; afterWipe: Settled<Reply>; server: Client; secret: string; secretsFile: string };
  }
  const storeRun = (storePath: StorePath) => async (): Promise<StoreRun> => {
    const env = await deployment(storePath);
    // Not in production (see RUN_NODE_ENV): the store and the cookie's flags must not depend on NODE_ENV, where a
    // MemoryStore, a file store "until production" or a plain-HTTP cookie "for development" hides.
    // Every process of the run alike, but the one that makes the login (LOGIN_NODE_ENV, below).
    delete env.NODE_ENV;
    if (RUN_NODE_ENV[storePath]) env.NODE_ENV = RUN_NODE_ENV[storePath];
    // On the embedded path, a third process from the start, given another SESSION_DIR: it must never know the session.
    const otherStart = storePath === 'embedded' ? settle(() => start({ ...env, SESSION_DIR: t.tempDir('course-03-other-sessions-'), ...onHost('web-4') })) : undefined;
    // The process that makes the login, with NODE_ENV=test on the embedded path and production on Redis (LOGIN_NODE_ENV): the second must know
    // that login (the same store, the same secret), and its cookie must carry the flags the cookie check asks for.
    const loginMode = LOGIN_NODE_ENV[storePath];
    const loginEnv: Record<string, string> = loginMode ? { NODE_ENV: loginMode } : {};
    const [first, second] = await Promise.all([start({ ...env, ...loginEnv, ...onHost('web-1') }), start({ ...env, ...onHost('web-2') })]);
    const browser = new Browser(first.client);
    const { reply: firstLogin, cookies: firstLoginCookies } = await browser.login();
    const loginJar = browser.jar.clone();
    // What the store holds right after the login: a store emptied later (at a restart) is told apart from one never written.
    const atLogin = await findInStore(storePath, env, signedIds(browser.jar.toObject()).map((cookie) => cookie.id));
    const filesAfterLogin = storePath === 'embedded' ? filesUnder(env.SESSION_DIR!).length : 0;
    // Time passing, on the embedded path: a copy of SESSION_DIR as it is now, read by a process whose clock is 8 hours and 10 minutes ahead.
    let laterDir: string | undefined;
    if (storePath === 'embedded') cpSync(env.SESSION_DIR!, (laterDir = t.tempDir('course-03-later-sessions-')), { recursive: true, preserveTimestamps: true });
    // On the process started with NODE_ENV=test, beside: the live session re-signed with each string written in the lesson folder (03.secret-from-environment).
    const [sharedReply, testForgery] = await Promise.all([
      browser.on(second).me(),
      storePath === 'embedded' ? settle(() => acceptedForgery(browser, [...writtenStrings().keys()])) : undefined,
    ]);
    const shared = {
      reply: sharedReply,
      why: sharedReply.status === 200 ? undefined : await whyUnknown(storePath, env, browser, atLogin, second, 'the second process', undefined, LOGIN_MODE_WORDS[storePath]),
    };
    await first.stop();
    // What the store holds between the stop and the restart: a store emptied at shutdown is told apart from one emptied at startup.
    const afterStop = await findInStore(storePath, env, signedIds(loginJar.toObject()).map((cookie) => cookie.id));
    const laterStart = laterDir
      ? settle(() =>
          start({ ...env, SESSION_DIR: laterDir, ...onHost('web-5'), NODE_OPTIONS: preloading(APP_PRELOAD, clockShift()), COURSE_CLOCK_SHIFT_MS: String(EXPIRED_SHIFT_MS) }),
        )
      : undefined;
    // On the embedded path, the secrets the app hands cookie-signature are noted (secretCapture), for 03.secret-from-environment to try.
    const secretsFile = path.join(t.tempDir('course-03-secrets-'), 'secrets.jsonl');
    const third = await start({ ...env, ...onHost('web-3'), ...(storePath === 'embedded' ? { NODE_OPTIONS: preloading(APP_PRELOAD, secretCapture()), COURSE_SECRETS_FILE: secretsFile } : {}) });
    const restartReply = await browser.on(third).me();
    const restart = { reply: restartReply, why: restartReply.status === 200 ? undefined : await whyUnknown(storePath, env, browser, atLogin, third, 'the restarted app', afterStop, LOGIN_MODE_WORDS[storePath]) };
    let redisKeys: { keys: string[]; ttls: Map<string, number>; elsewhere: string; filesInSessionDir: number; heldAtLogin: boolean; heldAfterStop: boolean } | undefined;
    if (storePath === 'redis') {
      const db = graderConnection(env.REDIS_URL!);
      try {
        const keys = (await db.command('KEYS', '*')) as string[];
        const ttls = new Map(await Promise.all(keys.map(async (key) => [key, Number(await db.command('TTL', key))] as const)));
        redisKeys = {
          keys,
          ttls,
          elsewhere: keys.length ? '' : await redisConnectionNote(env.REDIS_URL, third.process.child.pid),
          // The grader sets SESSION_DIR beside REDIS_URL: files there mean the file store won.
          filesInSessionDir: keys.length ? 0 : filesUnder(env.SESSION_DIR!, 5).length,
          heldAtLogin: Boolean(atLogin?.where),
          heldAfterStop: Boolean(afterStop?.where),
        };
      } finally {
        db.close();
      }
    }
    const otherDir = otherStart && (await settle(async () => new Browser(settled(await otherStart).client, loginJar.clone()).me()));
    const expired = laterStart && (await settle(async () => new Browser(settled(await laterStart).client, loginJar.clone()).me()));
    // A new login on the third process; the second read the old session at GET /me above.
    const relogin = browser.on(third);
    let devLoginCookies: SetCookie[] | undefined;
    let devLogin: Reply | undefined;
    const afterRelogin = await settle(async () => {
      const again = (devLogin = await relogin.request('POST', '/login', DEMO));
      devLoginCookies = setCookies(again).filter((cookie) => !isDeletion(cookie));
      expectThat(again.status === 200, `Expected a second POST /login with the demo account to answer 200, got ${again.status} ${show(again.text, 80)}.`);
      return new Browser(second.client, loginJar.clone()).me();
    });
    // Where that new login's session went, on the Redis path: the first process made its login with NODE_ENV=production.
    const devHeld =
      storePath === 'redis' && devLogin?.status === 200 ? Boolean((await findInStore(storePath, env, signedIds(browser.jar.toObject()).map((cookie) => cookie.id)))?.where) : undefined;
    // A logout on the third process, of a session the second has just read.
    const afterLogout = await settle(async () => {
      const visitor = new Browser(third.client);
      await visitor.login();
      const copy = new Browser(second.client, visitor.jar.clone());
      // A second process that does not know the session at all is 03.session-shared-between-processes' failure.
      if ((await copy.me()).status !== 200) return undefined;
      const logout = await visitor.request('POST', '/logout');
      expectThat(logout.status < 400, `Expected POST /logout to succeed, got ${logout.status} ${show(logout.text, 80)}.`);
      return copy.me();
    });
    // The store emptied by the grader, with a live session the process has read: it must be gone.
    const afterEmptied = await settle(async () => {
      const visitor = new Browser(third.client);
      await visitor.login();
      if (storePath === 'redis') {
        const db = graderConnection(env.REDIS_URL!);
        try {
          await db.command('FLUSHDB');
        } finally {
          db.close();
        }
      } else emptyFolder(env.SESSION_DIR!);
      return visitor.me();
    });
    // Last, the second process stopped with SIGINT (Ctrl-C, or a supervisor that sends it; the first was stopped
    // with SIGTERM): the session of a new login on the third must still be there. Undefined when that login did
    // not hold before the stop (the steps above report why).
    const afterSigint = await settle(async () => {
      const visitor = new Browser(third.client);
      if (!(await visitor.login().then(() => true, () => false))) return undefined;
      const ids = () => signedIds(visitor.jar.toObject()).map((cookie) => cookie.id);
      const before = await findInStore(storePath, env, ids());
      if (!before?.where) return undefined;
      await second.process.stop(2000, 'SIGINT');
      const reply = await visitor.me();
      const after = await findInStore(storePath, env, ids());
      return { reply, emptied: !after?.where };
    });
    const firstOnes = { firstLogin, firstLoginCookies, testForgery };
    if (storePath === 'redis') return { shared, restart, afterRelogin, afterLogout, afterSigint, devLoginCookies, devLogin, ...firstOnes, redis: { ...redisKeys!, devHeld, afterFlush: afterEmptied } };
    return { shared, restart, afterRelogin, afterLogout, afterSigint, devLoginCookies, devLogin, ...firstOnes, embedded: { filesAfterLogin, otherDir: otherDir!, expired: expired!, afterWipe: afterEmptied, server: third.client, secret: env.SESSION_SECRET!, secretsFile } };
  };
  /** The run of each store path this machine can prove, all started at once. */
  async function storeRuns(): Promise<Map<StorePath, Promise<StoreRun>>> {
    const paths = await storePaths();
    if (paths.includes('redis') && t.runs('03.sessions-stored-in-redis')) t.startShared(DEAD_REDIS_RUN, servesLoginsWithRedisDown);
    return new Map(
      paths.map((storePath) => {
        const run = t.shared(`03-store-run-${storePath}`, storeRun(storePath));
        // A check awaits one path's run after the other's: a failure meanwhile is reported when it is awaited.
        run.catch(() => {});
        return [storePath, run];
      }),
    );
  }

  // These start servers of their own (the store runs, or a server that must not start): they run side by side.
  t.concurrently(() => {
    t.check('03.session-shared-between-processes', async () => {
      const runs = await storeRuns();
      await onEveryStore(async (storePath) => {
        const { reply, why } = (await runs.get(storePath)!).shared;
        expectThat(reply.status === 200, `Expected GET /me on a second process of the app, started with the same environment, to answer 200, got ${reply.status} ${show(reply.text, 60)}: ${why}`);
      });
    });

    t.check('03.restart-keeps-session', async () => {
      const runs = await storeRuns();
      await onEveryStore(async (storePath) => {
        const { reply, why } = (await runs.get(storePath)!).restart;
        expectThat(
          reply.status === 200,
          `Expected GET /me after the app was restarted with the same environment (${RUN_MODE_WORDS[storePath]}) to answer 200, got ${reply.status} ${show(reply.text, 60)}: the login did not survive the restart: ${why} Every deploy would log every customer out.`,
        );
        // A run that failed before this step is reported by the checks of those steps.
        const sigint = await (runs.get(storePath)!).then((run) => settled(run.afterSigint), () => undefined);
        if (sigint) expectThat(
          sigint.reply.status === 200,
          `Expected GET /me on the restarted app, with the cookie of a login made there, to answer 200 after the grader stopped another process of the app with SIGINT (Ctrl-C, or a supervisor that sends it), got ${sigint.reply.status} ${show(sigint.reply.text, 60)}: ` +
            (sigint.emptied
              ? `${storePath === 'redis' ? 'the Redis at REDIS_URL' : 'SESSION_DIR'} held the session before that stop and holds nothing for it since: the app empties the store when it stops on SIGINT. Sessions must outlive the processes that made them, however a process is stopped: no clean-up of the store at shutdown.`
              : 'the session was lost when another process of the app stopped on SIGINT. Sessions must outlive the processes that made them, however a process is stopped.'),
        );
      });
    });

    t.check('03.refuses-to-start-without-secret', async () => {
      // Where Redis is there, with REDIS_URL: an app refusing for want of Redis would prove nothing.
      const [storePath] = await storePaths();
      const { SESSION_SECRET: _secret, NODE_ENV: _mode, ...env } = await deployment(storePath!);
      // Unset (and NODE_ENV unset), empty with NODE_ENV=development, and unset with NODE_ENV=test: fallbacks "for convenience",
      // "for development" or "for the tests" hide there. A correct app exits at once in each.
      // Each process writes every port it starts listening on to a file (the grader's preload), so that a listen
      // followed at once by an exit is seen however short it was.
      const listenLog = t.tempDir('course-03-listen-');
      let started = 0;
      const watched = (tryEnv: Record<string, string | undefined>): Record<string, string | undefined> & { COURSE_LISTEN_FILE: string } => ({
        ...tryEnv,
        NODE_OPTIONS: preloading(APP_PRELOAD),
        COURSE_LISTEN_FILE: path.join(listenLog, `start-${++started}.txt`),
      });
      const listenedOn = (tryEnv: { COURSE_LISTEN_FILE: string }) =>
        existsSync(tryEnv.COURSE_LISTEN_FILE) ? readFileSync(tryEnv.COURSE_LISTEN_FILE, 'utf8').split('\n').filter(Boolean) : [];
      const tries = [
        ['without SESSION_SECRET (and without NODE_ENV, as in development)', watched(env)],
        ['with SESSION_SECRET set to an empty string (and NODE_ENV=development)', watched({ ...env, NODE_ENV: 'development', SESSION_SECRET: '' })],
        ['without SESSION_SECRET (and NODE_ENV=test, as a test runner sets it)', watched({ ...env, NODE_ENV: 'test' })],
      ] as const;
      const startups = await Promise.all(tries.map(([, tryEnv]) => t.startup({ env: tryEnv }, REFUSAL_WAIT_MS, true)));
      for (const [index, [how, tryEnv]] of tries.entries()) {
        const { exit, acceptedConnection } = startups[index]!;
        const expected = `Expected src/server.ts started ${how} to refuse to start (exit with a non-zero code, never listening)`;
        const ports = listenedOn(tryEnv);
        if (exit && ports.length) {
          const code = exit.code !== null ? `exit code ${exit.code}` : `signal ${exit.signal}`;
          throw new CheckFailure(
            `${expected}, got a server that listened on port ${ports.join(', ')} and exited (${code}) only afterwards: it checks SESSION_SECRET after app.listen() (in its callback, say), so for a moment it takes requests without a secret and a health probe sees it up. Check before listening.`,
          );
        }
        if (acceptedConnection) {
          // What it does after listening names the cause: it exits (it checks too late) or it stays.
          const afterEnv = watched(tryEnv);
          const after = await t.startup({ env: afterEnv }, LISTENING_WATCH_MS);
          const code = after.exit && (after.exit.code !== null ? `exit code ${after.exit.code}` : `signal ${after.exit.signal}`);
          const cause =
            (after.acceptedConnection || listenedOn(afterEnv).length) && after.exit
              ? `, which exited (${code}) only afterwards: it checks SESSION_SECRET after app.listen(), so for a while it takes requests without a secret. Check before listening.`
              : tryEnv.SESSION_SECRET === ''
                ? `, still running ${LISTENING_WATCH_MS / 1000} s later: it takes an empty string for a secret, or puts a fallback in its place (one for development, say). ` +
                  'An empty SESSION_SECRET is as missing as an unset one, whatever NODE_ENV says: test it with if (!secret) and exit, with no fallback, not even for development.'
                : `, still running ${LISTENING_WATCH_MS / 1000} s later: it starts without the secret the deployment must give it, with a fallback written in the code, one made up at startup, or none, and anybody who reads the code can forge a login. Exit when SESSION_SECRET is missing` +
                  (tryEnv.NODE_ENV === 'test' ? ', whatever NODE_ENV says: a fallback for the tests is the secret in the code again, used by every deployment that sets NODE_ENV=test (give your tests a SESSION_SECRET of their own).' : '.');
          throw new CheckFailure(`${expected}, got a server listening on its PORT${cause}`);
        }
        expectThat(exit !== undefined, `${expected}, got a process still running ${REFUSAL_WAIT_MS / 1000} s later without listening: print what is missing and call process.exit(1).`);
        expectThat(exit.code !== 0, `${expected}, got exit code 0: a supervisor or a deploy reads 0 as success. Exit with a non-zero code, process.exit(1).`);
      }
    });

    t.check('03.sessions-stored-in-session-dir', async () => {
      // The embedded path runs on every machine, with Redis or without.
      const { embedded } = await (await storeRuns()).get('embedded')!;
      const { filesAfterLogin, otherDir, expired, afterWipe } = embedded!;
      const seen = ` (Seen ${PATH_WORDS.embedded}, NODE_ENV unset, the login made on a process started ${LOGIN_MODE_WORDS.embedded}.)`;
      expectThat(
        filesAfterLogin > 0,
        `Expected a session file in SESSION_DIR (the folder the app was given) after POST /login, got an empty folder: the app keeps sessions somewhere else, in a folder of its own (such as ./sessions) or in memory. ` +
          `Without REDIS_URL, give the file store SESSION_DIR as its path.${seen}`,
      );
      const unknownThere = (reply: Reply, where: string, why: string) =>
        expectThat(
          reply.status === 401,
          reply.status >= 500
            ? `Expected GET /me ${where} to answer 401, got ${reply.status}: a session that is not there must read as "not logged in", never as a server error.${seen}`
            : `Expected GET /me ${where} to answer 401, got ${reply.status} ${show(reply.text, 60)}: ${why}${seen}`,
        );
      unknownThere(
        settled(otherDir),
        'on a process given another, empty SESSION_DIR (the same secret), with the cookie of a login made elsewhere',
        'the session reached a process whose store is another folder, so the app does not keep sessions in the SESSION_DIR it is given (a path of its own, shared by every deployment on the machine). Give the file store SESSION_DIR as its path.',
      );
      unknownThere(
        settled(expired),
        `on a process started with its clock ${EXPIRED_SHIFT_MS / 3_600_000} hours ahead (the session's 8 hours are over), with the cookie of that session`,
        'the session never expires on the server: a copied cookie (or a browser that ignores Expires) keeps the login forever. session-file-store expires a session from its cookie.maxAge; a store of your own must compare the expiry with the time.',
      );
      unknownThere(
        settled(afterWipe),
        'after the grader emptied SESSION_DIR, with the cookie of a login that process had just read',
        'the app still knows the session with its file gone, so it keeps a copy in its memory that outlives a logout on another process. Let every request read the store.',
      );
    });

    t.check('03.login-ends-8-hours-after-login', async () => {
      // Both store paths at once, each in a process whose wall clock the grader moves; failures in path order.
      const paths = await storePaths();
      const outcomes = await Promise.all(paths.map((storePath) => settle(() => loginLifetime(storePath))));
      for (const [index, outcome] of outcomes.entries()) {
        if ('error' in outcome && outcome.error instanceof CheckFailure) outcome.error.message += ` (Seen ${PATH_WORDS[paths[index]!]}.)`;
        settled(outcome);
      }
    });

    t.check('03.redis-outage-answered-at-once', async () => {
      const server = await redis('03-session-store').catch((error: unknown) => {
        if (error instanceof CannotJudge) throw new CannotJudge(`This check stops a Redis while the app runs, and needs one.\\n${error.message}`);
        throw error;
      });
      const target = await server.isolatedUrl();
      // Its Redis demands a password, carried in the REDIS_URL the app gets: a client built from the URL's host,
      // port and database alone (the password dropped) is refused, as by a production Redis with requirepass.
      const relay = await redisOutage(target, { password: randomBytes(12).toString('hex') });
      const passwordNote = () =>
        relay.refused
          ? ` Its Redis answered NOAUTH (authentication required) to ${relay.refused} command${relay.refused === 1 ? '' : 's'} of the app: REDIS_URL carries a password (redis://:<password>@host:port/db) and the app connected without it, ` +
            'as a client made from the host, port and database of the URL does. Give createClient({ url: REDIS_URL }) the whole URL: its user and password, its database, and rediss: when it says TLS.'
          : '';
      try {
        // Its timers and clock run at their own speed while its answers are timed, then OUTAGE_SPEEDUP times faster (see below).
        const speedFile = path.join(t.tempDir('course-03-speed-'), 'speed');
        const env: Record<string, string> = {
          NODE_ENV: 'production',
          SESSION_SECRET: randomSecret(),
          SESSION_DIR: t.tempDir('course-03-sessions-'),
          REDIS_URL: relay.url,
          NODE_OPTIONS: preloading(fastTimers()),
          COURSE_TIME_SPEEDUP_FILE: speedFile,
        };
        const app = await t.server({ env }).catch(async (error: unknown) => {
          if (error instanceof CheckFailure) addNote(error, passwordNote() || (exitedAtStartup(error) ? '' : await redisConnectionNote(env.REDIS_URL)));
          throw error;
        });
        const browser = new Browser(app.client);
        // Whether a login asks the store before it answers (regenerate() deletes the old id first: DEL), for the message of a login that answers 200 while Redis is down.
        const sentBeforeLogin = relay.commands.length;
        await browser.login().catch((error: unknown) => {
          if (error instanceof CheckFailure) addNote(error, passwordNote());
          throw error;
        });
        const loginDeletes = relay.commands.slice(sentBeforeLogin).some((name) => name === 'DEL' || name === 'UNLINK');
        const db = graderConnection(target);
        const keys = await db.command('KEYS', '*').finally(() => db.close());
        expectThat(
          Array.isArray(keys) && keys.length > 0,
          `Expected the session of POST /login to be kept in the Redis at REDIS_URL, got an empty database, so stopping that Redis proves nothing here: keep sessions in the Redis you are given (03.sessions-stored-in-redis says more).`,
        );
        await relay.down();
        // The app's client sees its connection cut at once; its first try to reconnect comes within 250 ms.
        await new Promise((resolve) => setTimeout(resolve, OUTAGE_NOTICE_MS));
        const during = 'while its Redis is down (the grader stopped it after the login)';
        const answered = async (request: () => Promise<Reply>, what: string): Promise<Reply> => {
          try {
            return await request();
          } catch (error) {
            if (error instanceof CheckFailure && /got none within/.test(error.message)) {
              error.message =
                `Expected ${what} ${during} to be answered at once (a 500 or 503), got no answer within ${ANSWER_TIMEOUT_MS / 1000} s: node-redis queues every command while it reconnects, ` +
                'so each signed-in request waits for as long as Redis is down, and the customer with it. Create the client with disableOfflineQueue: true, so that a command fails at once and the request answers with an error.';
            } else if (error instanceof CheckFailure) error.message = `${error.message} (${what} ${during}: an app that exits when Redis goes away takes every customer down with it, signed in or not.)`;
            throw error;
          }
        };
        // Each request that needs the store beside one that does not (from a visitor without a cookie): the
        // second keeps working, and the first answers about as soon (a wait for Redis shows as a gap).
        const timed = async (request: () => Promise<Reply>) => {
          const begun = performance.now();
          const reply = await request();
          return { reply, ms: performance.now() - begun };
        };
        const visitor = new Browser(app.client);
        const pair = (what: string, request: () => Promise<Reply>, route: string) =>
          Promise.all([timed(() => answered(request, what)), timed(() => answered(() => visitor.request('GET', route), `GET ${route} from a visitor who is not signed in`))]);
        const keepsWorking = (beside: { reply: Reply }, route: string) =>
          expectOn(
            beside.reply,
            beside.reply.status === 200,
            `Expected GET ${route} from a visitor who is not signed in, ${during}, to answer 200, got ${beside.reply.status} ${show(beside.reply.text, 60)}: ` +
              'requests that need no session (the catalogue, the health check) keep working while Redis is down. Let only requests that reach the store fail (an error handler for its errors), not a gate in front of every route.',
          );
        const atOnce = (what: string, asked: { reply: Reply; ms: number }, beside: { ms: number }, route: string) =>
          expectOn(
            asked.reply,
            asked.ms <= OUTAGE_ANSWER_MS || asked.ms <= beside.ms + OUTAGE_GAP_MS,
            `Expected ${what} ${during} to be answered at once (within ${OUTAGE_ANSWER_MS / 1000} s), got its ${asked.reply.status} after ${(asked.ms / 1000).toFixed(1)} s, while GET ${route} sent beside it took ${(beside.ms / 1000).toFixed(1)} s: ` +
              'the request waited for Redis, through a timeout of its own around the store or node-redis\'s offline queue, and the customer with it. Create the client with disableOfflineQueue: true, so that a command fails at once.',
          );
        const [meTimed, health] = await pair('GET /me with the session cookie', () => browser.me(), '/health');
        const me = meTimed.reply;
        expectOn(
          me,
          me.status >= 500,
          me.status === 200
            ? `Expected GET /me ${during} to answer 500 or 503, got 200: the session was read from somewhere other than the Redis at REDIS_URL, such as a copy in the process's memory, which a logout on another process does not reach. Every request reads the store; when it cannot, it fails.`
            : `Expected GET /me ${during} to answer 500 or 503, got ${me.status} ${show(me.text, 60)}: the session is not gone, the store is out of reach. Reading it as signed out sends the customer to a login that cannot work either; let the store's error reach Express's error handler (a server error).`,
        );
        keepsWorking(health, '/health');
        atOnce('GET /me with the session cookie', meTimed, health, '/health');
        // A login from a fresh browser (no cookie): the session it would make cannot be kept.
        const newcomer = new Browser(app.client);
        const [loginTimed, catalogue] = await pair('POST /login with the demo account, from a browser without a cookie,', () => newcomer.request('POST', '/login', DEMO), '/books');
        const login = loginTimed.reply;
        if (login.status === 200) {
          // Where the session went: GET /me with the cookie it set, still during the outage.
          const after = setCookies(login).some((cookie) => !isDeletion(cookie)) ? await newcomer.me().catch(() => undefined) : undefined;
          t.reproduce(login.request);
          throw new CheckFailure(
            `Expected POST /login ${during} to answer 500 or 503, got 200 ${show(login.text, 60)}: ` +
              (after?.status === 200
                ? 'and GET /me with the cookie it set answered 200 too: the new session was kept somewhere other than the Redis at REDIS_URL (a store it falls back to, a copy in memory), which other processes do not share and a restart loses.'
                : `${after ? `GET /me with the cookie it set then answered ${after.status}, so nothing holds that session` : 'it set no session cookie'}: ` +
                  (loginDeletes
                    ? "the login ignored the store's error: req.session.regenerate() asked the store (it deletes the old id first, a DEL the grader saw at the login before the outage), the store failed, and the login went on to answer 200 with an error in regenerate's callback (regenerate(() => …) never looks at err); the session it made was lost when express-session tried to save it after the answer had gone out. " +
                      "Pass the store's error on: req.session.regenerate((err) => { if (err) return next(err); … })."
                    : 'the login answered before it asked the store for anything, and the session it made was lost when express-session tried to save it after the answer had gone out. ' +
                      'Let the login reach the store before it answers and pass the store\'s error on: req.session.regenerate((err) => { if (err) return next(err); … }) asks the store first (a new id also needs it), or req.session.save(callback) before res.json().')),
          );
        }
        expectOn(login, login.status >= 500, `Expected POST /login ${during} to answer 500 or 503, got ${login.status} ${show(login.text, 60)}: a login that cannot be kept is a server error, not a wrong password.`);
        keepsWorking(catalogue, '/books');
        atOnce('POST /login from a browser without a cookie', loginTimed, catalogue, '/books');
        const sentBeforeBack = relay.calls.length;
        const back = 'once its Redis was back';
        /** Brings the relay back and asks for a login until one works (RECOVERY_MS at most); `after` says after what. */
        const recovers = async (after: string) => {
          await relay.up().catch((error: unknown) => {
            throw new CannotJudge(`The grader could not start its Redis relay again: ${(error as Error).message}`);
          });
          let again: Reply | undefined;
          for (const until = Date.now() + RECOVERY_MS; Date.now() < until; await new Promise((resolve) => setTimeout(resolve, 200))) {
            again = await new Browser(app.client).request('POST', '/login', DEMO).catch(() => undefined);
            if (again?.status === 200) break;
          }
          expectOn(
            again,
            again?.status === 200,
            `Expected POST /login ${back}${after} to answer 200 within ${RECOVERY_MS / 1000} s, got ${again ? `${again.status} ${show(again.text, 60)}` : 'no answer'}${app.process.exit ? ` (the process ${app.process.describeExit()})` : ''}: the app does not recover when Redis does. ` +
              'Keep node-redis reconnecting for as long as Redis is away, a few seconds apart at most (its default reconnectStrategy, or one that returns a delay capped at a few seconds, Math.min(…, 5000)): ' +
              'a client that gave up after some tries (a strategy that returns an Error), or was closed on the first error, stays down until the process restarts, and one whose delay grows without a cap (doubling at every try, say) waits ever longer for its next try, long after Redis is back: cap it at a few seconds.' +
              passwordNote(),
          );
        };
        await recovers('');
        // Nothing sent since Redis is back named the session of GET /me sent during the outage (the recovery logins come
        // from browsers without a cookie): a command that names it was kept in node-redis's offline queue and ran late.
        // (A short outage shows it: in a longer one, node-redis drops its queue when a reconnect fails.)
        const outageIds = signedIds(browser.jar.toObject()).map((cookie) => cookie.id);
        const late = relay.calls.slice(sentBeforeBack).find((call) => call.slice(1).some((arg) => outageIds.some((id) => arg.includes(id))));
        expectOn(
          me,
          !late,
          `Expected no command from the outage to reach Redis once it was back, got ${show(late?.slice(0, 2).join(' '), 80)} sent after the reconnect, for the session of GET /me ${during}, which had been answered long before: ` +
            'node-redis kept the command in its offline queue and sent it once Redis was back. A timeout of your own around the store answers the customer, but the queued commands still run later, in any order with new ones (a write from the outage can bring back or overwrite a session). ' +
            'Create the client with disableOfflineQueue: true, so that a command sent while Redis is away fails at once and is never sent.',
        );
        const old = await browser.me();
        expectOn(
          old,
          old.status === 200,
          `Expected GET /me ${back}, with the cookie of the login made before Redis went down, to answer 200, got ${old.status} ${show(old.text, 60)}: the session is still in Redis, so the app lost track of it while Redis was down (it destroyed it, or forgot it when a request failed).`,
        );
        // A real outage lasts longer than these requests took: Redis goes down again, for half an hour on the app's
        // clock (its timers and Date sped up, pending ones too), long enough for a client that gives up reconnecting
        // (a reconnectStrategy that returns an Error after some tries) or a watchdog that exits after some minutes to do so.
        await relay.down();
        // Every try to reconnect is seen from here on (a listener of the grader's on the relay's port that resets each
        // connection, as a Redis that refuses): the outage lasts until the client has tried as often as node-redis's
        // default makes it try in half an hour (red team 03 r10: a give-up after 450 tries passed, since each refused
        // connect costs real time the sped-up clock does not shorten), within OUTAGE_FAST_MAX_MS.
        const tries: number[] = [];
        const refusing = net.createServer((socket) => {
          tries.push(performance.now());
          socket.resetAndDestroy();
        });
        const port = Number(new URL(relay.url).port);
        const listening = await new Promise<boolean>((resolve) => refusing.once('error', () => resolve(false)).listen(port, '127.0.0.1', () => resolve(true)));
        writeFileSync(speedFile, String(OUTAGE_SPEEDUP));
        const fastFrom = Date.now();
        while (app.process.running && Date.now() - fastFrom < OUTAGE_FAST_MAX_MS && (Date.now() - fastFrom < OUTAGE_FAST_MS || (listening && tries.length < OUTAGE_TRIES))) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const [triedInOutage, fastFor] = [tries.length, Date.now() - fastFrom];
        // Back to a pace at which a reconnect to the relay fits in node-redis's connect timeout (the app reads the file every 50 ms).
        writeFileSync(speedFile, String(RECOVERY_SPEEDUP));
        await Promise.race([new Promise((resolve) => setTimeout(resolve, 120)), app.process.exited]);
        // The last minute of the outage on the app's clock, so that the longest wait between tries shows (see SILENCE_STRETCH_MS).
        tries.length = 0;
        const stretchFrom = performance.now();
        if (listening) await Promise.race([new Promise((resolve) => setTimeout(resolve, SILENCE_STRETCH_MS)), app.process.exited]);
        const stretchTo = performance.now();
        await new Promise<void>((resolve) => (listening ? refusing.close(() => resolve()) : resolve()));
        const longOutage = `a second outage of ${Math.round((fastFor * OUTAGE_SPEEDUP) / 60_000)} minutes or so on its clock${listening ? `, with ${triedInOutage} tries to reconnect refused before its last minute` : ''} (the grader ran its timers and clock faster meanwhile)`;
        expectThat(
          !app.process.exit,
          `Expected the app to keep running while its Redis is down, got a process that ${app.process.describeExit()} during ${longOutage}: ` +
            'an app that exits when Redis goes away takes the whole shop down with it (the catalogue, the health check, every customer), and a restart cannot bring back a Redis that is still down. ' +
            'Leave node-redis reconnecting by itself and answer the requests that need the store with an error meanwhile; never exit on a Redis error.',
        );
        // No try at all: a client that gave up, or a delay that grew without a cap; the recovery below names it.
        if (listening && tries.length) {
          const marks = [stretchFrom, ...tries, stretchTo];
          const longest = Math.max(...marks.slice(1).map((mark, index) => mark - marks[index]!)) * RECOVERY_SPEEDUP;
          // Also fewer tries than one per SILENCE_ALLOWED_MS on average: a process the loaded machine stalled for a moment still tried often.
          expectThat(
            longest <= SILENCE_ALLOWED_MS || tries.length >= (SILENCE_STRETCH_MS * RECOVERY_SPEEDUP) / SILENCE_ALLOWED_MS,
            `Expected the app's Redis client to keep trying to reconnect a few seconds apart at most while Redis is down, got ${tries.length} tr${tries.length === 1 ? 'y' : 'ies'} to reconnect in the last ` +
              `${Math.round((SILENCE_STRETCH_MS * RECOVERY_SPEEDUP) / 1000)} s (on its clock) of ${longOutage}, with up to ${Math.round(longest / 1000)} s without one: ` +
              'its reconnect delay grows to far more than a few seconds (a backoff capped at 30 s, or one without a cap), so after every outage the shop stays without sessions that long after Redis is back. ' +
              'Cap the delay at a few seconds (reconnectStrategy: (retries) => Math.min(retries * 50, 2000), or node-redis\'s default, 2 s at most).',
          );
        }
        await recovers(`, after ${longOutage},`);
        writeFileSync(speedFile, '1');
      } finally {
        await relay.close();
      }
    });
  });

  t.check('03.secret-from-environment', () =>
    onEveryStore(async (storePath) => {
      const { browser, secret } = await oneApp(storePath);
      const { cookies } = await browser.login();
      const signed = signedIds(Object.fromEntries(cookies.map((cookie) => [cookie.name, cookie.value])));
      expectThat(
        signed.length > 0,
        `Expected the session cookie set by POST /login to hold a signed session id (s:<id>.<signature>), got ${show(cookies.map((cookie) => `${cookie.name}=${cookie.value}`).join('; '), 100)}.`,
      );
      for (const cookie of signed) {
        expectThat(
          signedWith(cookie, secret),
          `Expected the session cookie ${cookie.cookie} to be signed with the SESSION_SECRET the app was started with (express-session's HMAC-SHA256 of the session id with that value), got a signature made with another key. ` +
            'The lesson asks for the value of SESSION_SECRET itself as the secret of session({ secret }): not a secret written in the code, not one made up at startup, and not a key derived from SESSION_SECRET either, which the grader cannot tell from those.',
        );
      }
      // A live session id signed with a secret anyone can read must not be accepted either: an old secret kept in
      // a list beside the real one still opens every session. Tried here: the exercise's secret and the docs'
      // example. On the embedded path (every machine runs it) also every string written in the lesson folder
      // (src/, a JSON or .env file beside it), as somebody who reads the repository would try them, on the store
      // run's last process, started from src/server.ts (what it loads is live there, as it is not in an app built
      // by createApp alone), or here when that process offers no login.
      const known = await acceptedForgery(browser, KNOWN_SECRETS);
      if (known) throwForgery(known, new Map());
      if (storePath !== 'embedded') return;
      const server = (await (await storeRuns()).get(storePath)!.catch(() => undefined))?.embedded?.server;
      const visitor = server && new Browser(server);
      const loggedIn = visitor && (await visitor.login().then(async () => (await visitor.me()).status === 200).catch(() => false));
      const written = writtenStrings();
      const forgery = await acceptedForgery(loggedIn ? visitor : browser, [...written.keys()].filter((key) => !KNOWN_SECRETS.includes(key)));
      if (forgery) throwForgery(forgery, written);
      // The HMAC keys of that process (express-session checks a cookie that matches no secret against each of them), other
      // than its SESSION_SECRET and those tried already: built in the code (a template literal, a join()), which no
      // reading of the folder finds. A cookie signed with each must read as signed out.
      const embedded = (await (await storeRuns()).get(storePath)!.catch(() => undefined))?.embedded;
      if (loggedIn && embedded) {
        const captured = () => {
          try {
            return readFileSync(embedded.secretsFile, 'utf8').split('\n').filter(Boolean).map((line) => String(JSON.parse(line)));
          } catch {
            return [];
          }
        };
        // A cookie no secret matches, so that every secret of the list is checked against it (and noted).
        if (!captured().some((key) => key !== embedded.secret)) await acceptedForgery(visitor, [randomSecret()]);
        const built = captured().filter((key) => key !== embedded.secret && !written.has(key) && !KNOWN_SECRETS.includes(key));
        const builtForgery = await acceptedForgery(visitor, built);
        if (builtForgery) throwForgery(builtForgery, written, '', true);
        // Any other HMAC the app makes with a string from the repository (a cookie of its own that holds the login time,
        // say): what it signs, anyone who reads the code signs too (red team 03 r10: a login-time cookie signed with a key
        // written in the code passed, and a forged one kept a copied session alive past its 8 hours).
        const fromCode = captured().find((key) => key !== embedded.secret && (written.has(key) || KNOWN_SECRETS.includes(key)));
        if (fromCode) {
          throw new CheckFailure(
            `Expected every key the app signs with to come from the environment, got HMACs made with ${show(fromCode)}, ${written.has(fromCode) ? `a string written in ${written.get(fromCode)}` : 'a secret printed in the docs'}, ` +
              'after a login and GET /me: whatever the app signs with it (a cookie of its own, the time of a login), anyone who reads the code can sign too. Sign with SESSION_SECRET (or a key derived from it), never with a string in the code.',
          );
        }
      }
      // The same on the store run's first process, started with NODE_ENV=test (LOGIN_NODE_ENV): a secret "for the tests" beside SESSION_SECRET.
      const underTest = (await (await storeRuns()).get(storePath)!.catch(() => undefined))?.testForgery;
      const testForgery = underTest && settled(underTest);
      if (testForgery) throwForgery(testForgery, written, `on a process started ${LOGIN_MODE_WORDS[storePath]}`);
    }),
  );

  /** The failure for a cookie re-signed with a secret from the repository that the app accepted. */
  function throwForgery({ key, reply }: Forgery, written: Map<string, string>, how = '', built = false): never {
    t.reproduce(reply.request);
    const where = `${how ? `${how}, ` : ''}with the session cookie re-signed with ${
      KNOWN_SECRETS.includes(key)
        ? `the secret ${show(key)}`
        : built
          ? `${show(key)}, a secret the app gave express-session beside SESSION_SECRET, built in its code (a template literal, a join(), a constant made of others: no environment variable the grader set holds it),`
          : `${show(key)}, a string written in ${written.get(key)},`
    }`;
    throw new CheckFailure(
      reply.status >= 500
        ? `Expected GET /me ${where} to answer 401, got ${reply.status}: a cookie that is no longer valid must read as "not logged in", never as a server error.`
        : `Expected GET /me ${where} to answer 401, got ${reply.status} ${show(reply.text, 60)}: the app still accepts cookies signed with a secret written in the repository, in code or in a file committed beside it, which anyone who reads the code can use ` +
            '(an old secret kept beside SESSION_SECRET, a fallback for a missing SESSION_SECRET_PREVIOUS, a value of a committed .env the server loads). Keep only secrets from the environment in the list you give express-session (an old one in SESSION_SECRET_PREVIOUS, say).',
    );
  }

  t.check('03.cookie-httponly-secure-samesite', () =>
    onEveryStore(async (storePath) => {
      const { browser } = await oneApp(storePath);
      const { reply: login, cookies } = await browser.login();
      // Also the login on a process started not in production (RUN_NODE_ENV; a run that failed before is reported by the store checks).
      const run = await (await storeRuns()).get(storePath)!.catch(() => undefined);
      for (const [cookie, how, setBy] of [
        ...cookies.map((cookie) => [cookie, '', login] as const),
        ...(run?.devLoginCookies ?? []).map((cookie) => [cookie, ` on a process started ${RUN_MODE_WORDS[storePath]}`, run?.devLogin] as const),
        // And the login on the process started with NODE_ENV=test (LOGIN_NODE_ENV), where a cookie "for the tests" hides.
        ...(LOGIN_MODE_WORDS[storePath] ? run?.firstLoginCookies ?? [] : []).map((cookie) => [cookie, ` on a process started ${LOGIN_MODE_WORDS[storePath]}`, run?.firstLogin] as const),
      ]) {
        const missing = [
          !cookie.httpOnly && 'HttpOnly (scripts on the page could read it)',
          !cookie.secure && 'Secure (it would travel over plain HTTP)',
          !/^(lax|strict)$/i.test(cookie.sameSite ?? '') && 'SameSite=Lax or Strict (other sites could send it along)',
        ].filter(Boolean);
        expectOn(
          setBy,
          missing.length === 0,
          `Expected the session cookie set by POST /login${how} to be HttpOnly, Secure and SameSite=Lax or Strict, got ${describeCookie(cookie)}: missing ${missing.join(', ')}.` +
            (how ? ' Set them unconditionally, whatever NODE_ENV says (not only in production, never off for development or for the tests): trust proxy makes Secure work behind the proxy.' : ''),
        );
      }
      // A login that reached the app without the proxy's header (a direct hit on its port, a proxy rule that forgot
      // it): the cookie must still be Secure, or not be set at all, as express-session does with secure: true.
      const direct = await browser.client.request('POST', '/login', { body: DEMO });
      const plain = setCookies(direct).find((cookie) => !isDeletion(cookie) && !cookie.secure);
      expectOn(
        direct,
        !plain,
        `Expected POST /login sent without X-Forwarded-Proto: https (a request that reached the app past the proxy) to set no session cookie or a Secure one, got ${plain && describeCookie(plain)}: ` +
          "the Secure flag follows the request (secure: 'auto', or a flag made from req.secure), so whenever the header is missing the login cookie travels over plain HTTP. Set secure: true: express-session then sets no cookie on such a request.",
      );
    }),
  );

  t.check('03.cookie-expires-within-limit', () =>
    onEveryStore(async (storePath) => {
      const { browser } = await oneApp(storePath);
      const { reply, cookies } = await browser.login();
      for (const cookie of cookies) {
        const lifetime = lifetimeSeconds(cookie, reply);
        expectThat(
          lifetime !== undefined,
          `Expected the session cookie set by POST /login to carry Max-Age or Expires of at most ${MAX_SESSION_SECONDS} s (8 hours), got ${describeCookie(cookie)}: no expiry, so the login lasts as long as the browser keeps it. Set cookie.maxAge.`,
        );
        expectThat(
          lifetime > 0 && lifetime <= MAX_SESSION_SECONDS + CLOCK_SLACK_SECONDS,
          `Expected the session cookie set by POST /login to expire within ${MAX_SESSION_SECONDS} s (8 hours), got ${lifetime} s (${hoursInWords(lifetime / 3600)}) in ${describeCookie(cookie)}.`,
        );
      }
    }),
  );

  t.check('03.login-changes-session-id', () =>
    onEveryStore(async (storePath) => {
      const { browser } = await oneApp(storePath);
      await browser.login();
      const before = browser.jar.toObject();
      const again = await browser.request('POST', '/login', DEMO);
      expectThat(again.status === 200, `Expected a second POST /login with the demo account to answer 200, got ${again.status} ${show(again.text, 80)}.`);
      expectThat(
        JSON.stringify(browser.jar.toObject()) !== JSON.stringify(before),
        `Expected POST /login from a browser that already held a session cookie (${describeJar(before)}) to start a new session with a new id, got the same id back: ` +
          'the user was written into the session the browser brought along, so whoever knew that id before the login (an attacker who planted it) shares the logged-in session. ' +
          'req.session.regenerate() makes the new session; write the user into req.session inside its callback (until it runs, req.session is still the old session).',
      );
      await expectLoggedOut(
        new Browser(browser.client, new CookieJar(before)),
        'with the session cookie from before the second login',
        'the session from before the login still works after a new one was issued. req.session.regenerate() destroys it in the store.',
      );
      // On another process that had read the old session: the store is the only truth.
      // (A run that failed before this step is reported by 03.session-shared-between-processes.)
      const run = await (await storeRuns()).get(storePath)!.catch(() => undefined);
      if (run) expectStatus401(
        settled(run.afterRelogin),
        'on a second process that had read the session, with the cookie from before a new login made on another process,',
        'the old session is gone from the store, but this process still serves a copy of it from its memory. Let every request read the shared store.',
      );
    }),
  );

  t.check('03.logout-destroys-session', () =>
    onEveryStore(async (storePath) => {
      const { browser } = await oneApp(storePath);
      await browser.login();
      const copy = new Browser(browser.client, browser.jar.clone());
      const env = await sharedDeployment(storePath);
      const before = await findInStore(storePath, env, signedIds(copy.jar.toObject()).map((cookie) => cookie.id));
      const logout = await browser.request('POST', '/logout');
      expectThat(logout.status < 400, `Expected POST /logout to succeed, got ${logout.status} ${show(logout.text, 80)}.`);
      await expectLoggedOut(browser, 'after POST /logout', 'the browser is still logged in after logging out.');
      await expectLoggedOut(
        copy,
        'with a copy of the session cookie taken before POST /logout',
        'logging out only removed the cookie from the browser; the session itself is still valid, so a stolen copy keeps working. Destroy it on the server: req.session.destroy().',
      );
      // The session itself must be gone from the store, not kept there emptied (a session left there lives on until its idle expiry).
      const kept = await findInStore(storePath, env, signedIds(copy.jar.toObject()).map((cookie) => cookie.id));
      expectThat(
        !kept?.where,
        `Expected the session to be gone from ${storePath === 'redis' ? 'the Redis at REDIS_URL' : 'SESSION_DIR'} after POST /logout, got it still there ${kept?.where}: ` +
          'logging out emptied the session (deleted its fields, or set them to undefined) and saved it again, so the store keeps it, renewed by every request with the old cookie. Delete it from the store: req.session.destroy().',
      );
      // And no new session in its place: a logout that regenerates leaves an empty session (and its cookie) behind at every logout.
      const fresh = signedIds(Object.fromEntries(setCookies(logout).filter((cookie) => !isDeletion(cookie)).map((cookie) => [cookie.name, cookie.value])));
      const added = before?.where && kept && kept.count >= before.count;
      expectThat(
        !fresh.length && !added,
        `Expected POST /logout to leave no session behind, got ${[
          fresh.length && `a new session cookie (${fresh[0]!.cookie}) in its answer`,
          added && `${kept.count} ${storePath === 'redis' ? 'keys' : 'files'} in the store after it, as many as before it`,
        ].filter(Boolean).join(' and ')}: ` +
          'logging out started a new, empty session (req.session.regenerate(), as in the express-session README), so every logout writes a session to the store and sends its cookie. End the session with req.session.destroy() instead.',
      );
      // On another process that had read the session (a run that failed before is reported by 03.session-shared-between-processes).
      const run = await (await storeRuns()).get(storePath)!.catch(() => undefined);
      const afterLogout = run && settled(run.afterLogout);
      if (afterLogout) expectStatus401(
        afterLogout,
        'on a second process that had read the session, with a copy of the cookie, after POST /logout on another process,',
        'the session was destroyed in the store, but this process still serves a copy of it from its memory, so logging out does not end the session everywhere. Let every request read the shared store.',
      );
    }),
  );

  t.check('03.tampered-cookie-rejected', () =>
    onEveryStore(async (storePath) => {
      const { browser } = await oneApp(storePath);
      await browser.login();
      const all = browser.jar.toObject();
      const sessionCookies = new Set(signedIds(all).map((signed) => signed.cookie));
      const uriError = ' (decodeURIComponent throws a URIError on a malformed escape such as %ZZ or a lone %: parse cookies with a parser that keeps such a value as it is, or catch the error and ignore the cookie)';
      for (const [name, value] of Object.entries(all)) {
        const third = Math.floor(value.length / 3);
        const edits = [
          ['in its signature', 'one character changed near its end', tamper(value, value.length - 1)],
          ['in its session id', 'one character changed a third of the way in', tamper(value, third)],
          ['with a malformed percent escape (%ZZ) in it', 'with a malformed percent escape (%ZZ) in it', `${value.slice(0, third)}%ZZ${value.slice(third)}`],
        ] as const;
        for (const [inSession, inOther, forged] of edits) {
          const reply = await new Browser(browser.client, new CookieJar({ ...all, [name]: forged })).me();
          const malformed = forged.includes('%ZZ') ? uriError : '';
          if (sessionCookies.has(name)) {
            // The session cookie: a visitor who is not logged in.
            const where = `with the session cookie ${name} edited ${inSession}`;
            expectThat(
              reply.status === 401,
              reply.status >= 500
                ? `Expected GET /me ${where} to answer 401, got ${reply.status}: an edited cookie must read as "not logged in", never as a server error${malformed}.`
                : `Expected GET /me ${where} to answer 401, got ${reply.status} ${show(reply.text, 60)}: an edited session cookie was accepted.`,
            );
          } else {
            // Another cookie the login set (a login time, a preference): whatever the app makes of it, never a server error.
            // Whether a login time the browser can change is a limit is 03.login-ends-8-hours-after-login's to judge.
            expectThat(
              reply.status < 500,
              `Expected GET /me with the cookie ${name} (which the login set beside the session cookie) ${inOther} not to answer a server error, got ${reply.status} ${show(reply.text, 60)}: ` +
                `a cookie is input the browser (or whoever holds it) can change; one the app cannot read is ignored or reads as signed out${malformed}.`,
            );
          }
        }
      }
      // A cookie the app never set, beside a valid session: other apps on the domain, or a script, set cookies of their own.
      const stray = await new Browser(browser.client, new CookieJar({ ...all, theme: '100%', 'x%ZZ': 'a%E0%A4%A' })).me();
      expectThat(
        stray.status < 500,
        `Expected GET /me with a valid session cookie and cookies the app never set beside it (theme=100%; x%ZZ=a%E0%A4%A, malformed percent escapes) not to answer a server error, got ${stray.status} ${show(stray.text, 60)}: ` +
          `a browser sends every cookie of the domain, and the app must read the ones it knows without stumbling on the others${uriError}.`,
      );
    }),
  );

  t.check('03.anonymous-requests-create-no-session', () =>
    onEveryStore(async (storePath) => {
      const { browser } = await oneApp(storePath);
      // Failed logins of every kind: a wrong password, a field missing, an empty or unparseable body (each its own path in a login route).
      const json = { ...PROXY_HEADERS, 'Content-Type': 'application/json' };
      const visits: [string, string, string, unknown?, Record<string, string>?][] = [
        ['GET', '/health', ''],
        ['GET', '/books', ''],
        ['GET', '/me', ''],
        ['POST', '/login', ' with a wrong password', WRONG_PASSWORD],
        ['POST', '/login', ' without a password', { username: DEMO.username }],
        ['POST', '/login', ' without a username', { password: DEMO.password }],
        ['POST', '/login', ' with an empty JSON object', {}],
        ['POST', '/login', ' with a body that is not JSON', '{"username": "reader", ', json],
        ['POST', '/logout', ''],
      ];
      for (const [method, route, how, body, headers] of visits) {
        // Each from a browser of its own: a cookie one of them set must not hide another's.
        const visitor = new Browser(browser.client);
        const reply = headers ? await visitor.client.request(method, route, { headers, body }) : await visitor.request(method, route, body);
        // A logout may clear a cookie (a Set-Cookie that deletes it); it must not set one.
        const lines = route === '/logout' ? setCookieLines(reply).filter((_line, index) => !isDeletion(setCookies(reply)[index]!)) : setCookieLines(reply);
        expectOn(
          reply,
          lines.length === 0,
          `Expected ${method} ${route}${how} from a visitor who never logged in to set no cookie, got ${reply.status} with Set-Cookie: ${show(lines[0], 100)}. ` +
            (route === '/logout'
              ? 'A logout that saves or regenerates the session (req.session.regenerate(), as in the express-session README) makes a new one, even for a visitor who had none: end it with req.session.destroy() instead.'
              : route === '/login'
                ? 'A failed login, whatever made it fail (a wrong password, a missing field, a body that does not parse), must write nothing into the session (no error message, no counter, no flash for the form): every password guesser and bot then fills the store. Answer with the error in the response itself, and touch req.session only once the password checks out.'
                : 'Every anonymous visit (health checks, crawlers, password guessers) then writes a session to the store: saveUninitialized: false, and write nothing into the session until a login succeeds.'),
        );
      }
    }),
  );

  t.check('03.no-memorystore-warning-in-production', () =>
    onEveryStore(async (storePath) => {
      const { browser } = await oneApp(storePath);
      await browser.request('GET', '/books');
      const warning = t.checkOutput().match(/^.*MemoryStore.*$/m);
      expectThat(
        !warning,
        `Expected no MemoryStore warning from the app started with NODE_ENV=production, got ${show(warning?.[0])}. ` +
          'express-session prints it when session() gets no store, or a MemoryStore.',
      );
    }),
  );


  // Last, beside the checks before it: its start whose Redis does not answer is watched for seconds (a wait
  // for Redis looks like that from outside), begun with the store runs so that the watch overlaps them.
  t.check('03.sessions-stored-in-redis', async () => {
    const runs = await storeRuns();
    const run = runs.get('redis');
    if (!run) {
      const missing = await redis('03-session-store').then(() => '', (error: unknown) => (error instanceof CannotJudge ? error.message : String(error)));
      throw new CannotJudge(`This check proves the production path, sessions in Redis, and needs a Redis. The other checks proved the embedded store alone.\n${missing || installRedis}`);
    }
    // A start whose Redis does not answer, begun beside the store runs (see storeRuns).
    const withRedisDown = settle(() => t.shared(DEAD_REDIS_RUN, servesLoginsWithRedisDown));
    const { keys, ttls, elsewhere, filesInSessionDir, heldAtLogin, heldAfterStop, devHeld, afterFlush: flushed } = (await run).redis!;
    expectThat(
      keys.length > 0 || !heldAtLogin,
      `Expected the session kept in Redis (at REDIS_URL) at POST /login to stay there, got an empty database once ${heldAfterStop ? 'the restarted app had started' : 'the grader had stopped (SIGTERM) the process that made it'}: ` +
        `the app empties the store when it ${heldAfterStop ? 'starts' : 'stops'}. Sessions must outlive the processes that made them: do not empty or recreate the Redis at ${heldAfterStop ? 'startup' : 'shutdown'}.`,
    );
    expectThat(
      keys.length > 0 || !filesInSessionDir,
      `Expected a session in Redis (at REDIS_URL) after POST /login, got an empty database and ${filesInSessionDir} file${filesInSessionDir === 1 ? '' : 's'} in SESSION_DIR, which the grader set too: ` +
        'SESSION_DIR won over REDIS_URL, so the app keeps sessions in files on one machine while the deployment gave it a Redis every host shares (a SESSION_DIR left in a base image or a .env is common). ' +
        'With REDIS_URL set, keep sessions in that Redis whether or not SESSION_DIR is set too: choose the store by REDIS_URL first, the file store only without it.',
    );
    expectThat(
      keys.length > 0,
      `Expected a session in Redis (at REDIS_URL) after POST /login on a process started ${RUN_MODE_WORDS.redis}, got an empty database.${elsewhere} ` +
        'With REDIS_URL set the app must keep sessions there whatever NODE_ENV says, not only in production (connect-redis RedisStore on a client made with createClient({ url: REDIS_URL })).',
    );
    expectThat(
      devHeld !== false,
      `Expected the session of POST /login on a process started ${RUN_MODE_WORDS.redis} to be kept in Redis (at REDIS_URL), got nothing there under its id, while the login on a process started ${LOGIN_MODE_WORDS.redis} was kept there: ` +
        'the app picks its store by NODE_ENV. With REDIS_URL set the app must keep sessions there whatever NODE_ENV says, not only in production: a staging or development deployment given a REDIS_URL shares its logins through it too.',
    );
    for (const [key, ttl] of ttls) {
      expectThat(
        ttl > 0 && ttl <= MAX_SESSION_SECONDS + CLOCK_SLACK_SECONDS,
        `Expected the session key ${show(key)} in Redis to expire within ${MAX_SESSION_SECONDS} s (8 hours), got ${ttl === -1 ? 'no expiry (TTL -1)' : `TTL ${ttl} s`}. RedisStore takes its TTL from cookie.maxAge.`,
      );
    }
    const afterFlush = settled(flushed);
    expectThat(
      afterFlush.status === 401,
      afterFlush.status >= 500
        ? `Expected GET /me after the grader emptied the Redis database to answer 401, got ${afterFlush.status}: a session that is gone must read as "not logged in", never as a server error.`
        : `Expected GET /me after the grader emptied the Redis database to answer 401, got ${afterFlush.status} ${show(afterFlush.text, 60)}: the app still knows the session without Redis, so it keeps a copy of its own in memory that other processes cannot see.`,
    );
    const servedWithRedisDown = settled(await withRedisDown);
    expectThat(!servedWithRedisDown, servedWithRedisDown ?? '');
  });

});

/** Cookie names with the start of their values: enough to recognise them in a message. */
function describeJar(cookies: Record<string, string>): string {
  return Object.entries(cookies)
    .map(([name, value]) => `${name}=${value.length > 20 ? `${value.slice(0, 20)}…` : value}`)
    .join('; ');
}

/** Every time written in `text` (milliseconds or seconds since 1970, an ISO date, an HTTP date) set to `now`. */
function timesToNow(text: string, now: number): string {
  return text
    .replace(/(?<!\d)\d{13}(?!\d)/g, String(now))
    .replace(/(?<!\d)\d{10}(?!\d)/g, String(Math.floor(now / 1000)))
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z/g, new Date(now).toISOString())
    .replace(/[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT/g, new Date(now).toUTCString());
}

/**
 * A cookie value with every time in it set to `now`, also where it is encoded (URI escapes, base64 or
 * base64url of text, one inside another): as whoever holds the cookie can rewrite it. The layers it read
 * through are added to `layers`. The value itself when it holds no time.
 */
function withTimesAt(value: string, now: number, layers: Set<string>, depth = 3): string {
  const direct = timesToNow(value, now);
  if (direct !== value || depth === 0) return direct;
  const uri = safeDecode(value);
  if (uri !== value) {
    const inner = withTimesAt(uri, now, layers, depth - 1);
    if (inner !== uri) return layers.add('URI'), encodeURIComponent(inner);
  }
  for (const encoding of ['base64', 'base64url'] as const) {
    if (!(encoding === 'base64' ? /^[A-Za-z0-9+/]{4,}={0,2}$/ : /^[A-Za-z0-9_-]{4,}$/).test(value)) continue;
    const text = Buffer.from(value, encoding).toString('utf8');
    if (!/^[\x20-\x7e\t\r\n]+$/.test(text)) continue; // not text: not a time written in it
    const inner = withTimesAt(text, now, layers, depth - 1);
    if (inner === text) continue;
    layers.add(encoding);
    const encoded = Buffer.from(inner, 'utf8').toString(encoding);
    return value.endsWith('=') ? encoded : encoded.replace(/=+$/, '');
  }
  return value;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function randomSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** The cookie value with one letter or digit changed, at `index` or the nearest one before it. */
function tamper(value: string, index: number): string {
  for (let i = Math.min(index, value.length - 1); i >= 0; i--) {
    const char = value[i]!;
    if (/[A-Za-z0-9]/.test(char)) return value.slice(0, i) + (char === 'A' ? 'B' : 'A') + value.slice(i + 1);
  }
  return `${value}A`;
}
