import { expectThat, show } from '../support/expect.js';
import { expectJsonType, expectStatus, header, type Client, type Reply, type RequestOptions } from '../support/http.js';
import { delay, lesson } from '../support/lesson.js';
import { parseLine, pollFor, stringsOf } from '../support/logs.js';

interface ServerError extends RequestOptions {
  path: string;
  /** The request as the learner would type it. */
  label: string;
  /** What the error itself says, as its log line holds it. */
  says: RegExp;
}

/** The four ways a request fails on the server: a sync throw, a rejected promise, a middleware throw, a callback error. */
const serverErrors: ServerError[] = [
  { path: '/books/2/cover', label: 'GET /books/2/cover', says: /Unexpected end of JSON input|JSON at position|Expected property name/ },
  { path: '/reports/sales', label: 'GET /reports/sales', says: /connect ECONNREFUSED/ },
  { path: '/books', label: 'GET /books with X-Shop: atlantis', headers: { 'X-Shop': 'atlantis' }, says: /Cannot read propert(y|ies)/ },
  { path: '/books/3/stock', label: 'GET /books/3/stock', says: /Warehouse B timed out/ },
];
const [sync, rejected, middleware, callback] = serverErrors as [ServerError, ServerError, ServerError, ServerError];

/**
 * What no part of a server error's answer (body, reason phrase, headers) may reveal: the messages and
 * details of the four errors, a stack frame, a file path, an error class name. Ordinary prose ("write to
 * us at support@example.com (quote the time)", "Internal Server Error: try again") is none of these.
 */
const leaks: [RegExp, string][] = [
  [/ECONNREFUSED|10\.0\.3\.7|\b5432\b/i, 'the error message (database address)'],
  [/Warehouse B|timed out looking/i, 'the error message (the warehouse timeout)'],
  [/Unexpected end of JSON|JSON input|JSON at position|Expected property name/i, 'the error message (the JSON parse error)'],
  [/Cannot read propert|undefined \(reading|reading 'currency'/i, 'the error message (the TypeError)'],
  // A V8 frame: "at fn (/app/src/x.js:3:9)", "at file:///app/x.ts:3:9", "at node:internal/x:95:5".
  [/\bat [^\n]{0,160}?(\.[cm]?[jt]sx?|node:[\w/.-]+):\d+:\d+/, 'a stack frame'],
  [/node_modules|file:\/\/|\/src\/|\/[\w.-]+\.[cm]?[jt]sx?\b/, 'a file path'],
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

function expectGenericServerError(reply: Reply): void {
  expectStatus(reply, 500);
  expectJsonType(reply);
  for (const [part, text, searched] of answerParts(reply)) {
    for (const [pattern, what] of leaks) {
      const found = searched.match(pattern);
      expectThat(
        !found,
        `Expected the answer to ${requestLine(reply.request)} to say nothing about the error, got the ${part} that reveals ${what}: ${show(found?.[0])} in ${show(text, 80)}.` +
          (part === 'body' ? '' : ' Headers and the status line reach the client too: keep the details in your log.'),
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

/** Whether the output holds the error's message with a stack trace: in one JSON line, or as printed text. */
function loggedWithStack(output: string, says: RegExp): boolean {
  const plain: string[] = [];
  for (const line of output.split('\n')) {
    const entry = parseLine(line);
    if (!entry.fields) {
      // A text line may still quote a stack with escaped newlines (winston's simple(), logfmt).
      plain.push(line.replace(/\\n/g, '\n'));
      continue;
    }
    // A JSON logger keeps the stack in one line, its newlines escaped: read the decoded strings.
    const strings = stringsOf(entry).join('\n');
    if (says.test(strings) && /(^|\n)\s*at [^\n]*:\d+/.test(strings)) return true;
  }
  // Printed: the message, then the frames on the lines below it (the first may have no position).
  const printed = new RegExp(`(${says.source})[^\\n]*(\\n\\s+at [^\\n]*)*?\\n\\s+at [^\\n]*:\\d+`);
  return printed.test(plain.join('\n'));
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

lesson('01-error-handling', (t) => {
  const production = { NODE_ENV: 'production' };
  t.prestart({}, production);

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
    await eachServerError(app, expectGenericServerError);
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
    }
  });

  t.check('01.server-errors-share-one-body', async () => {
    await expectOneBody(await t.app(), '');
    await expectOneBody(await t.app({ env: production }), ' with NODE_ENV=production');
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
    const unlogged = () => serverErrors.filter(({ says }) => !loggedWithStack(t.checkOutput(), says));
    await pollFor(() => unlogged().length === 0);
    const left = unlogged();
    expectThat(
      left.length === 0,
      () =>
        `Expected the server log to hold the message and stack trace of every server error, got none for ${left.map((error) => error.label).join(', ')}` +
        (t.checkOutput().trim() ? ' (the output is below).' : ': the app printed nothing.') +
        ' Every server error should reach one handler that logs it before answering.',
    );
  });
});
