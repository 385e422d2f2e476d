import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expectThat, show } from '../support/expect.js';
import { expectStatus, type Reply } from '../support/http.js';
import { lesson, type LessonKit, type Startup } from '../support/lesson.js';

// Values no real machine has, so every appearance in output or a response is the app's doing.
const DB_PASSWORD = 'Grader-db-Pa55word-7Q';
const SESSION_SECRET = 'grader-session-secret-4f9c2a7e1b8d6053';
const SHORT_SECRET = 'short-Secret-42';
const databaseUrl = (host: string) => `postgres://bookshop:${DB_PASSWORD}@${host}:5432/bookshop`;
const ENV_DB_HOST = 'env-db.test';
const FILE_DB_HOST = 'file-db.test';
const valid = { DATABASE_URL: databaseUrl(ENV_DB_HOST), SESSION_SECRET };

/**
 * How long a broken configuration may take to stop the process. A validating app exits in well under
 * a second; the margin is for busy machines (CI runners, a laptop grading while it builds). An app
 * that listens is judged at once.
 */
const STOP_WITHIN_MS = 10_000;

type Env = Record<string, string | undefined>;

/**
 * An empty working directory of the check's own (holding `dotenv` as .env when given), so that
 * neither this machine's variables nor a .env in the lesson folder can reach the app.
 */
function workingDir(t: LessonKit, dotenv?: string): string {
  const cwd = t.tempDir('course-06-');
  if (dotenv !== undefined) writeFileSync(path.join(cwd, '.env'), dotenv);
  return cwd;
}

function startup(t: LessonKit, env: Env, dotenv?: string): Promise<Startup> {
  return t.startup({ env, cwd: workingDir(t, dotenv) }, STOP_WITHIN_MS, true);
}

