import { expectThat, fail } from '../support/expect.js';
import { header, type Client, type RawReply } from '../support/http.js';
import { lesson } from '../support/lesson.js';
import { burst, describeTimes, expectAll, timeStatements } from '../support/ratelimit.js';
import { redis } from '../support/redis.js';

/** The demo account from the lesson text. */
const account = { email: 'demo@bookshop.test', password: 'correct-horse-battery-staple' };

/**
 * Every check speaks for clients of its own (documentation addresses, RFC 5737), so a learner whose
 * limiters live at module level is still judged on behaviour, not on what an earlier check left behind.
 */
const from = (forwardedFor: string) => ({ 'X-Forwarded-For': forwardedFor });

/** Both API routes, so a limit on GET /api/books alone is not enough. */
const apiPath = (index: number) => (index % 2 ? `/api/books/${1 + (index % 3)}` : '/api/books');

function loginAs(app: Client, forwardedFor: string, password: string, path = '/login'): Promise<RawReply> {
  return app.raw('POST', path, { headers: from(forwardedFor), body: { email: account.email, password } });
}

/** Five wrong passwords (each must answer 401), then the right one; returns that last reply. */
async function bruteForce(app: Client, forwardedFor: string): Promise<RawReply> {
  const failures = await burst(app, 5, (index) => ({
    method: 'POST',
    path: '/login',
    options: { headers: from(forwardedFor), body: { email: account.email, password: `guess-${index + 1}` } },
  }));
  expectAll(failures, 401, '5 failed logins from one client', 'The limit is 5 attempts per 15 minutes, not fewer.');
  return loginAs(app, forwardedFor, account.password);
}

/** 100 API requests (each must answer 200), then one more; returns that last reply. */
async function exhaustApi(app: Client, forwardedFor: string): Promise<RawReply> {
  const replies = await burst(app, 100, (index) => ({ method: 'GET', path: apiPath(index), options: { headers: from(forwardedFor) } }));
  expectAll(
    replies,
    200,
    'the first 100 API requests from one client',
    'The API allows 100 requests per 15 minutes per client (express-rate-limit on its own allows 5 per minute).',
  );
  return app.raw('GET', apiPath(100), { headers: from(forwardedFor) });
}

function expectLimited(reply: RawReply, after: string, advice: string): void {
  const { method, path } = reply.request;
  expectThat(reply.status === 429, `Expected ${method} ${path} to answer 429 after ${after}, got ${reply.status}. ${advice}`.trim());
}

/** The 429 must point about 15 minutes ahead, in whichever header format the limiter speaks. */
function expectFifteenMinutes(reply: RawReply): void {
  const where = `the 429 from ${reply.request.method} ${reply.request.path}`;
  const statements = timeStatements(reply);
  if (statements.length === 0) {
    fail(`Expected ${where} to say when the client may come back (Retry-After, RateLimit-* or X-RateLimit-Reset), got none of those headers.`);
  }
  // Retry-After is what clients obey, so it decides when present.
  const retryAfter = statements.filter((statement) => statement.header === 'retry-after');
  const judged = retryAfter.length > 0 ? retryAfter : statements;
  if (judged.some((statement) => statement.seconds >= 14 * 60 && statement.seconds <= 15 * 60 + 1)) return;
  fail(
    `Expected ${where} to point about 15 minutes ahead (900 seconds), got ${describeTimes(judged)}. ` +
      'windowMs counts milliseconds: 15 minutes is 15 * 60 * 1000.',
  );
}

