import http from 'node:http';
import { CannotJudge, expectThat, fail, show } from '../support/expect.js';
import { ANSWER_TIMEOUT_MS, expectJsonType, expectStatus, header, type Client, type Reply, type RequestOptions, type SentRequest } from '../support/http.js';
import { delay, lesson } from '../support/lesson.js';
import { parseLine, pollFor, stringsOf } from '../support/logs.js';

interface ServerError extends RequestOptions {
  path: string;
  /** The request as the learner would type it. */
  label: string;
  /** What the error itself says, as its log line holds it. */
  says: RegExp;
  /** A frame of the error's own stack, from where it was thrown (not from the handler that logs it). */
  thrownAt: RegExp;
  /** Where that is, in words. */
  where: string;
}

/** The four ways a request fails on the server: a sync throw, a rejected promise, a middleware throw, a callback error. */
const serverErrors: ServerError[] = [
  {
    path: '/books/2/cover',
    label: 'GET /books/2/cover',
    says: /Unexpected end of JSON input|JSON at position|Expected property name/,
    thrownAt: /^\s*at JSON\.parse\b/m,
    where: 'JSON.parse in the cover route',
  },
  {
    path: '/reports/sales',
    label: 'GET /reports/sales',
    says: /connect ECONNREFUSED/,
    thrownAt: /^\s*at [^\n]*\bcatalog\.[cm]?[jt]s:\d+/m,
    where: 'salesReport in src/catalog.ts',
  },
  {
    path: '/books',
    label: 'GET /books with X-Shop: atlantis',
    headers: { 'X-Shop': 'atlantis' },
    says: /Cannot read propert(y|ies)/,
    // The middleware's own frame, called by the router as an ordinary layer (a handler is called by handleError).
    thrownAt: /^\s*at (?![^\n]*node_modules)[^\n]*:\d+:\d+\)?[ \t]*\n\s*at Layer\.handle(Request)?\b/m,
    where: 'the currency middleware',
  },
  {
    path: '/books/3/stock',
    label: 'GET /books/3/stock',
    says: /Warehouse B timed out/,
    thrownAt: /^\s*at [^\n]*\bcatalog\.[cm]?[jt]s:\d+/m,
    where: "the warehouse client's callback in src/catalog.ts",
  },
];
const [sync, rejected, middleware, callback] = serverErrors as [ServerError, ServerError, ServerError, ServerError];

/**
 * What no part of a server error's answer (body, reason phrase, headers) may reveal: the messages and
 * details of the four errors, a stack frame, a file path, an error class name. Ordinary prose ("write to
 * us at support@example.com (quote the time)", "Internal Server Error: try again") is none of these.
 */
