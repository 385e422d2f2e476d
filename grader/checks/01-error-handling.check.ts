import { expectThat, show } from '../support/expect.js';
import { expectJsonType, expectStatus, type Reply } from '../support/http.js';
import { lesson } from '../support/lesson.js';
import { pollFor } from '../support/logs.js';

/** Three ways a request fails on the server: a sync throw, a rejected promise, a middleware throw. */
const serverErrors = {
  sync: { path: '/books/2/cover' },
  async: { path: '/reports/sales' },
  middleware: { path: '/books', headers: { 'X-Shop': 'atlantis' } },
};

/** What a server error's body must not reveal: the message, the stack, paths, error class names. */
const leaks: [RegExp, string][] = [
  [/ECONNREFUSED|10\.0\.3\.7|5432/i, 'the error message (database address)'],
  [/Unexpected end of JSON|JSON input|Expected property name/i, 'the error message (the JSON parse error)'],
  [/Cannot read propert|undefined \(reading/i, 'the error message (the TypeError)'],
  [/\bat \S+ \(|\bat (async )?[\w.<>]+ \(|:\d+:\d+\)?/, 'a stack frame'],
  [/node_modules|\/src\/|\.ts\b|file:\/\//, 'a file path'],
  [/\b(SyntaxError|TypeError|RangeError|Error:)/, 'an error class name'],
];

function expectGenericServerError(reply: Reply): void {
  expectStatus(reply, 500);
  expectJsonType(reply);
  for (const [pattern, what] of leaks) {
    const found = reply.text.match(pattern);
    expectThat(
      !found,
      `Expected a generic body from ${reply.request.method} ${reply.request.path}, got one that reveals ${what}: ${show(found?.[0])} in ${show(reply.text, 80)}.`,
    );
  }
}

lesson('01-error-handling', (t) => {
  const production = { NODE_ENV: 'production' };
  t.prestart({}, production);

  t.check('01.sync-throw-answers-generic-json', async () => {
    const app = await t.app();
    expectGenericServerError(await app.get(serverErrors.sync.path));
  });

  t.check('01.rejected-promise-answers-generic-json', async () => {
    const app = await t.app();
    expectGenericServerError(await app.get(serverErrors.async.path));
  });

  t.check('01.middleware-throw-answers-generic-json', async () => {
    const app = await t.app();
    expectGenericServerError(await app.get(serverErrors.middleware.path, serverErrors.middleware));
  });

  t.check('01.production-mode-answers-generic-json', async () => {
    const app = await t.app({ env: production });
    for (const { path, ...options } of Object.values(serverErrors)) expectGenericServerError(await app.get(path, options));
  });

  t.check('01.callback-error-answers-and-app-survives', async () => {
    const app = await t.app();
    expectGenericServerError(await app.get('/books/3/stock'));
    const health = await app.get('/health');
    expectStatus(health, 200);
  });

  t.check('01.errors-logged-with-stack', async () => {
    const app = await t.app({ env: production });
    await app.get(serverErrors.async.path);
    // Logging may be asynchronous: give it a moment to reach the output.
    const logged = await pollFor(() => /ECONNREFUSED/.test(t.checkOutput()) && /^\s+at .+:\d+/m.test(t.checkOutput()));
    expectThat(
      logged,
      'Expected the server log to hold the error message and its stack trace after GET /reports/sales failed, got ' +
        (t.checkOutput().trim() ? 'a log without both (see the output below).' : 'no output at all.'),
    );
  });

  t.check('01.malformed-json-answers-400-json', async () => {
    const app = await t.app();
    const reply = await app.post('/books', { body: '{"title":', headers: { 'Content-Type': 'application/json' } });
    expectStatus(reply, 400);
    expectJsonType(reply);
  });

  t.check('01.unknown-route-answers-404-json', async () => {
    const app = await t.app();
    const reply = await app.get('/no-such-page');
    expectStatus(reply, 404);
    expectJsonType(reply);
  });

  t.check('01.server-errors-share-one-body', async () => {
    const app = await t.app();
    const first = await app.get(serverErrors.sync.path);
    const second = await app.get(serverErrors.async.path);
    expectStatus(first, 500);
    expectStatus(second, 500);
    expectThat(
      first.text === second.text,
      `Expected GET ${serverErrors.sync.path} and GET ${serverErrors.async.path} to answer the same body, got ${show(first.text, 60)} and ${show(second.text, 60)}.`,
    );
  });
});
