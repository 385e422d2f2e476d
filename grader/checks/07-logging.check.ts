import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CannotJudge, CheckFailure, expectThat, fail, show } from '../support/expect.js';
import { expectStatus, type Reply } from '../support/http.js';
import { OUTPUT_LIMIT } from '../support/app-process.js';
import { lesson, type FailureAbout, type LessonKit, type StartupExit } from '../support/lesson.js';
import {
  accessFields,
  completeLines,
  levelRank,
  parseLines,
  pollFor,
  readAllFiles,
  settle,
  STACK_FRAME,
  stringsOf,
  structureProblem,
  type AccessFields,
  type LogEntry,
  type LogFile,
} from '../support/logs.js';

/** The failing route: the reports database refuses connections. */
const FAILING = '/reports/sales';
const FAILURE = /ECONNREFUSED/;
/** A stack frame of the code that threw: salesReport, in src/catalog.ts. */
const FAILING_FRAME = /\n\s+at .*(salesReport|catalog\.[jt]s)/;
/** A frame of its caller, the route in src/app.ts: the stack says which code path reached the failing call, not only where it threw. */
const CALLER_FRAME = /\n\s+at .*\bapp\.[jt]s/;
const CALLER_ADVICE =
  'The stack is there to say which code path led to the failure: log err.stack as it is (or the error object), every frame of it, not cut down to its first lines.';
/** The demo account of src/accounts.ts. */
const ACCOUNT = { email: 'reader@example.com', password: 'correct horse battery staple' };
/**
 * A LOG_LEVEL no logger has, though every object inherits a property of that name: a check with
 * `level in levels` or `levels[level] === undefined` lets it through, and pino itself accepts it, then
 * writes nothing. Whatever refuses it refuses a plain typo too.
 */
const UNKNOWN_LEVEL = 'constructor';
/** The lowest level of pino and bunyan, unknown to winston: a pino app must serve with it, a winston app refuse it. */
const PINO_ONLY_LEVEL = 'trace';
/** The lowest level of winston, unknown to pino: the other way round. */
const WINSTON_ONLY_LEVEL = 'silly';
/** The levels of winston (its npm levels) and of pino (bunyan has pino's): an app serves at every level of the logger it uses. */
const WINSTON_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];
const PINO_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];
/** The values of LOG_LEVEL an app may refuse at startup: at every other level it must serve. */
const MAY_REFUSE = new Set(['WARN', UNKNOWN_LEVEL, PINO_ONLY_LEVEL, WINSTON_ONLY_LEVEL]);
/** The most severe level every logger has: the run with it is also the one outside production (LOG_DIR set all the same). */
const ERROR_LEVEL = 'error';
/** The run stopped with SIGINT (Ctrl-C) instead of SIGTERM: the README's servers shut down on both. */
const SIGINT_LEVEL = 'debug';
/**
 * How long after the app took one POST of the default run (it answered 100 Continue) the grader sends
 * GET /books; the POST's body follows once that one is answered. Over a second: a duration read from
 * process.hrtime(start)[1] alone (the nanoseconds within the second) loses the whole seconds.
 */
const SLOW_BODY_MS = 1100;
/** GET /reports/sales waits 5 ms for its database before it fails: its duration can be no shorter (timers may fire up to 1 ms early). */
const FAILING_AT_LEAST_MS = 4;
/** The run started without LOG_DIR: the error file is for when it is set, and the app must start without it. */
const WITHOUT_LOG_DIR = 'warn';
/** The run made with NODE_ENV=development (LOG_DIR set all the same): the rules of the log hold in every environment. */
const DEVELOPMENT_LEVELS = new Set<string | undefined>([SIGINT_LEVEL]);
/**
 * The run made with NODE_ENV=test: error (with LOG_DIR: the error file follows LOG_DIR, not NODE_ENV),
 * a level every logger knows, so that a run that writes nothing at all there was silenced by the
 * environment, not by a level its logger lacks. A logger made silent under test (`silent: NODE_ENV ===
 * 'test'`, a Jest habit) writes nothing, errors included: the lines must be the same in every environment.
 */
const TEST_LEVELS = new Set<string | undefined>([ERROR_LEVEL]);
/**
 * What npm test, Jest and Vitest set besides NODE_ENV, and CI=true as GitHub Actions, GitLab and most CI
 * systems set it, in every start under test: a log silenced on any of them is silenced under test all the same.
 */
const UNDER_TEST_RUNNER = { npm_lifecycle_event: 'test', JEST_WORKER_ID: '1', VITEST: 'true', CI: 'true' };
/** How UNDER_TEST_RUNNER reads in a message. */
const UNDER_TEST_NAMES = 'npm_lifecycle_event=test, JEST_WORKER_ID, VITEST and CI=true were set';
/**
 * The runs made with a NODE_ENV the app does not know (staging): WARN and the unknown level. An app that
 * warns about it with a plain line at startup writes it there (before or instead of the refusal).
 */
const OTHER_ENV = 'staging';
const OTHER_ENV_LEVELS = new Set<string | undefined>(['WARN', UNKNOWN_LEVEL]);
/** The run made with NODE_ENV unset: warn, without LOG_DIR (a laptop run): JSON there too. */
const NO_NODE_ENV_LEVELS = new Set<string | undefined>([WITHOUT_LOG_DIR]);
/**
 * Values of LOG_LEVEL that name no level of winston's npm levels or of pino, though an operator may
 * type them (syslog's warning and critical, err, and the off switches): an app that starts with one has
 * mapped it onto a level or silenced its log. `silent` too: pino documents it as a way to turn logging
 * off and winston has an option of that name, but it is in neither's levels (pino.levels.values,
 * winston.config.npm.levels), and it silences the errors as off does.
 */
const LEVEL_ALIASES = ['warning', 'off', 'none', 'silent', 'critical', 'err'];
/** A path with a malformed percent-escape: decodeURI() and decodeURIComponent() throw on it. */
const MALFORMED_PATH = '/books/%E0%A4%A';
/**
 * How long the app may take to exit after SIGTERM (SIGINT): a drain of a few seconds before closing is
 * fine; still running after this long, it is killed, as a platform kills it (Kubernetes after 30 s).
 */
const EXIT_WITHIN_MS = 5000;
/**
 * How far the default run moves the app's timers before SIGTERM: a setInterval or setTimeout due within
 * this time fires at once, so that what the app logs as time passes (a report every 30 s, every hour,
 * every day, every week, every month) is read too. Each timer fires once, then an interval goes on at its
 * own period: a short one does not fire thousands of times. Past 31 days Node cannot wait anyway (it
 * fires a timer longer than 2^31 - 1 ms at once).
 */
const TIMERS_AHEAD_MS = 31 * 24 * 60 * 60 * 1000;
/**
 * Loaded with NODE_OPTIONS=--import into the default run: notes the timers the app sets (global, from
 * node:timers, or from node:timers/promises, whose setTimeout and setInterval it makes from the noted
 * ones) and, once the grader writes COURSE_TIMERS_FILE, makes those due within TIMERS_AHEAD_MS
 * fire at once (an interval then goes on at its own period), and acknowledges once they had a turn. Nothing
 * changes before the file exists; nothing in it may throw into the app.
 */
const timersShim = `
import { existsSync, writeFileSync } from 'node:fs';
import timers from 'node:timers';
import timersPromises from 'node:timers/promises';
import { syncBuiltinESMExports } from 'node:module';
const file = process.env.COURSE_TIMERS_FILE;
if (file) {
  const pending = new Set();
  const { setTimeout: realSetTimeout, setInterval: realSetInterval } = timers;
  const track = (make) =>
    Object.defineProperties(function (callback, ms, ...args) {
      const timer = make(callback, ms, ...args);
      if (typeof callback === 'function' && timer && typeof timer === 'object') pending.add(timer);
      return timer;
    }, Object.getOwnPropertyDescriptors(make));
  const moved = { setTimeout: track(timers.setTimeout), setInterval: track(timers.setInterval) };
  Object.assign(globalThis, moved);
  Object.assign(timers, moved);
  const abortError = (signal) => Object.assign(new Error('The operation was aborted', { cause: signal.reason }), { name: 'AbortError', code: 'ABORT_ERR' });
  // node:timers/promises makes its timers internally: these make them from the noted ones, same signature.
  timersPromises.setTimeout = (delay, value, options) =>
    new Promise((resolve, reject) => {
      const signal = options?.signal;
      if (signal?.aborted) return reject(abortError(signal));
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortError(signal));
      };
      const timer = moved.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      }, delay);
      if (options?.ref === false) timer.unref();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  timersPromises.setInterval = async function* (delay, value, options) {
    const signal = options?.signal;
    if (signal?.aborted) throw abortError(signal);
    let due = 0;
    let wake;
    const timer = moved.setInterval(() => {
      due++;
      wake?.();
    }, delay);
    if (options?.ref === false) timer.unref();
    const onAbort = () => wake?.();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        if (due === 0 && !signal?.aborted) await new Promise((resolve) => (wake = resolve));
        wake = undefined;
        if (signal?.aborted) throw abortError(signal);
        for (; due > 0; due--) yield value;
      }
    } finally {
      clearInterval(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  };
  syncBuiltinESMExports();
  const poll = realSetInterval(() => {
    try {
      if (!existsSync(file)) return;
      clearInterval(poll);
      for (const timer of pending) {
        if (timer._destroyed || !(timer._idleTimeout > 0)) continue;
        if (timer._idleTimeout > ${TIMERS_AHEAD_MS}) continue;
        timer._idleTimeout = 1;
        timer.refresh();
      }
      realSetTimeout(() => {
        try {
          writeFileSync(file + '.ack', '');
        } catch {}
      }, 50);
    } catch {}
  }, 20);
  poll.unref();
}
`;

/**
 * Loaded with NODE_OPTIONS=--import into the run at error: on SIGUSR2 (which the grader sends once the
 * requests are answered), a promise rejected that nothing handles, as a forgotten await leaves one. What
 * the app then prints (an unhandledRejection handler of its own, or Node's crash on stderr) is read too.
 */
const rejectionShim = `
process.on('SIGUSR2', () => {
  Promise.reject(new Error('Connection to the mail server lost (a promise the grader rejected outside any request; nothing handled it)'));
});
`;
/** The POST the default run leaves half-sent as it sends SIGTERM: its headers and the start of its body, with the rest never coming. */
const IN_FLIGHT_PATH = '/login/';
const IN_FLIGHT = `POST ${IN_FLIGHT_PATH} (its Content-Length promising 64 bytes of JSON body, 30 of them sent)`;
/** How much later than EXIT_WITHIN_MS the default run kills the app, for a timer of exactly 5 s on a busy machine. */
const EXIT_SLACK_MS = 1000;

/**
 * Loaded with NODE_OPTIONS=--import into the run without LOG_DIR: notes every path the app opens for
 * writing or creates (fs's open, write, append, createWriteStream and mkdir, callback, sync and promise
 * alike) in COURSE_WRITES_FILE, one JSON string a line, so that a default folder at a fixed absolute path
 * (/var/log/bookshop, /tmp/bookshop) is seen as well as one in the working directory, TMPDIR or HOME.
 * Devices (/dev/stdout) and file descriptors are left out; nothing in it may throw into the app.
 */
const writesShim = `
import fs from 'node:fs';
import path from 'node:path';
import { syncBuiltinESMExports } from 'node:module';
const file = process.env.COURSE_WRITES_FILE;
if (file) {
  const { appendFileSync } = fs;
  // The shim's own file, which appendFileSync opens through the wrapped openSync.
  const seen = new Set([path.resolve(file)]);
  const writing = (flags) => flags === undefined || (typeof flags === 'number' ? (flags & 3) !== 0 || (flags & 64) !== 0 : /[wa+]/.test(String(flags)));
  const note = (target, flags) => {
    try {
      if (typeof target !== 'string' && !(target instanceof URL) && !Buffer.isBuffer(target)) return;
      if (!writing(flags)) return;
      const name = path.resolve(target instanceof URL ? target.pathname : String(target));
      if (/^\\/(dev|proc)\\//.test(name) || seen.has(name)) return;
      seen.add(name);
      appendFileSync(file, JSON.stringify(name) + '\\n');
    } catch {}
  };
  const wrap = (owner, name, flagsAt) => {
    const real = owner[name];
    if (typeof real !== 'function') return;
    owner[name] = Object.defineProperties(function (...args) {
      note(args[0], flagsAt === undefined ? undefined : typeof args[flagsAt] === 'object' && args[flagsAt] ? args[flagsAt].flags : typeof args[flagsAt] === 'function' ? 'r' : (args[flagsAt] ?? 'r'));
      return real.apply(this, args);
    }, Object.getOwnPropertyDescriptors(real));
  };
  for (const owner of [fs, fs.promises]) {
    wrap(owner, 'open', 1);
    for (const name of ['writeFile', 'appendFile', 'mkdir']) wrap(owner, name);
  }
  wrap(fs, 'openSync', 1);
  for (const name of ['writeFileSync', 'appendFileSync', 'mkdirSync', 'createWriteStream']) wrap(fs, name);
  syncBuiltinESMExports();
}
`;

/** Files under `dir` (its node_modules aside) changed since `since` (ms), relative to it. */
function writtenSince(dir: string, since: number, prefix = ''): string[] {
  let names: string[];
  try {
    names = readdirSync(path.join(dir, prefix));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    if (name === 'node_modules' || name === '.git') return [];
    const relative = path.join(prefix, name);
    try {
      const info = statSync(path.join(dir, relative));
      if (info.isDirectory()) return writtenSince(dir, since, relative);
      return info.mtimeMs >= since ? [relative] : [];
    } catch {
      return [];
    }
  });
}

/**
 * For a start without LOG_DIR: an empty working directory, TMPDIR and HOME of its own and the writes shim,
 * and, once it has exited, every file it left there or opened for writing anywhere (a default folder in
 * production only, /var/log/bookshop, or a debug file in os.tmpdir() in development only, is seen too).
 */
function watchWrites(t: LessonKit): { env: Record<string, string>; cwd: string; wrote: () => string[] } {
  const cwd = t.tempDir('course-07-cwd-');
  const tmp = t.tempDir('course-07-tmp-');
  const home = t.tempDir('course-07-home-');
  const file = path.join(t.tempDir('course-07-writes-'), 'opened');
  return {
    env: { TMPDIR: tmp, TMP: tmp, TEMP: tmp, HOME: home, COURSE_WRITES_FILE: file, NODE_OPTIONS: `--import data:text/javascript,${encodeURIComponent(writesShim)}` },
    cwd,
    wrote: () => [
      ...new Set([
        ...readdirSync(cwd).map((name) => `${name} in the working directory`),
        ...everythingIn(tmp).map((name) => `TMPDIR (os.tmpdir())/${name}`),
        ...everythingIn(home).map((name) => `HOME (os.homedir())/${name}`),
        ...(existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as string) : [])
          .filter((name) => ![cwd, tmp, home].some((dir) => name === dir || name.startsWith(`${dir}${path.sep}`)))
          .map((name) => `${name} opened for writing or created`),
      ]),
    ],
  };
}

/** Every file and folder under `dir`, the deepest only (a/b.log, not a as well), relative to it. */
function everythingIn(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch {
    return [];
  }
  return names.filter((name) => !names.some((other) => other.startsWith(`${name}${path.sep}`)));
}

