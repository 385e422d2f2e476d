import { expectThat, fail, show } from '../support/expect.js';
import { expectStatus, type Reply } from '../support/http.js';
import { OUTPUT_LIMIT } from '../support/app-process.js';
import { lesson, type LessonKit, type RunningServer } from '../support/lesson.js';
import {
  accessFields,
  parseLines,
  pollFor,
  readAllFiles,
  readLogFiles,
  settle,
  STACK_FRAME,
  stringsOf,
  structureProblem,
  type LogEntry,
} from '../support/logs.js';

/** The failing route: the reports database refuses connections. */
const FAILING = '/reports/sales';
const FAILURE = /ECONNREFUSED/;

/** src/server.ts in production mode, writing its log files to a temporary LOG_DIR of its own. */
interface LoggedServer {
  server: RunningServer;
  logDir: string;
  stdout(): LogEntry[];
  stderr(): LogEntry[];
  /**
   * Waits until the access line of the last request is on stdout (or a while has passed), then until
   * the output stops growing: loggers such as pino's transports write from another thread, late.
   */
  quiet(lastPath?: string): Promise<void>;
  /** For a message about lines not found: that the grader kept only the end of a large stdout, if so. */
  lostNote(): string;
}

async function startLogged(t: LessonKit, env: Record<string, string> = {}): Promise<LoggedServer> {
  const logDir = t.tempDir('course-07-logs-');
  const server = await t.server({ env: { NODE_ENV: 'production', LOG_DIR: logDir, ...env } });
  return {
    server,
    logDir,
    stdout: () => parseLines(server.process.streamOutput('stdout')),
    stderr: () => parseLines(server.process.streamOutput('stderr')),
    lostNote: () => {
      const lost = server.process.lost.stdout;
      return lost > 0
        ? ` The grader keeps the last ${megabytes(OUTPUT_LIMIT)} of an app's output, and this app printed ${megabytes(lost)} on stdout before that: those lines were not seen. Log less per request.`
        : '';
    },
    quiet: async (lastPath) => {
      if (lastPath) await pollFor(() => parseLines(server.process.streamOutput('stdout')).some((entry) => accessFields(entry).path === lastPath));
      await settle(() => server.process.mark, 300);
    },
  };
}

/** LOG_DIR's *.log files, parsed, and the one holding the error line of GET /reports/sales, if any. */
async function readErrorFiles(logDir: string) {
  const files = (await readLogFiles(logDir)).map((file) => ({ ...file, entries: parseLines(`${file.text}\n`) }));
  const hit = files.find((file) => file.entries.some((entry) => (entry.rank ?? 0) >= 50 && stringsOf(entry).some((text) => FAILURE.test(text))));
  return { files, hit };
}

/** A log line as it reads best in a one-line message: as written, in backticks, cut short. */
function describeLine(line: string, max = 110): string {
  const flat = line.replace(/\s+/g, ' ').trim();
  return `\`${flat.length > max ? `${flat.slice(0, max - 1)}…` : flat}\``;
}

const megabytes = (characters: number) => `${(characters / 1024 / 1024).toFixed(1)} MB`;

function secretsIn(text: string, secrets: Record<string, string>): string | undefined {
  return Object.entries(secrets).find(([, value]) => text.includes(value))?.[0];
}