lesson('04-rate-limiting', (t) => {
  t.prestart({});

  // First: its two servers start while the app host started ahead loads, instead of after the last check.
  t.check('04.redis-shares-limit-across-processes', async () => {
    const url = await (await redis('04-rate-limiting')).isolatedUrl();
    const [one, two] = await Promise.all([t.server({ env: { REDIS_URL: url } }), t.server({ env: { REDIS_URL: url } })]);
    const client = '203.0.113.100';
    const attempts = [one, one, one, two, two].map((server, index) => loginAs(server.client, client, `guess-${index + 1}`));
    expectAll(await Promise.all(attempts), 401, '5 failed logins spread over two processes', 'The limit is 5 attempts per 15 minutes, not fewer.');
    const sixth = await loginAs(two.client, client, account.password);
    expectLimited(
      sixth,
      '3 failed logins on one process and 2 on another, both started with the same REDIS_URL',
      sixth.status === 429
        ? ''
        : 'Each process counts on its own, so N instances allow N × 5 guesses. When REDIS_URL is set, keep the counts in Redis (rate-limit-redis).',
    );
  });

  t.check('04.api-allows-100-then-429', async () => {
    const app = await t.app();
    const over = await exhaustApi(app, '203.0.113.10');
    expectLimited(over, '100 API requests from one client', 'Put a limiter of 100 requests per 15 minutes per client in front of every /api route.');
    expectThat(
      header(over, 'retry-after') !== undefined,
      `Expected the 429 from ${over.request.method} ${over.request.path} to carry a Retry-After header, got none. Clients and proxies read it to know when to come back.`,
    );
  });

  t.check('04.limits-use-a-15-minute-window', async () => {
    const app = await t.app();
    const api = await exhaustApi(app, '203.0.113.20');
    expectLimited(api, '100 API requests from one client', 'Without a 429 there is no window to read; see 04.api-allows-100-then-429.');
    expectFifteenMinutes(api);
    const login = await bruteForce(app, '203.0.113.21');
    expectLimited(login, '5 failed logins from one client', 'Without a 429 there is no window to read; see 04.login-limited-after-five-failures.');
    expectFifteenMinutes(login);
  });

  t.check('04.login-limited-after-five-failures', async () => {
    const app = await t.app();
    const sixth = await bruteForce(app, '203.0.113.30');
    expectLimited(
      sixth,
      '5 failed logins from the same client, even with the right password',
      sixth.status === 200
        ? 'A brute force may keep guessing until it gets in: limit POST /login to 5 requests per 15 minutes per client.'
        : '',
    );
  });

  t.check('04.password-reset-limited', async () => {
    const app = await t.app();
    const client = '203.0.113.40';
    const requests = await burst(app, 5, () => ({ method: 'POST', path: '/password-reset', options: { headers: from(client), body: { email: account.email } } }));
    expectAll(requests, 200, '5 password-reset requests from one client', 'The limit is 5 requests per 15 minutes, not fewer.');
    const sixth = await app.raw('POST', '/password-reset', { headers: from(client), body: { email: account.email } });
    expectLimited(
      sixth,
      '5 password-reset requests from the same client',
      'Put a 5-per-15-minutes limiter in front of it that counts every request: the route always answers 200, so a limiter that skips successful requests never counts it.',
    );
  });

  t.check('04.login-limit-leaves-api-open', async () => {
    const app = await t.app();
    const client = '203.0.113.50';
    const sixth = await bruteForce(app, client);
    expectLimited(sixth, '5 failed logins', 'This check needs login limited first; see 04.login-limited-after-five-failures.');
    await burst(app, 6, () => ({ method: 'POST', path: '/password-reset', options: { headers: from(client), body: { email: account.email } } }));
    for (const path of ['/api/books', '/api/books/1']) {
      const reply = await app.raw('GET', path, { headers: from(client) });
      expectThat(
        reply.status === 200,
        `Expected GET ${path} to answer 200 for a client that used up its login and password-reset attempts, got ${reply.status}. ` +
          'The 5-per-15-minutes limit belongs to those two routes only; the API has its own budget of 100.',
      );
    }
  });

  t.check('04.clients-have-separate-buckets', async () => {
    const app = await t.app();
    const sixth = await bruteForce(app, '203.0.113.60');
    expectLimited(sixth, '5 failed logins', 'This check needs login limited first; see 04.login-limited-after-five-failures.');
    const other = '203.0.113.61';
    const reply = await loginAs(app, other, account.password);
    expectThat(
      reply.status === 200,
      `Expected POST /login with the right password from another client (X-Forwarded-For: ${other}) to answer 200, got ${reply.status}. ` +
        (reply.status === 429
          ? "Every client shares one bucket: behind a proxy, req.ip is the proxy's address unless you tell Express to trust it (app.set('trust proxy', 1))."
          : ''),
    );
  });

  t.check('04.forwarded-for-cannot-escape', async () => {
    const app = await t.app();
    // The proxy appends the address it saw; the client may write anything in front of it.
    const advice = "The left-most X-Forwarded-For entry is whatever the client wrote. With one proxy use app.set('trust proxy', 1), never true, and key on req.ip.";
    const client = '203.0.113.70';
    expectLimited(await bruteForce(app, client), '5 failed logins', 'This check needs login limited first; see 04.login-limited-after-five-failures.');
    const login = await loginAs(app, `198.51.100.1, ${client}`, account.password);
    expectLimited(login, `5 failed logins from ${client}, which then wrote another address in front of its own`, advice);

    const reader = '203.0.113.71';
    expectLimited(await exhaustApi(app, reader), '100 API requests', 'This check needs the API limited first; see 04.api-allows-100-then-429.');
    const api = await app.raw('GET', '/api/books', { headers: from(`198.51.100.2, ${reader}`) });
    expectLimited(api, `100 API requests from ${reader}, which then wrote another address in front of its own`, advice);
  });

  t.check('04.path-variants-share-the-bucket', async () => {
    const app = await t.app();
    const client = '203.0.113.80';
    expectLimited(await bruteForce(app, client), '5 failed logins', 'This check needs login limited first; see 04.login-limited-after-five-failures.');
    for (const path of ['/LOGIN', '/login/']) {
      expectLimited(
        await loginAs(app, client, account.password, path),
        '5 failed logins to POST /login',
        `Express routes ${path} to the same handler (case-insensitive, trailing slash ignored), so the same bucket must count it: attach the limiter to the route instead of testing req.path.`,
      );
    }

    const reader = '203.0.113.81';
    expectLimited(await exhaustApi(app, reader), '100 API requests', 'This check needs the API limited first; see 04.api-allows-100-then-429.');
    for (const path of ['/API/books', '/api/books/']) {
      expectLimited(
        await app.raw('GET', path, { headers: from(reader) }),
        '100 requests to the API',
        `Express serves ${path} from the /api routes, so the same bucket must count it: mount the limiter with app.use('/api', limiter) instead of testing req.path.`,
      );
    }
  });

  t.check('04.health-never-limited', async () => {
    const app = await t.app();
    const replies = await burst(app, 150, () => ({ method: 'GET', path: '/health', options: { headers: from('203.0.113.90') } }), 15);
    expectAll(
      replies,
      200,
      '150 health checks in a row',
      'The load balancer polls /health; a 429 there takes the instance out of service. Register /health before any limiter, or skip it.',
    );
  });
});
