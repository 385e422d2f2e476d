import { createHmac } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { effectiveSources, parsePolicies, scriptSourceWeaknesses } from '../support/csp.js';
import { contentCodings, decodedBody } from '../support/encoding.js';
import { expectThat, fail, show } from '../support/expect.js';
import { header, type RawReply, type RequestOptions } from '../support/http.js';
import { lesson, type LessonKit } from '../support/lesson.js';
import { accessFields, parseLines, pollFor, settle, STACK_FRAME, stringsOf, type LogEntry } from '../support/logs.js';
import { burst, type SentSpec } from '../support/ratelimit.js';

// The order of the layers is proven by what it does to answers, never by reading src/app.ts: one run
// of src/server.ts (NODE_ENV=production) takes every kind of request a real day brings, and each check
// judges the answers, the access lines on stdout, or the session lookups GET /metrics counts.

const SECRET = 'grader-08-session-secret-0123456789abcdef';
const ACCOUNT = { email: 'reader@example.com', password: 'correct horse battery staple' };
/** Lesson 04's API budget: 100 requests per 15 minutes per client. */
const API_LIMIT = 100;
/** Clients as the one trusted proxy saw them (the right-most X-Forwarded-For address). */
const VISITOR = '192.0.2.10';
const CUSTOMER = '198.51.100.7';
/**
 * The client that spends its budget comes over IPv6: an IPv6 client owns a whole network (a /64 at
 * least) and takes a new address in it at will, so one of its requests over the budget comes from
 * ROTATED, another address of the same /64 (red team 08 r7: a limiter keyed on the bare req.ip gave it
 * a fresh budget per address).
 */
const FLOODER = '2001:db8:8:1::9';
// Another address of the same /64 that differs from FLOODER in bits 65 to 96 as well (red team 08 r9: a
// key cut at /96 counted the two as one, and gave the client 2^32 budgets in its own /64).
const ROTATED = '2001:db8:8:1:a7c3:5e10::a7';
/** Another IPv6 customer of the same provider: the same /32, another /48 (red team 08 r9: ipv6Subnet: 32 made them one). */
const NEIGHBOUR6 = '2001:db8:77::5';
/** What a browser sends: an error handler that negotiates the type answers it HTML (red team 08 r7). */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
/**
 * Session cookies that name no signed-in session: one signed with the app's secret for an id the store
 * has never seen, one with a forged signature. An anonymous client can send either; a guard that only
 * looks for a connect.sid cookie lets both in (red team 08 r7).
 */
const UNKNOWN_SESSION = (() => {
  const id = 'grader08unknownsession0123456789';
  const signature = createHmac('sha256', SECRET).update(id).digest('base64').replace(/=+$/, '');
  return `connect.sid=${encodeURIComponent(`s:${id}.${signature}`)}`;
})();
const FORGED_SESSION = `connect.sid=${encodeURIComponent('s:forgedsession.bm90IGEgc2lnbmF0dXJl')}`;
/** Twice express.json()'s default limit of 100 kB. */
const OVERSIZED = JSON.stringify({ bookId: 1, note: 'x'.repeat(200 * 1024) });
/**
 * A few bytes over express.json()'s default limit of 100 kB (102,400 bytes): a limit raised to 101 kB or
 * more parses it (red team 08 r5: a 150 kB limit passed a probe of 200 kB alone).
 */
const JUST_OVER = JSON.stringify({ bookId: 1, note: 'x'.repeat(100 * 1024) });
const MALFORMED = '{"bookId": 1,';
/**
 * Bodies no parser of the exercise reads, each over 100 kB: an express.urlencoded(), express.text() or
 * express.raw() added above the limiter reads them (413) before a client over its budget is refused.
 */
const OTHER_BODIES: [type: string, body: string][] = [
  ['application/x-www-form-urlencoded', `email=reader%40example.com&note=${'x'.repeat(200 * 1024)}`],
  ['text/plain', 'x'.repeat(200 * 1024)],
  ['application/octet-stream', 'x'.repeat(200 * 1024)],
];
const FAILING = '/api/reports/sales';
const STYLESHEET = '/static/storefront.css';
const CATALOGUE = '/api/books';
/** Paths the grader reads or polls for itself: whether they are logged is the app's choice. */
const NOT_COUNTED = new Set(['/health', '/metrics']);
/** As Express routes a path: case-insensitive, a trailing slash ignored. */
const routed = (path: string) => new URL(path, 'http://x').pathname.toLowerCase().replace(/(.)\/$/, '$1');
/**
 * `path` in random letter case, every segment with at least one capital (so that no grade asks the
 * lower-case spelling by chance): Express routes every spelling alike, so a check that lists some
 * spellings by hand misses one.
 */
const anyCase = (path: string) =>
  path
    .split('/')
    .map((segment) => {
      const mixed = segment.replace(/[a-z]/g, (letter) => (Math.random() < 0.5 ? letter.toUpperCase() : letter));
      return mixed === segment ? mixed.replace(/[a-z]/, (letter) => letter.toUpperCase()) : mixed;
    })
    .join('/');
/**
 * How long one request may go unanswered before the app is said to hang. No check of this lesson is
 * about speed, and one run sends about 150 requests, 20 at a time: on a loaded machine one of them can
 * wait more than the usual 2.5 s for a CPU (red team 08 r3: every check failed as a hang once, with the
 * answer in the app's log), and a request that never gets an answer fails all the same, only later.
 */
const PATIENCE_MS = 8000;
/** What the spending client sends besides GET /api/books/1: every kind of /api route, so a limiter used twice on one of them shows. */
const SPENT_ON = 'POST /api/login, GET and POST /api/orders, GET /api/orders/export, the catalogue, /api/nope and the reports';

interface Sent {
  /** What the request stands for in a message: "the stylesheet", "a request over the budget". */
  what: string;
  reply: RawReply;
}

interface Tour {
  sent: Sent[];
  catalogue: { gzip: RawReply; plain: RawReply };
  stylesheet: { gzip: RawReply; plain: RawReply };
  login: RawReply;
  anonymous: RawReply[];
  signedIn: RawReply[];
  errors: {
    failing: RawReply;
    malformed: RawReply;
    oversized: RawReply;
    notFound: RawReply;
    /** A malformed body to a path outside /api: an error there too answers the generic JSON. */
    outside: RawReply;
    /**
     * Errors express.json() raises with a status of their own that no hand-made map by err.type knows:
     * 415 for a charset it cannot decode, 400 (with no err.type) for a gzip body that does not inflate.
     */
    odd: [RawReply, number][];
  };
  flood: {
    /** The first request past the budget, without a body or cookie. */
    refused: RawReply;
    /** The visitor's GET /api/books/2 right after it: the visitor has spent little of its own budget. */
    neighbour: RawReply;
    /** Another IPv6 client, in another /48 of FLOODER's /32, right after FLOODER went over its budget. */
    neighbour6: RawReply;
    malformed: RawReply;
    oversized: RawReply;
    withCookie: RawReply[];
    readsBefore: number | string;
    readsAfter: number | string;
    /** GET /health, GET /metrics (in spellings Express routes there), the stylesheet and a page outside /api, from the client over its budget, with the status each must get. */
    unlimited: [RawReply, number][];
    /** The client's first API_LIMIT requests: none of them may be refused. */
    spent: RawReply[];
    /** POST /api/login with a malformed body, sent over the budget. */
    login: RawReply;
    /** POST /api and POST /API with a malformed body, sent over the budget. */
    bare: RawReply[];
    /** Over the budget, with an address of the client's own choosing in front of the one the proxy added. */
    spoofed: RawReply[];
    /** Over the budget, from another address of the client's own IPv6 /64 network (ROTATED). */
    rotated: RawReply;
    /** Over the budget, from the same address with another User-Agent, Accept and Accept-Language: headers a client writes at will. */
    varied: RawReply[];
    /** Over the budget, bodies of the OTHER_BODIES types sent to POST /api/login. */
    others: RawReply[];
  };
  stdout: LogEntry[];
  /** The app's stdout and stderr as text: express-rate-limit prints its own misconfiguration there (ERR_ERL_…). */
  output: string;
}

const tour = (t: LessonKit) => t.shared('08-tour', () => makeTour(t));