lesson('07-logging', (t) => {
  // Every check starts processes of its own: they run side by side.
  t.concurrently(() => {
    t.check('07.stdout-lines-are-json', async () => {
      const app = await startLogged(t);
      await app.server.client.get('/books');
      await app.server.client.get('/no-such-page');
      await app.server.client.get(FAILING);
      await app.quiet(FAILING);
      const lines = app.stdout();
      if (lines.length === 0) {
        const onStderr = app.stderr().length;
        fail(
          `Expected JSON log lines on stdout in production, got nothing on stdout${onStderr ? ` (${onStderr} lines went to stderr)` : ''}. ` +
            'Keep a console transport in every environment: the platform collects stdout.',
        );
      }
      for (const entry of lines) {
        const problem = structureProblem(entry);
        if (!entry.fields) {
          fail(`Expected every line on stdout to be a JSON object, got the plain line ${describeLine(entry.line)}. Write every line through a logger with a JSON format: no console.log, no text format.`);
        }
        expectThat(!problem, `Expected every line on stdout to carry a level, a message and a timestamp, got ${describeLine(entry.line)}, which ${problem}.`);
      }
    });

    t.check('07.access-line-per-request', async () => {
      const app = await startLogged(t);
      const client = app.server.client;
      const sent: [string, Reply][] = [
        ['answered by its route', await client.get('/books')],
        ['answered 404 by its route', await client.get('/books/999')],
        ['answered 401 by its route', await client.post('/login', { body: { email: 'reader@example.com', password: 'not-the-password' } })],
        ['matched by no route', await client.get('/no-such-page')],
        ['that failed', await client.get(FAILING)],
      ];
      const accessLines = () => app.stdout().map((entry) => ({ entry, access: accessFields(entry) }));
      type Lines = ReturnType<typeof accessLines>;
      const linesFor = (reply: Reply, lines: Lines) =>
        lines.filter(({ access }) => access.method === reply.request.method && access.path === reply.request.path);
      const complete = (reply: Reply, lines: Lines) =>
        linesFor(reply, lines).some(({ access }) => access.status === reply.status && access.durationMs !== undefined);
      // Stdout is read once per look, not once per request.
      await pollFor(() => {
        const lines = accessLines();
        return sent.every(([, reply]) => complete(reply, lines));
      });

      const lines = accessLines();
      for (const [what, reply] of sent) {
        if (complete(reply, lines)) continue;
        const request = `${reply.request.method} ${reply.request.path}`;
        const near = linesFor(reply, lines)[0];
        if (!near) {
          const elsewhere = app.stderr().some((entry) => accessFields(entry).path === reply.request.path) ? ' on stdout (it went to stderr)' : '';
          fail(
            `Expected an access line on stdout for ${request} (a request ${what}, status ${reply.status}) with its method, path, status and duration, got none${elsewhere}. ` +
              `Log every request from one middleware registered before the routes, when the response finishes.${app.lostNote()}`,
          );
        }
        const missing = [
          near.access.status === undefined ? 'no status' : near.access.status !== reply.status ? `status ${near.access.status} instead of ${reply.status}` : '',
          near.access.durationMs === undefined ? 'no duration' : '',
        ].filter(Boolean);
        fail(`Expected the access line for ${request} to hold method, path, status and duration, got ${describeLine(near.entry.line)} with ${missing.join(' and ')}.`);
      }
    });

    t.check('07.error-logged-with-stack-to-file', async () => {
      const app = await startLogged(t);
      expectStatus(await app.server.client.get(FAILING), 500);
      // Good enough: the line with the message and a stack frame, in any *.log file directly in LOG_DIR.
      const withStack = await pollFor(async () => {
        const files = await readLogFiles(app.logDir);
        return files.some((file) =>
          parseLines(`${file.text}\n`).some((entry) => (entry.rank ?? 0) >= 50 && stringsOf(entry).some((text) => FAILURE.test(text)) && stringsOf(entry).some((text) => STACK_FRAME.test(text))),
        );
      });
      if (withStack) return;

      const { files } = await readErrorFiles(app.logDir);
      if (files.length === 0) {
        fail(`Expected GET ${FAILING} to write its error to a file in LOG_DIR (for example LOG_DIR/error.log), got no *.log file there. Add a file transport for errors under process.env.LOG_DIR.`);
      }
      const entries = files.flatMap((file) => file.entries.map((entry) => ({ file: file.name, entry })));
      const plain = entries.find(({ entry }) => !entry.fields && FAILURE.test(entry.line));
      if (plain) fail(`Expected JSON lines in ${plain.file}, got the plain line ${describeLine(plain.entry.line)}.`);
      const errorLine = entries.find(({ entry }) => (entry.rank ?? 0) >= 50 && stringsOf(entry).some((text) => FAILURE.test(text)));
      if (errorLine) {
        fail(
          `Expected the error line in ${errorLine.file} to carry the stack trace, got ${describeLine(errorLine.entry.line, 140)} without a stack. ` +
            'Log the Error object itself; with winston, add format.errors({ stack: true }) to the logger.',
        );
      }
      const anyError = entries.find(({ entry }) => (entry.rank ?? 0) >= 50);
      fail(
        anyError
          ? `Expected the error line in ${anyError.file} to hold the error's message (ECONNREFUSED …) and stack, got ${describeLine(anyError.entry.line, 140)}. ` +
              "logger.error('msg', { err }) and winston without format.errors({ stack: true }) both lose them."
          : `Expected an error-level line about GET ${FAILING} in ${files.map((file) => file.name).join(', ')}, got ${entries.length ? `${entries.length} lines, none at level error` : 'an empty file'}.`,
      );
    });

    t.check('07.error-file-holds-errors-only', async () => {
      const app = await startLogged(t);
      const client = app.server.client;
      await client.get('/books');
      await client.get('/no-such-page');
      await client.get(FAILING);
      await client.get('/books/1');
      await pollFor(async () => (await readErrorFiles(app.logDir)).hit);
      // The lines that follow the error (its access line, the next request) are written asynchronously too.
      await app.quiet('/books/1');
      await settle(async () => (await readLogFiles(app.logDir)).reduce((size, file) => size + file.text.length, 0), 250, 1000);

      const files = (await readLogFiles(app.logDir)).map((file) => ({ ...file, entries: parseLines(`${file.text}\n`) }));
      const withErrors = files.filter((file) => file.entries.some((entry) => (entry.rank ?? 0) >= 50));
      const plain = files.flatMap((file) => file.entries.filter((entry) => !entry.fields).map((entry) => ({ file: file.name, entry })))[0];
      if (withErrors.length === 0 && plain) fail(`Expected JSON lines in ${plain.file}, got the plain line ${describeLine(plain.entry.line)}.`);
      if (withErrors.length === 0) {
        fail(
          files.length === 0
            ? `Expected a file in LOG_DIR (for example LOG_DIR/error.log) that keeps the errors, got no *.log file there after GET ${FAILING} failed.`
            : `Expected a file in LOG_DIR that keeps the errors, got ${files.map((file) => file.name).join(', ')} without any error-level line after GET ${FAILING} failed.`,
        );
      }
      if (withErrors.some((file) => file.entries.every((entry) => (entry.rank ?? 0) >= 50))) return;
      const file = withErrors[0]!;
      const others = file.entries.filter((entry) => (entry.rank ?? 0) < 50);
      fail(
        `Expected ${file.name} to hold errors only, got ${others.length} other line${others.length === 1 ? '' : 's'} in it too, such as ${describeLine(others[0]!.line)}. ` +
          "Give the file transport its own level: 'error'.",
      );
    });

    t.check('07.client-still-gets-generic-500', async () => {
      const app = await startLogged(t);
      const reply = await app.server.client.get(FAILING);
      expectStatus(reply, 500);
      const leaked = reply.text.match(/ECONNREFUSED|10\.0\.3\.7|reports database|\n\s+at |\bat \S+ \(/);
      expectThat(!leaked, `Expected a generic body from GET ${FAILING}, got one that reveals the error: ${show(reply.text, 80)}. Log the details; answer the client with a fixed body.`);
    });

    t.check('07.log-level-warn-silences-info', async () => {
      const app = await startLogged(t, { LOG_LEVEL: 'warn' });
      await app.server.client.get('/books');
      await app.server.client.get('/no-such-page');
      expectStatus(await app.server.client.get(FAILING), 500);
      await pollFor(() => app.stdout().some((entry) => (entry.rank ?? 0) >= 50));
      await app.quiet();

      const lines = app.stdout();
      const plain = lines.find((entry) => !entry.fields);
      if (plain) fail(`Expected only JSON lines at level warn or above on stdout with LOG_LEVEL=warn, got the plain line ${describeLine(plain.line)}, which no level can silence.`);
      const below = lines.find((entry) => entry.rank === undefined || entry.rank < 40);
      if (below) {
        fail(
          `Expected LOG_LEVEL=warn to silence info, got ${below.rank === undefined ? 'a line without a level' : `${below.level === 'info' ? 'an' : 'a'} ${below.level} line`}: ${describeLine(below.line)}. ` +
            'Set the logger level from process.env.LOG_LEVEL (default info).',
        );
      }
      const onStdout = lines.some((entry) => (entry.rank ?? 0) >= 50);
      if (!onStdout) {
        const onStderr = app.stderr().some((entry) => (entry.rank ?? 0) >= 50);
        fail(
          `Expected the error of GET ${FAILING} on stdout with LOG_LEVEL=warn, got ${onStderr ? 'it on stderr only' : 'no error line on stdout'}. ` +
            'LOG_LEVEL sets the least severe level kept; errors stay.',
        );
      }
    });

    t.check('07.secrets-stay-out-of-logs', async () => {
      const mark = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
      const secrets = {
        'the password sent to POST /login': `pw-${mark}`,
        'the Authorization header': `tok-${mark}`,
        'the Cookie header': `ck-${mark}`,
      };
      const headers = { Authorization: `Bearer ${secrets['the Authorization header']}`, Cookie: `sid=${secrets['the Cookie header']}` };
      const password = secrets['the password sent to POST /login'];
      const app = await startLogged(t);
      const client = app.server.client;
      await client.post('/login', { headers, body: { email: 'reader@example.com', password } });
      // A body express.json() cannot parse: its error carries the raw body, password and all.
      await client.post('/login', { headers: { ...headers, 'Content-Type': 'application/json' }, body: `{"email":"reader@example.com","password":"${password}"` });
      await client.get('/orders', { headers });
      await client.get('/no-such-page', { headers });
      await client.get(FAILING, { headers });
      await app.quiet(FAILING);
      await settle(async () => (await readAllFiles(app.logDir)).reduce((size, file) => size + file.text.length, 0), 250, 1000);

      const places = [
        { where: 'on stdout', text: app.server.process.streamOutput('stdout') },
        { where: 'on stderr', text: app.server.process.streamOutput('stderr') },
        ...(await readAllFiles(app.logDir)).map((file) => ({ where: `in LOG_DIR/${file.name}`, text: file.text })),
      ];
      for (const { where, text } of places) {
        const secret = secretsIn(text, secrets);
        if (!secret) continue;
        const line = text.split('\n').find((candidate) => candidate.includes(secrets[secret as keyof typeof secrets]))!;
        fail(
          `Expected ${secret} to appear nowhere in the logs, got it ${where}: ${describeLine(line)}. ` +
            'Log chosen fields of a request (method, path, status), never its body or headers.',
        );
      }
    });
  });
});