const internals: [RegExp, string][] = [
  // A V8 frame: "at fn (/app/src/x.js:3:9)", "at file:///app/x.ts:3:9", "at node:internal/x:95:5".
  [/\bat [^\n]{0,160}?(\.[cm]?[jt]sx?|node:[\w/.-]+):\d+:\d+/, 'a stack frame'],
  [/node_modules|file:\/\/|\/src\/|\/[\w.-]+\.[cm]?[jt]sx?\b/, 'a file path'],
];
const leaks: [RegExp, string][] = [
  [/connect ECONNREFUSED/i, 'the error message (the database connection error)'],
  [/10\.0\.3\.7|\b5432\b/, "the database's address, from the error"],
  [/ECONNREFUSED/i, "the error's code (err.code)"],
  [/Warehouse B|timed out looking/i, 'the error message (the warehouse timeout)'],
  [/Unexpected end of JSON|JSON input|JSON at position|Expected property name/i, 'the error message (the JSON parse error)'],
  [/Cannot read propert|undefined \(reading|reading 'currency'/i, 'the error message (the TypeError)'],
  ...internals,
  [/\b(SyntaxError|TypeError|RangeError|ReferenceError)\b/, 'an error class name'],
];

/** Each part of an answer that may leak, named as the learner reads it: [name, text, text as searched]. */
function answerParts(reply: Reply): [string, string, string][] {
  const parts: [string, string, string][] = [
    ['body', reply.text, reply.text],
    ['status line', reply.statusMessage ?? '', reply.statusMessage ?? ''],
  ];
  for (const name of Object.keys(reply.headers)) {
    // A header value is often percent-encoded to fit (connect%20ECONNREFUSED): read it decoded as well.
    const value = header(reply, name) ?? '';
    if (name !== 'content-length') parts.push([`${name} header`, value, `${value}\n${decoded(value)}`]);
  }
  return parts;
}

function decoded(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

function requestLine(request: Reply['request']): string {
  const shop = request.headers['X-Shop'];
  return `${request.method} ${request.path}${shop ? ` with X-Shop: ${shop}` : ''}`;
}

function expectGenericServerError(reply: Reply, mode = ''): void {
  expectThat(
    reply.status < 400 || reply.status >= 500,
    `Expected ${requestLine(reply.request)}${mode} to answer 500, got ${reply.status}. This request fails on the server, not because of anything the client sent: ` +
      'the four failures stand for ones you cannot prevent (src/catalog.ts and the currency middleware are not yours to change), so leave them in place and answer them as server errors. ' +
      "Only an error that carries a 4xx status (err.status, as express.json()'s do) is the client's.",
  );
  expectStatus(reply, 500);
  expectJsonType(reply);
  for (const [part, text, searched] of answerParts(reply)) {
    for (const [pattern, what] of leaks) {
      const found = searched.match(pattern);
      expectThat(
        !found,
        `Expected the answer to ${requestLine(reply.request)}${mode} to say nothing about the error, got the ${part} that reveals ${what}: ${show(found?.[0])} in ${show(text, 80)}.` +
          (part === 'body' ? '' : ' Headers and the status line reach the client too: keep the details in your log.'),
      );
    }
  }
}

/**
 * A client error's answer (a 4xx) may say what was wrong with the request, as an http-errors error
 * with expose set does ("request entity too large"), but nothing about the server's code.
 */
function expectNothingInternal(reply: Reply, why: string): void {
  for (const [part, text, searched] of answerParts(reply)) {
    for (const [pattern, what] of internals) {
      const found = searched.match(pattern);
      expectThat(
        !found,
        `Expected the ${reply.status} answer to ${requestLine(reply.request)} (${why}) to say nothing about your server's code, got the ${part} that reveals ${what}: ${show(found?.[0])} in ${show(text, 80)}. ` +
          'A client error may say what was wrong with the request (err.message when err.expose is true), never the stack or a file path: every error answer, whatever its status, is built from fields you choose.',
      );
    }
  }
}

/**
 * The four server errors, asked for one after another and each judged as it comes: the callback error,
 * last, may take the app down, and what the others show is the better message.
 */
async function eachServerError(app: Client, judge: (reply: Reply) => void): Promise<void> {
  for (const { path, headers } of serverErrors) judge(await app.get(path, { headers }));
}

async function expectOneBody(app: Client, mode: string): Promise<void> {
  let first: Reply | undefined;
  await eachServerError(app, (reply) => {
    expectStatus(reply, 500);
    first ??= reply;
    expectThat(
      reply.text === first.text,
      () =>
        `Expected every server error to answer exactly the same body${mode}, got ${show(first!.text, 60)} for ${requestLine(first!.request)} ` +
        `and ${show(reply.text, 60)} for ${requestLine(reply.request)}. Build the 5xx body in one place, from nothing the error says.`,
    );
  });
}

/** How the log holds a server error: with its own stack, with a stack from elsewhere, its message alone, or not at all. */
type Logged = 'own stack' | 'other stack' | 'message only' | 'nothing';

/** A frame line with a position ("at fn (file:3:9)"). */
const FRAME = /(^|\n)\s*at [^\n]*:\d+/;

function howLogged(output: string, { says, thrownAt }: ServerError): Logged {
  let found: Logged = 'nothing';
  const rank: Logged[] = ['nothing', 'message only', 'other stack', 'own stack'];
  const note = (seen: Logged) => {
    if (rank.indexOf(seen) > rank.indexOf(found)) found = seen;
  };
  // What a piece of the log (one JSON line, or a message and the frames printed below it) shows.
  const judge = (text: string) => note(!says.test(text) ? 'nothing' : thrownAt.test(text) ? 'own stack' : FRAME.test(text) ? 'other stack' : 'message only');
  const plain: string[] = [];
  for (const line of output.split('\n')) {
    const entry = parseLine(line);
    // A JSON logger keeps the stack in one line, its newlines escaped: read the decoded strings.
    if (entry.fields) judge(stringsOf(entry).join('\n'));
    // A text line may still quote a stack with escaped newlines (winston's simple(), logfmt).
    else plain.push(...line.replace(/\\n/g, '\n').split('\n'));
  }
  // Printed: the message, then the frames on the lines below it.
  plain.forEach((line, index) => {
    if (!says.test(line)) return;
    let end = index + 1;
    while (end < plain.length && /^\s*at \S/.test(plain[end]!)) end++;
    judge(plain.slice(index, end).join('\n'));
  });
  return found;
}

/** Unknown routes, asked with every common method, a known path with a method it does not serve, and the root. */
const unknownRoutes: [method: string, path: string, options?: RequestOptions][] = [
  ['GET', '/no-such-page'],
  ['POST', '/no-such-page', { body: { title: 'Dune' } }],
  ['PUT', '/books/1/reviews', { body: { stars: 5 } }],
  ['PATCH', '/no/such/page', { body: { price: 1 } }],
  ['DELETE', '/books/1/reviews'],
  ['DELETE', '/books'],
  ['GET', '/'],
];

/** What most likely lets this unknown route through when others are answered. */
function notFoundAdvice(method: string, path: string): string {
  if (method === 'GET' && path === '/') return "In Express 5 the pattern '/*splat' needs at least one character after the slash; app.use(...) or '/{*splat}' matches every path.";
  if (method !== 'GET') return 'A request no route matched reaches the end of the app whatever its method: answer it with app.use(...), which every method reaches, not app.get(...).';
  return 'After the last route, add an ordinary middleware that answers 404 with JSON.';
}

/** Bodies express.json() refuses for reasons other than syntax, and the status it gives each. */
const refusedBodies: [status: number, why: string, options: RequestOptions][] = [
  [413, 'a JSON body over the parser\'s 100 kB limit', { body: { title: 'x'.repeat(110_000), author: 'A', price: 1 } }],
  [415, 'a JSON body in an unsupported charset (latin1)', { body: '{"title":"Dune"}', headers: { 'Content-Type': 'application/json; charset=latin1' } }],
  [415, 'a JSON body in an unsupported Content-Encoding (compress)', { body: '{"title":"Dune"}', headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'compress' } }],
];

/** The error answers sent over one keep-alive connection, then a request that must still be served on it. */
const overOneConnection: [label: string, request: SentRequest][] = [
  ['POST /books with malformed JSON', { method: 'POST', path: '/books', headers: { 'Content-Type': 'application/json' }, body: '{"title":' }],
  ['GET /no-such-page', { method: 'GET', path: '/no-such-page', headers: {} }],
  ...serverErrors.map(({ label, path, headers }): [string, SentRequest] => [label, { method: 'GET', path, headers: { ...headers } }]),
  ['GET /health', { method: 'GET', path: '/health', headers: {} }],
];

/** Node's keepAliveTimeout: a connection idle this long is closed by the server, rightly. */
const KEEP_ALIVE_MS = 4_000;

interface ConnectionAnswer {
  status: number;
  /** Whether the request went out on a connection an earlier request had used. */
  reused: boolean;
  /** Whether the answer said the server would close the connection (Connection: close). */
  closing: boolean;
}

/** Sends a request through a keep-alive agent that holds one connection, and reads the whole answer. */
function sendOn(agent: http.Agent, baseUrl: string, request: SentRequest): Promise<ConnectionAnswer> {
  return new Promise((resolve, reject) => {
    const headers = { ...request.headers, ...(request.body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(request.body)) }) };
    const req = http.request(new URL(request.path, baseUrl), { method: request.method, headers, agent, timeout: ANSWER_TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket, closing: /\bclose\b/i.test(String(res.headers.connection)) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer'), { code: 'TIMEOUT' })));
    req.on('error', (error: NodeJS.ErrnoException) => reject(Object.assign(error, { reused: req.reusedSocket })));
    req.end(request.body);
  });
}

lesson('01-error-handling', (t) => {
  const production = { NODE_ENV: 'production' };
  // What a test runner sets: Express's own handler still shows the stack then, and so does a handler that
  // adds details whenever NODE_ENV is set and is not production.
  const test = { NODE_ENV: 'test' };
  t.prestart({}, production, test);

  t.check('01.sync-throw-answers-generic-json', async () => {
    const app = await t.app();
    expectGenericServerError(await app.get(sync.path));
  });

  t.check('01.rejected-promise-answers-generic-json', async () => {
    const app = await t.app();
    expectGenericServerError(await app.get(rejected.path));
  });

  t.check('01.middleware-throw-answers-generic-json', async () => {
    const app = await t.app();
    expectGenericServerError(await app.get(middleware.path, { headers: middleware.headers }));
  });

  t.check('01.production-mode-answers-generic-json', async () => {
    const app = await t.app({ env: production });
    await eachServerError(app, (reply) => expectGenericServerError(reply, ' with NODE_ENV=production'));
  });

  t.check('01.test-mode-answers-generic-json', async () => {
    const app = await t.app({ env: test });
    await eachServerError(app, (reply) => expectGenericServerError(reply, ' with NODE_ENV=test'));
    const reply = await app.post('/books', { body: '{"title":', headers: { 'Content-Type': 'application/json' } });
    expectNothingInternal(reply, 'malformed JSON, with NODE_ENV=test');
  });

  t.check('01.callback-error-answers-and-app-survives', async () => {
    const app = await t.app();
    expectGenericServerError(await app.get(callback.path));
    const health = await app.get('/health');
    expectStatus(health, 200);
  });

  t.check('01.malformed-json-answers-400-json', async () => {
    const app = await t.app();
    const reply = await app.post('/books', { body: '{"title":', headers: { 'Content-Type': 'application/json' } });
    expectStatus(reply, 400);
    expectJsonType(reply);
    expectNothingInternal(reply, 'malformed JSON');
  });

  t.check('01.parser-client-errors-keep-their-status', async () => {
    const app = await t.app();
    for (const [status, why, options] of refusedBodies) {
      const reply = await app.post('/books', options);
      expectThat(
        reply.status === status,
        `Expected POST /books with ${why} to answer ${status}, the status express.json() gave its error, got ${reply.status}. ` +
          'Every error with a 4xx status (err.status) is a client error: answer with that status, not only 400 for bad syntax.',
      );
      expectJsonType(reply);
      expectNothingInternal(reply, why);
    }
  });

  t.check('01.unknown-route-answers-404-json', async () => {
    const app = await t.app();
    for (const [method, path, options] of unknownRoutes) {
      const reply = await app.request(method, path, options);
      const knownPath = path === '/books';
      expectThat(
        reply.status === 404 || (knownPath && reply.status === 405),
        `Expected ${method} ${path} to answer 404${knownPath ? ' (or 405)' : ''}: no route serves it, got ${reply.status}.`,
      );
      expectThat(
        /^application\/([\w.+-]+\+)?json\b/i.test(header(reply, 'content-type') ?? ''),
        `Expected ${method} ${path} to answer its ${reply.status} with a JSON content type, got ${show(header(reply, 'content-type'))} (body ${show(reply.text, 60)}). ` +
          notFoundAdvice(method, path),
      );
      expectNothingInternal(reply, 'no route serves it');
    }
  });

  t.check('01.server-errors-share-one-body', async () => {
    await expectOneBody(await t.app(), '');
    await expectOneBody(await t.app({ env: production }), ' with NODE_ENV=production');
  });

  t.check('01.connection-kept-after-error-answers', async () => {
    const { baseUrl } = await t.app();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let before: { label: string; status: number; closing: boolean; at: number } | undefined;
    try {
      for (const [label, request] of overOneConnection) {
        t.reproduce(request);
        let answer: ConnectionAnswer;
        try {
          answer = await sendOn(agent, baseUrl, request);
        } catch (error) {
          const { code, reused } = error as NodeJS.ErrnoException & { reused?: boolean };
          // Sent on the connection the last answer came over, just as the app closed it: on a new
          // connection the same request is answered if the app is still there.
          if (before && reused && (await sendOn(new http.Agent(), baseUrl, request).then(() => true, () => false))) cutAfter(before, label);
          fail(
            code === 'TIMEOUT'
              ? `Expected an answer to ${label}, got none within ${ANSWER_TIMEOUT_MS / 1000} s. Some code path never answers.`
              : `Expected an answer to ${label}, but the connection was cut (${code ?? (error as Error).message}): your app crashed or closed it. Read its output below.`,
          );
        }
        if (before && !answer.reused && !before.closing) {
          // Node closes a connection left idle for 5 s (keepAliveTimeout): only a grader that slow sees that.
          if (Date.now() - before.at > KEEP_ALIVE_MS) throw new CannotJudge(`The grader took over ${KEEP_ALIVE_MS / 1000} s to send ${label} after the answer before it (a machine too busy?), so the connection may have closed for being idle.`);
          cutAfter(before, label);
        }
        before = { label, status: answer.status, closing: answer.closing, at: Date.now() };
      }
    } finally {
      agent.destroy();
    }
  });

  // Last: on an app that a callback error takes down, no check after this one meets the exit it caused.
  t.check('01.errors-logged-with-stack', async () => {
    const app = await t.app({ env: production });
    // Side by side, so that a handler that never answers costs one request timeout, not four; the
    // callback error last, once the others are answered, as it may take the app down.
    const ask = ({ path, headers }: ServerError) => app.get(path, { headers });
    await Promise.race([Promise.allSettled([sync, rejected, middleware].map(ask)), delay(500)]);
    await Promise.allSettled([ask(callback)]);
    // Logging may be asynchronous: give it a moment to reach the output.
    const logged = () => serverErrors.map((error) => ({ error, logged: howLogged(t.checkOutput(), error) }));
    await pollFor(() => logged().every(({ logged }) => logged === 'own stack'));
    const seen = logged();
    const which = (kind: Logged) => seen.filter(({ logged }) => logged === kind).map(({ error }) => error);
    const labels = (errors: ServerError[]) => errors.map((error) => error.label).join(', ');
    const [nothing, bare, other] = [which('nothing'), which('message only'), which('other stack')];
    const printed = t.checkOutput().trim() !== '';
    const got = [
      nothing.length ? `nothing about ${labels(nothing)}` : '',
      bare.length ? `the message without a stack trace for ${labels(bare)}` : '',
      other.length ? `a stack trace that is not the error's own for ${labels(other)}, with no frame from where it was thrown (${other.map((error) => error.where).join('; ')})` : '',
    ].filter(Boolean);
    const someLogged = seen.some(({ logged }) => logged !== 'nothing');
    expectThat(
      got.length === 0,
      () =>
        `Expected the server log (the app's stdout and stderr, with NODE_ENV=production) to hold the message and the stack trace of every server error, got ${got.join('; ')}` +
        (printed ? ' (the output is below).' : ': the app printed nothing there.') +
        (bare.length ? ' Log the error object itself, not err.message: its stack says where it was thrown.' : '') +
        (other.length ? ' console.trace() and new Error() record where they are called, in your handler: log the error you were given.' : '') +
        (!nothing.length ? '' : someLogged
          ? ' Every server error should reach one handler that logs it before answering.'
          : printed
            ? ' No line names these errors: JSON.stringify(err) gives {}, and a JSON logger keeps the message and stack only with an error format or serializer (winston: format.errors({ stack: true }); pino: the err key).'
            : ' Is the log skipped in production, below the logger\'s level, or kept only in a file? The grader reads stdout and stderr, where a platform collects the log.'),
    );
  });
});

/** Fails the check: the app closed the connection after an error answer it announced as keep-alive. */
function cutAfter(before: { label: string; status: number }, next: string): never {
  fail(
    `Expected the keep-alive connection to serve ${next} after the ${before.status} answer to ${before.label}, but your app closed it after answering. ` +
      "Express's built-in handler destroys the connection when it receives an error whose answer has already been sent: " +
      'call next(err) only when res.headersSent is true (an answer already under way), and otherwise answer and stop.',
  );
}