/** The body the exercise's error handler answers a server error with. */
const GENERIC_500 = { error: 'Internal Server Error' };
/**
 * A line's timestamp may come this long after the grader got the answer (the app may log after it
 * answered, on a busy machine later still), but never before the request was sent, beyond its precision.
 */
const LATE_TIMESTAMP_MS = 1000;

/** A request of a run, with what it stands for in a message ("made signed in") and when (Date.now()). */
interface Sent {
  what: string;
  reply: Reply;
  sentAt: number;
  gotAt: number;
}

type ParsedFile = LogFile & { entries: LogEntry[] };

/**
 * One run of src/server.ts (NODE_ENV=production, a LOG_DIR of its own, one LOG_LEVEL) from its start to
 * its exit: every route signed in and not, a failing one, secrets in bodies and headers, then SIGTERM.
 * The checks of a level all judge the one run. Runs that only judge what a level keeps (warn, WARN, an
 * unknown level) send a few requests of each kind instead: a login costs a scrypt hash, 40 ms of CPU.
 */
interface Run {
  /** "at the default level", "with LOG_LEVEL=debug". */
  label: string;
  /** The NODE_ENV the run was made with (undefined: unset). */
  nodeEnv: string | undefined;
  /** Its LOG_DIR, if it had one. */
  logDir?: string;
  /**
   * The app's output as the failures about this run show it (their "Look at" line comes from its stack
   * frames): everything up to the exit, or (startupOutput) up to the first request.
   */
  output: string;
  startupOutput: string;
  /** Set when the app refused to start (for the levels it may refuse). */
  refused?: StartupExit;
  sent: Sent[];
  failing?: Reply;
  /** Every line on stdout up to the exit, the last one included even without a newline. */
  stdout: LogEntry[];
  stdoutText: string;
  /** Index in `stdout` of the first line written after SIGTERM. */
  shutdownFrom: number;
  stderr: LogEntry[];
  /** Index in `stderr` of the first line written after the signal (none for a run that did not get one). */
  stderrShutdownFrom?: number;
  stderrText: string;
  /** Every file under LOG_DIR after the exit. */
  files: LogFile[];
  /** The *.log files directly in LOG_DIR, parsed. */
  logFiles: ParsedFile[];
  /** What must appear in no log, by description. */
  secrets: Record<string, string>;
  /** For a message about lines not found: that the grader kept only the end of a large stdout, if so. */
  lostNote: string;
  /** The signal that stopped the run. */
  signal: 'SIGTERM' | 'SIGINT';
  /** What the app left in its working directory (a temporary one), for the run without LOG_DIR. */
  leftInCwd: string[];
  /** What became of the line the grader wrote to LOG_DIR/error.log before the start, if it is gone: "error.log holding 1 line, without it". */
  seedGone?: string;
  /** Paths the app opened for writing or created anywhere (the run without LOG_DIR), as the writes shim noted them. */
  opened: string[];
  /** What the app left in its TMPDIR and HOME (empty ones of its own), for the run without LOG_DIR: "TMPDIR (os.tmpdir())/bookshop-logs/error.log". */
  leftElsewhere: string[];
  /** The POST whose body arrived late, for the default run: how long after the app took it (100 Continue) the grader sent its body. */
  slow?: { sent: Sent; gapMs: number };
  /** Index in `stdout` of the first line written after the grader moved the app's timers ahead (the default run). */
  timersFrom?: number;
  /** Whether the app was still running EXIT_WITHIN_MS after the signal (the grader killed it). */
  stillRunning: boolean;
  /** Files the app wrote beside its own code (the compiled copy the grader runs) while this run went on. */
  besideSource: string[];
  /** What a refused start wrote on stdout. */
  refusedStdout: LogEntry[];
  /** Index in `stdout` of the first line written after the grader caused an unhandled rejection (the run at error). */
  rejectedFrom?: number;
  /** Index in `stderr` of the first line written after that rejection (Node's own report of it, when nothing handled it). */
  stderrRejectedFrom?: number;
  /** The request the app still had in flight when the signal came (the default run), for a message. */
  inFlight?: string;
}

/** The levels of the runs: unset (the default), debug, warn, error, and four that not every logger knows. */
const LEVELS = [undefined, 'debug', 'warn', 'WARN', UNKNOWN_LEVEL, PINO_ONLY_LEVEL, WINSTON_ONLY_LEVEL, ERROR_LEVEL] as const;

type Level = (typeof LEVELS)[number];
/** The runs that call every route: the ones whose lines and secrets are judged at their level (the lowest of pino and of winston included). */
const FULL_RUNS = new Set<Level>([undefined, 'debug', PINO_ONLY_LEVEL, WINSTON_ONLY_LEVEL]);

/**
 * What each check reads besides the default run: the runs at other levels, the extra starts, and the
 * alias starts. A run a check asks for that is not listed here is still made, when it asks.
 */
const READS: Record<string, { levels?: readonly Level[]; extras?: readonly ExtraKey[]; aliases?: boolean }> = {
  '07.stdout-lines-are-json': { levels: LEVELS, extras: ['quiet', 'busy', 'badPort'] },
  '07.access-line-per-request': { levels: [...FULL_RUNS, SIGINT_LEVEL] },
  '07.log-level-warn-silences-info': { levels: ['warn', ERROR_LEVEL], extras: ['restart', 'quiet', 'bare', 'busy', 'devWarn'] },
  // No colour in any run's files; the files kept in every run and across the restart.
  '07.error-logged-with-stack-to-file': { levels: LEVELS, extras: ['restart'] },
  '07.log-level-any-case-or-refused': { levels: ['WARN', ERROR_LEVEL, UNKNOWN_LEVEL, PINO_ONLY_LEVEL, WINSTON_ONLY_LEVEL, SIGINT_LEVEL], extras: ['devWarn'], aliases: true },
  '07.secrets-stay-out-of-logs': { levels: [...FULL_RUNS], extras: ['quiet'] },
};

/**
 * The run at `level` (undefined: LOG_LEVEL unset), made once for all the checks that read it. The first
 * check to ask starts every run the folder's checks will read, so that the runs of checks queued behind
 * it go side by side with its own; a run of some checks (a wrong fixture's) starts only theirs, each
 * start being a process of its own.
 */
function runAt(t: LessonKit, level: Level = undefined): Promise<Run> {
  const reads = Object.entries(READS).filter(([id]) => t.runs(id)).map(([, what]) => what);
  for (const each of new Set([undefined, ...reads.flatMap((what) => what.levels ?? [])])) t.startShared(runKey(each), () => makeRun(t, each));
  for (const key of new Set(reads.flatMap((what) => what.extras ?? []))) t.startShared(`07-extra:${key}`, () => EXTRAS[key](t));
  if (reads.some((what) => what.aliases)) for (const value of LEVEL_ALIASES) t.startShared(startKey(value), () => makeStart(t, value));
  return t.shared(runKey(level), () => makeRun(t, level));
}

const runKey = (level: string | undefined) => `07-run:${level === undefined ? 'unset' : JSON.stringify(level)}`;
/** The full runs an app served: at trace or silly, the one its logger knows. */
const fullRuns = async (t: LessonKit) => (await Promise.all(([...FULL_RUNS] as Level[]).map((level) => runAt(t, level)))).filter((run) => !run.refused);

/**
 * A POST with `Expect: 100-continue`: its headers go first; once Node's server has handed it to the app
 * (it answers 100 Continue as it does), the grader waits `gapMs`, sends `meanwhile` (another request),
 * and sends the body once that one is answered. The app has this request in flight while it takes the
 * other one, and it surely took it before `continuedAt` (undefined if 100 Continue never came).
 */
function slowBody(
  port: number,
  path: string,
  body: string,
  gapMs: number,
  meanwhile: () => Promise<unknown>,
): Promise<{ reply: Reply; sentAt: number; continuedAt?: number; bodySentAt: number }> {
  const headers = { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), Expect: '100-continue' };
  return new Promise((resolve, reject) => {
    const sentAt = Date.now();
    let bodySentAt = sentAt;
    let continuedAt: number | undefined;
    const request = http.request({ host: '127.0.0.1', port, method: 'POST', path, headers, agent: false, timeout: 5000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ reply: { request: { method: 'POST', path, headers, body }, status: response.statusCode ?? 0, headers: response.headers, text, json }, sentAt, continuedAt, bodySentAt });
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.on('timeout', () => request.destroy(new Error(`POST ${path} got no answer within 5 s of its body`)));
    request.flushHeaders();
    let sentMeanwhile = false;
    const goOn = () => {
      if (sentMeanwhile) return;
      sentMeanwhile = true;
      void meanwhile().then(
        () => {
          bodySentAt = Date.now();
          request.end(body);
        },
        (error: unknown) => request.destroy(error as Error),
      );
    };
    request.once('continue', () => {
      continuedAt = Date.now();
      setTimeout(goOn, gapMs);
    });
    // Without 100 Continue (an app that listens for checkContinue itself), the body goes all the same.
    setTimeout(goOn, 3000);
  });
}

/**
 * A start at `value`, stopped as soon as it serves (made once, by key): how it ended if it refused, or
 * undefined. For the levels of a logger no full run tries (winston's http, pino's fatal).
 */
const startAt = (t: LessonKit, value: string) => t.shared(startKey(value), () => makeStart(t, value));
const startKey = (value: string) => `07-start:${value}`;

/** The NODE_ENV an alias start runs under: development for some, so that an app that ignores LOG_LEVEL there is seen too. */
const aliasNodeEnv = (value: string) => (['warning', 'err'].includes(value) ? 'development' : 'production');

async function makeStart(t: LessonKit, value: string): Promise<StartupExit | undefined> {
  const started = await t.serverOrExit({ env: { NODE_ENV: aliasNodeEnv(value), LOG_DIR: t.tempDir('course-07-logs-'), LOG_LEVEL: value } });
  if (!('client' in started)) return started;
  await started.stop();
  return undefined;
}