async function makeTour(t: LessonKit): Promise<Tour> {
  const sessionDir = t.tempDir('course-08-sessions-');
  const server = await t.server({ env: { NODE_ENV: 'production', SESSION_SECRET: SECRET, SESSION_DIR: sessionDir } });
  const { client, process } = server;
  const sent: Sent[] = [];
  const send = async (what: string, from: string, method: string, path: string, options: RequestOptions = {}) => {
    const reply = await client.raw(method, path, { timeoutMs: PATIENCE_MS, ...options, headers: { 'X-Forwarded-For': from, 'X-Forwarded-Proto': 'https', ...options.headers } });
    sent.push({ what, reply });
    return reply;
  };
  const json = { 'Content-Type': 'application/json' };

  // Three clients side by side, each in its own rate-limit bucket: a visitor, a customer, and a client
  // that spends its whole API budget.
  const visit = async () => {
    const catalogue = {
      gzip: await send('the catalogue', VISITOR, 'GET', CATALOGUE, { headers: { 'Accept-Encoding': 'gzip' } }),
      plain: await send('the catalogue', VISITOR, 'GET', CATALOGUE),
    };
    const stylesheet = {
      gzip: await send('the stylesheet', VISITOR, 'GET', STYLESHEET, { headers: { 'Accept-Encoding': 'gzip' } }),
      plain: await send('the stylesheet', VISITOR, 'GET', STYLESHEET),
    };
    await send('a book', VISITOR, 'GET', '/api/books/2');
    // HEAD requests and a revalidation (304) are requests too, each with its access line: a load
    // balancer's HEAD probe and a browser's conditional GET of the stylesheet are most of a day's traffic.
    const validators = Object.fromEntries(
      [['If-None-Match', header(stylesheet.plain, 'etag')], ['If-Modified-Since', header(stylesheet.plain, 'last-modified')]].filter(([, value]) => value),
    ) as Record<string, string>;
    await Promise.all([
      send('a HEAD request for the stylesheet', VISITOR, 'HEAD', STYLESHEET),
      send('a HEAD request for a book', VISITOR, 'HEAD', '/api/books/2'),
      send('a revalidation of the stylesheet', VISITOR, 'GET', STYLESHEET, { headers: validators }),
    ]);
    const anonymous = [
      await send('an anonymous request', VISITOR, 'GET', '/api/orders'),
      await send('an anonymous request', VISITOR, 'GET', '/api/orders/export'),
      await send('an anonymous request', VISITOR, 'POST', '/api/orders', { body: { bookId: 1 } }),
      // Express matches paths case-insensitively and ignores a trailing slash: so must the guard.
      await send('an anonymous request', VISITOR, 'GET', '/API/Orders/export'),
      await send('an anonymous request', VISITOR, 'GET', '/api/orders/export/'),
      // Any mix of cases, every method: a guard that lists the spellings it knows misses one of these.
      await send('an anonymous request', VISITOR, 'GET', '/Api/Orders/export'),
      await send('an anonymous request', VISITOR, 'GET', '/api/Orders'),
      await send('an anonymous request', VISITOR, 'POST', '/api/Orders', { body: { bookId: 1 } }),
      await send('an anonymous request', VISITOR, 'GET', anyCase('/api/orders/export')),
      // The guard protects the /api/orders space, not three routes: other methods, and paths no route has
      // (a route added there later), get 401 too. A guard passed to each route leaves them their 404.
      ...(await Promise.all([
        send('an anonymous request', VISITOR, 'DELETE', '/api/orders'),
        send('an anonymous request', VISITOR, 'PUT', '/api/orders/export', { body: { bookId: 1 } }),
        send('an anonymous request', VISITOR, 'GET', '/api/orders/101'),
        send('an anonymous request', VISITOR, 'PATCH', anyCase('/api/orders/101'), { body: { quantity: 2 } }),
        // Deeper than one level, and OPTIONS (this shop answers no cross-origin preflight): a guard that
        // lists /api/orders and /api/orders/:id, or lets OPTIONS by, leaves them a 404 or an Allow list.
        send('an anonymous request', VISITOR, 'GET', '/api/orders/101/items'),
        send('an anonymous request', VISITOR, 'DELETE', anyCase('/api/orders/101/items/7/')),
        send('an anonymous request', VISITOR, 'OPTIONS', '/api/orders'),
        send('an anonymous request', VISITOR, 'OPTIONS', anyCase('/api/orders/101')),
        // HEAD, which Express answers with the GET route: a guard that lists the methods it knows leaves it out.
        send('an anonymous request', VISITOR, 'HEAD', '/api/orders/export'),
        send('an anonymous request', VISITOR, 'HEAD', anyCase('/api/orders/101')),
        // Anonymous is not "no cookie": a session cookie the store does not know, or one with a forged
        // signature, names no signed-in customer. A guard that only looks for the cookie lets them in.
        send('an anonymous request with a session cookie the store does not know', VISITOR, 'GET', '/api/orders', { headers: { Cookie: UNKNOWN_SESSION } }),
        send('an anonymous request with a forged session cookie', VISITOR, 'GET', '/api/orders/export', { headers: { Cookie: FORGED_SESSION } }),
        send('an anonymous request with a session cookie the store does not know', VISITOR, 'DELETE', '/api/orders/101', { headers: { Cookie: UNKNOWN_SESSION } }),
      ])),
    ];
    const notFound = await send('a page that does not exist', VISITOR, 'GET', '/no-such-page');
    // express.json() is app-wide: an error it raises outside /api needs the one error handler too.
    const outside = await send('a malformed body outside /api', VISITOR, 'POST', '/no-such-page', { headers: json, body: MALFORMED });
    return { catalogue, stylesheet, anonymous, notFound, outside };
  };
  let signedInAs: (cookie: string) => void = () => {};
  const customerCookie = new Promise<string>((resolve) => (signedInAs = resolve));
  const shop = async () => {
    const login = await send('the login', CUSTOMER, 'POST', '/api/login', { body: ACCOUNT });
    const cookie = [login.headers['set-cookie'] ?? []].flat()[0]?.split(';')[0] ?? '';
    signedInAs(cookie);
    const signedIn = [
      await send('a signed-in request', CUSTOMER, 'GET', '/api/orders', { headers: { Cookie: cookie } }),
      await send('a signed-in request', CUSTOMER, 'GET', '/api/orders/export', { headers: { Cookie: cookie } }),
      await send('a signed-in request', CUSTOMER, 'POST', '/api/orders', { headers: { Cookie: cookie }, body: { bookId: 1 } }),
    ];
    const failing = await send('a failing route', CUSTOMER, 'GET', FAILING, { headers: { Cookie: cookie } });
    const malformed = await send('a malformed body', CUSTOMER, 'POST', '/api/orders', { headers: { Cookie: cookie, ...json }, body: MALFORMED });
    const oversized = await send('a body too large', CUSTOMER, 'POST', '/api/orders', { headers: { Cookie: cookie, ...json }, body: JUST_OVER });
    const odd = await Promise.all([
      send('a body in a charset express.json() cannot read', CUSTOMER, 'POST', '/api/orders', { headers: { Cookie: cookie, 'Content-Type': 'application/json; charset=latin1' }, body: '{"bookId":1}' }).then((reply): [RawReply, number] => [reply, 415]),
      send('a gzip body that does not inflate', CUSTOMER, 'POST', '/api/orders', { headers: { Cookie: cookie, ...json, 'Content-Encoding': 'gzip' }, body: MALFORMED }).then((reply): [RawReply, number] => [reply, 400]),
      // An encoding express.json() does not decode: 415 (encoding.unsupported), a type a hand-made map rarely lists.
      send('a body in an encoding express.json() does not decode', CUSTOMER, 'POST', '/api/orders', { headers: { Cookie: cookie, ...json, 'Content-Encoding': 'compress' }, body: '{"bookId":1}' }).then((reply): [RawReply, number] => [reply, 415]),
      // The same errors asked for by a browser: the shop answers its JSON whatever Accept says.
      send('a failing route, asked for by a browser', CUSTOMER, 'GET', FAILING, { headers: { Cookie: cookie, Accept: BROWSER_ACCEPT } }).then((reply): [RawReply, number] => [reply, 500]),
      send('a malformed body, sent by a browser', CUSTOMER, 'POST', '/api/orders', { headers: { Cookie: cookie, ...json, Accept: BROWSER_ACCEPT }, body: MALFORMED }).then((reply): [RawReply, number] => [reply, 400]),
    ]);
    return { login, cookie, signedIn, failing, malformed, oversized, odd };
  };
  let spentReplies: RawReply[] = [];
  const spend = async () => {
    // Every /api route spends the one budget, once per request: the login and the signed-in routes are
    // among the 100, so a limiter also used on one of them (each of its requests counted twice) refuses early.
    // An unknown account: the login answers 401 at once (a known one costs a scrypt hash), and counts all the same.
    // The first 40 need no cookie, so the spending starts while the customer signs in.
    const headers = { 'X-Forwarded-For': FLOODER, 'X-Forwarded-Proto': 'https' };
    const own = { ...headers, Cookie: '' };
    const patience = { timeoutMs: PATIENCE_MS };
    const mixed = (): SentSpec[] => [
      { method: 'POST', path: '/api/login', options: { ...patience, headers, body: { email: 'nobody@example.com', password: 'guess' } } },
      { method: 'GET', path: '/api/orders', options: { ...patience, headers } },
      { method: 'GET', path: CATALOGUE, options: { ...patience, headers } },
      { method: 'GET', path: '/api/nope', options: { ...patience, headers } },
      { method: 'GET', path: FAILING, options: { ...patience, headers } },
      { method: 'GET', path: '/api/orders', options: { ...patience, headers: own } },
      { method: 'GET', path: '/api/orders/export', options: { ...patience, headers: own } },
      { method: 'POST', path: '/api/orders', options: { ...patience, headers: own, body: { bookId: 1 } } },
    ];
    const spec = (first: number) => (index: number): SentSpec =>
      (first + index) % 12 === 0 ? mixed()[((first + index) / 12) % 8]! : { method: 'GET', path: '/api/books/1', options: { ...patience, headers } };
    const early = await burst(client, 40, spec(0), 20);
    own.Cookie = await customerCookie;
    spentReplies = [...early, ...(await burst(client, API_LIMIT - 40, spec(40), 20))];
    sent.push(...spentReplies.map((reply) => ({ what: 'a request within the budget', reply })));
  };
  const [{ catalogue, stylesheet, anonymous, notFound, outside }, { login, cookie, signedIn, ...customerErrors }] = await Promise.all([visit(), shop(), spend()]);
  const errors = { notFound, outside, ...customerErrors };

  // Then the spent client keeps going: with the customer's cookie, and with bodies.
  const refused = await send('a request over the budget', FLOODER, 'GET', '/api/books/1');
  // Another client, far within its own budget, is still served: each client has a budget of its own.
  const neighbour = await send("another client's request", VISITOR, 'GET', '/api/books/2');
  const neighbour6 = await send("another IPv6 client's request", NEIGHBOUR6, 'GET', '/api/books/2');
  const readsBefore = await sessionReads(client);
  // Every /api path counts, routed or not (/api/nope), in any spelling, and the reports, which nothing
  // else over the budget asks for: no /api route may sit above the limiter. /api itself is under the
  // mount too, and a skip rule by hand that lists some spellings misses a mixed case.
  // Every method too: a limiter that lets OPTIONS (a CORS preflight exemption) or HEAD by leaves them
  // uncounted, and each one still costs its session lookup.
  const overBudget = [
    ...['/api/orders', '/api/orders/export', '/api/books/1', '/API/Books/1', '/api/books/', '/api/nope', FAILING, '/aPi/bOoKs/1', '/Api/nope', '/api', '/API', anyCase('/api/books/1')].map((path) => ['GET', path]),
    ['OPTIONS', '/api/books/1'],
    ['OPTIONS', anyCase('/api/orders')],
    ['HEAD', '/api/books/1'],
  ];
  const withCookie = await Promise.all(overBudget.map(([method, path]) => send('a request over the budget', FLOODER, method!, path!, { headers: { Cookie: cookie } })));
  // The proxy appends the address it saw to whatever X-Forwarded-For the client sent: only the right-most
  // address is the proxy's word (trust proxy 1). A limiter keyed on an address further left, or on the
  // raw header, gives a client that writes its own addresses in front a fresh budget for each.
  const [rotated, ...spoofed] = await Promise.all(
    [ROTATED, `10.20.30.40, ${FLOODER}`, `172.16.5.9, 10.20.30.41, ${FLOODER}`].map((forwarded) =>
      send('a request over the budget', FLOODER, 'GET', '/api/books/1', { headers: { 'X-Forwarded-For': forwarded } }),
    ),
  );
  // The address is the client; what it writes in its headers is not: a key that takes in the User-Agent
  // (or any header) gives it a fresh budget per value.
  const varied = await Promise.all(
    ([
      // The addresses a CDN or nginx would write (a key read from them takes the client's word), and a
      // bearer token nobody checks (a skip for "signed-in" API clients): red team 08 r9.
      { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', 'Accept-Language': 'de-DE,de;q=0.9', 'X-Real-IP': '198.51.100.23', 'CF-Connecting-IP': '198.51.100.23', 'True-Client-IP': '198.51.100.23' },
      { 'User-Agent': 'curl/8.11.1', Accept: 'application/json', 'Accept-Language': 'fr', Authorization: 'Bearer made-up-token-7f3a' },
    ] as Record<string, string>[]).map((headers) => send('a request over the budget', FLOODER, 'GET', '/api/books/1', { headers })),
  );
  const readsAfter = await sessionReads(client);
  // The load balancer's probe and the dashboard come from anywhere, spent clients included.
  // The limit is the API's: the stylesheet is not part of it either.
  // So are the spellings Express routes to the probes, and a page outside /api (its 404 is not refused).
  const unlimitedSpecs = [
    ['the health probe', '/health', 200],
    ['the metrics', '/metrics', 200],
    ['the stylesheet', STYLESHEET, 200],
    ['the health probe', '/health/', 200],
    ['the health probe', '/HEALTH', 200],
    ['the metrics', '/metrics/', 200],
    ['a page that does not exist', '/favicon.ico', 404],
    // Outside /api although they start with "api": '/api' mounts /api and /api/…, not these.
    ['a page outside /api', '/apidocs', 404],
    ['a page outside /api', '/api-docs', 404],
  ] as const;
  const [unlimited, [overLogin, overMalformed, overOversized, ...overBare]] = await Promise.all([
    Promise.all(unlimitedSpecs.map(async ([what, path, status]): Promise<[RawReply, number]> => [await send(what, FLOODER, 'GET', path), status])),
    Promise.all([
      send('a request over the budget', FLOODER, 'POST', '/api/login', { headers: json, body: MALFORMED }),
      send('a request over the budget', FLOODER, 'POST', '/api/orders', { headers: json, body: MALFORMED }),
      send('a request over the budget', FLOODER, 'POST', '/api/orders', { headers: json, body: OVERSIZED }),
      // /api itself, which no route answers: the body parser reads it all the same.
      send('a request over the budget', FLOODER, 'POST', '/api', { headers: json, body: MALFORMED }),
      send('a request over the budget', FLOODER, 'POST', '/API', { headers: json, body: MALFORMED }),
    ]),
  ]);
  const others = await Promise.all(OTHER_BODIES.map(([type, body]) => send('a request over the budget', FLOODER, 'POST', '/api/login', { headers: { 'Content-Type': type }, body })));
  const flood = { refused, neighbour, neighbour6, withCookie, readsBefore, readsAfter, unlimited, spent: spentReplies, login: overLogin!, malformed: overMalformed!, oversized: overOversized!, bare: overBare, spoofed, rotated: rotated!, varied, others };

  // The last answer's access line, then quiet: the app has written what it will.
  const last = overOversized!;
  await pollFor(() => parseLines(process.streamOutput('stdout')).some((entry) => accessFields(entry).status === last.status && accessFields(entry).path === '/api/orders'), 1000);
  await settle(() => process.mark, 200, 1000);
  await server.stop();
  const stdout = process.streamOutput('stdout');
  return { sent, catalogue, stylesheet, login, anonymous, signedIn, errors, flood, stdout: parseLines(`${stdout}\n`), output: `${stdout}\n${process.streamOutput('stderr')}` };
}

/** The session lookups GET /metrics reports, or what it answered instead. */
async function sessionReads(client: { raw: (method: string, path: string, options?: RequestOptions) => Promise<RawReply> }): Promise<number | string> {
  const reply = await client.raw('GET', '/metrics', { headers: { 'X-Forwarded-For': VISITOR }, timeoutMs: PATIENCE_MS });
  const reads = (parseJson(reply) as { sessionStoreReads?: unknown } | undefined)?.sessionStoreReads;
  return reply.status === 200 && typeof reads === 'number' ? reads : `status ${reply.status} and ${show(reply.bytes.toString('utf8'), 80)}`;
}

function parseJson(reply: RawReply): unknown {
  try {
    return JSON.parse(decodedBody(reply).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** A header the grader sent with a request, by name in any case. */
const requestHeader = (reply: RawReply, name: string) => Object.entries(reply.request.headers).find(([key]) => key.toLowerCase() === name)?.[1];
const described = (reply: RawReply) => `${reply.request.method} ${reply.request.path}`;
const bodyOf = (reply: RawReply) => {
  try {
    return decodedBody(reply).toString('utf8');
  } catch {
    return '(a body that does not decode)';
  }
};

/** "an HTML page" for Express's own error page, else the content type. */
function kindOf(reply: RawReply): string {
  const type = header(reply, 'content-type') ?? 'no content type';
  return /html/i.test(type) ? `an HTML page (${show(bodyOf(reply), 60)})` : `${type.split(';')[0]} ${show(bodyOf(reply), 60)}`;
}

const pathOf = (reply: RawReply) => new URL(reply.request.path, 'http://x').pathname;
const capitals = (reply: RawReply) => /[A-Z]/.test(pathOf(reply));

/**
 * Why spellings with capitals miss the limiter and the routes: every GET or HEAD spelled with capitals
 * got 404 while one spelled in lower case reached the same place (a body sent there meets only the
 * app-wide parser, so its 400 tells nothing). '' when that is not what the answers show.
 */
function routesByCase({ sent }: Tour): string {
  const capital = sent.map(({ reply }) => reply).filter((reply) => capitals(reply) && ['GET', 'HEAD'].includes(reply.request.method));
  if (!capital.length || capital.some((reply) => reply.status !== 404)) return '';
  const twin = sent.find(({ reply }) => !capitals(reply) && reply.status !== 404 && capital.some((other) => routed(other.request.path) === routed(reply.request.path)))?.reply;
  if (!twin) return '';
  const example = capital.find((reply) => routed(reply.request.path) === routed(twin.request.path))!;
  return (
    `Every GET spelled with capitals got 404 (${described(example)}), while ${described(twin)} got ${twin.status}: the app routes by case, so /API reaches neither the limiter nor any route. ` +
    "app.set('case sensitive routing', true), or a Router({ caseSensitive: true }), does that. Express matches paths in any case by default: leave it so, and the limiter mounted with app.use('/api', limiter) covers every spelling."
  );
}

/** The body parser of Express that reads the request's Content-Type, for messages. */
function parserOf(reply: RawReply): string {
  const type = requestHeader(reply, 'content-type') ?? '';
  const parser = [['urlencoded', 'express.urlencoded()'], ['text/', 'express.text()'], ['octet-stream', 'express.raw()']].find(([part]) => type.includes(part!))?.[1];
  return parser ? `a body parser (${parser}, or another that reads ${type.split(';')[0]})` : 'express.json()';
}

/** What a reply lacks of the headers helmet() sets, by name; [] when it has them all. */
function missingHeaders(reply: RawReply): string[] {
  const missing: string[] = [];
  if (header(reply, 'x-powered-by')) missing.push(`X-Powered-By is there (${header(reply, 'x-powered-by')})`);
  const csp = header(reply, 'content-security-policy');
  if (!csp) missing.push(header(reply, 'content-security-policy-report-only') ? 'no Content-Security-Policy, only Content-Security-Policy-Report-Only, which blocks nothing (reportOnly: true)' : 'no Content-Security-Policy');
  // A browser enforces every policy it gets: scripts are open only when each of them lets them in.
  // script-src-elem and script-src-attr too, which override script-src for <script> elements and event handlers (red team 08 r10).
  const weak = parsePolicies(csp).map((policy) =>
    (['script-src', 'script-src-elem', 'script-src-attr'] as const).flatMap((directive) => scriptSourceWeaknesses(effectiveSources(policy.directives, directive), directive)),
  );
  if (weak.length && weak.every((found) => found.length > 0)) missing.push(`a Content-Security-Policy that lets injected scripts run (${weak[0]![0]})`);
  const maxAge = Number(header(reply, 'strict-transport-security')?.match(/max-age=(\d+)/i)?.[1] ?? NaN);
  if (!(maxAge >= 15_552_000)) missing.push('no Strict-Transport-Security of six months or more');
  if (header(reply, 'x-content-type-options')?.toLowerCase() !== 'nosniff') missing.push('no X-Content-Type-Options: nosniff');
  if (!/^(deny|sameorigin)$/i.test(header(reply, 'x-frame-options') ?? '') && !/frame-ancestors\s+('none'|'self')/i.test(csp ?? '')) {
    const ancestors = csp?.match(/frame-ancestors\s+([^;,]*)/i)?.[1]?.trim();
    missing.push(ancestors ? `no X-Frame-Options, and a CSP frame-ancestors (${ancestors}) that lets other sites frame the page` : 'no X-Frame-Options (nor CSP frame-ancestors)');
  }
  return missing;
}

/**
 * Request 101 served, and the count it states says the limiter forgot exactly the failed answers among
 * the 100 before it: it un-counts an answer by its status (skipFailedRequests). `failed` is [] otherwise.
 */
function uncountedFailures(flood: Tour['flood']): { remaining?: number; failed: RawReply[] } {
  const remaining = remainingOf(flood.refused);
  const failed = flood.spent.filter((reply) => reply.status >= 400);
  return flood.refused.status !== 429 && failed.length > 0 && remaining === failed.length - 1 ? { remaining, failed } : { remaining, failed: [] };
}

/** The requests a rate limiter says remain, in any header format it speaks (draft 6, 7, 8 or legacy), or undefined. */
function remainingOf(reply: RawReply): number | undefined {
  const plain = header(reply, 'ratelimit-remaining') ?? header(reply, 'x-ratelimit-remaining');
  const structured = header(reply, 'ratelimit')?.match(/(?:^|[;,\s])(?:r|remaining)\s*=\s*(\d+)/i)?.[1];
  const value = Number(plain ?? structured ?? NaN);
  return Number.isInteger(value) ? value : undefined;
}

/**
 * Why the visitor, far within its own budget, got 429 right after the spending client went over its
 * budget: the limiter counts every client as one. '' when the visitor was served.
 */
function sharedBudget({ sent, flood }: Tour): string {
  if (flood.neighbour.status !== 429) return '';
  const ownRequests = sent.filter(({ reply }) => reply !== flood.neighbour && reply.request.headers['X-Forwarded-For'] === VISITOR && /^\/api(\/|$)/i.test(reply.request.path)).length;
  return (
    `${described(flood.neighbour)} from another client (X-Forwarded-For: ${VISITOR}), which had sent ${ownRequests} API requests, got 429 as soon as one client spent ${API_LIMIT}: the limiter puts every client in one budget. ` +
    "The grader's clients come through the one proxy in front of the shop, so every connection comes from the proxy's address: without app.set('trust proxy', 1), req.ip is that address for every client, and a limiter keyed on req.ip counts them all as one. " +
    "Keep app.set('trust proxy', 1) at the top of createApp() (and no keyGenerator that gives every client the same key)."
  );
}

/**
 * Why a limiter that is there never ran below /api: only requests to /api itself carry its headers.
 * A RegExp mount that takes in the '/' after /api (/^\/api(?:\/|$)/) matches "/api/" of /api/books/1,
 * and Express's router runs a mounted layer only when what its path matched ends the path or is
 * followed by '/'. '' when that is not what the answers show.
 */
function limiterSkipsBelowApi(flood: Tour['flood']): string {
  const bare = [...flood.withCookie, ...flood.bare].filter((reply) => routed(reply.request.path) === '/api' && limitHeaders(reply));
  const below = [flood.refused, ...flood.spent, ...flood.withCookie].filter((reply) => routed(reply.request.path) !== '/api');
  if (!bare.length || below.some(limitHeaders)) return '';
  return (
    `Only requests to /api itself carried rate-limit headers (${described(bare[0]!)}), none below it (${described(below[0]!)}): the limiter is registered but runs for /api alone. ` +
    "A RegExp mount that takes in the '/' after /api (app.use(/^\\/api(?:\\/|$)/i, limiter)) does that: Express runs a mounted layer only when what its path matched ends the path or is followed by '/', and in /api/books/1 the \"/api/\" it matched is followed by \"books\". " +
    "Mount the limiter with app.use('/api', limiter), or end the RegExp with a lookahead that leaves the '/' alone: /^\\/api(?=\\/|$)/i."
  );
}

/**
 * Why request 101 was served by a limiter that counts: its answers state the same remaining count more
 * than once, so the one client was counted in more than one budget, split by something the requests
 * carry besides the address (a keyGenerator on the Cookie header, the session, a header). '' otherwise.
 */
function splitBudget(flood: Tour['flood']): string {
  const counted = flood.spent.map((reply) => ({ reply, remaining: remainingOf(reply) })).filter(({ remaining }) => remaining !== undefined);
  const twice = counted.find(({ reply, remaining }) => counted.some((other) => other.reply !== reply && other.remaining === remaining && !!requestHeader(other.reply, 'cookie') !== !!requestHeader(reply, 'cookie')));
  if (!twice) return '';
  const withCookie = counted.filter(({ reply }) => requestHeader(reply, 'cookie')).length;
  return (
    `The limiter is there and counts, but not per client: among the 100 requests of this one client (one address), ${described(twice.reply)}${requestHeader(twice.reply, 'cookie') ? ' with a session cookie' : ' without a cookie'} was told ${twice.remaining} remain, and so was one ${requestHeader(twice.reply, 'cookie') ? 'without a cookie' : 'with a session cookie'}: ` +
    `the ${withCookie} requests that carried a cookie were counted in a budget of their own. The key is not the client (a keyGenerator reading the Cookie header or the session?): a client that changes its cookie gets a fresh budget. ` +
    'Key on the client: the default key of express-rate-limit, or ipKeyGenerator(req.ip).'
  );
}

/** Why the customer has no session: its login, sent through the proxy over HTTPS, set no cookie. */
function noCookie(login: RawReply): string {
  return (
    `The customer's login (${described(login)}) answered ${login.status} and set no session cookie, so no later request had a session to look up. ` +
    "The session cookie is secure: express-session sets it only on a request it knows came over HTTPS, which behind the proxy only X-Forwarded-Proto: https says, and Express reads that header only with app.set('trust proxy', 1). Keep that line at the top of createApp()."
  );
}

/**
 * What a rate limiter's answer states about its window, in seconds: the window itself (RateLimit-Policy
 * w=, draft 6 to 8) or how long until the budget refills (Retry-After, RateLimit t= or reset=,
 * RateLimit-Reset, X-RateLimit-Reset as a delay or an epoch time). [] when it states none.
 */
function statedTimes(reply: RawReply): { said: string; seconds: number; window: boolean }[] {
  const stated: { said: string; seconds: number; window: boolean }[] = [];
  const at = Date.parse(header(reply, 'date') ?? '') || Date.now();
  const delay = (value: string) => {
    const number = Number(value);
    if (Number.isFinite(number)) return number > 1e9 ? Math.round(number - at / 1000) : number;
    const date = Date.parse(value);
    return Number.isNaN(date) ? undefined : Math.round((date - at) / 1000);
  };
  const add = (name: string, value: string | undefined, window: boolean) => {
    const seconds = value === undefined ? undefined : delay(value);
    if (seconds !== undefined) stated.push({ said: `${name}: ${show(header(reply, name), 80)}`, seconds, window });
  };
  add('retry-after', header(reply, 'retry-after'), false);
  add('ratelimit-reset', header(reply, 'ratelimit-reset'), false);
  add('x-ratelimit-reset', header(reply, 'x-ratelimit-reset'), false);
  add('ratelimit', header(reply, 'ratelimit')?.match(/(?:^|[;,\s])(?:t|reset)\s*=\s*(\d+)/i)?.[1], false);
  add('ratelimit-policy', header(reply, 'ratelimit-policy')?.match(/(?:^|[;,\s])w\s*=\s*(\d+)/i)?.[1], true);
  return stated;
}

/** Whether a reply carries rate-limit headers, in any format express-rate-limit speaks. */
const limitHeaders = (reply: RawReply) => ['ratelimit', 'ratelimit-remaining', 'x-ratelimit-remaining'].some((name) => header(reply, name) !== undefined);

const keyOf = (method: string | undefined, path: string | undefined, status: number | undefined) => `${method} ${path} ${status}`;

/**
 * Declares a check whose failures give no "Look at" line: the app's output holds the stack of the reports
 * route's error (logged, as it must be) on every run, which pointed every failure at that route, whatever
 * failed (red team 08 r9). What is at fault here is the order of layers, which no stack shows.
 */
function orderCheck(t: LessonKit, id: string, body: () => Promise<void>): void {
  t.check(id, () =>
    body().catch((error: unknown) => {
      if (error instanceof Error && !('locateIn' in error)) Object.assign(error, { locateIn: '' });
      throw error;
    }),
  );
}

lesson('08-middleware-order', (t) => {
  orderCheck(t, '08.every-request-logged-once', async () => {
    const { sent, stdout } = await tour(t);
    const lines = stdout.map((entry) => ({ entry, fields: accessFields(entry) })).filter(({ fields }) => fields.method && fields.path);
    const found = new Map<string, number>();
    for (const { fields } of lines) found.set(keyOf(fields.method, fields.path, fields.status), (found.get(keyOf(fields.method, fields.path, fields.status)) ?? 0) + 1);
    const expected = new Map<string, { count: number; what: string; reply: RawReply }>();
    for (const { what, reply } of sent) {
      if (NOT_COUNTED.has(routed(reply.request.path))) continue;
      const key = keyOf(reply.request.method, new URL(reply.request.path, 'http://x').pathname, reply.status);
      const seen = expected.get(key);
      expected.set(key, { count: (seen?.count ?? 0) + 1, what: seen?.what ?? what, reply });
    }
    // Missing lines first: a line with the wrong status is both a missing line and an extra one.
    const mismatches = [...expected].filter(([key, { count }]) => (found.get(key) ?? 0) !== count);
    mismatches.sort(([keyA, a], [keyB, b]) => Number((found.get(keyA) ?? 0) > a.count) - Number((found.get(keyB) ?? 0) > b.count));
    for (const [key, { count, what, reply }] of mismatches) {
      const got = found.get(key) ?? 0;
      t.reproduce(reply.request);
      const samePath = lines.filter(({ fields }) => fields.method === reply.request.method && fields.path === new URL(reply.request.path, 'http://x').pathname);
      const withoutStatus = samePath.find(({ fields }) => fields.status === undefined);
      // "Written on arrival" only when this method and path have more 200 lines than 200 answers: a
      // logger below the limiter also lacks the 429 lines, but its 200 lines are the real 200 answers.
      const pathname = new URL(reply.request.path, 'http://x').pathname;
      const answered200 = sent.filter(({ reply: other }) => other.request.method === reply.request.method && new URL(other.request.path, 'http://x').pathname === pathname && other.status === 200).length;
      const lines200 = samePath.filter(({ fields }) => fields.status === 200);
      const otherStatus = reply.status !== 200 && lines200.length > answered200 ? lines200[0] : undefined;
      const times = (n: number) => (n === 1 ? 'one access line' : `${n} access lines`);
      let cause: string;
      if (got > count) {
        cause = 'Each request must be logged once: is a second logger registered, or does something log on both finish and close?';
      } else if (withoutStatus) {
        cause = `The line for it has no status: ${show(withoutStatus.entry.line, 100)}. A line written as the request arrives cannot know how it ends; write it on res.on('finish').`;
      } else if (otherStatus && got < count) {
        cause = `The line for it says ${otherStatus.fields.status}: ${show(otherStatus.entry.line, 100)}. It was written before the answer was decided (res.statusCode is 200 until then); write it on res.on('finish').`;
      } else if (lines.length === 0) {
        cause = 'There is no access line on stdout at all.';
      } else if (got === 0 && reply.request.method === 'HEAD' && lines.some(({ fields }) => fields.method === 'GET') && !lines.some(({ fields }) => fields.method === 'HEAD')) {
        cause = 'There are access lines for GET, none for HEAD: the logger skips HEAD requests. A HEAD request (a load balancer probe, a link checker) is a request like any other, and the log must show it: log every method.';
      } else if (got === 0 && reply.status === 304 && !lines.some(({ fields }) => fields.status === 304)) {
        cause = `A revalidation (a conditional GET that express.static answered 304 Not Modified) is a request too, and there is no line with 304 at all: the logger skips them (a test of res.statusCode). Log every answer, whatever its status.`;
      } else if (shortened(reply, pathname, lines)) {
        const line = shortened(reply, pathname, lines)!;
        cause =
          `A line with ${reply.request.method} and ${reply.status} is there, under another path than the one the client sent, ${line.fields.path}: ${show(line.entry.line, 120)}. ` +
          (line.fields.path === pathname.toLowerCase()
            ? 'The logger writes the path in lower case, not as the client sent it: two spellings of one path are two requests the client made, and the log must show which (grouping them is the log reader\'s job). Log req.originalUrl as it is.'
            : routed(line.fields.path!) === routed(pathname)
            ? "The logger writes a path of its own making (req.baseUrl + req.url gives /api/orders/ for /api/orders once a mount has run); log req.originalUrl, the path as the client sent it."
            : "The logger writes req.url, which a layer mounted on a path (app.use('/static', …), app.use('/api', …)) shortens to the rest of the path; log req.originalUrl, the path as the client sent it.");
      } else {
        cause =
          'The access logger never saw it: what answered it is registered above the logger, or the logger is mounted on some paths only. ' +
          'Register app.use(accessLog) without a path, before every layer that can answer.';
      }
      fail(`Expected ${times(count)} for ${count === 1 ? '' : `the ${count} requests `}${described(reply)} answered ${reply.status} (${what}), got ${got}. ${cause}`);
    }
  });

  orderCheck(t, '08.every-answer-hardened', async () => {
    const { catalogue, stylesheet, login, anonymous, signedIn, errors, flood } = await tour(t);
    const answers: [string, RawReply][] = [
      ['a static file', stylesheet.plain],
      ['a compressed static file', stylesheet.gzip],
      ['the JSON catalogue', catalogue.plain],
      ['the login', login],
      ['a 401 from the sign-in guard', anonymous[0]!],
      ['the CSV export', signedIn[1]!],
      ['the 404 for an unknown page', errors.notFound],
      ['the 500 of a failing route', errors.failing],
      ['the 400 for a malformed body', errors.malformed],
      ['the 429 of a client over its budget', flood.refused],
      ['the 429 for a body sent over the budget', flood.malformed],
      ['the 413 for a body too large', errors.oversized],
      ['a new order (201)', signedIn[2]!],
      // "Every answer": the routes registered for the probe and the dashboard too.
      ['the health probe', flood.unlimited[0]![0]],
      ['the metrics', flood.unlimited[1]![0]],
      ['the answer to a malformed body outside /api', errors.outside],
      // Every method: an OPTIONS answered above helmet() (a preflight handler first) goes out bare.
      ...anonymous.filter((reply) => reply.request.method === 'OPTIONS').map((reply): [string, RawReply] => ['an answer to OPTIONS', reply]),
    ];
    const hardened = answers.filter(([, reply]) => missingHeaders(reply).length === 0).map(([what]) => what);
    for (const [what, reply] of answers) {
      const missing = missingHeaders(reply);
      if (missing.length === 0) continue;
      t.reproduce(reply.request);
      if (missing.length === 1 && header(reply, 'x-powered-by')) {
        // Every other header is there, so helmet() ran on this answer and removed X-Powered-By: something set it again later.
        fail(
          `Expected ${what} (${described(reply)}, ${reply.status}) to carry no X-Powered-By, got ${missing[0]}, with every other security header there: helmet() ran and removed it, and a layer after it set it again. ` +
            "A mounted express() sub-app does that: it sets X-Powered-By on every request it handles. Mount an express.Router() instead, or disable the header on the sub-app (api.disable('x-powered-by')).",
        );
      }
      // helmet's other headers on this answer, and no answer with them all: helmet() ran, with some switched off
      // (not on Express's own error page, which sets a CSP and nosniff of its own).
      const helmetRan =
        !hardened.length &&
        !/html/i.test(header(reply, 'content-type') ?? '') &&
        header(reply, 'x-content-type-options')?.toLowerCase() === 'nosniff' &&
        (header(reply, 'content-security-policy') || header(reply, 'content-security-policy-report-only'));
      if (helmetRan) {
        fail(
          `Expected ${what} (${described(reply)}, ${reply.status}) to carry the security headers, got ${missing.join(', ')}, and no answer has them all. Its other security headers are there, so helmet() runs: an option passed to it switches the missing ones off or weakens them (helmet({ strictTransportSecurity: false }), a short maxAge). ` +
            'Keep helmet() with its defaults, as the exercise has it; a stricter option is fine, a header switched off is not.',
        );
      }
      const seenElsewhere = hardened.length ? ` ${capitalised(hardened[0]!)} has them, so helmet() runs, but after whatever answered this one.` : ' No answer has them: is helmet() called (app.use(helmet()), not app.use(helmet))?';
      fail(`Expected ${what} (${described(reply)}, ${reply.status}) to carry the security headers, got ${missing.join(', ')}.${seenElsewhere} Register helmet() before every layer that can answer: static files, routers, routes.`);
    }
  });

  orderCheck(t, '08.static-and-large-answers-compressed', async () => {
    const { catalogue, stylesheet } = await tour(t);
    for (const [what, pair] of [['the stylesheet', stylesheet], ['the catalogue', catalogue]] as const) {
      const { gzip, plain } = pair;
      t.reproduce(gzip.request);
      expectThat(gzip.status === 200 && plain.status === 200, `Expected ${what} (${described(gzip)}) to answer 200, got ${gzip.status} with Accept-Encoding: gzip and ${plain.status} without.`);
      expectThat(
        contentCodings(gzip).includes('gzip'),
        `Expected ${what} (${described(gzip)}, ${plain.bytes.length} bytes) to be sent with Content-Encoding: gzip to a client that asks for it, got ${show(header(gzip, 'content-encoding'))}. ` +
          // Vary first: compression() sets it before it decides, express.static never does, so an answer
          // with it went through compression() (red team 08 r7: a threshold above the stylesheet's size,
          // with the catalogue compressed, was told to move compression() above the static files).
          (/accept-encoding/i.test(header(gzip, 'vary') ?? '')
            ? `The answer carries Vary: ${header(gzip, 'vary')}, which compression() sets before it decides, so it ran and chose not to compress these ${plain.bytes.length} bytes` +
              (what === 'the stylesheet' && contentCodings(catalogue.gzip).length ? ` (the catalogue, ${catalogue.plain.bytes.length} bytes, is compressed)` : '') +
              ': an option of it (threshold, filter) keeps them out. Keep compression() with its defaults (threshold 1 kB), as the exercise has it.'
            : what === 'the stylesheet' && contentCodings(catalogue.gzip).length
              ? 'The catalogue is compressed, so compression() runs, but after express.static answered the file (the answer has no Vary: Accept-Encoding, which compression() would have set): register it before the static files.'
              : 'Register compression() before every layer that can answer.'),
      );
      expectThat(decodedBody(gzip).equals(decodedBody(plain)), `Expected ${what} to decode to the same bytes as its uncompressed answer, got ${decodedBody(gzip).length} bytes instead of ${decodedBody(plain).length}.`);
      // gzip framing around bytes stored as they are (level 0) is an answer no smaller than the plain one.
      expectThat(
        gzip.bytes.length <= plain.bytes.length * 0.8,
        `Expected ${what} (${described(gzip)}) to be smaller compressed, got ${gzip.bytes.length} bytes with Content-Encoding: gzip for ${plain.bytes.length} bytes plain: the body is wrapped in gzip but not compressed. ` +
          'compression({ level: 0 }) does that (it stores the bytes as they are). Keep compression() with its defaults, as the exercise has it.',
      );
    }
  });

  orderCheck(t, '08.refused-before-body-parse', async () => {
    const run = await tour(t);
    const { flood } = run;
    // The budget is 100, not less: a limiter counted twice (mounted twice) refuses at 51.
    const early = flood.spent.findIndex((reply) => reply.status === 429);
    // A budget per client: one client over it leaves the others their own.
    const shared = sharedBudget(run);
    if (shared) {
      t.reproduce(flood.neighbour.request);
      fail(
        `Expected each client to get its own ${API_LIMIT} API requests, got 429 for another client` +
          (early >= 0 ? `, and 429 at request ${early + 1} for the client spending its budget, whose budget the other clients' requests had taken part of` : '') +
          `. ${shared}`,
      );
    }
    if (early >= 0) {
      t.reproduce(flood.spent[early]!.request);
      fail(
        `Expected the first ${API_LIMIT} API requests within 15 minutes from one client to be served, got 429 at request ${early + 1} (${described(flood.spent[early]!)}); ` +
          `besides GET /api/books/1 they went to ${SPENT_ON}. ` +
          'The budget is 100, each request counted once: is the limiter registered twice, or used again on a route or router below app.use(\'/api\', limiter) (the login, /api/orders), so its requests count twice? Or is a second, stricter one added on these paths?',
      );
    }
    t.reproduce(flood.refused.request);
    const laterRefused = flood.withCookie.filter((reply) => reply.status === 429);
    const uncounted = flood.withCookie.filter((reply) => reply.status !== 429);
    // A limiter that states its count in headers (express-rate-limit does) shows which of the 100 it never saw.
    const unseen = flood.spent.some(limitHeaders) ? [...new Set(flood.spent.filter((reply) => !limitHeaders(reply)).map((reply) => `${described(reply)} (${reply.status})`))] : [];
    const { remaining, failed } = uncountedFailures(flood);
    const forgotFailed = !unseen.length && failed.length > 0;
    expectThat(
      flood.refused.status === 429,
      `Expected request ${API_LIMIT + 1} within 15 minutes from one client (${described(flood.refused)}) to be refused with 429, got ${flood.refused.status}. ` +
        (forgotFailed
          ? `Its rate-limit headers say ${remaining} requests remain: the limiter counted ${API_LIMIT - failed.length} of the ${API_LIMIT} before it, all but the ${failed.length} answered with an error ` +
            `(${[...new Set(failed.map((reply) => `${described(reply)} ${reply.status}`))].slice(0, 4).join(', ')}). Failed answers were not counted: skipFailedRequests (or a skip on the status) gives a client more than its budget by sending requests that fail. Every request counts, however it is answered.`
          : unseen.length
          ? `Among the 100 before it, ${unseen.join(', ')} carried no rate-limit headers while the others did: the limiter never counted them. It is mounted on some routes only, or a route or guard registered above app.use('/api', limiter) answers before the limiter sees the request: mount one limiter with app.use('/api', limiter) and register every /api layer that can answer below it.`
          : laterRefused.length && uncounted.length
          ? `Later requests got 429 (${described(laterRefused[0]!)}), so the limit is there but missed some of the 100 before it: ${uncounted.map((reply) => `${described(reply)} got ${reply.status}`).join(', ')} over the budget. A route registered above app.use('/api', limiter), or outside a limiter mounted on some routes only, is neither counted nor refused: mount one limiter with app.use('/api', limiter) and register every /api route below it.`
          : limiterSkipsBelowApi(flood) || splitBudget(flood) || 'The /api limit of lesson 04 must stay in place.'),
    );
    // One client, one budget, whatever it writes in X-Forwarded-For itself.
    for (const reply of flood.spoofed) {
      t.reproduce(reply.request);
      const complaint = run.output.match(/ERR_ERL_[A-Z0-9_]+/)?.[0];
      expectThat(
        reply.status === 429,
        `Expected ${described(reply)} from the client over its API budget, sent with X-Forwarded-For: ${reply.request.headers['X-Forwarded-For']}, to be refused with 429, got ${reply.status}. ` +
          `The proxy appends the address it saw (${FLOODER}) to whatever X-Forwarded-For the client sent, so only the right-most address is the proxy's word: the ones in front are the client's own choice, and a new one bought a fresh budget. ` +
          "Keep app.set('trust proxy', 1) (one proxy: not true, not 2) and key the limiter on req.ip, not on the X-Forwarded-For header" +
          (complaint ? ` (express-rate-limit said so itself on the app's output: ${complaint}).` : '.'),
      );
    }
    // One IPv6 client, one budget, whichever address of its own network it takes.
    t.reproduce(flood.rotated.request);
    const complaint = run.output.match(/ERR_ERL_KEY_GEN_IPV6/)?.[0];
    expectThat(
      flood.rotated.status === 429,
      `Expected ${described(flood.rotated)} from the client over its API budget, now from ${ROTATED} (it spent its budget as ${FLOODER}, an address of the same /64 network), to be refused with 429, got ${flood.rotated.status}. ` +
        'An IPv6 client owns a whole network (a /64 at least) and takes a new address in it at will: a limiter keyed on the bare address (keyGenerator: (req) => req.ip) gives it a fresh budget for each. ' +
        'Key on the client as lesson 04 does: the default key of express-rate-limit, or ipKeyGenerator(req.ip), which counts an IPv6 network as one client' +
        (complaint ? ` (express-rate-limit said so itself on the app's output: ${complaint}).` : '.'),
    );
    // A budget per client, not per provider: another IPv6 customer in the same /32 is still served.
    t.reproduce(flood.neighbour6.request);
    expectThat(
      flood.neighbour6.status !== 429,
      `Expected ${described(flood.neighbour6)} from another IPv6 client (${NEIGHBOUR6}, far within its own budget) to be served, got 429 right after ${FLOODER} spent its ${API_LIMIT}: ` +
        'the two share a /32 (one provider) but not a /48. A key that cuts IPv6 addresses that short (ipv6Subnet: 32) puts every customer of a provider in one budget, so one flood locks them all out. ' +
        'Keep the default key of express-rate-limit (a /56) or ipKeyGenerator(req.ip).',
    );
    // One address, one budget, whatever the client writes in its other headers.
    for (const reply of flood.varied) {
      t.reproduce(reply.request);
      const written = ['User-Agent', 'Accept', 'Accept-Language', 'X-Real-IP', 'CF-Connecting-IP', 'True-Client-IP', 'Authorization'].filter((name) => requestHeader(reply, name.toLowerCase())).map((name) => `${name}: ${requestHeader(reply, name.toLowerCase())}`);
      expectThat(
        reply.status === 429,
        `Expected ${described(reply)} from the client over its API budget, from the same address (${FLOODER}) with ${written.join(', ')}, to be refused with 429, got ${reply.status}. ` +
          'Those headers are the client\'s own choice: a key that takes one of them in (the User-Agent beside the address, an address from X-Real-IP), or a skip for one of them (a bearer token the limiter does not check), gives a client a fresh budget, or none at all, for every value it writes. ' +
          'Key on the client\'s address alone, as lesson 04 does: the default key of express-rate-limit, or ipKeyGenerator(req.ip).',
      );
    }
    // The window, as the limiter states it on the wire: lesson 04 proves it by behaviour, this run takes
    // seconds, so a limiter that states a window or a reset must state 15 minutes.
    t.reproduce(flood.refused.request);
    const stated = statedTimes(flood.refused);
    expectThat(
      stated.length > 0,
      `Expected the 429 of request ${API_LIMIT + 1} (${described(flood.refused)}) to state when the budget refills (Retry-After, or the RateLimit headers), got none of them. ` +
        'The grader cannot wait 15 minutes: it holds the window the limiter states to 15 minutes, and a client told 429 needs to know when to come back. ' +
        "Keep the exercise's standardHeaders: 'draft-8' (not false); a limiter of your own sets Retry-After from the time left (rate-limiter-flexible: msBeforeNext).",
    );
    for (const { said, seconds, window } of stated) {
      expectThat(
        window ? seconds >= 14 * 60 && seconds <= 16 * 60 : seconds >= 12 * 60 && seconds <= 15 * 60 + 5,
        `Expected the 429 of request ${API_LIMIT + 1} (${described(flood.refused)}) to state a ${window ? 'window of 15 minutes' : 'budget refilled about 15 minutes after it was first used'}, got ${said}` +
          ` (${window ? 'a window of' : 'a refill in'} ${seconds} s). The API budget is 100 requests per 15 minutes (lesson 04): windowMs counts milliseconds, 15 * 60 * 1000 (duration in seconds, 15 * 60, for rate-limiter-flexible).`,
      );
    }
    const bodies: [string, RawReply, number][] = [
      ['a malformed JSON body', flood.malformed, 400],
      ['a 200 kB body', flood.oversized, 413],
      ['a malformed JSON body', flood.login, 400],
      ...flood.bare.map((reply): [string, RawReply, number] => ['a malformed JSON body', reply, 400]),
      ...flood.others.map((reply): [string, RawReply, number] => [`a 200 kB ${requestHeader(reply, 'content-type')} body`, reply, 413]),
    ];
    for (const [what, reply, parserStatus] of bodies) {
      t.reproduce(reply.request);
      // The same body to /api/orders refused: the limiter runs before the parser but leaves /api itself out.
      const bare = routed(reply.request.path) === '/api' && flood.malformed.status === 429;
      const otherSpelling = flood.bare.find((other) => other !== reply && other.status === 429);
      expectThat(
        reply.status === 429,
        `Expected ${described(reply)} with ${what} from a client over its API budget to be refused with 429, got ${reply.status}${
          capitals(reply) && routesByCase(run)
            ? `. ${routesByCase(run)}`
            : bare && otherSpelling
            ? ` (${kindOf(reply)}), while the same body to ${described(otherSpelling)} got 429: the limiter misses a spelling Express routes to the same place. ` +
              "A RegExp mount or a check of req.path by hand compares case: mount the limiter with app.use('/api', limiter), which matches /api in any case"
            : bare
            ? ` (${kindOf(reply)}), while the same body to ${described(flood.malformed)} got 429: the limiter runs before the body parser but leaves out /api itself, which app.use('/api', limiter) covers as it covers /api/…. ` +
              "A check of req.path by hand misses it (one that wants '/api/', or knows some spellings only): mount the limiter with app.use('/api', limiter)"
            : reply.status === parserStatus
            ? ` (${kindOf(reply)}): ${parserOf(reply)} read and judged the body before the rate limiter counted the request. Register the /api limiter before every body parser, and let it cover every /api path (app.use('/api', limiter)), the login included`
            : ''
        }.`,
      );
    }
  });

  orderCheck(t, '08.refused-before-session-lookup', async () => {
    const run = await tour(t);
    const { flood, login } = run;
    const { readsBefore, readsAfter, withCookie } = flood;
    if (typeof readsBefore === 'string' || typeof readsAfter === 'string') {
      fail(`Expected GET /metrics to answer 200 with {"sessionStoreReads": <number>}, got ${typeof readsBefore === 'string' ? readsBefore : readsAfter}. Keep GET /metrics as the exercise has it, outside /api.`);
    }
    // The customer's signed-in requests came before: a store whose lookups are not counted proves nothing.
    if (readsBefore === 0 && !login.headers['set-cookie']) t.reproduce(login.request);
    expectThat(
      readsBefore > 0,
      'Expected GET /metrics to count the session lookups of the signed-in requests made before the flood, got sessionStoreReads 0. ' +
        (login.headers['set-cookie'] ? 'Keep the store createSessionStore() makes (src/session-store.ts counts its lookups) as the session store.' : `${noCookie(login)}`),
    );
    const notRefused = withCookie.find((reply) => reply.status !== 429);
    if (notRefused) {
      t.reproduce(notRefused.request);
      const refusedPaths = withCookie.filter((reply) => reply.status === 429).map(described);
      const otherSpelling = withCookie.find((reply) => reply.status === 429 && routed(reply.request.path) === routed(notRefused.request.path));
      const expected = `Expected ${described(notRefused)} with a session cookie from a client over its API budget to be refused with 429, got ${notRefused.status}. `;
      if (uncountedFailures(flood).failed.length) {
        fail(
          expected +
            `Request ${API_LIMIT + 1} was served too, and its rate-limit headers say the limiter forgot the failed answers before it: one that un-counts failed answers (skipFailedRequests) un-counts its own 429s as well, and lets a client over its budget through again. Every request counts, however it is answered.`,
        );
      }
      // The same path by GET refused: the limiter judges the method.
      const byGet = notRefused.request.method !== 'GET' && withCookie.find((reply) => reply.request.method === 'GET' && reply.status === 429 && routed(reply.request.path) === routed(notRefused.request.path));
      if (byGet) {
        fail(
          expected +
            `${described(byGet)} got 429: the limiter lets ${notRefused.request.method} by (a skip on req.method${notRefused.request.method === 'OPTIONS' ? ', as a CORS preflight exemption does' : ''}), so those requests are neither counted nor refused, and each one still costs its body parse and session lookup. ` +
            'This shop answers no cross-origin request: every method under /api counts and is refused once the budget is spent. Drop the skip.',
        );
      }
      const skipped = limiterSkipsBelowApi(flood) || (capitals(notRefused) && routesByCase(run));
      if (skipped) fail(expected + skipped);
      fail(
        expected +
          "The limit covers every path under /api, routed or not, in any spelling: mount it with app.use('/api', limiter) rather than on some routes or with a check of req.path by hand" +
          (otherSpelling
            ? ` (${described(otherSpelling)} got 429: a check by hand misses the spellings Express routes the same way).`
            : routed(notRefused.request.path) === '/api' && refusedPaths.length
              ? ` (${refusedPaths.slice(0, 2).join(', ')} got 429). /api itself is under app.use('/api', limiter) as much as /api/…: a check of req.path by hand that wants '/api/' leaves it out.`
            : refusedPaths.length
              ? `, and register every /api route below it (${refusedPaths.slice(0, 2).join(', ')} got 429; this route answered before the limiter counted it?).`
              : '.'),
      );
    }
    t.reproduce(withCookie[0]!.request);
    const extra = readsAfter - readsBefore;
    expectThat(
      extra === 0,
      `Expected ${withCookie.length} requests refused with 429 to cost no session lookup, got ${extra} (GET /metrics: sessionStoreReads went from ${readsBefore} to ${readsAfter}). ` +
        'express-session looked each one up in the store before the rate limiter refused it: register the /api limiter before session().',
    );
  });

  orderCheck(t, '08.health-and-metrics-never-limited', async () => {
    const { flood } = await tour(t);
    for (const [reply, status] of flood.unlimited) {
      t.reproduce(reply.request);
      const exact = flood.unlimited.find(([other]) => other.request.path !== reply.request.path && routed(other.request.path) === routed(reply.request.path))?.[0];
      expectThat(
        reply.status === status,
        `Expected ${described(reply)} from a client over its API budget to answer ${status}, got ${reply.status}. ` +
          (reply.status === 429
            ? "The rate limiter now covers it: the limit is the API's, so keep it mounted on '/api' (app.use('/api', limiter)), where neither the health probe, the metrics, the static files nor the pages outside /api are." +
              (exact?.status === 200 ? ` ${described(exact)} got 200: a skip rule that compares req.path misses the spellings Express routes to the same handler (case, a trailing slash).` : '') +
              (status === 404 && /^\/api./i.test(reply.request.path) && flood.unlimited.some(([other, expected]) => expected === 404 && !/^\/api/i.test(other.request.path) && other.status === 404)
                ? ` ${reply.request.path} only starts with "api": it is not under /api, which app.use('/api', …) reads as /api and /api/…. A check of req.path by hand with startsWith('/api') (no '/' after it) takes it in.`
                : status === 404 ? ' A limiter without a path counts and refuses every request registered below it.' : '')
            : ''),
      );
    }
    // A limiter that counts them refuses them once its budget is spent, however large: a generous
    // "backstop" for the whole app takes the probe out of rotation after a flood all the same.
    const counted = flood.unlimited.find(([reply]) => limitHeaders(reply));
    if (counted) {
      t.reproduce(counted[0].request);
      fail(
        `Expected ${described(counted[0])} to be outside every rate limit, got an answer with rate-limit headers (${['ratelimit', 'ratelimit-policy', 'x-ratelimit-limit'].map((name) => header(counted[0], name) && `${name}: ${show(header(counted[0], name), 60)}`).filter(Boolean).join(', ')}): a limiter counts it, and refuses it once that budget is spent. ` +
          "A limiter without a path (a generous backstop for the whole app included) covers every request registered below it: keep the health probe, the metrics, the static files and the pages outside /api out of every limiter (app.use('/api', limiter)).",
      );
    }
  });

  orderCheck(t, '08.protected-routes-refuse-anonymous', async () => {
    const run = await tour(t);
    const { anonymous, login, signedIn } = run;
    const guarded = anonymous.filter((other) => other.status === 401).map(described);
    for (const reply of anonymous) {
      t.reproduce(reply.request);
      expectThat(
        reply.status === 401,
        `Expected ${described(reply)} without signing in to answer 401, got ${reply.status} (${kindOf(reply)}). ` +
          (reply.status === 429 && sharedBudget(run)
            ? `The rate limiter refused this visitor. ${sharedBudget(run)}`
            : requestHeader(reply, 'cookie') && reply.status !== 401 && reply.status < 500 && anonymous.some((other) => !requestHeader(other, 'cookie') && other.status === 401)
            ? `It carried a session cookie that names no signed-in customer (${requestHeader(reply, 'cookie') === FORGED_SESSION ? 'its signature is forged' : 'signed with the secret, for a session the store has never seen'}: ${show(requestHeader(reply, 'cookie'), 60)}), while the same visitor without a cookie got 401. ` +
              'Anyone can send a cookie named connect.sid: a guard that checks that the cookie is there, not who it signs in, lets every anonymous client in. ' +
              "The guard reads req.session.email, which session() fills in only for a cookie with a good signature and a session in the store, so it runs after session(); to refuse earlier, before the body parser, mount session() earlier with it (on '/api', say)."
            : reply.request.method === 'OPTIONS' && reply.status < 500 && guarded.length
            ? `The guard let OPTIONS by${header(reply, 'allow') ? ` (the answer lists the methods there: Allow ${show(header(reply, 'allow'))})` : ''}, as a CORS preflight exemption would, while ${guarded.slice(0, 3).join(', ')} got 401. ` +
              "This shop answers no cross-origin request, and the guard covers every method, OPTIONS included: app.use('/api/orders', requireSignIn) with no test of req.method."
            : reply.request.method === 'HEAD' && reply.status < 500 && guarded.length
            ? `The guard let HEAD by, while ${guarded.slice(0, 3).join(', ')} got 401. Express answers HEAD with the GET route (its status and headers, without the body), so a guard that lists the methods it knows and leaves HEAD out lets anyone see what the export would send. ` +
              "The guard covers every method: app.use('/api/orders', requireSignIn) with no test of req.method."
            : capitals(reply) && routesByCase(run)
            ? routesByCase(run)
            : reply.status === 404 && guarded.length
            ? `No route answers ${described(reply)}, and the guard never ran, while ${guarded.slice(0, 3).join(', ')} got 401: it is passed to the routes one by one, or lists the methods or paths it covers` +
              (reply.request.path.split('/').filter(Boolean).length > 3 ? ' (a pattern such as /api/orders/:id matches one level below /api/orders, not /api/orders/101/items)' : '') +
              ". The guard protects the /api/orders space, every method on every path under it at any depth, routed or not (a route added there later is protected from its first day): register app.use('/api/orders', requireSignIn) before the routes."
            : reply.status < 400
            ? anonymous.some((other) => other.status === 401)
              ? `The guard refused ${guarded.join(', ')}, but not this one: does it cover every method and every spelling Express routes to /api/orders (case, trailing slash)? A check of req.path by hand, a list of exact paths or app.get(...) alone misses some; app.use('/api/orders', requireSignIn) before the routes covers them all.`
              : "Its route is registered before app.use('/api/orders', requireSignIn), so it answered before the guard ran: the guard comes before every route it protects."
            : reply.status >= 500
              ? 'It failed instead (its output is below): the guard reads req.session, which exists only once session() has run, so the guard goes after session() and before the routes.'
              : ''),
      );
    }
    t.reproduce(login.request);
    expectThat(
      login.status === 200 && login.headers['set-cookie'],
      `Expected POST /api/login with the demo account (sent as if through the proxy, over HTTPS) to answer 200 and set a session cookie, got ${login.status}${login.headers['set-cookie'] ? '' : ' and no cookie'} (${kindOf(login)}).` +
        (login.status === 200 && !login.headers['set-cookie'] ? ` ${noCookie(login)}` : ''),
    );
    for (const [reply, status] of [[signedIn[0]!, 200], [signedIn[1]!, 200], [signedIn[2]!, 201]] as const) {
      t.reproduce(reply.request);
      expectThat(reply.status === status, `Expected ${described(reply)} signed in to answer ${status}, got ${reply.status} (${kindOf(reply)}). The guard must let a signed-in customer through: session() has to run before it.`);
    }
    expectThat(/\b101\b/.test(bodyOf(signedIn[1]!)), `Expected the signed-in export (GET /api/orders/export) to list the customer's order 101, got ${show(bodyOf(signedIn[1]!), 80)}.`);
  });

  orderCheck(t, '08.errors-answer-generic-json', async () => {
    const run = await tour(t);
    const { errors, stdout } = run;
    const generic = (reply: RawReply, status: number) => {
      const body = parseJson(reply) as { error?: unknown } | undefined;
      return reply.status === status && /^application\/([\w.+-]+\+)?json\b/i.test(header(reply, 'content-type') ?? '') && body?.error === STATUS_CODES[status];
    };
    // Where nothing outside /api parses JSON, the malformed body outside /api raises no error: its 404 is fine.
    const cases = [
      [errors.failing, [500]],
      [errors.malformed, [400]],
      [errors.oversized, [413]],
      [errors.notFound, [404]],
      [errors.outside, [400, 404]],
      ...errors.odd.map(([reply, status]) => [reply, [status]] as const),
    ] as const;
    const raised = [errors.failing, errors.malformed, errors.oversized, errors.outside];
    const someHandled = raised.some((reply) => reply.status >= 400 && reply.status !== 404 && generic(reply, reply.status));
    // The shop's JSON with another status: an error handler answered, and chose the status itself.
    const statusKept = (reply: RawReply) => {
      const parserErrors: [RawReply, number][] = [[errors.malformed, 400], [errors.oversized, 413]];
      const mapped = parserErrors.find(([other, status]) => other !== reply && generic(other, status));
      return (
        ` That is the shop's JSON body, so an error handler answered, with a status of its own instead of the error's: express.json() raises errors that carry their status (err.status: 400 for a malformed body or one that does not decode, 413 for one over 100 kB, 415 for a charset it cannot read).` +
        (mapped
          ? ` ${described(mapped[0])} with ${mapped[1] === 400 ? 'a malformed body' : 'a body just over 100 kB'} got its ${mapped[1]}, so the handler maps some errors to their status by hand (by err.type or err.message, say) and not this one` +
            `. Answer err.status for any 4xx error, as the exercise's handler does (clientErrorStatus), and 500 otherwise.`
          : " Either an error handler registered earlier answered it without keeping the error's status (keep one error handler, registered last), or the one handler maps statuses by hand: answer err.status for any 4xx error, as the exercise's handler does (clientErrorStatus), and 500 otherwise.")
      );
    };
    for (const [reply, statuses] of cases) {
      t.reproduce(reply.request);
      if (statuses.some((status) => generic(reply, status))) continue;
      const status = statuses[0];
      const body = parseJson(reply) as { error?: unknown } | undefined;
      const html = /html/i.test(header(reply, 'content-type') ?? '');
      // The same error without a browser's Accept header answered the shop's JSON: the handler negotiates.
      const twin = requestHeader(reply, 'accept') === BROWSER_ACCEPT
        ? [errors.failing, errors.malformed, ...run.flood.spent].find((other) => requestHeader(other, 'accept') !== BROWSER_ACCEPT && other.request.method === reply.request.method && other.request.path === reply.request.path && generic(other, status!))
        : undefined;
      const cause = twin
        ? ` It was sent with a browser's Accept header (${BROWSER_ACCEPT}), and the same request without it (${described(twin)}) got the shop's JSON: the error handler picks the type from Accept (req.accepts(), res.format()) and answers a browser something else. ` +
          "Every error answers the one generic JSON body, whoever asks: res.status(status).json({ error: … }) whatever the Accept header says, as the exercise's handler does."
        : reply.status === 429 && sharedBudget(run)
        ? ` The rate limiter refused this client before its request raised the error. ${sharedBudget(run)}`
        : reply === errors.oversized && reply.status < 400
        ? ` Its body, ${reply.request.body?.length ?? 0} bytes, is a little over express.json()'s default limit of 100 kB (102,400 bytes), and it was read and served: the limit was raised (express.json({ limit: … })). Keep the default of 100 kB, as the exercise has it.`
        : status !== 404 && reply.status === 404 && body?.error === 'Not Found' && reply !== errors.outside
        ? " That is the shop's 404 handler: the route is registered below app.use(notFound), which answers first. Register every route above the 404 handler."
        : html && !someHandled
          ? " That is Express's own error page, and no error the grader raised got the shop's JSON: no error handler ran at all. Is one registered last, and does it have exactly four parameters, (err, req, res, next)? " +
            'Express takes a function with three for ordinary middleware, even when the first is called err, so errors pass it by: keep next in the list, used or not.'
          : html
            ? " That is Express's own error page: other errors got the shop's JSON, so an error handler exists, but none is registered after the layer that raised this one" +
              (reply === errors.outside ? ", or it is mounted on a path (app.use('/api', handler)) that this request is outside of" : '') +
              '. Register one, without a path, last, after every route and the 404 handler.'
            : status === 400 && reply.status === 415 && /gzip/i.test(requestHeader(reply, 'content-encoding') ?? '') && generic(reply, 415)
              ? " That is the shop's JSON with the status express.json() raised: it refuses a compressed body with 415 (encoding.unsupported) when it is told not to inflate (express.json({ inflate: false })). With its default, inflate: true, it inflates the body, and one that does not inflate is a 400. Keep express.json() with its defaults, as the exercise has it."
            : reply.status !== status && status !== 404 && generic(reply, reply.status)
              ? statusKept(reply)
            : reply.status !== status && status !== 404
              ? ' Either a layer above express.json() failed on this request (its output is below), or an error handler registered earlier answered it without keeping the error\'s status: keep one error handler, registered last.'
              : '';
      const expected = statuses.map((one) => `${one} with the JSON body {"error":"${STATUS_CODES[one]}"}`).join(' (or, when nothing outside /api parses JSON, ') + (statuses.length > 1 ? ')' : '');
      fail(`Expected ${described(reply)} (${run.sent.find((one) => one.reply === reply)?.what ?? 'an error'}) to answer ${expected}, got ${reply.status} with ${kindOf(reply)}.${cause}`);
    }
    const logged = stdout.some((entry) => (entry.rank ?? 0) >= 50 && stringsOf(entry).some((text) => /ECONNREFUSED/.test(text) && STACK_FRAME.test(text)));
    t.reproduce(errors.failing.request);
    // An error line without the error in it: the error object went into the log as a field, and JSON has
    // no room for an Error's message and stack (not enumerable), so it comes out as {}.
    const bare = stdout.find((entry) => (entry.rank ?? 0) >= 50 && !stringsOf(entry).some((text) => /ECONNREFUSED/.test(text)));
    expectThat(
      logged,
      `Expected the error of GET ${FAILING} on stdout as an error line with its stack, got ` +
        (stdout.some((entry) => stringsOf(entry).some((text) => /ECONNREFUSED/.test(text)))
          ? "it without a stack or below level error. Log the error itself at level error (logger.error(err)), as the exercise's handler does."
          : bare
            ? `an error line without the error's message or stack: ${show(bare.line, 160)}. An Error's message and stack are not enumerable, so an error passed inside an object (logger.error('…', { err })) is written as {}. ` +
              "Pass the error itself, as the exercise's handler does (logger.error(err)): the logger's errors() format copies its message and stack."
            : /ECONNREFUSED/.test(run.output)
              ? "no line about it on stdout, and the error on stderr: it was written there outside the structured logger (console.error(err) does that), as text no log collector reads as an error line. Log it with the app's logger at level error (logger.error(err)), as the exercise's handler does."
              : 'no line about it. An error handler that answers without logging swallows the error: keep the one of the exercise, which logs it, and register it last.'),
    );
  });
});

/**
 * A line with the request's method and status under another path: what a mount left of it (req.url
 * inside app.use(path, …)), or a path that routes the same but is not what the client sent
 * (req.baseUrl + req.url adds a '/': /api/orders/ for /api/orders).
 */
function shortened(reply: RawReply, pathname: string, lines: { entry: LogEntry; fields: ReturnType<typeof accessFields> }[]) {
  return lines.find(
    ({ fields }) =>
      fields.method === reply.request.method && fields.status === reply.status && fields.path !== undefined && fields.path !== pathname &&
      (fields.path === '/' || pathname.toLowerCase().endsWith(fields.path.toLowerCase()) || routed(fields.path) === routed(pathname)),
  );
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