const plain = (output: string) => output.replace(/\x1b\[[0-9;]*m/g, '');

/** The process stopped on its own, with a non-zero code, before listening, naming each variable. */
function expectRefusedToStart(run: Startup, situation: string, names: string[]): void {
  if (!run.exit) {
    expectThat(
      false,
      run.acceptedConnection
        ? `Expected src/server.ts to exit with an error ${situation}, got a server listening on its port: it started without a valid configuration.`
        : `Expected src/server.ts to exit with an error ${situation}, got a process still running after ${STOP_WITHIN_MS / 1000} s.`,
    );
  }
  const { code, signal } = run.exit!;
  expectThat(
    code !== 0 && code !== null,
    `Expected src/server.ts to exit with a non-zero code ${situation}, got ${signal ? `killed by ${signal}` : 'code 0'}: process managers and deploy tools read 0 as success.`,
  );
  expectThat(
    !run.acceptedConnection,
    `Expected src/server.ts never to accept a connection ${situation}, got a server that listened before it exited. Validate before app.listen().`,
  );
  const output = plain(run.output);
  const unnamed = names.filter((name) => !new RegExp(`\\b${name}\\b`).test(output));
  expectThat(
    unnamed.length === 0,
    `Expected the output to name ${unnamed.join(' and ')} ${situation}, got ${output.trim() ? show(output.trim(), 160) : 'no output at all'}.`,
  );
}

/** The database host the running app reports in GET /health. */
async function expectDatabaseHost(reply: Reply, expected: string, situation: string): Promise<void> {
  expectStatus(reply, 200);
  const other = expected === ENV_DB_HOST ? FILE_DB_HOST : ENV_DB_HOST;
  const shown = reply.text.includes(expected) ? expected : reply.text.includes(other) ? other : undefined;
  expectThat(
    shown === expected,
    `Expected GET /health to report the database ${expected} ${situation}, got ${shown ? `${shown}` : show(reply.text, 80)}.`,
  );
}

lesson('06-configuration', (t) => {
  // Every check starts processes of its own: they run side by side.
  t.concurrently(() => {
    t.check('06.starts-with-valid-environment', async () => {
      const server = await t.server({ env: valid, cwd: workingDir(t) });
      await expectDatabaseHost(await server.client.get('/health'), ENV_DB_HOST, 'with DATABASE_URL set in the environment and no .env file');
    });

    t.check('06.missing-database-url-stops-startup', async () => {
      const run = await startup(t, { SESSION_SECRET });
      expectRefusedToStart(run, 'when DATABASE_URL is not set', ['DATABASE_URL']);
    });

    t.check('06.missing-session-secret-stops-startup', async () => {
      const run = await startup(t, { DATABASE_URL: valid.DATABASE_URL });
      expectRefusedToStart(run, 'when SESSION_SECRET is not set', ['SESSION_SECRET']);
    });

    t.check('06.every-problem-reported-in-one-run', async () => {
      const run = await startup(t, {});
      expectRefusedToStart(run, 'when both DATABASE_URL and SESSION_SECRET are missing', ['DATABASE_URL', 'SESSION_SECRET']);
    });

    t.check('06.empty-variables-count-as-missing', async () => {
      const run = await startup(t, { DATABASE_URL: '', SESSION_SECRET: '' });
      expectRefusedToStart(run, 'when DATABASE_URL and SESSION_SECRET are set to empty strings', ['DATABASE_URL', 'SESSION_SECRET']);
    });

    t.check('06.malformed-database-url-stops-startup', async () => {
      const run = await startup(t, { ...valid, DATABASE_URL: 'db.internal/bookshop' });
      expectRefusedToStart(run, 'when DATABASE_URL is not a URL (db.internal/bookshop)', ['DATABASE_URL']);
    });

    t.check('06.short-session-secret-stops-startup', async () => {
      const run = await startup(t, { ...valid, SESSION_SECRET: SHORT_SECRET });
      expectRefusedToStart(run, `when SESSION_SECRET is ${SHORT_SECRET.length} characters long`, ['SESSION_SECRET']);
    });

    t.check('06.bad-port-stops-startup', async () => {
      for (const port of ['abc', '99999']) {
        const run = await startup(t, { ...valid, PORT: port });
        expectRefusedToStart(run, `when PORT is ${port}`, ['PORT']);
      }
    });

    t.check('06.dotenv-file-alone-starts', async () => {
      const dotenv = `DATABASE_URL=${databaseUrl(FILE_DB_HOST)}\nSESSION_SECRET=${SESSION_SECRET}\n`;
      const server = await t.server({ env: {}, cwd: workingDir(t, dotenv) });
      await expectDatabaseHost(await server.client.get('/health'), FILE_DB_HOST, 'when only .env sets DATABASE_URL (no NODE_ENV)');
    });

    t.check('06.environment-wins-over-dotenv', async () => {
      const dotenv = `DATABASE_URL=${databaseUrl(FILE_DB_HOST)}\nSESSION_SECRET=${SESSION_SECRET}-from-file\n`;
      const server = await t.server({ env: valid, cwd: workingDir(t, dotenv) });
      await expectDatabaseHost(await server.client.get('/health'), ENV_DB_HOST, `when the environment says ${ENV_DB_HOST} and .env says ${FILE_DB_HOST}`);
    });

    t.check('06.dotenv-ignored-in-production', async () => {
      const dotenv = `DATABASE_URL=${databaseUrl(FILE_DB_HOST)}\nSESSION_SECRET=${SESSION_SECRET}\n`;
      const run = await startup(t, { NODE_ENV: 'production' }, dotenv);
      expectRefusedToStart(run, 'with NODE_ENV=production, no variables in the environment and a .env file in the working directory', ['DATABASE_URL', 'SESSION_SECRET']);
    });

    t.check('06.secrets-never-printed-or-served', async () => {
      const secrets: [string, string][] = [
        [DB_PASSWORD, 'the database password'],
        [SESSION_SECRET, 'SESSION_SECRET'],
        [SHORT_SECRET, 'SESSION_SECRET'],
      ];
      const seen: [string, string][] = [];
      const server = await t.server({ env: valid, cwd: workingDir(t) });
      const replies = [
        await server.client.get('/health'),
        await server.client.get('/books'),
        await server.client.post('/session', { body: { customer: 'ada' } }),
        await server.client.get('/no-such-page'),
      ];
      for (const reply of replies) seen.push([`${JSON.stringify(reply.headers)}\n${reply.text}`, `the response to ${reply.request.method} ${reply.request.path}`]);
      await server.stop();
      seen.push([server.process.output(), 'the output of a normal start']);
      const failing = await startup(t, { ...valid, SESSION_SECRET: SHORT_SECRET });
      seen.push([failing.output, 'the output of a start refused for a short SESSION_SECRET']);
      for (const [text, where] of seen) {
        for (const [secret, what] of secrets) {
          expectThat(
            !text.includes(secret),
            `Expected ${where} never to contain ${what}, got it in ${show(excerpt(text, secret), 100)}. Print names and hosts, never values.`,
          );
        }
      }
    });
  });
});

/** The line around the first appearance of `needle`. */
function excerpt(text: string, needle: string): string {
  const at = text.indexOf(needle);
  const start = text.lastIndexOf('\n', at) + 1;
  const end = text.indexOf('\n', at);
  return text.slice(start, end === -1 ? undefined : end);
}