async function makeRun(t: LessonKit, level: string | undefined): Promise<Run> {
  const withLogDir = level !== WITHOUT_LOG_DIR;
  const nodeEnv = DEVELOPMENT_LEVELS.has(level) ? 'development' : TEST_LEVELS.has(level) ? 'test' : NO_NODE_ENV_LEVELS.has(level) ? undefined : OTHER_ENV_LEVELS.has(level) ? OTHER_ENV : 'production';
  const label = `${level === undefined ? 'at the default level' : `with LOG_LEVEL=${level}`}${withLogDir ? '' : ' and no LOG_DIR'}${nodeEnv === 'production' ? '' : nodeEnv === undefined ? ' and NODE_ENV unset' : ` and NODE_ENV=${nodeEnv}`}`;
  const logDir = withLogDir ? t.tempDir('course-07-logs-') : undefined;
  // Without LOG_DIR, the app runs in an empty folder of its own: it must write no file there (and none lands in the learner's folder).
  const cwd = withLogDir ? undefined : t.tempDir('course-07-cwd-');
  // And a TMPDIR and HOME of its own, empty too: no default folder in os.tmpdir() or os.homedir() either.
  const tmp = withLogDir ? undefined : t.tempDir('course-07-tmp-');
  const home = withLogDir ? undefined : t.tempDir('course-07-home-');
  const signal = level === SIGINT_LEVEL ? 'SIGINT' : 'SIGTERM';
  // The default run may move the app's timers ahead before SIGTERM: a file the app's preload watches.
  const timersFile = level === undefined ? path.join(t.tempDir('course-07-timers-'), 'move') : undefined;
  // The run without LOG_DIR notes every path the app opens for writing, wherever it is (a fixed /var/log/bookshop too).
  const writesFile = withLogDir ? undefined : path.join(t.tempDir('course-07-writes-'), 'opened');
  // Files the app writes are newer than this. Not a second earlier: the grader compiled the app's copy
  // moments before the first run, and on a fast machine those files would count as written by the app.
  // 20 ms covers the file system's coarse clock; the app writes nothing before it has even started.
  const startedAt = Date.now() - 20;
  const env = {
    // The error file follows LOG_DIR, and the log's rules hold, whatever NODE_ENV says: runs are made in development, under test and without NODE_ENV.
    ...(nodeEnv === undefined ? {} : { NODE_ENV: nodeEnv }),
    // Under test, as a test runner starts it: npm test, Jest and Vitest each set a variable of their own.
    ...(nodeEnv === 'test' ? UNDER_TEST_RUNNER : {}),
    ...(timersFile ? { COURSE_TIMERS_FILE: timersFile, NODE_OPTIONS: `--import data:text/javascript,${encodeURIComponent(timersShim)}` } : {}),
    ...(writesFile ? { COURSE_WRITES_FILE: writesFile, NODE_OPTIONS: `--import data:text/javascript,${encodeURIComponent(writesShim)}` } : {}),
    ...(level === ERROR_LEVEL ? { NODE_OPTIONS: `--import data:text/javascript,${encodeURIComponent(rejectionShim)}` } : {}),
    ...(logDir ? { LOG_DIR: logDir } : {}),
    ...(tmp && home ? { TMPDIR: tmp, TMP: tmp, TEMP: tmp, HOME: home } : {}),
    ...(level === undefined ? {} : { LOG_LEVEL: level }),
    // Timestamps written in local time without a zone are read in the grader's time zone.
    ...(globalThis.process.env.TZ ? { TZ: globalThis.process.env.TZ } : {}),
  };
  // An error.log as an earlier start would have left it: the app appends to it, in every environment.
  const seed = `${JSON.stringify({ level: 'error', message: `An error an earlier start logged (the grader wrote this line) ${Math.random().toString(36).slice(2, 8)}`, timestamp: new Date(startedAt - 60_000).toISOString() })}\n`;
  if (logDir) writeFileSync(path.join(logDir, 'error.log'), seed);
  const started = await t.serverOrExit({ env, ...(cwd ? { cwd } : {}) });
  if (!('client' in started)) {
    if (level === undefined || !MAY_REFUSE.has(level)) {
      fail(
        `Expected src/server.ts to keep running ${label}, but it ${started.description} during startup. ` +
          (withLogDir ? 'Its output is below.' : 'LOG_DIR is optional: without it, log to stdout only, with no error file (its output is below).'),
      );
    }
    const refusedStdout = parseLines(`${started.stdout ?? ''}\n`);
    return { label, nodeEnv, logDir, output: started.output, startupOutput: started.output, refused: started, sent: [], stdout: [], stdoutText: '', shutdownFrom: 0, stderr: [], stderrText: '', files: [], logFiles: [], secrets: {}, lostNote: '', signal, leftInCwd: [], leftElsewhere: [], opened: [], stillRunning: false, besideSource: [], refusedStdout };
  }
  const { client, process } = started;
  const startupOutput = process.output();
  // Served at the lowest level of winston or of pino: the other levels of that logger start meanwhile.
  if (level === WINSTON_ONLY_LEVEL || level === PINO_ONLY_LEVEL) {
    for (const value of level === WINSTON_ONLY_LEVEL ? WINSTON_LEVELS : PINO_LEVELS) {
      if (value !== 'info' && !LEVELS.some((tried) => tried === value)) t.startShared(startKey(value), () => makeStart(t, value));
    }
  }

  const mark = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const password = `pw-${mark}`;
  // Short enough to fit whole in the window of input V8 quotes in a JSON.parse error message.
  const shortPassword = `pw${mark.slice(-6)}`;
  const cookie = { Cookie: `sid=ck-${mark}` };
  const headers = { Authorization: `Bearer tok-${mark}`, ...cookie };
  // A failed login for an address with no account: a path of its own in a login route.
  const strangerPassword = `px-${mark}`;
  // Basic credentials: an Authorization header that is a password too, base64-encoded.
  const basicPassword = `pb-${mark}`;
  const basic = Buffer.from(`${ACCOUNT.email}:${basicPassword}`).toString('base64');
  // Below info, the login with a query string (a redirect after sign-in): the same route as /login, which a mask keyed on the URL misses.
  // Spelled /Login/ too, which reaches the same route (Express matches paths in any case, with or without a trailing
  // slash): a mask keyed on req.path === '/login' misses it (red team 07 r10).
  const loginPath = level === undefined ? '/login' : '/Login/?next=%2Forders';
  const sent: Sent[] = [];
  const send = async (what: string, request: () => Promise<Reply>) => {
    const sentAt = Date.now();
    const reply = await request();
    sent.push({ what, reply, sentAt, gotAt: Date.now() });
    return reply;
  };
  let token: unknown;
  const books = await send('answered by its route', () => client.get('/books', { headers: cookie }));
  if (level === WITHOUT_LOG_DIR) {
    // Routine answers that are not 200: a 304 to a conditional GET (the ETag express sets), and a
    // successful login whose body comes over a second late: slow, and still routine (info, not warn).
    const etag = books.headers.etag;
    if (typeof etag === 'string') await send('answered 304 Not Modified to its If-None-Match', () => client.get('/books', { headers: { 'If-None-Match': etag } }));
    const { reply, sentAt } = await slowBody(started.port, '/login', JSON.stringify(ACCOUNT), SLOW_BODY_MS, () => Promise.resolve());
    sent.push({ what: `a successful login whose body came ${SLOW_BODY_MS} ms late`, reply, sentAt, gotAt: Date.now() });
  }
  let slow: Run['slow'];
  if (level === undefined) {
    // Two requests in flight at once: each one's duration runs from its own arrival.
    const { reply, sentAt, continuedAt, bodySentAt } = await slowBody(started.port, '/books', JSON.stringify({ title: 'Refactoring' }), SLOW_BODY_MS, () =>
      send('answered by its route while a POST waited for its body', () => client.get('/books')),
    );
    const entry = { what: `matched by no route, whose JSON body came once GET /books was answered meanwhile`, reply, sentAt, gotAt: Date.now() };
    sent.push(entry);
    if (continuedAt !== undefined) slow = { sent: entry, gapMs: bodySentAt - continuedAt };
  }
  if (FULL_RUNS.has(level as Level)) {
    // At trace and silly, only the requests that carry secrets: those runs are searched for them.
    const everyRoute = level === undefined || level === 'debug';
    if (everyRoute) await send('answered by its route', () => client.get('/books/1'));
    if (everyRoute) await send('answered 404 by its route', () => client.get('/books/999'));
    await send('a failed login, answered 401', () => client.post('/login', { headers, body: { email: ACCOUNT.email, password } }));
    await send('a failed login for an address that has no account', () => client.post(loginPath, { body: { email: 'nobody@example.org', password: strangerPassword } }));
    // A body express.json() cannot parse: its error carries the raw body, password and all.
    await send('with a body express.json() cannot parse', () => client.post('/login', { headers: { ...headers, 'Content-Type': 'application/json' }, body: `{"email":"${ACCOUNT.email}","password":"${password}"` }));
    // A short one whose parse error message quotes it, password and all: Unexpected token 'p', ..."password":pw1a2b3c}" is not valid JSON.
    await send('with a short body express.json() cannot parse', () => client.post('/login', { headers: { 'Content-Type': 'application/json' }, body: `{"password":${shortPassword}}` }));
    const login = await send('a successful login', () => client.post('/login', { body: ACCOUNT }));
    token = (login.json as { token?: unknown } | undefined)?.token;
    // Header names and the scheme in lower case, as many clients send them (HTTP/2 always does): a mask keyed on the exact
    // spelling Authorization, Cookie or Bearer misses them (red team 07 r10).
    await send('refused because it is not signed in (its headers named in lower case, the scheme too)', () =>
      client.get('/orders', { headers: { authorization: `bearer tok-${mark}`, cookie: `sid=ck-${mark}` } }),
    );
    await send('with an Authorization header of the Basic scheme (email:password in base64)', () => client.get('/orders', { headers: { Authorization: `Basic ${basic}` } }));
    await send('made signed in', () => client.get('/orders', { headers: { Authorization: `Bearer ${typeof token === 'string' ? token : 'none'}`, ...cookie } }));
    // And a scheme other than Bearer and Basic: the whole header is a credential, whatever its scheme.
    if (everyRoute) await send('with a method no route takes (an Authorization header of the Token scheme)', () => client.request('DELETE', '/books/1', { headers: { Authorization: `Token tok-${mark}`, ...cookie } }));
    // Methods no route names: HEAD, which Express answers from the GET route, and OPTIONS (here the catch-all answers it 404).
    if (everyRoute) await send('with the method HEAD, which Express answers from the GET route', () => client.head('/books'));
    if (everyRoute) await send('with the method OPTIONS, which no route names', () => client.request('OPTIONS', '/books'));
    // A routine answer that is not 200: a 304 to a conditional GET (the ETag express sets) gets its access line at info too.
    const etag = books.headers.etag;
    if (everyRoute && typeof etag === 'string') await send('answered 304 Not Modified to its If-None-Match', () => client.get('/books', { headers: { 'If-None-Match': etag } }));
  }
  if (level === undefined) {
    // A path that decodeURI() cannot read: the access line logs it as it came (req.originalUrl), and the app goes on.
    const before = sent.length;
    const unanswered = await send('with a malformed percent-escape in its path', () => client.get(MALFORMED_PATH)).then(() => undefined, (error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (!process.running) {
      failAbout(
        `Expected src/server.ts to keep serving after GET ${MALFORMED_PATH} (a malformed percent-escape), got a process that ${process.describeExit() ?? 'exited'} after it. ` +
          'Log the path as the client sent it (req.originalUrl): decodeURI() and decodeURIComponent() throw on a malformed escape, and a throw in a finish listener ends the process.',
        process.output(),
        sent.length > before ? sent[sent.length - 1]!.reply.request : undefined,
      );
    }
    if (unanswered) throw unanswered;
  }
  await send('matched by no route', () => client.get('/no-such-page', { headers }));
  const failing = await send('that failed', () => client.get(FAILING, { headers }));

  // Time passing: timers due within TIMERS_AHEAD_MS fire now (a periodic report of the app's own, say).
  let timersFrom: number | undefined;
  if (timersFile) {
    timersFrom = completeLines(process.streamOutput('stdout')).length;
    writeFileSync(timersFile, String(TIMERS_AHEAD_MS));
    const until = Date.now() + 3000;
    while (!existsSync(`${timersFile}.ack`) && process.running && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    if (process.running && !existsSync(`${timersFile}.ack`)) throw new CannotJudge(`The grader could not move your app's timers ahead (no answer from the process within 3 s).`);
  }

  // Loggers that write from another thread or to files write late: the last request's lines first.
  const filesSize = async () => (logDir ? await readAllFiles(logDir) : []).reduce((size, file) => size + file.text.length, 0);
  await pollFor(() => parseLines(process.streamOutput('stdout')).some((entry) => accessFields(entry).path === FAILING || stringsOf(entry).some((text) => FAILURE.test(text))));
  await settle(async () => process.mark + (await filesSize()), 250, 1000);
  // A promise rejected that nothing handles (the run at error, whose exit no check judges): what the app prints then is output too.
  let rejectedFrom: number | undefined;
  let stderrRejectedFrom: number | undefined;
  if (level === ERROR_LEVEL && process.running) {
    rejectedFrom = completeLines(process.streamOutput('stdout')).length;
    stderrRejectedFrom = completeLines(process.streamOutput('stderr')).length;
    process.child.kill('SIGUSR2');
    await settle(async () => process.mark, 150, 600);
  }
  // A client still sending its body as the signal comes (the default run): server.close() waits for it, and the app must exit within 5 s all the same.
  let inFlight: net.Socket | undefined;
  if (level === undefined && process.running) {
    inFlight = await new Promise<net.Socket | undefined>((resolve) => {
      const socket = net.connect(started.port, '127.0.0.1', () => {
        socket.write(`POST ${IN_FLIGHT_PATH} HTTP/1.1\r\nHost: 127.0.0.1:${started.port}\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n{"email":"reader@example.com",`, () => resolve(socket));
      });
      socket.on('error', () => resolve(undefined));
    });
    // Until the app has read its headers: express.json() then waits for the rest of the body.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const shutdownFrom = completeLines(process.streamOutput('stdout')).length;
  const stderrShutdownFrom = completeLines(process.streamOutput('stderr')).length;
  // Up to the exit: a drain of a few seconds is fine, an app still running after EXIT_WITHIN_MS is killed.
  const exit = await process.stop(EXIT_WITHIN_MS + (inFlight ? EXIT_SLACK_MS : 0), signal);
  inFlight?.destroy();
  const stillRunning = exit.signal === 'SIGKILL';
  // The copy of the app the grader runs (…/src/server.js): no log file may land beside the code either.
  const script = process.child.spawnargs.find((arg) => /[\\/]src[\\/]server\.js$/.test(arg));
  const besideSource = script ? writtenSince(path.dirname(path.dirname(script)), startedAt) : [];

  const written = logDir ? await readAllFiles(logDir) : [];
  const seeded = written.find((file) => file.name === 'error.log');
  // A file the app renamed error.log to at startup (error-<time>.log) still holds the grader's line.
  const movedTo = written.find((file) => file !== seeded && file.text.includes(seed))?.name;
  const moved = movedTo ? ` (the app moved it to ${movedTo} at startup)` : '';
  const seedGone =
    !logDir || seeded?.text.includes(seed)
      ? undefined
      : seeded
        ? `error.log holding ${((count) => `${count} line${count === 1 ? '' : 's'}`)(seeded.text.split('\n').filter((line) => line.trim()).length)}, without it${moved}`
        : `no error.log at all: it was ${movedTo ? 'renamed' : 'deleted'}${moved}`;
  // The checks judge what the app wrote: the grader's line aside, and error.log aside if that line is all it holds.
  const files = written.map((file) => (file === seeded ? { ...file, text: file.text.replace(seed, '') } : file)).filter((file) => !(seeded && file.name === seeded.name && file.text.length === 0));
  const stdoutText = process.streamOutput('stdout');
  const stderrText = process.streamOutput('stderr');
  const lost = process.lost.stdout;
  return {
    label,
    nodeEnv,
    logDir,
    output: process.output(),
    startupOutput,
    sent,
    failing,
    // The process has ended: a last line without a newline is complete too.
    stdout: parseLines(`${stdoutText}\n`),
    stdoutText,
    shutdownFrom,
    stderrShutdownFrom,
    stderr: parseLines(`${stderrText}\n`),
    stderrText,
    files,
    logFiles: files.filter((file) => !/[\\/]/.test(file.name) && file.name.endsWith('.log')).map((file) => ({ ...file, entries: parseLines(`${file.text}\n`) })),
    secrets: {
      'the password sent to POST /login': password,
      'the password in a short body express.json() could not parse (its error message quotes it)': shortPassword,
      'the password of the account that signed in': ACCOUNT.password,
      [`the password sent to POST ${loginPath} for an address with no account`]: strangerPassword,
      'the Authorization header of the Basic scheme (email:password in base64)': basic,
      'the password inside an Authorization header of the Basic scheme': basicPassword,
      'the Authorization header': `tok-${mark}`,
      'the Cookie header': `ck-${mark}`,
      ...(typeof token === 'string' && token.length >= 8 ? { 'the bearer token POST /login issued': token } : {}),
    },
    signal,
    leftInCwd: cwd ? readdirSync(cwd) : [],
    ...(seedGone ? { seedGone } : {}),
    opened: writesFile && existsSync(writesFile) ? readFileSync(writesFile, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as string) : [],
    leftElsewhere: [
      ...(tmp ? everythingIn(tmp).map((name) => `TMPDIR (os.tmpdir())/${name}`) : []),
      ...(home ? everythingIn(home).map((name) => `HOME (os.homedir())/${name}`) : []),
    ],
    slow,
    timersFrom,
    ...(rejectedFrom === undefined ? {} : { rejectedFrom, stderrRejectedFrom }),
    ...(inFlight ? { inFlight: IN_FLIGHT } : {}),
    stillRunning,
    besideSource,
    refusedStdout: [],
    lostNote:
      lost > 0
        ? ` The grader keeps the last ${megabytes(OUTPUT_LIMIT)} of an app's output, and this app printed ${megabytes(lost)} on stdout before that: those lines were not seen. Log less per request.`
        : '',
  };
}

/** A start of its own, beside the runs: what it wrote, and how it ended if it never served. */
interface Extra {
  label: string;
  output: string;
  stdout: LogEntry[];
  stderr: LogEntry[];
  refused?: StartupExit;
  /** For the restart: every file under LOG_DIR before it (as the run at error left them) and after it. */
  before?: LogFile[];
  files?: LogFile[];
  /** For the restart: its request to a path no route matches. */
  reply?: Reply;
  /** For the start under test: index in `stdout` of the first line that arrived after the signal, and when the signal was sent (Date.now()). */
  shutdownFrom?: number;
  signalAt?: number;
  /** Started without LOG_DIR: every file it left in its working directory, TMPDIR or HOME, or opened for writing anywhere. */
  wrote?: string[];
  /** Asked a failed login too: the secrets it sent, and what the app wrote. */
  secrets?: Record<string, string>;
  stdoutText?: string;
  stderrText?: string;
}

type ExtraKey = 'restart' | 'quiet' | 'busy' | 'devWarn' | 'bare' | 'badPort';

/**
 * A copy of the LOG_DIR the run at error left once it exited (undefined if it refused or had none): each
 * start that must keep what the files held (in development, under test, without NODE_ENV, in production
 * on a port in use) gets one of its own, so that they go side by side.
 */
async function errorRunLogDir(t: LessonKit): Promise<string | undefined> {
  // Not runAt(): that starts every extra, the caller among them, before it is registered.
  const first = await t.shared(runKey(ERROR_LEVEL), () => makeRun(t, ERROR_LEVEL));
  if (first.refused || !first.logDir) return undefined;
  const copy = t.tempDir('course-07-logs-');
  cpSync(first.logDir, copy, { recursive: true });
  return copy;
}
const AGAIN = 'started again on (a copy of) the LOG_DIR of the run with LOG_LEVEL=error once it had exited';

/**
 * Starts the app with `env` (on `logDir`, if given), asks it `paths`, stops it: what it wrote, and the files
 * under `logDir` before and after.
 */
async function startAndAsk(t: LessonKit, label: string, env: Record<string, string>, paths: string[], waitForStartupLine = false, logDir?: string, withLogin = false): Promise<Extra> {
  const before = logDir ? await readAllFiles(logDir) : undefined;
  // Without LOG_DIR (an empty one is no LOG_DIR either), whatever it writes is watched.
  const watch = logDir ? undefined : watchWrites(t);
  const started = await t.serverOrExit({ env: { ...env, ...watch?.env, ...(logDir ? { LOG_DIR: logDir } : {}) }, cwd: watch?.cwd ?? t.tempDir('course-07-cwd-') });
  if (!('client' in started)) return { label, output: started.output, stdout: [], stderr: [], refused: started, before, ...(logDir ? { files: await readAllFiles(logDir) } : {}), ...(watch ? { wrote: watch.wrote() } : {}) };
  const { client, process } = started;
  // The startup line, logged as the app began to listen, arrives now, not once a buffer fills (up to 3 s for a logger's worker thread to start).
  if (waitForStartupLine) await pollFor(() => completeLines(process.streamOutput('stdout')).length > 0, 3000);
  // A failed login with secrets in its body and headers: the rule holds in this environment too.
  const mark = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const secrets: Record<string, string> = withLogin ? { 'the password sent to POST /login': `pw-${mark}`, 'the Authorization header': `tok-${mark}`, 'the Cookie header': `ck-${mark}` } : {};
  if (withLogin) await client.post('/login', { headers: { Authorization: `Bearer tok-${mark}`, Cookie: `sid=ck-${mark}` }, body: { email: ACCOUNT.email, password: `pw-${mark}` } });
  let reply: Reply | undefined;
  for (const each of paths) reply = await client.get(each);
  if (reply) await pollFor(() => parseLines(process.streamOutput('stdout')).some((entry) => accessFields(entry).path === reply.request.path), 1000);
  const shutdownFrom = completeLines(process.streamOutput('stdout')).length;
  const signalAt = Date.now();
  await process.stop(EXIT_WITHIN_MS);
  const files = logDir ? await readAllFiles(logDir) : undefined;
  const stdout = parseLines(`${process.streamOutput('stdout')}\n`);
  return {
    label,
    output: process.output(),
    stdout,
    stderr: parseLines(`${process.streamOutput('stderr')}\n`),
    before,
    files,
    ...(reply ? { reply } : {}),
    shutdownFrom,
    signalAt,
    ...(watch ? { wrote: watch.wrote() } : {}),
    ...(withLogin ? { secrets, stdoutText: process.streamOutput('stdout'), stderrText: process.streamOutput('stderr') } : {}),
  };
}
const extra = (t: LessonKit, key: ExtraKey) => t.shared(`07-extra:${key}`, () => EXTRAS[key](t));

const EXTRAS: Record<ExtraKey, (t: LessonKit) => Promise<Extra>> = {
  /**
   * Started again on the LOG_DIR of the run at error once that one has exited, with NODE_ENV=development
   * and LOG_LEVEL unset: the error file must keep what the first run wrote (a file opened with flags 'w'
   * is emptied at every start, and the record with it), and the level is info there too.
   */
  async restart(t) {
    const label = `with NODE_ENV=development and LOG_LEVEL unset, ${AGAIN}`;
    const logDir = await errorRunLogDir(t);
    return logDir ? startAndAsk(t, label, { NODE_ENV: 'development' }, ['/no-such-page'], false, logDir) : { label, output: '', stdout: [], stderr: [] };
  },
  /**
   * Started under NODE_ENV=test with LOG_LEVEL unset (a Jest habit: silent unless a level is asked for),
   * without LOG_DIR: its startup line must come as it is logged (not once a buffer fills or the app exits),
   * and a path no route matches writes no line below info.
   */
  quiet: (t) => startAndAsk(t, 'with NODE_ENV=test and LOG_LEVEL unset', { NODE_ENV: 'test', ...UNDER_TEST_RUNNER }, ['/no-such-page'], true, undefined, true),
  /**
   * NODE_ENV unset (a laptop), LOG_LEVEL and LOG_DIR set but empty (as a compose file writes them): an
   * empty value counts as unset (lesson 06), so info is the level and there is no error file.
   */
  bare: (t) => startAndAsk(t, 'with NODE_ENV unset and LOG_LEVEL and LOG_DIR empty', { LOG_DIR: '', LOG_LEVEL: '' }, ['/books', '/no-such-page']),
  /** Started under NODE_ENV=development with LOG_LEVEL=warn and asked GET /books: an app that chooses its own level while developing writes that request's info line. */
  async devWarn(t) {
    const label = 'with NODE_ENV=development and LOG_LEVEL=warn';
    const watch = watchWrites(t);
    const started = await t.serverOrExit({ env: { NODE_ENV: 'development', LOG_LEVEL: 'warn', ...watch.env }, cwd: watch.cwd });
    if (!('client' in started)) return { label, output: started.output, stdout: [], stderr: [], refused: started, wrote: watch.wrote() };
    const reply = await started.client.get('/books');
    await started.process.stop(EXIT_WITHIN_MS);
    return { label, output: started.process.output(), stdout: parseLines(`${started.process.streamOutput('stdout')}\n`), stderr: parseLines(`${started.process.streamOutput('stderr')}\n`), reply, wrote: watch.wrote() };
  },
  /**
   * Started with PORT=abc, a setting that names no port: what it prints as it refuses to start (its own
   * check, as lesson 06 teaches, or Node's ERR_SOCKET_BAD_PORT on stderr) is read by the collector too.
   */
  async badPort(t) {
    const label = 'with PORT=abc, a setting that names no port';
    const run = await t.startup({ env: { NODE_ENV: 'production', PORT: 'abc' }, cwd: t.tempDir('course-07-cwd-'), anyPort: true }, 3000, true);
    return { label, output: run.output, stdout: parseLines(`${run.stdout ?? ''}\n`), stderr: [] };
  },
  /** Started on a PORT another process holds: what it prints as it fails to listen is read by the collector too. */
  async busy(t) {
    const holder = await new Promise<net.Server | undefined>((resolve) => {
      const server = net.createServer((socket) => socket.destroy());
      server.once('error', () => resolve(undefined));
      server.listen(0, () => resolve(server));
    });
    if (!holder) throw new CannotJudge('The grader could not hold a port open to start the app on a port in use.');
    const port = (holder.address() as AddressInfo).port;
    try {
      const label = `with PORT=${port}, a port another process held open`;
      // In production without LOG_DIR: a default folder there (/var/log/bookshop) is made as the logger is, before the listen fails.
      const watch = watchWrites(t);
      const run = await t.startup({ env: { NODE_ENV: 'production', PORT: String(port), ...watch.env }, cwd: watch.cwd }, 3000, true);
      return { label, output: run.output, stdout: parseLines(`${run.stdout ?? ''}\n`), stderr: [], wrote: watch.wrote() };
    } finally {
      holder.close();
    }
  },
};

/** A log line as it reads best in a one-line message: as written, in backticks, cut short. */
function describeLine(line: string, max = 110): string {
  const flat = line.replace(/\s+/g, ' ').trim();
  return `\`${flat.length > max ? `${flat.slice(0, max - 1)}…` : flat}\``;
}

/**
 * Fails with what the failure is about: the output it was seen in (the report shows it, and takes its
 * "Look at" line from the stack frames in it) and the request that showed it, or none for a fault seen at
 * startup or shutdown (no curl line then, rather than the last request some run sent).
 */
function failAbout(message: string, output: string, request?: Reply['request']): never {
  const error = new CheckFailure(message) as CheckFailure & { about: FailureAbout };
  error.about = { output, ...(request ? { request } : {}) };
  throw error;
}

/**
 * Fails with no "Look at" line: the fault is in what the app writes (a field, a mask, a cut stack, a
 * format), not where a stack in its output was thrown, which would send the learner to the wrong file.
 */
function failWithoutPointer(message: string): never {
  const error = new CheckFailure(message) as CheckFailure & { locateIn: string };
  error.locateIn = '';
  throw error;
}

/** A run outside production that wrote nothing on stdout, while the production run wrote lines: the environment silenced the logger. */
function silencedOutsideProduction(run: Run, production: Run): string | undefined {
  if (run.refused || run.nodeEnv === 'production' || run.stdout.length > 0 || production.stdout.length === 0) return undefined;
  const noLogDir = run.label.includes('no LOG_DIR');
  // What the app wrote on stderr before the grader's unhandled rejection (Node reports that one there by itself).
  const stderr = run.stderr.slice(0, run.stderrRejectedFrom);
  if (stderr.length > 0) {
    // Not silenced: written to the other stream (a Console transport with stderrLevels, pino.destination(2)).
    return (
      `Expected JSON lines on stdout ${run.label}, the error of GET ${FAILING} at least, got nothing on stdout: its ${stderr.length} line${stderr.length === 1 ? '' : 's'} went to stderr, such as ${describeLine(stderr[0]!.line, 90)}. ` +
      "Every line goes to stdout, errors included, the stream the platform collects as the log: no stderrLevels on winston's Console transport, no pino.destination(2)."
    );
  }
  return (
    `Expected JSON lines on stdout ${run.label}, the error of GET ${FAILING} at least, got nothing at all on stdout, while the run in production${noLogDir ? ', with LOG_DIR,' : ''} wrote ${production.stdout.length} lines. ` +
    `NODE_ENV changes neither the format nor whether lines are written: don't silence the logger in one environment (silent: ${run.nodeEnv === undefined ? '!process.env.NODE_ENV' : `process.env.NODE_ENV === '${run.nodeEnv}'`} writes nothing, errors included)` +
    (noLogDir ? ', and keep its console transport with or without LOG_DIR.' : ', and keep its console transport in all.') +
    (run.nodeEnv === 'test' ? ` The grader started it as a test runner does on a CI machine (${UNDER_TEST_NAMES}): none of those may silence it either.` : '')
  );
}

/** The advice for an error line that has a stack, but not the failing code's message: a new Error made where it was caught. */
const NEW_ERROR_ADVICE =
  "That is the stack and message of a new Error made in the handler (new Error('Request failed …', { cause: err }) included): the logger writes the handler's stack, not the one of the code that failed, and drops the cause. " +
  'Log the error the route passed on, as it is: logger.error(err), with any context as fields beside it.';

const megabytes = (characters: number) => `${(characters / 1024 / 1024).toFixed(1)} MB`;

/** Terminal colour codes, as winston's colorize() writes them around a level. */
const COLOUR_CODE = /\u001b\[[\d;]*m/;
const COLOURS_ADVICE = 'colorize() is for people at a terminal: leave it out of the log, in every environment (to read the JSON in colour while developing, pipe it through a pretty-printer such as pino-pretty).';

/** Whether a line holds an escape character (ESC, which starts every colour code), raw or escaped by JSON as \u001b. */
const hasColourCode = (line: string) => /\u001b|\\u001b/i.test(line);

/** The level of a line whose level field holds terminal colour codes, read without them. */
function colouredRank(entry: LogEntry): number | undefined {
  const raw = entry.fields?.level;
  return typeof raw === 'string' && COLOUR_CODE.test(raw) ? levelRank(raw.replace(new RegExp(COLOUR_CODE, 'g'), '')) : undefined;
}

/** A line written by pino or bunyan (numeric level, msg), whose Error serialiser works only under `err`. */
const pinoShaped = (entry: LogEntry) => typeof entry.fields?.level === 'number' && typeof entry.fields.msg === 'string';
const ERROR_ADVICE = {
  pino: "pino (like bunyan) writes an Error's message and stack only under the err key: logger.error(err) or logger.error({ err }, 'Request failed'); under any other key (error, e) it becomes {}.",
  winston: "Log the Error object itself, logger.error(err); with winston, add format.errors({ stack: true }) to the logger's format: logger.error('msg', { err }) and winston without it both lose them.",
};
const errorAdvice = (entry: LogEntry) => (pinoShaped(entry) ? ERROR_ADVICE.pino : ERROR_ADVICE.winston);

const isErrorLine = (entry: LogEntry) => (entry.rank ?? 0) >= 50;
const aboutFailure = (entry: LogEntry) => stringsOf(entry).some((text) => FAILURE.test(text));

/** A failure for a file that holds no error-level line: the cause when colour codes hide the level. */
function noErrorLine(files: ParsedFile[], expected: string): never {
  const coloured = files.flatMap((file) => file.entries.filter((entry) => (colouredRank(entry) ?? 0) >= 50).map((entry) => ({ file: file.name, entry })))[0];
  if (coloured) {
    fail(
      `${expected}, got ${describeLine(coloured.entry.line)} in ${coloured.file}, whose level ${show(coloured.entry.fields!.level)} holds terminal colour codes: ` +
        `no collector reads that as error. ${COLOURS_ADVICE}`,
    );
  }
  const entries = files.flatMap((file) => file.entries);
  fail(`${expected}, got ${files.map((file) => file.name).join(', ')} with ${entries.length ? `${entries.length} line${entries.length === 1 ? '' : 's'}, none at level error` : 'no line in it'}.`);
}

/**
 * Fails when the lines the run at error wrote under LOG_DIR are gone once the app started again on (a copy
 * of) that LOG_DIR: in development, under test, without NODE_ENV, and in production on a port in use.
 */
async function keptAcrossRestart(t: LessonKit): Promise<void> {
  // Every run with LOG_DIR started on an error.log the grader wrote first, as an earlier start would have (in production, development and under test).
  for (const level of LEVELS) {
    const run = await runAt(t, level);
    if (!run.seedGone) continue;
    failAbout(
      `Expected the line LOG_DIR/error.log held before the app started (the grader wrote it there, as an earlier start of the app would have) to be still there once the run ${run.label} had exited, got ${run.seedGone}. ` +
        `The error file is the record for when the collector is down: open it to append in every environment${run.nodeEnv === 'production' ? '' : `, ${run.nodeEnv === undefined ? 'with NODE_ENV unset' : `NODE_ENV=${run.nodeEnv}`} included`}, as winston's File transport and pino.destination do by default (${run.seedGone.includes('moved it to') ? 'renaming it away at every start takes its lines out of error.log just the same: rotate by size or date, if at all' : "flags: 'w' empties it at every start"}).`,
      run.startupOutput,
    );
  }
  for (const restart of [await extra(t, 'restart')]) {
    if (restart.refused) failAbout(`Expected src/server.ts to keep running ${restart.label}, but it ${restart.refused.description} during startup (its output is below).`, restart.output);
    const earlier = (restart.before ?? []).flatMap((file) => file.text.split('\n').filter((line) => line.trim()).map((line) => ({ file: file.name, line })));
    const after = (restart.files ?? []).map((file) => file.text).join('\n');
    const gone = earlier.filter(({ line }) => !after.includes(line));
    if (gone.length === 0) continue;
    const file = gone[0]!.file;
    const now = (restart.files ?? []).find((each) => each.name === file);
    failAbout(
      `Expected the lines in LOG_DIR/${file} to survive a restart, got ${gone.length} of the ${earlier.length} lines the run with LOG_LEVEL=error wrote under LOG_DIR gone once the app was started again ${restart.label.replace(`, ${AGAIN}`, '')} on that LOG_DIR (a copy of it, once that run had exited) (${file} now holds ${now ? `${now.text.split('\n').filter((line) => line.trim()).length} lines` : 'nothing: it is gone'}), such as ${describeLine(gone[0]!.line, 90)}. ` +
        "The error file is the record for when the collector is down: open it to append in every environment, as winston's File transport and pino.destination do by default (flags: 'w' empties it at every start).",
      restart.output,
    );
  }
}

/** Fails when a file under LOG_DIR holds a terminal colour code, in any run with LOG_DIR (in development too). */
async function noColourInFiles(t: LessonKit): Promise<void> {
  for (const level of LEVELS) {
    const run = await runAt(t, level);
    for (const file of run.files) {
      const line = file.text.split('\n').find(hasColourCode);
      if (line === undefined) continue;
      fail(
        `Expected no terminal colour codes in the files under LOG_DIR, got ${describeLine(line)} in LOG_DIR/${file.name} ${run.label}, which holds an escape character (\\u001b). ` +
          `The error file is read by tools, not at a terminal. ${COLOURS_ADVICE}`,
      );
    }
  }
}

/**
 * What is wrong with a run that should behave as LOG_LEVEL=warn: plain lines, lines below warn, or no
 * error on stdout. `asked` names the level in the message.
 */
function warnProblem(run: Run, asked: string, advice: { below: string; silenced: string }): string | undefined {
  const plain = run.stdout.find((entry) => !entry.fields);
  if (plain) return `Expected only JSON lines at level warn or above on stdout with ${asked}, got the plain line ${describeLine(plain.line)}, which no level can silence.`;
  const below = run.stdout.find((entry) => entry.rank === undefined || entry.rank < 40);
  if (below) {
    const coloured = colouredRank(below);
    if (coloured !== undefined) {
      return `Expected lines whose level a collector can read with ${asked}, got ${describeLine(below.line)}, whose level ${show(below.fields!.level)} holds terminal colour codes. ${COLOURS_ADVICE}`;
    }
    return `Expected ${asked} to silence info, got ${below.rank === undefined ? 'a line without a level' : `${below.level === 'info' ? 'an' : 'a'} ${below.level} line`}: ${describeLine(below.line)}. ${advice.below}`;
  }
  // warn is for what needs a look: a request answered 2xx or 3xx is routine, an info line, whatever level the app gave it.
  const routine = run.stdout.find((entry) => {
    const { status } = accessFields(entry);
    return status !== undefined && status < 400;
  });
  if (routine) {
    return (
      `Expected ${asked} to silence routine access lines, got ${describeLine(routine.line)} for a request answered ${accessFields(routine).status}, at level ${show(routine.fields?.level)}. ` +
      'A request that succeeded is routine: log it at info, so that LOG_LEVEL=warn turns it down (4xx at warn and 5xx at error, if you like).'
    );
  }
  // The error itself, message and stack, not only the 500's access line at level error.
  const errors = run.stdout.filter((entry) => isErrorLine(entry) && aboutFailure(entry));
  if (errors.some((entry) => stringsOf(entry).some((text) => STACK_FRAME.test(text)))) return undefined;
  if (errors.length) return `Expected the error of GET ${FAILING} on stdout with its stack with ${asked}, got ${describeLine(errors[0]!.line, 140)} without one. ${errorAdvice(errors[0]!)}`;
  const onStderr = run.stderr.some(isErrorLine);
  const other = run.stdout.find(isErrorLine);
  if (other && !onStderr && stringsOf(other).some((text) => STACK_FRAME.test(text))) {
    return `Expected the error of GET ${FAILING} itself on stdout with ${asked}, its message (ECONNREFUSED …) and its stack, got ${describeLine(other.line, 110)}. ${NEW_ERROR_ADVICE}`;
  }
  if (other && !onStderr) {
    return (
      `Expected the error of GET ${FAILING} itself on stdout with ${asked}, its message (ECONNREFUSED …) and its stack, got only ${describeLine(other.line, 110)}. ` +
      'The error file is a copy for when LOG_DIR is set: log the error object through the logger whose console transport writes stdout, in every environment.'
    );
  }
  return (
    `Expected the error of GET ${FAILING} on stdout with ${asked}, got ${onStderr ? 'it on stderr only' : run.stdout.length ? 'no error line on stdout' : 'nothing at all on stdout'}. ` +
    (onStderr ? 'LOG_LEVEL sets the least severe level kept; errors stay, on stdout.' : advice.silenced)
  );
}

/** What is wrong with the way the app refused a LOG_LEVEL, or undefined when it refused it well. */
function refusalProblem(run: Run, value: string): string | undefined {
  const refused = run.refused!;
  if (refused.exit.code === 0) {
    return `Expected an app that refuses to start ${run.label} to exit with a non-zero code, got one that ${refused.description} without serving: a platform reads 0 as success and will not say why the service is gone. Call process.exit(1).`;
  }
  if (!refused.output.includes('LOG_LEVEL') && !refused.output.includes(value)) {
    return `Expected an app that refuses to start ${run.label} to say that LOG_LEVEL is the problem, got one that ${refused.description} without naming it (its output is below). Print which setting is wrong and what it accepts, as lesson 06 teaches.`;
  }
  return undefined;
}

/** Why an app that started at an unknown LOG_LEVEL is wrong: it dropped every line, or ignored the value. */
function unknownStarted(unknown: Run): string {
  const kept = unknown.stdout.some(isErrorLine);
  return (
    `Expected LOG_LEVEL=${UNKNOWN_LEVEL}, a name that is no level of any logger (only a property every JavaScript object inherits), to stop the app at startup, got an app that started and ` +
    (kept
      ? `ignored it (${unknown.stdout.filter((entry) => (entry.rank ?? 0) < 40).length} lines below warn on stdout): an operator's typo goes unnoticed. `
      : `dropped every line on stdout, the error of GET ${FAILING} included. `) +
    "Check LOG_LEVEL against the logger's own levels at startup with Object.hasOwn(levels, level) (not `in`, not levels[level], and not pino's own check, which all let inherited names through) and, if it names none, print what is wrong and exit 1, as lesson 06 teaches."
  );
}

/**
 * The first secret that `text` holds encoded, and the encoded text: base64 (base64url too) or hex runs
 * that decode to text holding a secret's value (a body logged as base64 holds the password whole).
 */
function encodedSecret(text: string, secrets: Record<string, string>): [string, string] | undefined {
  for (const [token] of text.matchAll(/[A-Za-z0-9+/_-]{12,}={0,2}/g)) {
    const decoded = [Buffer.from(token, 'base64').toString('latin1'), /^(?:[0-9a-fA-F]{2})+$/.test(token) ? Buffer.from(token, 'hex').toString('latin1') : ''];
    const found = Object.entries(secrets).find(([, value]) => decoded.some((bytes) => bytes.includes(value)));
    if (found) return [found[0], token];
  }
  return undefined;
}

/** How long a run of a secret's characters counts as that secret leaked: a mask that stops at the first '-' or '_' of a token leaves the rest. */
const SECRET_PART = 12;

/**
 * The first secret that `text` holds in part, and the part: a run of SECRET_PART characters or more of its
 * value (a redaction regex such as /Bearer [A-Za-z0-9]+/ masks a base64url token only up to its first '-').
 */
function partialSecret(text: string, secrets: Record<string, string>): [string, string] | undefined {
  for (const [name, value] of Object.entries(secrets)) {
    for (let from = 0; from + SECRET_PART <= value.length; from++) {
      const part = value.slice(from, from + SECRET_PART);
      if (!text.includes(part)) continue;
      let end = from + SECRET_PART;
      while (end < value.length && text.includes(value.slice(from, end + 1))) end++;
      return [name, value.slice(from, end)];
    }
  }
  return undefined;
}

/** The path of a request as an access line's path is read: without its query string (/login?next=%2Forders is /login). */
const pathPart = (requested: string) => requested.split('?')[0]!;

/** The lines of `stdout` that are access lines for the request of `reply`: its method, path and status. */
function accessLinesFor(stdout: LogEntry[], reply: Reply): { entry: LogEntry; access: AccessFields }[] {
  return stdout
    .map((entry) => ({ entry, access: accessFields(entry) }))
    .filter(({ access }) => access.method === reply.request.method && access.path === pathPart(reply.request.path) && access.status === reply.status);
}

/** Whether `pattern` is an Express route path (/books/:id, or its tail /:id) that `path` matches, with at least one parameter. */
function isRoutePatternOf(pattern: string | undefined, path: string): boolean {
  if (!pattern?.includes(':')) return false;
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('?')[0]!.split('/').filter(Boolean).slice(-want.length);
  return want.length > 0 && got.length === want.length && want.every((segment, index) => segment.startsWith(':') || segment === got[index]);
}

const milliseconds = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

/**
 * What is wrong with the timestamps of the lines a request of the default run wrote (its access line,
 * the failing route's error line): taken before the request was sent (frozen at startup) or long after
 * it was answered.
 */
function timestampProblem(run: Run): string | undefined {
  for (const { what, reply } of run.sent) {
    // Requests with the same method, path and status (GET /books twice): a line may be either one's.
    const twins = run.sent.filter(({ reply: other }) => other.request.method === reply.request.method && other.request.path === reply.request.path && other.status === reply.status);
    const sentAt = Math.min(...twins.map((twin) => twin.sentAt));
    const gotAt = Math.max(...twins.map((twin) => twin.gotAt));
    const lines = accessLinesFor(run.stdout, reply).map(({ entry }) => ({ entry, kind: 'the access line' }));
    if (reply === run.failing) lines.push(...run.stdout.filter((entry) => isErrorLine(entry) && aboutFailure(entry)).map((entry) => ({ entry, kind: 'the error line' })));
    for (const { entry, kind } of lines) {
      if (!entry.time) continue; // a line without a timestamp is named by the structure check
      const precision = entry.timePrecisionMs ?? 1000;
      const time = entry.time.getTime();
      const early = sentAt - precision - 5 - time;
      const late = time - (gotAt + LATE_TIMESTAMP_MS + precision);
      if (early <= 0 && late <= 0) continue;
      const times = new Set(run.stdout.map((line) => line.time?.getTime()));
      const frozen = early > 0 && run.stdout.length > 2 && times.size === 1;
      const zone = Math.max(early, late) > 30 * 60 * 1000 ? ' Is it written in local time without its zone? Write UTC, as toISOString() does.' : '';
      return (
        `Expected each line's timestamp to say when it was written, got ${describeLine(entry.line, 90)}, ${kind} of ${reply.request.method} ${reply.request.path} (a request ${what}), ` +
        `whose time reads ${entry.time.toISOString()}: ${early > 0 ? `${milliseconds(sentAt - time)} before the grader sent that request` : `${milliseconds(time - gotAt)} after the grader got its answer`}` +
        `${frozen ? '. Every line on stdout carries that same time, taken once' : ''}.${zone} ` +
        "Take the time as each line is logged: winston's format.timestamp() in the logger's format, or pino's own time; not a value computed once at startup."
      );
    }
  }
  return undefined;
}

lesson('07-logging', (t) => {
  // The checks read runs of the app (one per LOG_LEVEL) that they share; the runs go side by side.
  t.concurrently(() => {
    t.check('07.stdout-lines-are-json', async () => {
      const run = await runAt(t);
      if (run.stdout.length === 0) {
        fail(
          `Expected JSON log lines on stdout in production, got nothing on stdout${run.stderr.length ? ` (${run.stderr.length} lines went to stderr)` : ''}. ` +
            'Keep a console transport in every environment: the platform collects stdout.',
        );
      }
      // One run after another, so that the report shows the output of the run a failure is about last.
      for (const level of [undefined, SIGINT_LEVEL, 'warn', ERROR_LEVEL, PINO_ONLY_LEVEL, WINSTON_ONLY_LEVEL] as const) {
        const each = await runAt(t, level);
        const { label, stdout, stdoutText, shutdownFrom, refused, signal, timersFrom, rejectedFrom } = each;
        if (refused) continue; // trace or silly, which one of them the app's logger does not know: judged by 07.log-level-any-case-or-refused
        const silenced = silencedOutsideProduction(each, run);
        if (silenced) failAbout(silenced, each.output, each.failing?.request);
        // The lines of the shutdown go through the logger too, the last one included: a plain line on stderr (console.error)
        // after the signal is outside the log (red team 07 r10). Node's own warnings, "(node:…)", aside.
        const lateStderr = each.stderr.slice(each.stderrShutdownFrom ?? each.stderr.length).find((entry) => entry.line.trim() && !entry.fields && !/^\(node:\d+\)|^\(Use `node --trace/.test(entry.line));
        if (lateStderr) {
          failAbout(
            `Expected every line the app writes as it shuts down to go through the logger to stdout, up to the last one, got the plain line ${describeLine(lateStderr.line)} on stderr after ${signal}${label === 'at the default level' ? '' : ` ${label}`}. Write the last lines of the shutdown with the logger as well (logger.info), not console.error or console.log.`,
            each.stderr.slice(each.stderrShutdownFrom).map((entry) => entry.line).join('\n'),
          );
        }
        stdout.forEach((entry, index) => {
          const problem = structureProblem(entry);
          const coloured = hasColourCode(entry.line);
          if (!problem && !coloured) return;
          const last = index === stdout.length - 1 && !stdoutText.endsWith('\n') ? ', its last output, without a newline' : '';
          const timers =
            timersFrom !== undefined && index >= timersFrom && index < shutdownFrom
              ? `, printed once the grader moved the app's timers ${TIMERS_AHEAD_MS / 86_400_000} days ahead, each firing once (a setInterval or setTimeout of its own, daily, weekly or monthly too: what it logs as time passes)`
              : '';
          const rejected =
            rejectedFrom !== undefined && index >= rejectedFrom && index < shutdownFrom
              ? ", printed once the grader rejected a promise in the app that nothing handled (an error outside any request: process.on('unhandledRejection') or Node's own report of it)"
              : '';
          const when = `${label === 'at the default level' ? '' : ` ${label}`}${timers}${rejected}${index >= shutdownFrom ? `, printed after ${signal} while the app shut down${last}` : ''}`;
          if (!entry.fields) {
            const message =
              `Expected every line on stdout to be a JSON object, up to the exit, got the plain line ${describeLine(entry.line)}${when}. ` +
              `Write every line through a logger with a JSON format, ${index >= shutdownFrom ? 'the last ones at shutdown included' : timers ? 'those a timer of src/server.ts or src/logger.ts writes included' : rejected ? 'those of a process-wide handler included (log the reason with logger.error, its stack as a field, or leave it to Node, which reports it on stderr)' : 'from startup to shutdown'}: no console.log, no text format` +
              (label.includes('NODE_ENV=development') ? ', in development too (to read the JSON at a terminal, pipe it through a pretty-printer such as pino-pretty).' : label.includes('NODE_ENV') ? ', whatever NODE_ENV says, set or not.' : '.');
            // Written on a timer or at shutdown: no request of the grader's is the cause, and the failing route's stack is not where to look.
            if (timers || rejected || index >= shutdownFrom) failAbout(message, stdout.slice(index).map((each) => each.line).join('\n'));
            fail(message);
          }
          if (colouredRank(entry) !== undefined) {
            fail(`Expected every line on stdout to carry a level a collector can read, got ${describeLine(entry.line)}${when}, whose level ${show(entry.fields.level)} holds terminal colour codes. ${COLOURS_ADVICE}`);
          }
          if (coloured) {
            fail(`Expected no terminal colour codes on stdout, in any field, got ${describeLine(entry.line)}${when}, which holds an escape character (\\u001b). ${COLOURS_ADVICE}`);
          }
          fail(`Expected every line on stdout to carry a level, a message and a timestamp, got ${describeLine(entry.line)}${when}, which ${problem}.`);
        });
      }
      // A refusal is output too: what an app that will not start prints on stdout is read by the same collector.
      for (const level of LEVELS) {
        const { label, refused, refusedStdout } = await runAt(t, level);
        const plain = refused && refusedStdout.find((entry) => !entry.fields);
        if (plain) {
          // About the start that refused (its output, no request): no route was tried.
          failAbout(
            `Expected every line on stdout to be a JSON object, a refusal to start included, got the plain line ${describeLine(plain.line)} from an app that ${refused.description} ${label}. ` +
              'Print why it will not start on stderr (console.error), or as a JSON line through the logger: no console.log.',
            refused.output,
          );
        }
      }
      // Under test with LOG_LEVEL unset: a startup line at least (no logger silent there unless a level is asked for).
      const quiet = await extra(t, 'quiet');
      if (quiet.refused) failAbout(`Expected src/server.ts to keep running ${quiet.label}, but it ${quiet.refused.description} during startup (its output is below).`, quiet.output);
      if (quiet.stdout.length === 0) {
        failAbout(
          quiet.stderr.length
            ? `Expected the startup line on stdout ${quiet.label}, got nothing on stdout: its ${quiet.stderr.length} line${quiet.stderr.length === 1 ? '' : 's'} went to stderr, such as ${describeLine(quiet.stderr[0]!.line, 90)}. Every line goes to stdout, in every environment.`
            : `Expected the startup line on stdout ${quiet.label}, got nothing at all on stdout, while the run in production wrote ${run.stdout.length} lines. ` +
                `NODE_ENV changes neither the format nor whether lines are written, with or without LOG_LEVEL: don't silence the logger under test (silent: process.env.NODE_ENV === 'test' && !process.env.LOG_LEVEL writes nothing, errors included), nor when a test runner or a CI machine starts it (${UNDER_TEST_NAMES}).`,
          quiet.output,
        );
      }
      // Its startup line comes as it is logged: the grader waited up to 3 s for it, sent a request, waited
      // for that one's access line, and sent SIGTERM. Nothing before the signal, and lines logged a second and
      // more before it arriving after it: they were held in a buffer that had not filled (pino.destination({ minLength })).
      // Only when nothing at all came before the signal: a line whose timestamp was frozen at startup is no line held back.
      const heldQuiet = quiet.signalAt === undefined || quiet.shutdownFrom !== 0 ? [] : quiet.stdout.slice(quiet.shutdownFrom).filter((entry) => entry.time && entry.time.getTime() + (entry.timePrecisionMs ?? 1000) < quiet.signalAt! - 1000);
      if (heldQuiet.length) {
        failAbout(
          `Expected each line on stdout as it is logged, got ${heldQuiet.length} line${heldQuiet.length === 1 ? '' : 's'} ${quiet.label}, such as ${describeLine(heldQuiet[0]!.line, 90)}, ` +
            `logged over a second before SIGTERM but written to stdout only after it, as the app exited: the lines arrived late, held in a buffer until it filled or the process ended. ` +
            "A collector sees buffered lines late, and a crash loses them: write each line as it is logged (winston's Console, pino.destination({ sync: true }), or an asynchronous destination without minLength).",
          quiet.output,
        );
      }
      // A start that fails (its PORT taken) prints on stdout as every other line does: JSON, or nothing (stderr is for that).
      const busy = await extra(t, 'busy');
      const busyPlain = busy.stdout.find((entry) => !entry.fields);
      if (busyPlain) {
        failAbout(
          `Expected every line on stdout to be a JSON object, a failed start included, got the plain line ${describeLine(busyPlain.line)} ${busy.label}. ` +
            'Log why it cannot listen through the logger (logger.error(err) in the listen callback), or let the error reach stderr: no console.log.',
          busy.output,
        );
      }
      // A start refused for a bad setting (PORT=abc) likewise: JSON on stdout, or stderr.
      const badPort = await extra(t, 'badPort');
      const badPortPlain = badPort.stdout.find((entry) => !entry.fields);
      if (badPortPlain) {
        failAbout(
          `Expected every line on stdout to be a JSON object, a refusal to start included, got the plain line ${describeLine(badPortPlain.line)} ${badPort.label}. ` +
            'Print why it will not start on stderr (console.error), or as a JSON line through the logger: no console.log, for PORT as for every other setting.',
          badPort.output,
        );
      }
      const late = timestampProblem(run);
      if (late) fail(late);

      // The error itself, with its stack, on stdout (not only in the error file): the collector reads stdout, in the run with LOG_DIR as in the one without.
      const stdoutErrors = run.stdout.filter((entry) => isErrorLine(entry) && aboutFailure(entry));
      if (stdoutErrors.length && !stdoutErrors.some((entry) => stringsOf(entry).some((text) => STACK_FRAME.test(text)))) {
        const inFile = run.logFiles.some((file) => file.entries.some((entry) => isErrorLine(entry) && aboutFailure(entry) && stringsOf(entry).some((text) => STACK_FRAME.test(text))));
        t.reproduce(run.failing!.request);
        fail(
          `Expected the error of GET ${FAILING} on stdout with its stack at the default level (LOG_DIR set), got ${describeLine(stdoutErrors[0]!.line, 140)} without one${inFile ? ', while the error file under LOG_DIR has it' : ''}. ` +
            (inFile
              ? "The console transport's own format drops what the logger's format kept: write the same JSON to stdout as to the file, and remove no field (stack included) on one transport only."
              : errorAdvice(stdoutErrors[0]!)),
        );
      }
      // The whole stack: the route in src/app.ts that called salesReport too, not the frame that threw alone.
      const cut = stdoutErrors.filter((entry) => stringsOf(entry).some((text) => FAILING_FRAME.test(text)));
      if (cut.length && !cut.some((entry) => stringsOf(entry).some((text) => FAILING_FRAME.test(text) && CALLER_FRAME.test(text)))) {
        t.reproduce(run.failing!.request);
        failWithoutPointer(`Expected the error of GET ${FAILING} on stdout with its whole stack, salesReport in src/catalog.ts and the route in src/app.ts that called it, got a stack that stops before app.ts: ${describeLine(cut[0]!.line, 200)}. ${CALLER_ADVICE}`);
      }

      // Each line reaches stdout as it is logged: a buffer that holds lines until it fills or the app exits
      // shows them to the collector late, and a crash (SIGKILL, out of memory) loses them. The grader waited
      // for the failing request's lines (2 s at most) and for quiet before the signal: a line logged before
      // that request was even sent and written only after the signal was held back. Every full run is read:
      // a buffer flushed when it fills may happen to have just flushed in one of them, not in all.
      for (const each of await fullRuns(t)) {
        const failingSent = each.sent.find(({ reply }) => reply === each.failing);
        if (!failingSent) continue;
        const held = each.stdout.slice(each.shutdownFrom).filter((entry) => entry.time && entry.time.getTime() + (entry.timePrecisionMs ?? 1000) < failingSent.sentAt - 100);
        if (held.length === 0) continue;
        failAbout(
          `Expected each line on stdout as it is logged, got ${held.length} line${held.length === 1 ? '' : 's'} logged before GET ${FAILING} was sent${each.label === 'at the default level' ? '' : ` ${each.label}`}, such as ${describeLine(held[0]!.line, 90)}, ` +
            `that reached stdout only after ${each.signal}, as the app exited: the lines arrived late, held in a buffer. ` +
            'A collector sees buffered lines late, and a crash loses them: write each line as it is logged (winston\'s Console, pino.destination({ sync: true }), or an asynchronous destination without minLength).',
          each.output,
        );
      }

      // The lifecycle lines are log lines too: one at startup, one at shutdown, on SIGTERM and on SIGINT alike.
      for (const level of [undefined, SIGINT_LEVEL] as const) {
        const { label, stdout, stderr, shutdownFrom, signal, stillRunning, inFlight } = await runAt(t, level);
        const when = label === 'at the default level' ? '' : ` ${label}`;
        const firstAccess = stdout.findIndex((entry) => accessFields(entry).status !== undefined);
        const beforeRequests = stdout.slice(0, firstAccess === -1 ? shutdownFrom : Math.min(firstAccess, shutdownFrom));
        const onStderr = (entries: LogEntry[]) => (entries.length ? ` (stderr has ${describeLine(entries[0]!.line, 70)})` : '');
        if (stillRunning) {
          if (inFlight) {
            failAbout(
              `Expected src/server.ts to exit within ${EXIT_WITHIN_MS / 1000} s of ${signal}${when}, got a process still running ${(EXIT_WITHIN_MS + EXIT_SLACK_MS) / 1000} s after the signal (the grader killed it, as a platform does) while a client was still sending a request: ${IN_FLIGHT}. ` +
                'server.close() waits for every request in flight, and a client on a slow network may never finish its own: after a drain of a few seconds, exit anyway (a timer, unref()ed, that calls process.exit, or server.closeAllConnections()).',
              stdout.slice(shutdownFrom).map((entry) => entry.line).join('\n'),
            );
          }
          fail(
            `Expected src/server.ts to exit after ${signal}${when}, got a process still running ${EXIT_WITHIN_MS / 1000} s after the signal (the grader killed it, as a platform does), so the log has no end. ` +
              'Log the shutdown line, close the server, then exit: server.close(() => process.exit(0)). A drain of a few seconds before closing is fine; a timer or a connection left open keeps the process alive.',
          );
        }
        if (!beforeRequests.some((entry) => entry.fields && accessFields(entry).path === undefined)) {
          fail(
            `Expected a startup line on stdout${when} (such as {"level":"info","message":"Bookshop listening","port":3000,…}) before the first access line, got none${onStderr(stderr.filter((entry) => /listen|start|port/i.test(entry.line)))}. ` +
              'Lifecycle lines go through the logger, to stdout, like every other line: logger.info() in the listen callback of src/server.ts.',
          );
        }
        if (!stdout.slice(shutdownFrom).some((entry) => entry.fields && accessFields(entry).path === undefined)) {
          fail(
            `Expected a shutdown line on stdout${when} after ${signal} (such as {"level":"info","message":"Closing the server","signal":"${signal}",…}), got none${onStderr(stderr.filter((entry) => /clos|shut|bye|exit|stop|signal/i.test(entry.line)))}. ` +
              `Lifecycle lines go through the logger, to stdout: logger.info() in the handler src/server.ts runs on SIGTERM and on SIGINT alike.`,
          );
        }
      }
    });

    t.check('07.access-line-per-request', async () => {
      const run = await runAt(t);
      const lines = run.stdout.map((entry) => ({ entry, access: accessFields(entry) }));
      const linesFor = (reply: Reply) => lines.filter(({ access }) => access.method === reply.request.method && access.path === reply.request.path);
      for (const [index, { what, reply, sentAt, gotAt }] of run.sent.entries()) {
        const request = `${reply.request.method} ${reply.request.path}`;
        const complete = linesFor(reply).filter(({ access }) => access.status === reply.status && access.durationMs !== undefined);
        // Requests with the same method, path and status (two broken bodies to POST /login): one line each.
        const twins = run.sent.filter(({ reply: other }) => other.request.method === reply.request.method && other.request.path === reply.request.path && other.status === reply.status).length;
        if (complete.length > twins) {
          t.reproduce(reply.request);
          fail(
            `Expected one access line for ${request} (a request ${what}${twins > 1 ? `, sent ${twins} times` : ''}), got ${complete.length}: ${complete.slice(0, 2).map(({ entry }) => describeLine(entry.line, 90)).join(' and ')}. ` +
              "Log each request once, from the one middleware registered first, when it finishes: a second listener (such as 'close' beside 'finish') or a handler that logs it again doubles every count made from the log.",
          );
        }
        if (complete.length > 0 && complete.length < twins) {
          t.reproduce(reply.request);
          fail(`Expected one access line for each of the ${twins} requests ${request} (${what}) with status ${reply.status}, got ${complete.length}. Log every request from one middleware registered first, when the response finishes.`);
        }
        if (complete.length > 1) continue;
        if (complete.length === 1) {
          // Its duration was measured before the app took the next request, so before the grader got that one's answer.
          const next = run.sent[index + 1];
          const limit = (next ? next.gotAt : gotAt + LATE_TIMESTAMP_MS) - sentAt + 5;
          const { entry, access } = complete[0]!;
          if (access.durationMs! <= limit) continue;
          t.reproduce(reply.request);
          fail(
            `Expected the access line for ${request} (a request ${what}) to say how long it took, got ${access.duration} (read as ${milliseconds(access.durationMs!)}) ` +
              `for a request the grader sent and got answered within ${milliseconds(gotAt - sentAt)}${next ? ` (and the next one's answer within ${milliseconds(next.gotAt - sentAt)} of sending it)` : ''}: ${describeLine(entry.line, 90)}. ` +
              'Note the start time in the middleware for each request (performance.now() as it arrives), not once for the app, and write the duration in ms (durationMs), or with its unit ("0.004 s").',
          );
        }
        t.reproduce(reply.request);
        // A line with another status may be that of another request to the same path (POST /login answers 401, 400 and 200).
        const samePath = run.sent.filter(({ reply: other }) => other !== reply && other.request.method === reply.request.method && other.request.path === reply.request.path);
        const otherStatuses = new Set(samePath.map(({ reply: other }) => other.status));
        const near =
          linesFor(reply).find(({ access }) => access.status === reply.status) ??
          linesFor(reply).find(({ access }) => access.status === undefined) ??
          linesFor(reply).find(({ access }) => !otherStatuses.has(access.status!));
        if (!near) {
          const elsewhere = run.stderr.some((entry) => accessFields(entry).path === reply.request.path) ? ' on stdout (it went to stderr)' : '';
          // Written below info (winston's http or verbose, debug): the runs at lower levels show it.
          const lower = (await fullRuns(t))
            .flatMap((other) => other.stdout)
            .find((entry) => (entry.rank ?? 30) < 30 && accessFields(entry).path === reply.request.path && accessFields(entry).method === reply.request.method);
          // Again: the runs awaited just now count as sent by this check, and the curl line is this request's.
          t.reproduce(reply.request);
          if (!elsewhere && lower) {
            fail(
              `Expected an access line on stdout for ${request} (a request ${what}, status ${reply.status}) at the default level, got none: the runs at lower levels show it at level ${show(lower.fields?.level)}, ` +
                `below info, such as ${describeLine(lower.line, 90)}. The default level (info) drops it: log access lines at info (warn or error for failures, if you like).`,
            );
          }
          // A line for this request whose path is the route that answered it (/books/:id), not the URL asked for.
          const pattern = lines.find(({ access }) => access.method === reply.request.method && access.path !== reply.request.path && isRoutePatternOf(access.path, reply.request.path));
          if (!elsewhere && pattern) {
            failWithoutPointer(
              `Expected the access line for ${request} (a request ${what}, status ${reply.status}) to name the path the client asked for, got ${describeLine(pattern.entry.line, 90)}, whose path ${show(pattern.access.path)} is the route pattern. ` +
                "Log req.originalUrl, the URL the client asked for: the pattern (req.route.path) says which route answered, not which book was asked for, and it is unknown for requests no route matched.",
            );
          }
          fail(
            `Expected an access line on stdout for ${request} (a request ${what}, status ${reply.status}) with its method, path, status and duration, got none${elsewhere}. ` +
              `Log every request from one middleware registered first (before express.json() and the routes), when the response finishes.${run.lostNote}`,
          );
        }
        const missing = [
          near.access.status === undefined ? 'no status' : near.access.status !== reply.status ? `status ${near.access.status} instead of ${reply.status}` : '',
          near.access.durationMs === undefined ? 'no duration' : '',
        ].filter(Boolean);
        fail(`Expected the access line for ${request} (a request ${what}) to hold method, path, status and duration, got ${describeLine(near.entry.line)} with ${missing.join(' and ')}.`);
      }

      // Lower bounds: a duration can be too short as well as too long.
      const atLeast = [
        ...(run.failing ? [{ reply: run.failing, ms: FAILING_AT_LEAST_MS, why: 'a route that waits 5 ms for its database before it fails' }] : []),
        // It lasted at least from 100 Continue (the app had taken it by then) to its body (less the clocks' precision).
        ...(run.slow ? [{ reply: run.slow.sent.reply, ms: run.slow.gapMs - 5, why: `a request whose body the grader sent ${run.slow.gapMs} ms after the app took it (it answered 100 Continue), answering GET /books meanwhile` }] : []),
      ];
      for (const { reply, ms, why } of atLeast) {
        const found = accessLinesFor(run.stdout, reply).find(({ access }) => access.durationMs !== undefined);
        if (!found || found.access.durationMs! >= ms) continue;
        t.reproduce(reply.request);
        const seconds = found.access.durationMs! < 1 && found.access.durationMs! * 1000 >= ms;
        fail(
          `Expected the access line for ${reply.request.method} ${reply.request.path}, ${why}, to say it took at least ${ms} ms, got ${found.access.duration} (read as ${Number(found.access.durationMs!.toPrecision(3))} ms): ${describeLine(found.entry.line, 90)}. ` +
            (seconds ? 'Is it in seconds? A number without a unit is read as milliseconds: name the field durationMs, or write the unit ("0.004 s"). ' : '') +
            // A second short, about: the whole seconds were dropped (a request arriving meanwhile would leave far less).
            (!seconds && ms >= 1000 && found.access.durationMs! >= ms - 1010
              ? 'Are whole seconds missing? process.hrtime(start)[1] is only the nanoseconds within the second: take performance.now() as the request arrives and subtract it at the end (or process.hrtime.bigint()).'
              : 'Note the start time of each request in its own const inside the middleware (performance.now() as it arrives), never in a variable shared by all requests: a request that arrives meanwhile would reset it.'),
        );
      }

      // Once per request at debug too (a 404 handler's debug line doubles every count made from a debug log), and at info or above.
      // And at the lowest level (silly or trace): no level may hold a second line naming the request and its status.
      for (const each of new Set([run, await runAt(t, SIGINT_LEVEL), ...(await fullRuns(t))])) {
        if (each.refused) continue;
        for (const { what, reply } of each.sent) {
          const request = `${reply.request.method} ${reply.request.path}`;
          // An error line with the request as context (method, path, status 500 beside the stack) is no access line.
          const found = accessLinesFor(each.stdout, reply).filter(({ entry }) => !stringsOf(entry).some((text) => STACK_FRAME.test(text)));
          const twins = each.sent.filter(({ reply: other }) => other.request.method === reply.request.method && pathPart(other.request.path) === pathPart(reply.request.path) && other.status === reply.status).length;
          if (found.length > twins) {
            t.reproduce(reply.request);
            fail(
              `Expected one line with the method, path and status of ${request} (a request ${what}${twins > 1 ? `, sent ${twins} times` : ''}) ${each.label}, got ${found.length}: ${found.slice(0, 2).map(({ entry }) => describeLine(entry.line, 90)).join(' and ')}. ` +
                'Whatever its level, a second line that names the request and its status doubles every count made from the log: let the access line be the only one (the 404 handler answers without logging).',
            );
          }
          const low = found.find(({ entry }) => entry.rank !== undefined && entry.rank < 30);
          if (low) {
            t.reproduce(reply.request);
            fail(
              `Expected the access line for ${request} (a request ${what}) at info or above ${each.label}, got ${describeLine(low.entry.line, 90)} at level ${show(low.entry.fields?.level)}, below info: ` +
                'at LOG_LEVEL=info, the default, it is dropped. Log access lines at info (warn or error for failures, if you like), and keep the default level info.',
            );
          }
        }
      }
    });

    t.check('07.error-logged-with-stack-to-file', async () => {
      const { logFiles: files } = await runAt(t);
      const entries = files.flatMap((file) => file.entries.map((entry) => ({ file: file.name, entry })));
      // Good enough: the line with the message and a stack frame, in any *.log file directly in LOG_DIR.
      const withStack = entries.filter(({ entry }) => isErrorLine(entry) && aboutFailure(entry) && stringsOf(entry).some((text) => STACK_FRAME.test(text)));
      // The stack of the error the failing code threw: it names salesReport in src/catalog.ts, not only the handler that caught it.
      const thrown = withStack.filter(({ entry }) => stringsOf(entry).some((text) => FAILING_FRAME.test(text)));
      if (thrown.length) {
        // All of it: the frame that threw and the route in src/app.ts that called it, not the top frame alone.
        if (!thrown.some(({ entry }) => stringsOf(entry).some((text) => FAILING_FRAME.test(text) && CALLER_FRAME.test(text)))) {
          failWithoutPointer(
            `Expected the error line in ${thrown[0]!.file} to carry the whole stack of the error GET ${FAILING} threw, salesReport in src/catalog.ts and the route in src/app.ts that called it, got a stack that stops before app.ts: ${describeLine(thrown[0]!.entry.line, 200)}. ${CALLER_ADVICE}`,
          );
        }
        // Every line carries its time, in the file too: it is the record read when the collector was down.
        const untimed = thrown.find(({ entry }) => !entry.time);
        if (untimed && !thrown.some(({ entry }) => entry.time)) {
          failWithoutPointer(
            `Expected the error line in ${untimed.file} to carry a timestamp, as every line on stdout does, got ${describeLine(untimed.entry.line, 160)} without one. ` +
              "The file is the record read when the collector was down, and a line without its time says nothing of when: give the file transport the same format as the console (winston's format.timestamp() in the logger's format, not on one transport only).",
          );
        }
        await noColourInFiles(t);
        return keptAcrossRestart(t);
      }
      if (withStack.length) {
        fail(
          `Expected the error line in ${withStack[0]!.file} to carry the stack of the error GET ${FAILING} threw, which names salesReport in src/catalog.ts, got a stack that never does: ${describeLine(withStack[0]!.entry.line, 160)}. ` +
            'A new Error made in the handler has the handler\'s stack: log the error object the route passed on, as it is (add context as fields beside it, or as its cause).',
        );
      }

      if (files.length === 0) {
        fail(`Expected GET ${FAILING} to write its error to a file in LOG_DIR (for example LOG_DIR/error.log), got no *.log file there. Add a file transport for errors under process.env.LOG_DIR.`);
      }
      const plain = entries.find(({ entry }) => !entry.fields && FAILURE.test(entry.line));
      if (plain) fail(`Expected JSON lines in ${plain.file}, got the plain line ${describeLine(plain.entry.line)}.`);
      const errorLine = entries.find(({ entry }) => isErrorLine(entry) && aboutFailure(entry));
      if (errorLine) {
        fail(`Expected the error line in ${errorLine.file} to carry the stack trace, got ${describeLine(errorLine.entry.line, 140)} without a stack. ${errorAdvice(errorLine.entry)}`);
      }
      const anyError = entries.find(({ entry }) => isErrorLine(entry));
      if (anyError) {
        const ownStack = stringsOf(anyError.entry).some((text) => STACK_FRAME.test(text));
        fail(`Expected the error line in ${anyError.file} to hold the error's message (ECONNREFUSED …) and stack, got ${describeLine(anyError.entry.line, 140)}. ${ownStack ? NEW_ERROR_ADVICE : errorAdvice(anyError.entry)}`);
      }
      noErrorLine(files, `Expected an error-level line about GET ${FAILING} in ${files.map((file) => file.name).join(', ')}`);
    });

    t.check('07.error-file-holds-errors-only', async () => {
      const { logFiles: files } = await runAt(t);
      const withErrors = files.filter((file) => file.entries.some(isErrorLine));
      if (withErrors.length === 0) {
        const plain = files.flatMap((file) => file.entries.filter((entry) => !entry.fields).map((entry) => ({ file: file.name, entry })))[0];
        if (plain) fail(`Expected JSON lines in ${plain.file}, got the plain line ${describeLine(plain.entry.line)}.`);
        if (files.length === 0) fail(`Expected a file in LOG_DIR (for example LOG_DIR/error.log) that keeps the errors, got no *.log file there after GET ${FAILING} failed.`);
        noErrorLine(files, `Expected a file in LOG_DIR that keeps the errors after GET ${FAILING} failed`);
      }
      if (withErrors.some((file) => file.entries.every(isErrorLine))) return;
      const file = withErrors[0]!;
      const others = file.entries.filter((entry) => !isErrorLine(entry));
      failWithoutPointer(
        `Expected ${file.name} to hold errors only, got ${others.length} other line${others.length === 1 ? '' : 's'} in it too, such as ${describeLine(others[0]!.line)}. ` +
          "Give the file transport its own level: 'error'.",
      );
    });

    t.check('07.client-still-gets-generic-500', async () => {
      const { failing } = await runAt(t);
      expectStatus(failing!, 500);
      const leaked = failing!.text.match(/ECONNREFUSED|10\.0\.3\.7|reports database|\n\s+at |\bat \S+ \(/);
      expectThat(!leaked, `Expected a generic body from GET ${FAILING}, got one that reveals the error: ${show(failing!.text, 80)}. Log the details; answer the client with a fixed body.`);
      if ((failing!.json as { error?: unknown } | undefined)?.error === GENERIC_500.error) return;
      const type = failing!.headers['content-type'] ?? 'no Content-Type';
      const html = /html/i.test(type) || /<(!doctype|html|body|pre)\b/i.test(failing!.text);
      fail(
        `Expected GET ${FAILING} to answer with the app's generic JSON body ${JSON.stringify(GENERIC_500)}, got ${type}: ${show(failing!.text, 80)}. ` +
          (html
            ? "That is Express's own error page, which answers when the error handler passes the error on with next(err): log the error, then answer it yourself."
            : 'Keep the body the error handler answered with before.') +
          " res.status(500).json({ error: 'Internal Server Error' }).",
      );
    });

    t.check('07.log-level-warn-silences-info', async () => {
      const run = await runAt(t, 'warn');
      // This run is also the one without NODE_ENV: nothing at all there, while production has lines, is no matter of level.
      const silenced = silencedOutsideProduction(run, await runAt(t));
      if (silenced) failAbout(silenced, run.output, run.failing?.request);
      const problem = warnProblem(run, 'LOG_LEVEL=warn', {
        below: 'Set the logger level from process.env.LOG_LEVEL (default info).',
        silenced: 'LOG_LEVEL sets the least severe level kept; errors stay.',
      });
      if (problem) fail(problem);
      // LOG_LEVEL unset means info: nothing below it at the default level.
      const byDefault = await runAt(t);
      const chatty = byDefault.stdout.find((entry) => entry.rank !== undefined && entry.rank < 30);
      if (chatty) {
        fail(
          `Expected LOG_LEVEL unset to mean info, got ${describeLine(chatty.line, 110)} at level ${show(chatty.fields?.level)} at the default level, below info. ` +
            "Default to info (process.env.LOG_LEVEL || 'info'), and log access lines at info: debug and the levels between (winston's http, verbose) are for when an operator asks for them.",
        );
      }
      // And in development too: NODE_ENV picks no level of its own.
      // In development, under test and without NODE_ENV (a laptop) alike.
      for (const restart of await Promise.all((['restart', 'quiet', 'bare'] as const).map((key) => extra(t, key)))) {
        const devChatty = restart.stdout.find((entry) => entry.rank !== undefined && entry.rank < 30);
        if (devChatty) {
          failAbout(
            `Expected LOG_LEVEL unset to mean info in every environment, got ${describeLine(devChatty.line, 110)} at level ${show(devChatty.fields?.level)} ${restart.label}, below info. ` +
              "Default to info whatever NODE_ENV says, set or not (process.env.LOG_LEVEL || 'info'): an operator who wants debug sets LOG_LEVEL=debug.",
            restart.output,
            restart.reply?.request,
          );
        }
      }
      // LOG_LEVEL= (empty) is LOG_LEVEL unset, so the app starts at info (GET /books has its access line); or
      // it refuses an empty value at startup as it refuses any level it does not know, saying why.
      const bare = await extra(t, 'bare');
      if (bare.refused && (bare.refused.exit.code === 0 || !bare.refused.output.includes('LOG_LEVEL'))) {
        failAbout(
          `Expected src/server.ts to start ${bare.label}, at info (or to refuse the empty LOG_LEVEL with a non-zero exit and a message naming it), but it ${bare.refused.description} during startup ${bare.refused.exit.code === 0 ? 'with exit code 0, which a platform reads as success' : 'without naming LOG_LEVEL'} (its output is below). ` +
            "An empty value counts as unset, as lesson 06 teaches: read LOG_LEVEL with || 'info' (not ?? 'info', which keeps the empty string) before checking it.",
          bare.output,
        );
      }
      if (!bare.refused && !bare.stdout.some((entry) => accessFields(entry).path === '/books')) {
        failAbout(
          `Expected the access line of GET /books on stdout ${bare.label}, as at info, got none ${bare.stdout.length ? `among its ${bare.stdout.length} lines` : '(nothing at all on stdout)'}. ` +
            "An empty LOG_LEVEL counts as unset, and unset means info: read it with || 'info' (not ?? 'info', which hands the logger an empty level).",
          bare.output,
        );
      }
      // No file beside the app's code either (the folder the grader runs it from), whatever the working directory.
      if (run.besideSource.length) {
        failAbout(
          `Expected no file written without LOG_DIR (the app logs to stdout only), got ${run.besideSource.join(', ')} written beside the app's code (in the folder the grader runs it from) ${run.label}. ` +
            'Add the file transport only when process.env.LOG_DIR is set, with no default folder, neither in the working directory nor next to the source.',
          run.startupOutput,
        );
      }
      // This run has no LOG_DIR and an empty working directory of its own: nothing may be written to disk.
      if (run.leftInCwd.length) {
        failAbout(
          `Expected no file written without LOG_DIR (the app logs to stdout only), got ${run.leftInCwd.map((name) => `${name}${/\.\w+$/.test(name) ? '' : '/'}`).join(', ')} in the working directory ${run.label}. ` +
            'Add the file transport only when process.env.LOG_DIR is set, with no default folder.',
          run.startupOutput,
        );
      }
      // Nor in TMPDIR or HOME (empty ones of its own for this run): a default folder in os.tmpdir() is a file written all the same.
      if (run.leftElsewhere.length) {
        failAbout(
          `Expected no file written without LOG_DIR (the app logs to stdout only), got ${run.leftElsewhere.slice(0, 3).join(', ')} ${run.label}. ` +
            'Add the file transport only when process.env.LOG_DIR is set, with no default folder: not in the working directory, os.tmpdir(), the home directory or beside the source.',
          run.startupOutput,
        );
      }
      // Nor anywhere else: a default folder at a fixed absolute path (/var/log/bookshop, /tmp/bookshop) is a file written all the same.
      if (run.opened.length) {
        failAbout(
          `Expected no file written without LOG_DIR (the app logs to stdout only), got ${run.opened.slice(0, 3).join(', ')} opened for writing or created by the app ${run.label}. ` +
            'Add the file transport only when process.env.LOG_DIR is set, with no default folder anywhere: no fixed path such as /var/log/bookshop or /tmp/bookshop either (LOG_DIR=/tmp/bookshop is an example of a value, not a default).',
          run.startupOutput,
        );
      }
      // The same without LOG_DIR in every environment: in production (the start on a port in use), in development, under test, and with LOG_DIR empty.
      for (const other of await Promise.all((['busy', 'devWarn', 'quiet', 'bare'] as const).map((key) => extra(t, key)))) {
        if (!other.wrote?.length) continue;
        failAbout(
          `Expected no file written without LOG_DIR (the app logs to stdout only), got ${other.wrote.slice(0, 3).join(', ')} ${other.label}${other.label.includes('LOG_DIR') ? '' : ' and no LOG_DIR'}. ` +
            'Add the file transport only when process.env.LOG_DIR is set (an empty value is no LOG_DIR), in every environment: no default folder in production (such as /var/log/bookshop), no debug file in os.tmpdir() while developing, none in the working directory.',
          other.output,
        );
      }
    });

    t.check('07.log-level-any-case-or-refused', async () => {
      // An app that writes nothing on stdout at the default level either has lost no line to LOG_LEVEL.
      const silentByDefault = await runAt(t).then((run) => run.stdout.length === 0, () => false);
      const noConsole = 'as at the default level: whatever LOG_LEVEL says, the app writes nothing on stdout in production. Keep a console transport in every environment: the platform collects stdout.';
      const upper = await runAt(t, 'WARN');
      const problem = upper.refused
        ? refusalProblem(upper, 'WARN')
        : warnProblem(upper, 'LOG_LEVEL=WARN', {
            below: 'An operator who types WARN means warn: lower-case the value before the logger sees it (or refuse it at startup).',
            silenced: "The logger does not know 'WARN' and drops every line, errors included: lower-case the value before the logger sees it, and refuse at startup a value it does not know.",
          });
      if (problem) {
        // A refusal is about the start that refused (its output, no request); the rest about the failing request.
        failAbout(
          silentByDefault && upper.stdout.length === 0 && problem.includes('nothing at all on stdout') ? `${problem.split('nothing at all on stdout')[0]}nothing at all on stdout, ${noConsole}` : problem,
          upper.output,
          upper.failing?.request,
        );
      }

      // error is a level of every logger: the app must serve with it (this run is outside production, with LOG_DIR set).
      const errorRun = await runAt(t, ERROR_LEVEL);
      if (errorRun.refused) {
        failAbout(
          `Expected src/server.ts to keep running ${errorRun.label}, a level every logger has, but it ${errorRun.refused.description} during startup (its output is below). Is level 0 read as missing? Check with Object.hasOwn(levels, level), not !levels[level].`,
          errorRun.output,
        );
      }
      const errorFiles = errorRun.logFiles.filter((file) => file.entries.some((entry) => isErrorLine(entry) && aboutFailure(entry)));
      if (errorFiles.length === 0) {
        t.reproduce(errorRun.failing!.request);
        const text = errorRun.logFiles.flatMap((file) => file.entries.filter((entry) => !entry.fields && FAILURE.test(entry.line)).map((entry) => ({ file: file.name, entry })))[0];
        if (text) {
          fail(
            `Expected the error of GET ${FAILING} in a *.log file in LOG_DIR ${errorRun.label} as a JSON line, got it as text in ${text.file}: ${describeLine(text.entry.line, 110)}. ` +
              'The log is JSON in every environment, the error file included: keep the JSON format whatever NODE_ENV says (read it pretty with a tool such as pino-pretty, if you like).',
          );
        }
        fail(
          `Expected the error of GET ${FAILING} in a *.log file in LOG_DIR ${errorRun.label}, got ${errorRun.logFiles.length ? `${errorRun.logFiles.map((file) => file.name).join(', ')} without it` : 'no *.log file there'}. ` +
            'The error file follows LOG_DIR, not NODE_ENV: when LOG_DIR is set, write it in every environment.',
        );
      }

      // LOG_LEVEL is obeyed in every environment: at error, nothing below error, in development too.
      const belowError = errorRun.stdout.find((entry) => entry.rank !== undefined && entry.rank < 50);
      if (belowError) {
        fail(
          `Expected no line below error on stdout ${errorRun.label}, got ${describeLine(belowError.line, 110)} at level ${show(belowError.fields?.level)}. ` +
            'Take the level from LOG_LEVEL in every environment: NODE_ENV may choose a default, never overrule what the operator set.',
        );
      }

      const devWarn = await extra(t, 'devWarn');
      const belowWarn = devWarn.stdout.find((entry) => entry.rank !== undefined && entry.rank < 40);
      if (belowWarn) {
        failAbout(
          `Expected no line below warn on stdout ${devWarn.label}, got ${describeLine(belowWarn.line, 110)} at level ${show(belowWarn.fields?.level)}. ` +
            'Take the level from LOG_LEVEL in every environment: NODE_ENV may choose a default, never overrule what the operator set.',
          devWarn.output,
        );
      }

      const unknown = await runAt(t, UNKNOWN_LEVEL);
      const unknownProblem = unknown.refused ? refusalProblem(unknown, UNKNOWN_LEVEL) : unknownStarted(unknown);
      if (unknownProblem) failAbout(unknownProblem, unknown.output, unknown.failing?.request);

      // Names an operator may type that are no level of winston's npm levels or of pino: refused too, never mapped or read as "off".
      const aliases = await Promise.all(LEVEL_ALIASES.map(async (value) => ({ value, started: await startAt(t, value) })));
      const mapped = aliases.find(({ started }) => !started);
      if (mapped?.value === 'silent') {
        fail(
          `Expected LOG_LEVEL=silent to stop the app at startup, got an app that started with it (NODE_ENV=${aliasNodeEnv(mapped.value)}): silent turns the log off, the errors included. ` +
            "pino keeps silent in pino.levels.values as a hidden (non-enumerable) own property, so Object.hasOwn lets it through, and winston's silent is an option, no level: refuse the value by name too. An operator who wants less sets warn or error.",
        );
      }
      if (mapped) {
        fail(
          `Expected LOG_LEVEL=${mapped.value}, which names no level of winston (npm levels) or of pino, to stop the app at startup (NODE_ENV=${aliasNodeEnv(mapped.value)}), got an app that started with it: ` +
            `it maps the value onto a level of its choosing${['off', 'none'].includes(mapped.value) ? ', or turns the log off (errors included)' : ''}, or does not read LOG_LEVEL in that environment. ` +
            "Refuse at startup every value that is not a level of the logger in use, whatever it looks like: the operator learns the right name, and the log is never silenced by a guess.",
        );
      }
      const zero = aliases.find(({ started }) => started && started.exit.code === 0);
      if (zero) {
        failAbout(
          `Expected an app that refuses to start with LOG_LEVEL=${zero.value} to exit with a non-zero code, got one that ${zero.started!.description} without serving: a platform reads 0 as success. Call process.exit(1).`,
          zero.started!.output,
        );
      }

      // trace is the lowest level of pino and bunyan, silly that of winston: each logger knows one of them.
      // The app serves with the one its logger has and refuses the other, never maps one onto the other or goes silent.
      const pinoOnly = await runAt(t, PINO_ONLY_LEVEL);
      const winstonOnly = await runAt(t, WINSTON_ONLY_LEVEL);
      for (const run of [pinoOnly, winstonOnly]) {
        const value = run === pinoOnly ? PINO_ONLY_LEVEL : WINSTON_ONLY_LEVEL;
        if (run.refused) {
          const refusal = refusalProblem(run, value);
          if (refusal) failAbout(refusal, run.output);
          continue;
        }
        if (run.stdout.some(isErrorLine)) continue;
        t.reproduce(run.failing!.request);
        const asked = `LOG_LEVEL=${value} (the lowest level of ${value === PINO_ONLY_LEVEL ? 'pino, unknown to winston' : 'winston, unknown to pino'})`;
        if (run.stdout.length === 0 && silentByDefault) fail(`Expected the error of GET ${FAILING} on stdout with ${asked}, got nothing at all on stdout, ${noConsole}`);
        if (run.stderr.some(isErrorLine)) fail(`Expected the error of GET ${FAILING} on stdout with ${asked}, got it on stderr only. Errors stay on stdout at every level.`);
        fail(
          `Expected ${asked} either to work, with the error of GET ${FAILING} on stdout, or to stop the app at startup, got an app that started and wrote ${run.stdout.length ? 'no error line' : 'nothing at all'} on stdout: ` +
            `its logger does not know '${value}' and drops ${run.stdout.length ? 'the errors' : 'every line, errors included'}. Check LOG_LEVEL against the levels of the logger you use (winston.config.npm.levels, pino's levels), not a list of your own.`,
        );
      }
      if (pinoOnly.refused && winstonOnly.refused) {
        fail(
          `Expected the app to serve with the lowest level of its logger (silly with winston, trace with pino), got an app that refused both LOG_LEVEL=${PINO_ONLY_LEVEL} and LOG_LEVEL=${WINSTON_ONLY_LEVEL}. ` +
            "Accept every level your logger has: check against winston.config.npm.levels (or pino's levels), not a shorter list of your own.",
        );
      }
      if (!pinoOnly.refused && !winstonOnly.refused) {
        fail(
          `Expected the app to refuse the level its logger does not have, got one that served both LOG_LEVEL=${PINO_ONLY_LEVEL} (pino's lowest level) and LOG_LEVEL=${WINSTON_ONLY_LEVEL} (winston's): ` +
            'one of them is read as a level it does not name. Refuse a value your logger does not know; do not map it onto another level.',
        );
      }
      // LOG_LEVEL holds in production too: the lines below info that LOG_LEVEL=debug shows in development
      // for a request are there at the lowest level (in production) for the same request.
      const lowest = winstonOnly.refused ? pinoOnly : winstonOnly;
      const debugRun = await runAt(t, SIGINT_LEVEL);
      if (!debugRun.refused) {
        const belowInfo = (entries: LogEntry[]) => entries.filter((entry) => entry.rank !== undefined && entry.rank < 30).map((entry) => ({ entry, access: accessFields(entry) }));
        const kept = belowInfo(lowest.stdout);
        // The same request: its method and path, and its status when the line names one (the debug run also asks GET /books for a 304, the lowest-level run does not).
        const asked = new Set(lowest.sent.flatMap(({ reply }) => [`${reply.request.method} ${reply.request.path}`, `${reply.request.method} ${reply.request.path} ${reply.status}`]));
        const dropped = belowInfo(debugRun.stdout).find(
          ({ access }) =>
            access.method &&
            access.path &&
            asked.has(`${access.method} ${access.path}${access.status === undefined ? '' : ` ${access.status}`}`) &&
            !kept.some((other) => other.access.method === access.method && other.access.path === access.path),
        );
        if (dropped) {
          failAbout(
            `Expected the lines below info that ${debugRun.label} writes for ${dropped.access.method} ${dropped.access.path}, such as ${describeLine(dropped.entry.line, 90)}, ${lowest.label} in production as well, got none below info there. ` +
              'Take the level from LOG_LEVEL in every environment: NODE_ENV may not cap or raise what the operator set.',
            lowest.output,
          );
        }
      }
      // The other levels of that logger start too (a list of "the usual levels" misses some): one short start each, no requests.
      const logger = winstonOnly.refused ? { name: 'pino', lowest: PINO_ONLY_LEVEL, levels: PINO_LEVELS } : { name: 'winston', lowest: WINSTON_ONLY_LEVEL, levels: WINSTON_LEVELS };
      // info is the default run's level (LOG_LEVEL unset).
      const untried = logger.levels.filter((value) => value !== 'info' && !LEVELS.some((tried) => tried === value));
      const starts = await Promise.all(untried.map(async (value) => ({ value, started: await startAt(t, value) })));
      const refused = starts.find(({ started }) => started);
      if (refused?.started) {
        failAbout(
          `Expected src/server.ts to keep running with LOG_LEVEL=${refused.value}, a level of ${logger.name} (the logger whose lowest level, ${logger.lowest}, it served), but it ${refused.started.description} during startup (its output is below). ` +
            `Accept every level your logger has (${logger.levels.join(', ')}): check against ${logger.name === 'winston' ? 'winston.config.npm.levels' : "pino's levels (pino.levels.values)"}, not a list of your own.`,
          refused.started.output,
        );
      }
    });

    t.check('07.secrets-stay-out-of-logs', async () => {
      // Every full run the app served: the default, debug, and the lowest level its logger has (silly or trace).
      // And under test (LOG_LEVEL unset, as a test runner starts it), asked a failed login.
      const quiet = await extra(t, 'quiet');
      const underTest = quiet.secrets ? [{ label: quiet.label, secrets: quiet.secrets, stdoutText: quiet.stdoutText ?? '', stderrText: quiet.stderrText ?? '', files: [] as LogFile[] }] : [];
      for (const run of [...(await fullRuns(t)), ...underTest]) {
        const places = [
          { where: 'on stdout', text: run.stdoutText },
          { where: 'on stderr', text: run.stderrText },
          ...run.files.map((file) => ({ where: `in LOG_DIR/${file.name}`, text: file.text })),
        ];
        for (const { where, text } of places) {
          let [secret, value] = Object.entries(run.secrets).find(([, candidate]) => text.includes(candidate)) ?? [];
          // Encoded (base64, base64url or hex, of a body or a header): anyone who reads the log decodes it in one step.
          let encoded: string | undefined;
          if (!secret) [secret, encoded] = encodedSecret(text, run.secrets) ?? [];
          // In part: a mask that covers only the start of a value leaves the rest, which is most of a token.
          let part: string | undefined;
          if (!secret) [secret, part] = partialSecret(text, run.secrets) ?? [];
          if (!secret) continue;
          const line = text.split('\n').find((candidate) => candidate.includes(encoded ?? part ?? value!))!;
          failWithoutPointer(
            `Expected ${secret} to appear nowhere in the logs, got it ${encoded ? `encoded (base64 or hex, which anyone decodes: ${show(encoded, 40)}) ` : ''}${part ? `in part (${part.length} of its ${run.secrets[secret]!.length} characters, ${show(part, 40)}, left by a mask that stopped short: mask the whole value, or better leave the header out) ` : ''}${where} ${run.label}: ${describeLine(line)}. ` +
              (secret.includes('token') ? 'A token signs in whoever holds it: log who signed in, never the token. ' : '') +
              (secret.includes('could not parse') ? "A JSON parse error's message quotes the body it could not read: answer client errors (4xx) without logging their contents. " : '') +
              (run.label.includes('NODE_ENV=test') ? 'The rule holds in every environment, under test too: a test log is read by others and kept by CI. ' : run.label === 'at the default level' ? '' : `The rule holds at every level and in every environment: ${/LOG_LEVEL=(\S+)/.exec(run.label)?.[1] ?? 'debug'} is what someone turns on in an incident. `) +
              'Log chosen fields of a request (method, path, status), never its body or headers.',
          );
        }
      }
    });
  });
});
