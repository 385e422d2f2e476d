import { createHmac, randomBytes } from 'node:crypto';
import { CookieJar, describeCookie, isDeletion, lifetimeSeconds, setCookieLines, setCookies, type SetCookie } from '../support/cookies.js';
import { CannotJudge, expectThat, fail, show } from '../support/expect.js';
import type { Client, Reply } from '../support/http.js';
import { lesson, type RunningServer } from '../support/lesson.js';
import { installRedis, redis, RedisConnection } from '../support/redis.js';

/*
 * Where the checks keep sessions. The app reads its store from the environment, as the lesson says:
 * REDIS_URL set: Redis (connect-redis); otherwise the embedded file store in SESSION_DIR.
 *
 * COURSE_SESSION_STORE in the grader's own environment picks the mode:
 *   unset (or "auto"): Redis when the grader can provide one (REDIS_URL, or redis-server on PATH),
 *                      otherwise the embedded store;
 *   "redis":           Redis, and every check reports `error` with install commands when there is none;
 *   "embedded":        the embedded store even when Redis is available.
 * In Redis mode each check gets a flushed database of its own (REDIS_URL) and, so that nothing lands
 * in the learner's folder if the app ignores REDIS_URL, a temporary SESSION_DIR; in embedded mode only
 * the SESSION_DIR. Two processes of one check share that store, as two instances behind one proxy
 * would. CI grades the lesson once per mode.
 *
 * Whatever the mode, 03.sessions-stored-in-redis always needs Redis: it proves the production path.
 */
type StoreMode = { kind: 'redis'; why: string } | { kind: 'embedded'; why: string };

let chosenMode: Promise<StoreMode> | undefined;
function storeMode(): Promise<StoreMode> {
  chosenMode ??= (async (): Promise<StoreMode> => {
    const wanted = (process.env.COURSE_SESSION_STORE ?? 'auto').trim().toLowerCase();
    if (wanted === 'embedded') return { kind: 'embedded', why: 'COURSE_SESSION_STORE=embedded' };
    if (wanted !== 'redis' && wanted !== 'auto' && wanted !== '') {
      throw new CannotJudge(`COURSE_SESSION_STORE must be "redis", "embedded" or unset, got ${show(wanted)}.`);
    }
    try {
      await redis('03-session-store');
      return { kind: 'redis', why: wanted === 'redis' ? 'COURSE_SESSION_STORE=redis' : 'Redis was found' };
    } catch (error) {
      if (!(error instanceof CannotJudge)) throw error;
      if (wanted === 'redis') throw new CannotJudge(`COURSE_SESSION_STORE=redis asks for Redis, and none was found. ${error.message}`);
      return { kind: 'embedded', why: 'no Redis was found' };
    }
  })();
  return chosenMode;
}

/** The lesson's stated limit: a login lasts at most 8 hours. */
const MAX_SESSION_SECONDS = 8 * 60 * 60;
/** Clock steps between the app's Date header and its Expires. */
const CLOCK_SLACK_SECONDS = 5;
const DEMO = { username: 'reader', password: 'open-sesame' };
/** What the one reverse proxy in front of the app adds to every request it forwards. */
const PROXY_HEADERS = { 'X-Forwarded-Proto': 'https' };

/** A browser behind the proxy: sends X-Forwarded-Proto: https and its cookies, keeps what it is given. */
class Browser {
  constructor(
    readonly client: Client,
    readonly jar = new CookieJar(),
  ) {}

  /** The same cookies, sent to another process of the app. */
  on(server: RunningServer): Browser {
    return new Browser(server.client, this.jar);
  }

  async request(method: string, route: string, body?: unknown): Promise<Reply> {
    const reply = await this.client.request(method, route, { headers: { ...PROXY_HEADERS, ...this.jar.headers() }, body });
    this.jar.update(reply);
    return reply;
  }

  /** Logs in with the demo account; fails the check unless the app answers 200 and sets a cookie. */
  async login(): Promise<{ reply: Reply; cookies: SetCookie[] }> {
    const reply = await this.request('POST', '/login', DEMO);
    expectThat(
      reply.status === 200,
      `Expected POST /login with the demo account ${show(DEMO)} to answer 200, got ${reply.status} ${show(reply.text, 80)}.`,
    );
    const cookies = setCookies(reply).filter((cookie) => !isDeletion(cookie));
    expectThat(
      cookies.length > 0,
      'Expected POST /login (sent through the proxy, with X-Forwarded-Proto: https) to set a session cookie, got no Set-Cookie header. ' +
        "A Secure cookie is only sent when Express trusts the proxy's header: app.set('trust proxy', 1).",
    );
    return { reply, cookies };
  }

  me(): Promise<Reply> {
    return this.request('GET', '/me');
  }
}

/** GET /me must answer 200 for this browser; `where` says which process and why it should know the session. */
async function expectLoggedIn(browser: Browser, where: string, why: string): Promise<void> {
  const reply = await browser.me();
  expectThat(reply.status === 200, `Expected GET /me ${where} to answer 200, got ${reply.status} ${show(reply.text, 60)}: ${why}`);
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

lesson('03-session-store', (t) => {

  /** Environment for the servers of one check: the same secret and one shared store, as in production. */
  async function deployment(secret = randomSecret()): Promise<Record<string, string>> {
    const mode = await storeMode();
    const env: Record<string, string> = { NODE_ENV: 'production', SESSION_SECRET: secret, SESSION_DIR: t.tempDir('course-03-sessions-') };
    if (mode.kind === 'redis') env.REDIS_URL = await (await redis('03-session-store')).isolatedUrl();
    return env;
  }

  /** What the two processes had in common, for messages about sharing and restarts. */
  async function sameStore(): Promise<string> {
    const mode = await storeMode();
    return mode.kind === 'redis' ? 'the same SESSION_SECRET and REDIS_URL' : 'the same SESSION_SECRET and SESSION_DIR (embedded store, no Redis)';
  }

  // Checks about one process's answers share one deployment, so that one app host serves them all.
  // It starts ahead, while the checks that start servers of their own run.
  let shared: Promise<Record<string, string>> | undefined;
  t.prestart(() => (shared ??= deployment()));

  /**
   * A fresh app from createApp({ secret, redisUrl, sessionDir }), in a host process whose
   * environment holds the same values (SESSION_SECRET, REDIS_URL, SESSION_DIR), so that an app
   * reading either works.
   */
  async function oneApp(): Promise<{ browser: Browser; secret: string }> {
    shared ??= deployment();
    const env = await shared;
    const client = await t.app({ env, args: [{ secret: env.SESSION_SECRET, redisUrl: env.REDIS_URL, sessionDir: env.SESSION_DIR }] });
    return { browser: new Browser(client), secret: env.SESSION_SECRET! };
  }

  // These start their own servers, each on a store of its own: they run side by side.
  t.concurrently(() => {
    t.check('03.session-shared-between-processes', async () => {
      const env = await deployment();
      const [first, second] = await Promise.all([t.server({ env }), t.server({ env })]);
      const browser = new Browser(first.client);
      await browser.login();
      await expectLoggedIn(browser.on(second), 'on a second process of the app', `that process does not know the session, although both were started with ${await sameStore()}. Sessions kept in the memory of one process are invisible to the others: use a shared store.`);
    });

    t.check('03.restart-keeps-session', async () => {
      const env = await deployment();
      const before = await t.server({ env });
      const browser = new Browser(before.client);
      await browser.login();
      await before.stop();
      const after = await t.server({ env });
      await expectLoggedIn(browser.on(after), 'after the app was restarted', `the login did not survive a restart, although both processes were started with ${await sameStore()}. Every deploy would log every customer out.`);
    });

    t.check('03.sessions-stored-in-redis', async () => {
      const mode = await storeMode();
      let url: string;
      try {
        url = await (await redis('03-session-store')).isolatedUrl();
      } catch (error) {
        if (!(error instanceof CannotJudge)) throw error;
        const used = mode.kind === 'embedded' ? ` The other checks ran against the embedded store because ${mode.why}.` : '';
        throw new CannotJudge(`This check proves the production path, sessions in Redis, and needs a Redis.${used}\n${installRedis}`);
      }
      const server = await t.server({ env: { NODE_ENV: 'production', SESSION_SECRET: randomSecret(), REDIS_URL: url, SESSION_DIR: t.tempDir('course-03-sessions-') } });
      const browser = new Browser(server.client);
      await browser.login();
      const db = new RedisConnection(url);
      try {
        const keys = (await db.command('KEYS', '*')) as string[];
        expectThat(
          keys.length > 0,
          'Expected a session in Redis (at REDIS_URL) after POST /login, got an empty database: with REDIS_URL set the app must keep sessions there (connect-redis RedisStore).',
        );
        for (const key of keys) {
          const ttl = Number(await db.command('TTL', key));
          expectThat(
            ttl > 0 && ttl <= MAX_SESSION_SECONDS + CLOCK_SLACK_SECONDS,
            `Expected the session key ${show(key)} in Redis to expire within ${MAX_SESSION_SECONDS} s (8 hours), got ${ttl === -1 ? 'no expiry (TTL -1)' : `TTL ${ttl} s`}. RedisStore takes its TTL from cookie.maxAge.`,
          );
        }
        await expectLoggedIn(browser, 'right after logging in', 'the session could not be read back.');
        await db.command('FLUSHDB');
        await expectLoggedOut(
          browser,
          'after the grader emptied the Redis database',
          'the app still knows the session without Redis, so it keeps a copy of its own in memory that other processes cannot see.',
        );
      } finally {
        db.close();
      }
    });
  });

  t.check('03.secret-from-environment', async () => {
    const { browser, secret } = await oneApp();
    const { cookies } = await browser.login();
    // express-session's cookie is "s:" + id + "." + HMAC-SHA256(id, secret) in base64, URL-encoded.
    const signed = cookies.map((cookie) => ({ cookie, parts: /^s:(.+)\.([^.]+)$/.exec(safeDecode(cookie.value)) })).filter(({ parts }) => parts);
    expectThat(
      signed.length > 0,
      `Expected the session cookie set by POST /login to hold a signed session id (s:<id>.<signature>), got ${show(cookies.map((cookie) => `${cookie.name}=${cookie.value}`).join('; '), 100)}.`,
    );
    for (const { cookie, parts } of signed) {
      const [, id, signature] = parts!;
      const expected = createHmac('sha256', secret).update(id!).digest('base64').replace(/=+$/, '');
      expectThat(
        signature === expected,
        `Expected the session cookie ${cookie.name} to be signed with the SESSION_SECRET the app was started with, got a signature made with another secret. ` +
          'A secret in the code is in every clone of the repository, and one generated at startup differs on every process: read process.env.SESSION_SECRET.',
      );
    }
  });

  t.check('03.cookie-httponly-secure-samesite', async () => {
    const { browser } = await oneApp();
    const { cookies } = await browser.login();
    for (const cookie of cookies) {
      const missing = [
        !cookie.httpOnly && 'HttpOnly (scripts on the page could read it)',
        !cookie.secure && 'Secure (it would travel over plain HTTP)',
        !/^(lax|strict)$/i.test(cookie.sameSite ?? '') && 'SameSite=Lax or Strict (other sites could send it along)',
      ].filter(Boolean);
      expectThat(missing.length === 0, `Expected the session cookie set by POST /login to be HttpOnly, Secure and SameSite=Lax or Strict, got ${describeCookie(cookie)}: missing ${missing.join(', ')}.`);
    }
  });

  t.check('03.cookie-expires-within-limit', async () => {
    const { browser } = await oneApp();
    const { reply, cookies } = await browser.login();
    for (const cookie of cookies) {
      const lifetime = lifetimeSeconds(cookie, reply);
      expectThat(
        lifetime !== undefined,
        `Expected the session cookie set by POST /login to carry Max-Age or Expires of at most ${MAX_SESSION_SECONDS} s (8 hours), got ${describeCookie(cookie)}: no expiry, so the login lasts as long as the browser keeps it. Set cookie.maxAge.`,
      );
      expectThat(
        lifetime > 0 && lifetime <= MAX_SESSION_SECONDS + CLOCK_SLACK_SECONDS,
        `Expected the session cookie set by POST /login to expire within ${MAX_SESSION_SECONDS} s (8 hours), got ${lifetime} s (${(lifetime / 3600).toFixed(1)} hours) in ${describeCookie(cookie)}.`,
      );
    }
  });

  t.check('03.login-changes-session-id', async () => {
    const { browser } = await oneApp();
    await browser.login();
    const before = browser.jar.toObject();
    const again = await browser.request('POST', '/login', DEMO);
    expectThat(again.status === 200, `Expected a second POST /login with the demo account to answer 200, got ${again.status} ${show(again.text, 80)}.`);
    expectThat(
      JSON.stringify(browser.jar.toObject()) !== JSON.stringify(before),
      `Expected POST /login from a browser that already held a session cookie (${describeJar(before)}) to start a new session with a new id, got the same id back. ` +
        'Whoever knew the id before the login (an attacker who planted it) shares the logged-in session: call req.session.regenerate() at login.',
    );
    await expectLoggedOut(
      new Browser(browser.client, new CookieJar(before)),
      'with the session cookie from before the second login',
      'the old session id still works after a new one was issued at login. req.session.regenerate() replaces it.',
    );
  });

  t.check('03.logout-destroys-session', async () => {
    const { browser } = await oneApp();
    await browser.login();
    const copy = new Browser(browser.client, browser.jar.clone());
    const logout = await browser.request('POST', '/logout');
    expectThat(logout.status < 400, `Expected POST /logout to succeed, got ${logout.status} ${show(logout.text, 80)}.`);
    await expectLoggedOut(browser, 'after POST /logout', 'the browser is still logged in after logging out.');
    await expectLoggedOut(
      copy,
      'with a copy of the session cookie taken before POST /logout',
      'logging out only removed the cookie from the browser; the session itself is still valid, so a stolen copy keeps working. Destroy it on the server: req.session.destroy().',
    );
  });

  t.check('03.tampered-cookie-rejected', async () => {
    const { browser } = await oneApp();
    await browser.login();
    for (const [name, value] of Object.entries(browser.jar.toObject())) {
      for (const [where, forged] of [
        ['its signature', tamper(value, value.length - 1)],
        ['its session id', tamper(value, Math.floor(value.length / 3))],
      ] as const) {
        const jar = new CookieJar({ ...browser.jar.toObject(), [name]: forged });
        await expectLoggedOut(new Browser(browser.client, jar), `with the session cookie ${name} edited in ${where}`, 'an edited cookie was accepted.');
      }
    }
  });

  t.check('03.anonymous-requests-create-no-session', async () => {
    const { browser } = await oneApp();
    for (const route of ['/health', '/books', '/me']) {
      const reply = await browser.request('GET', route);
      const lines = setCookieLines(reply);
      expectThat(
        lines.length === 0,
        `Expected GET ${route} from a visitor who never logged in to set no cookie, got Set-Cookie: ${show(lines[0], 100)}. ` +
          'Every anonymous visit (health checks, crawlers) then writes a session to the store: saveUninitialized: false.',
      );
    }
  });

  t.check('03.no-memorystore-warning-in-production', async () => {
    const { browser } = await oneApp();
    await browser.request('GET', '/books');
    const warning = t.checkOutput().match(/^.*MemoryStore.*$/m);
    expectThat(
      !warning,
      `Expected no MemoryStore warning from the app started with NODE_ENV=production, got ${show(warning?.[0])}. ` +
        'express-session prints it when no store is given to session({ store }).',
    );
  });

});

/** Cookie names with the start of their values: enough to recognise them in a message. */
function describeJar(cookies: Record<string, string>): string {
  return Object.entries(cookies)
    .map(([name, value]) => `${name}=${value.length > 20 ? `${value.slice(0, 20)}…` : value}`)
    .join('; ');
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
