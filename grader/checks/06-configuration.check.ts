import { createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { CannotJudge, CheckFailure, expectThat, show } from '../support/expect.js';
import { expectStatus, type Reply } from '../support/http.js';
import { lesson, type FailureAbout, type LessonKit, type RunningServer, type Startup } from '../support/lesson.js';
import { BUILD_ERROR_FILE } from '../src/build.js';
import { busyMachine } from '../support/machine.js';
import { type AppProcess, catchesSignal } from '../support/app-process.js';

// Values no real machine has, so every appearance in output or a response is the app's doing.
// The password holds characters a URL's userinfo allows beyond \w, so a mask such as /:(\w+)@/ misses it.
// Every secret below has a - . ! or ~ in each run of SHOWN_CHARACTERS characters, so no hash, id or
// temporary name in the output can hold such a run by chance: a run found was printed by the app.
const DB_PASSWORD = 'Pg7-kR2.wXq!9Lm~4Tz';
// Exactly 32 characters, the shortest the lesson accepts: every start that must succeed tries the boundary.
const SESSION_SECRET = 'Zq4~vN8!wL2~kT7!xR1~mB6!yC3~hJ9!';
const SHORT_SECRET = 'Wm3~xK8!qT1~vZ';
/** The secret .env holds where the environment holds SESSION_SECRET too. */
const FILE_SESSION_SECRET = 'Fx5~bQ2!nW8~rT4!gK7~sJ1!pL6~dH3!';
/**
 * One character short of the rule, the boundary from below: 31 characters, but 32 bytes in UTF-8
 * (its last one is an é), so a check that counts bytes (Buffer.byteLength) instead of characters
 * lets it through as surely as an off-by-one does.
 */
const SECRET_31 = `${SESSION_SECRET.slice(0, 30)}é`;
const databaseUrl = (host: string) => `postgres://bookshop:${DB_PASSWORD}@${host}:5432/bookshop`;
/**
 * A password libpq and pg also take from the query string: a log that blanks only url.password prints
 * this one. The test start carries it.
 */
const QUERY_PASSWORD = 'Qp8-mT3.vLx!6Rn~2Wk';
const queryPasswordUrl = (host: string) => `postgres://bookshop@${host}:5432/bookshop?sslmode=require&password=${QUERY_PASSWORD}`;
/** Both forms at once: a line that blanks only url.password (or the user info) still prints the second. */
const bothPasswordsUrl = (host: string) => `${databaseUrl(host)}?sslmode=require&password=${QUERY_PASSWORD}`;
const ENV_DB_HOST = 'env-db.test';
/** The environment's database under the scheme's longer name, for the first start. */
const POSTGRESQL_URL = `postgresql://bookshop:${DB_PASSWORD}@${ENV_DB_HOST}:5432/bookshop`;
const FILE_DB_HOST = 'file-db.test';
const valid = { DATABASE_URL: databaseUrl(ENV_DB_HOST), SESSION_SECRET };
/** .env with values of its own, secrets included, beside the environment's. */
const OTHER_DOTENV = `DATABASE_URL=${databaseUrl(FILE_DB_HOST)}\nSESSION_SECRET=${FILE_SESSION_SECRET}\n`;
/**
 * Node's own debug sections (util.debuglog) an app may name after itself or its settings. Not NODE_DEBUG=*:
 * Node's module loader alone then prints close to a megabyte per start.
 */
const NODE_DEBUG = 'app*,bookshop*,*config*,*env*,db*,database*,pg*,postgres*,secret*,server*,session*,settings*,start*,boot*';
/** Every debug switch an app may honour: the debug package's DEBUG=* and Node's NODE_DEBUG. */
const DEBUG_ALL = { DEBUG: '*', NODE_DEBUG };
/**
 * The development start: LOG_LEVEL=debug (the mode where apps dump their settings), every debug
 * namespace, and a URL whose user name is its password (the bookshop:bookshop shape of .env.example),
 * so that a mask that replaces the first appearance of the password hides the user name and prints the
 * password; it carries the password in the query string too, for the shutdown (SIGINT) line. Its
 * SESSION_SECRET comes from .env alone (FILE_SESSION_SECRET): .env is loaded under development too.
 */
const DEVELOPMENT_ENV = {
  DATABASE_URL: `postgres://${DB_PASSWORD}:${DB_PASSWORD}@${ENV_DB_HOST}:5432/bookshop?sslmode=require&password=${QUERY_PASSWORD}`,
  NODE_ENV: 'development',
  LOG_LEVEL: 'debug',
  ...DEBUG_ALL,
};
/**
 * What a .env reader that goes line by line (not a real parser) takes from the two multi-line values
 * in DOTENV, double-quoted as dotenv, process.loadEnvFile() and util.parseEnv() read them: each holds a
 * line that looks like a variable. A reader where the first value wins signs cookies with
 * NAIVE_SECRET; one where the last wins uses NAIVE_DB_HOST (red team 06 r7: a hand-written parser
 * that handled only the lesson's list passed).
 */
const NAIVE_SECRET = 'not-the-secret-a-line-inside-WELCOME';
const NAIVE_DB_HOST = 'line-inside-signature.test';
/**
 * A secret of 32 characters that ends in base64's padding (=) and holds a # and a space before a #
 * (inside its quotes in .env, where neither is a comment): a .env reader that splits each line at
 * every = (line.split('=')), cuts it at the first # or at the first ' #' (the usual start of a comment)
 * before it removes the quotes keeps part of it and refuses it as too short (red team 06 r6).
 */
const PADDED_SECRET = 'Ds4~vN8#wL2~k7 #xR1~mB6!yC3~h=J=';
/**
 * .env holding both required variables, for the starts that take SESSION_SECRET (and, with nothing in
 * the environment, DATABASE_URL) from it, written as people write them: a comment line, an `export`
 * line, a double-quoted value, a single-quoted one followed by a comment, values holding = (a query
 * string, padding), double-quoted values over several lines (NAIVE_SECRET). dotenv, dotenv.parse(), process.loadEnvFile() and util.parseEnv() read it alike; a
 * hand-written reader that keeps the quotes or the comment signs cookies with another secret (the
 * starts check the signature), one that misreads `export` misses DATABASE_URL.
 */
const DOTENV =
  `# the bookshop's development settings\nexport DATABASE_URL="${databaseUrl(FILE_DB_HOST)}?sslmode=require"\n` +
  `WELCOME="Welcome to the bookshop.\nSESSION_SECRET=${NAIVE_SECRET}\n"\n\n` +
  `SESSION_SECRET='${PADDED_SECRET}' # the dev secret, not production's\n` +
  `SIGNATURE="The bookshop team\nDATABASE_URL=postgres://bookshop@${NAIVE_DB_HOST}:5432/bookshop\n"\n`;
/** .env of the PORT=65535 start, which has no PORT in the environment: the app must take it from here. */
const PORT_DOTENV = `PORT=65535 # the last port there is\n`;
/**
 * The other .env files some loaders read besides .env (Next.js-style layering), each disagreeing with
 * the environment (they hold OTHER_DOTENV): loaded over it (override), any of them makes the app use
 * FILE_DB_HOST; loaded beside .env, under it, they change nothing.
 */
const otherEnvFiles = (nodeEnv: string | undefined) => ['.env.local', `.env.${nodeEnv ?? 'development'}`, `.env.${nodeEnv ?? 'development'}.local`];
/** How long the development start runs on after it listens, for lines an app prints a moment later. */
const LATE_OUTPUT_MS = 3000;
/** The port the lesson's text gives as PORT's default. */
const DEFAULT_PORT = 3000;

/**
 * How long a broken configuration may take to stop the process. A validating app exits in well under
 * a second; the margin is for busy machines (CI runners, a laptop grading while it builds). An app
 * that listens is judged at once.
 */
const STOP_WITHIN_MS = 10_000;
/**
 * A secret counts as shown when this many of its characters in a row appear (or all, if fewer): a
 * "masked" preview such as `Wm3~********` gives away part of it, and that part is enough to count.
 */
const SHOWN_CHARACTERS = 4;
/** A "masked" preview gives away as little as this of a secret's ends (Wm********vZ): that counts too. */
const MASKED_AFFIX = 2;

type Env = Record<string, string | undefined>;

/** A start the app must refuse: its environment (and .env), and the variables its output must name. */
interface Refusal {
  env: Env;
  dotenv?: string;
  names: string[];
  situation: string;
  /** The rule an app broke when it accepted this start and went on to listen. */
  rule?: string;
  /** Variables set and valid in this start: a refusal that names them too names more than is wrong. */
  fine?: string[];
  /** Other files beside .env in the working directory, each holding OTHER_DOTENV. */
  others?: string[];
  /** Whether the committed template files (TEMPLATE_FILES) are in the working directory too. */
  templates?: boolean;
  /** The slot of NODE_ENVS a missing-variable start belongs to, where its NODE_ENV is not the slot's name. */
  slot?: string;
}

/**
 * Missing variables are probed under every NODE_ENV: no mode may fall back to a value in the code.
 * ci comes with the variables CI services set (CI_SERVICE): a default "only on CI" (process.env.CI,
 * NODE_ENV=ci) is a default too (red team 06 r6).
 */
const NODE_ENVS = [undefined, 'development', 'test', 'production', 'ci', 'local'];
/**
 * The NODE_ENV of a missing-variable start in the slot `slot` of NODE_ENVS: its own, except the made-up
 * slot, where DATABASE_URL's start gets local and SESSION_SECRET's dev (names teams invent for a laptop:
 * "any value at all" has no default either, red team 06 r7).
 */
const nodeEnvOf = (slot: string | undefined, name: string) => (name !== 'SESSION_SECRET' ? slot : slot === 'local' ? 'dev' : slot === 'ci' ? E2E : slot);
/**
 * The NODE_ENV of the ci slot's SESSION_SECRET start, on a CI runner: an end-to-end suite's name. A
 * default "only for e2e" is a default too (red team 06 r8). (A name made up per grade would not catch
 * it: these defaults hang on a list of names that get one, so the grader tries the common ones.)
 */
const E2E = 'e2e';
/**
 * What `npm run dev` sets beside an unset NODE_ENV: a default "only when started by npm run dev" is a
 * default too (red team 06 r7).
 */
const NPM_RUN_DEV = { npm_lifecycle_event: 'dev', npm_command: 'run-script', npm_lifecycle_script: 'tsx watch src/server.ts' };
/**
 * The log levels and debug switches of the missing-variable starts under development and test, as the
 * starts that succeed have them: a refusal must not name a variable that is fine at any level either
 * (red team 06 r7: "SESSION_SECRET ok" at LOG_LEVEL=debug).
 */
const VERBOSE: Record<string, Env> = { development: { LOG_LEVEL: 'debug', ...DEBUG_ALL }, test: { LOG_LEVEL: 'trace', ...DEBUG_ALL } };
/** What CI services set (GitHub Actions, GitLab, CircleCI, Buildkite, most others: CI). */
const CI_SERVICE = { CI: 'true', GITHUB_ACTIONS: 'true', GITLAB_CI: 'true', CIRCLECI: 'true', BUILDKITE: 'true' };
/**
 * What test runners set beside NODE_ENV=test (vitest, jest, node --test, mocha --parallel, Playwright,
 * tap): the missing-variable starts under test carry them all, so a default switched on by any of them
 * ("only under the test runner") is a default too; and what `npm test` sets (npm_lifecycle_event=test),
 * red team 06 r8: a default when npm_lifecycle_event starts with test passed.
 */
const TEST_RUNNER = { npm_lifecycle_event: 'test', npm_command: 'test', VITEST: 'true', VITEST_WORKER_ID: '1', JEST_WORKER_ID: '1', NODE_TEST_CONTEXT: 'child-v8', MOCHA_WORKER_ID: '0', TEST_WORKER_INDEX: '0', TAP: '1' };
/** The variables beside NODE_ENV in a missing-variable start: a test runner's under test, a CI service's under ci. */
const besideNodeEnv = (nodeEnv: string | undefined): Env => (nodeEnv === 'test' ? TEST_RUNNER : nodeEnv === 'ci' || nodeEnv === E2E ? CI_SERVICE : nodeEnv === undefined ? NPM_RUN_DEV : {});
const underNodeEnv = (nodeEnv: string | undefined) => {
  const beside = Object.entries(besideNodeEnv(nodeEnv)).map(([name, value]) => `${name}=${value}`);
  const verbose = nodeEnv && VERBOSE[nodeEnv] ? `, LOG_LEVEL=${VERBOSE[nodeEnv]!.LOG_LEVEL}, DEBUG=*, NODE_DEBUG=${NODE_DEBUG.split(',').slice(0, 3).join(',')},…` : '';
  return nodeEnv
    ? ` (NODE_ENV=${nodeEnv}${beside.length ? `, with ${beside.join(', ')}` : ''}${verbose})`
    : ` (NODE_ENV unset, started by npm run dev: ${beside.join(', ')})`;
};
/** A missing-variable start's environment beside the variable it lacks. */
const missingEnv = (nodeEnv: string | undefined): Env => ({
  NODE_ENV: nodeEnv,
  ...besideNodeEnv(nodeEnv),
  ...(nodeEnv ? VERBOSE[nodeEnv] : {}),
  // On a laptop (npm run dev, local, dev) PORT is often unset: a refusal there must not name it either
  // ("PORT is not set, using the default 3000"), red team 06 r7. Elsewhere the grader gives one.
  ...(nodeEnv === undefined || nodeEnv === 'local' || nodeEnv === 'dev' ? { PORT: undefined } : {}),
});
/**
 * A connection string with a bad port that carries its password twice, in the user info and in the
 * query string: a refusal that quotes it with only url.password (or the user info) blanked still
 * prints the second.
 */
/**
 * The slots of NODE_ENVS whose missing-SESSION_SECRET start gives a DATABASE_URL on localhost, as on a
 * laptop (.env.example's host): a default secret "only for a local database" is a default too (red team
 * 06 r9: a hard-coded secret whenever the host was localhost, under any NODE_ENV, passed). The others
 * keep a remote host.
 */
const LOCAL_SLOTS = [undefined, 'development', 'test', 'local'];
/**
 * The platform the missing-variable starts of some slots fake (grader/support/app-preload.cjs,
 * COURSE_PLATFORM), as on a developer's laptop: a default "only on macOS or Windows" is a default too
 * (red team 06 r10: defaults when process.platform was darwin or win32 passed on the grader's Linux).
 */
const LAPTOP_PLATFORMS: Record<string, 'darwin' | 'win32'> = { development: 'darwin', local: 'win32' };
const APP_PRELOAD = fileURLToPath(new URL('../support/app-preload.cjs', import.meta.url));
const onLaptop = (slot: string | undefined): Env => {
  const platform = slot && LAPTOP_PLATFORMS[slot];
  return platform ? { COURSE_PLATFORM: platform, NODE_OPTIONS: `--require ${JSON.stringify(APP_PRELOAD)}` } : {};
};
const laptopNote = (slot: string | undefined) => {
  const platform = slot && LAPTOP_PLATFORMS[slot];
  return platform ? `, on ${platform === 'darwin' ? 'macOS' : 'Windows'} (process.platform ${platform}, as on a developer's laptop)` : '';
};
const LOCAL_DATABASE_URL = `postgres://bookshop:${DB_PASSWORD}@localhost:5432/bookshop`;
const BAD_PORT_URL = `postgres://bookshop:${DB_PASSWORD}@db.test:99999/bookshop?sslmode=require&password=${QUERY_PASSWORD}`;
const HOSTLESS_URL = `postgres://bookshop:${DB_PASSWORD}@:5432/bookshop?password=${QUERY_PASSWORD}`;
const MYSQL_URL = `mysql://bookshop:${DB_PASSWORD}@db.test:3306/bookshop`;
const BAD_PORTS = ['abc', '99999', '3000abc', '80.5', '-1', '65536'];
/**
 * The NODE_ENV of the start that takes PORT from .env: short for production, and not production (only
 * exactly `production` is), so .env is loaded.
 */
const PROD_ALIAS = 'prod';
/** The top of PORT's range, which must start. */
const TOP_PORT = 65535;
/** A NODE_ENV no list holds, made up per grade: "any value at all" loads .env (red team 06 r10). */
const MADE_UP_NODE_ENV = `blue-${randomBytes(3).toString('hex')}`;
/**
 * The last of EMPTY_PORT_STARTS, with no PORT at all (a next free port "only when PORT is not set" is
 * as wrong, red team 06 r11): NODE_ENV=live, started by `npm start`, with what Kubernetes and Heroku set.
 * None of them is production: a test of npm_lifecycle_event, a platform's variables or a list of
 * aliases that skips .env there passed (red team 06 r11).
 */
const LIVE = 'live';
const ON_A_PLATFORM = { npm_lifecycle_event: 'start', npm_command: 'start', KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', DYNO: 'web.1' };
/**
 * The starts with port 3000 held: PORT= under development as `npm run dev` starts it (a development
 * server's "next free port" is as wrong there, red team 06 r10), PORT=' ' under preprod and PORT= under
 * MADE_UP_NODE_ENV, those two with SESSION_SECRET in .env alone: NODE_ENV=preprod, or any name, is not
 * production, so .env is loaded (red team 06 r10: preprod treated as production passed).
 */
const EMPTY_PORT_STARTS: { port?: string; env: Env; dotenv?: string }[] = [
  { port: '', env: { NODE_ENV: 'development', ...NPM_RUN_DEV } },
  { port: ' ', env: { NODE_ENV: 'preprod', SESSION_SECRET: undefined }, dotenv: `SESSION_SECRET=${FILE_SESSION_SECRET}\n` },
  { port: '', env: { NODE_ENV: MADE_UP_NODE_ENV, SESSION_SECRET: undefined }, dotenv: `SESSION_SECRET=${FILE_SESSION_SECRET}\n` },
  { env: { NODE_ENV: LIVE, ...ON_A_PLATFORM, SESSION_SECRET: undefined }, dotenv: `SESSION_SECRET=${FILE_SESSION_SECRET}\n` },
];
/** How an empty-port start ran, with the environment and .env it was given. */
interface EmptyPortRun extends RefusedRun {
  env: Env;
  dotenv?: string;
}
/** Its NODE_ENV and what came with it, for messages. */
const emptyPortMode = ({ env, dotenv }: { env: Env; dotenv?: string }) =>
  `NODE_ENV=${env.NODE_ENV}${env.npm_lifecycle_event ? `, started by npm ${env.npm_lifecycle_event === 'start' ? 'start' : `run ${env.npm_lifecycle_event}`} (npm_lifecycle_event=${env.npm_lifecycle_event})` : ''}${env.KUBERNETES_SERVICE_HOST ? ', on Kubernetes and Heroku (KUBERNETES_SERVICE_HOST and DYNO set)' : ''}${env.PORT === undefined ? ', PORT not set' : ''}${dotenv ? ', SESSION_SECRET in .env alone' : ''}`;
/** PORT as a start was given it, for messages. */
const portGiven = (env: Env) => (env.PORT === undefined ? 'PORT not set' : env.PORT ? `PORT='${env.PORT}'` : 'PORT=');

const REFUSALS: Record<string, Refusal> = {
  ...Object.fromEntries(
    NODE_ENVS.flatMap((slot): [string, Refusal][] => {
      const [urlEnv, secretEnv] = [nodeEnvOf(slot, 'DATABASE_URL'), nodeEnvOf(slot, 'SESSION_SECRET')];
      return [
        [`missing-database-url-${slot ?? 'unset'}`, { slot, env: { SESSION_SECRET, ...missingEnv(urlEnv), ...onLaptop(slot) }, names: ['DATABASE_URL'], fine: ['SESSION_SECRET'], templates: true, situation: `when DATABASE_URL is not set${underNodeEnv(urlEnv)}${laptopNote(slot)}` }],
        [
          `missing-session-secret-${slot ?? 'unset'}`,
          {
            slot,
            env: { DATABASE_URL: LOCAL_SLOTS.includes(slot) ? LOCAL_DATABASE_URL : valid.DATABASE_URL, ...missingEnv(secretEnv), ...onLaptop(slot) },
            names: ['SESSION_SECRET'],
            fine: ['DATABASE_URL'],
            templates: true,
            situation: `when SESSION_SECRET is not set${LOCAL_SLOTS.includes(slot) ? ` and DATABASE_URL names localhost (as .env.example's does)` : ''}${underNodeEnv(secretEnv)}${laptopNote(slot)}`,
          },
        ],
      ];
    }),
  ),
  // The two refusals of several values run at verbose log levels (debug in development, trace in
  // test) with every debug namespace on (DEBUG=*, NODE_DEBUG), where apps echo what they received: a
  // refusal is output like any other.
  'all-malformed': {
    env: { DATABASE_URL: BAD_PORT_URL, SESSION_SECRET: SHORT_SECRET, PORT: 'abc', NODE_ENV: 'development', LOG_LEVEL: 'debug', ...DEBUG_ALL },
    names: ['DATABASE_URL', 'SESSION_SECRET', 'PORT'],
    situation: `when DATABASE_URL has a bad port (${BAD_PORT_URL.replace(DB_PASSWORD, '…').replace(QUERY_PASSWORD, '…')}), SESSION_SECRET is ${SHORT_SECRET.length} characters long and PORT is abc (NODE_ENV=development, LOG_LEVEL=debug, DEBUG=*, NODE_DEBUG=${NODE_DEBUG.split(',').slice(0, 3).join(',')},…)`,
  },
  'missing-and-malformed': {
    // Started as `npm run test:e2e` starts it: a default under npm_lifecycle_event=test:* fills DATABASE_URL.
    env: { SESSION_SECRET: SHORT_SECRET, PORT: '99999', NODE_ENV: 'test', npm_lifecycle_event: 'test:e2e', LOG_LEVEL: 'trace', ...DEBUG_ALL },
    names: ['DATABASE_URL', 'SESSION_SECRET', 'PORT'],
    situation: `when DATABASE_URL is not set, SESSION_SECRET is ${SHORT_SECRET.length} characters long and PORT is 99999 (NODE_ENV=test, npm_lifecycle_event=test:e2e, LOG_LEVEL=trace, DEBUG=*, NODE_DEBUG=${NODE_DEBUG.split(',').slice(0, 3).join(',')},…)`,
  },
  empty: {
    env: { DATABASE_URL: '', SESSION_SECRET: '' },
    names: ['DATABASE_URL', 'SESSION_SECRET'],
    situation: 'when DATABASE_URL and SESSION_SECRET are set to empty strings',
    rule: 'An empty variable counts as missing.',
  },
  ...Object.fromEntries(
    [
      ['url-without-scheme', 'db.internal/bookshop', 'is not a URL (db.internal/bookshop)'],
      ['url-without-host', 'postgres:///bookshop', 'has no host (postgres:///bookshop)'],
      ['url-with-password-without-host', HOSTLESS_URL, `has a password but no host (${HOSTLESS_URL.replace(DB_PASSWORD, '…').replace(QUERY_PASSWORD, '…')})`],
      // A scheme and a path but no // at all: URL.canParse() takes both, and neither has a host.
      ['url-opaque', 'postgres:bookshop', 'has no host (postgres:bookshop)'],
      ['url-one-slash', 'postgres:/bookshop', 'has no host (postgres:/bookshop)'],
    ].map(([name, url, what]): [string, Refusal] => [
      name!,
      // The one with a password runs at LOG_LEVEL=silly (winston's level beyond debug), where an app may
      // log the validator's raw issues, input included (red team 06 r8).
      url === HOSTLESS_URL
        ? { env: { ...valid, DATABASE_URL: url, LOG_LEVEL: 'silly' }, names: ['DATABASE_URL'], fine: ['SESSION_SECRET'], situation: `when DATABASE_URL ${what} (LOG_LEVEL=silly)`, rule: 'DATABASE_URL must be a URL with a host (new URL(value).hostname is not empty).' }
        : { env: { ...valid, DATABASE_URL: url }, names: ['DATABASE_URL'], fine: ['SESSION_SECRET'], situation: `when DATABASE_URL ${what}`, rule: 'DATABASE_URL must be a URL with a host (new URL(value).hostname is not empty).' },
    ]),
  ),
  // Far below the rule, and one character below it.
  ...Object.fromEntries(
    [
      ['short-secret', SHORT_SECRET],
      ['secret-31', SECRET_31],
    ].map(([name, secret]): [string, Refusal] => [
      name!,
      // The short one at LOG_LEVEL=silly, as the hostless URL (red team 06 r8: raw issues logged at silly only).
      { env: { ...valid, SESSION_SECRET: secret, ...(secret === SHORT_SECRET ? { LOG_LEVEL: 'silly' } : {}) }, names: ['SESSION_SECRET'], fine: ['DATABASE_URL'], situation: `when SESSION_SECRET is ${secret!.length} characters long${secret === SECRET_31 ? ` (${Buffer.byteLength(secret)} bytes)` : ' (LOG_LEVEL=silly)'}`, rule: `SESSION_SECRET must be at least 32 characters long${secret === SECRET_31 ? ', counted as characters (value.length), not bytes' : ''}.` },
    ]),
  ),
  // parseInt() reads 3000abc as 3000 and 80.5 as 80; -1 and 65536 are just outside the range, and
  // listen() refuses them with an error about options.port. (1e3 is left out: Number() and
  // z.coerce.number(), which the lesson shows, read it as the whole number 1000.)
  // PORT=abc comes with a mysql:// URL (a password in it): an app that checks the scheme, as the lesson
  // advises, refuses it too and must not quote it; one that does not refuses PORT alone.
  ...Object.fromEntries(
    BAD_PORTS.map((port): [string, Refusal] => [
      `port-${port}`,
      port === 'abc'
        ? { env: { ...valid, DATABASE_URL: MYSQL_URL, PORT: port }, names: ['PORT'], fine: ['SESSION_SECRET'], situation: `when PORT is ${port} (and DATABASE_URL a mysql:// URL)` }
        : { env: { ...valid, PORT: port }, names: ['PORT'], fine: ['DATABASE_URL', 'SESSION_SECRET'], situation: `when PORT is ${port}` },
    ]),
  ),
  production: {
    env: { NODE_ENV: 'production' },
    dotenv: `DATABASE_URL=${databaseUrl(FILE_DB_HOST)}\nSESSION_SECRET=${SESSION_SECRET}\n`,
    // Every file a loader might read, each enough to start: production loads none of them.
    others: ['.env.local', '.env.production', '.env.production.local'],
    templates: true,
    names: ['DATABASE_URL', 'SESSION_SECRET'],
    situation: 'with NODE_ENV=production, no variables in the environment and .env, .env.local, .env.production and .env.production.local files in the working directory',
    rule: 'With NODE_ENV=production, no .env file is loaded (not .env, not .env.local, not .env.production): only the real environment counts.',
  },
};

/**
 * The files a repository commits beside .env to document its variables (the lesson folder has
 * .env.example), or to hold defaults (dotenv-defaults' .env.defaults), with the values of the lesson's
 * .env.example. The starts without a required variable find them in their working directory, as a
 * fresh clone (or a staging box deployed from one) has them: an app that falls back to one of them
 * starts on its placeholders, the "silent default" the lesson warns about (red team 06 r6).
 */
const TEMPLATE_FILES = ['.env.example', '.env.sample', '.env.template', '.env.dist', '.env.defaults'];
const TEMPLATE_DOTENV = '# Development settings. Copy to .env (which git ignores) and adjust.\nDATABASE_URL=postgres://bookshop:bookshop@localhost:5432/bookshop\nSESSION_SECRET=replace-me-with-at-least-32-random-characters\n';

/**
 * An empty working directory of the check's own (holding `dotenv` as .env when given, and the
 * committed template files when `templates`), so that neither this machine's variables nor a .env in
 * the lesson folder can reach the app.
 */
function workingDir(t: LessonKit, dotenv?: string, others: string[] = [], templates = false): string {
  const cwd = t.tempDir('course-06-');
  if (dotenv !== undefined) writeFileSync(path.join(cwd, '.env'), dotenv);
  for (const file of others) writeFileSync(path.join(cwd, file), OTHER_DOTENV);
  if (templates) for (const file of TEMPLATE_FILES) writeFileSync(path.join(cwd, file), TEMPLATE_DOTENV);
  // A TMPDIR and a HOME of the start's own, read like its working directory (red team 06 r10: the
  // config appended to $TMPDIR/bookshop-debug.log).
  HOMES.set(cwd, { TMPDIR: t.tempDir('course-06-tmp-'), HOME: t.tempDir('course-06-home-') });
  return cwd;
}

/** The TMPDIR and HOME given to the start in each working directory. */
const HOMES = new Map<string, { TMPDIR: string; HOME: string }>();
/** A start's environment with the TMPDIR and HOME of its working directory `cwd`. */
const at = (cwd: string, env: Env): Env => ({ ...env, ...HOMES.get(cwd) });

const plain = (output: string) => output.replace(/\x1b\[[0-9;]*m/g, '');

/** A refused start: its run, and the port the grader held for it and gave it as PORT (none when the refusal sets PORT). */
interface RefusedRun extends Startup {
  heldPort?: number;
  /** What the app wrote in its working directory, read like its output (red team 06 r9: a config-error.log). */
  files: { name: string; text: string; place: string }[];
}

const listenErrorIn = (run: Startup) => /\b(EADDRINUSE|EACCES)\b/.exec(plain(run.output))?.[1];
/** Whether the process went on to listen (or tried to, on a port it could not have). */
const triedToListen = (run: Startup) => !run.exit || run.acceptedConnection || (run.listenedOn?.length ?? 0) > 0 || listenErrorIn(run) !== undefined;

/** What other refusals tell about the cause: a run that listens before validating, or required values with a default. */
interface Causes {
  /** The app tries to listen with a secret that is too short and with a DATABASE_URL that is no URL: it listens before it validates. */
  listensFirst: boolean;
  /** The required variables it goes on without when each is the only one missing (same NODE_ENV). */
  defaulted: string[];
}

/** The NODE_ENVS slot of a refusal: its own, or its NODE_ENV. */
const slotOf = (refusal: Refusal) => ('slot' in refusal ? refusal.slot : refusal.env.NODE_ENV);

/**
 * The file whose PORT a start failed to listen on, of `filePorts` (each file's PORT, one the grader holds
 * open, a different one per file, so the message names the file that won: red team 06 r10, a
 * .env.development.local loaded with override was reported as .env).
 */
const triedFilePort = (output: string, filePorts: Record<string, number> | undefined): [file: string, port: number] | undefined =>
  Object.entries(filePorts ?? {}).find(([, port]) => new RegExp(`\\b(EADDRINUSE|in use)\\b[^\\n]*\\b${port}\\b|\\b${port}\\b[^\\n]*\\b(EADDRINUSE|in use)\\b`, 'i').test(plain(output)));

/** The process stopped on its own, with a non-zero code, before listening, naming each variable. */
function expectRefusedToStart(run: RefusedRun, { situation, names, env, rule, fine = [], templates }: Refusal, causes: Causes = { listensFirst: false, defaulted: [] }): void {
  const output = plain(run.output);
  const templatesNote = templates ? TEMPLATES_HELD : '';
  // The held PORT: an app that listens before validating fails to, and never gets to its report.
  const listenError = listenErrorIn(run);
  const filledIn = names.filter((name) => causes.defaulted.includes(name));
  if (listenError) {
    expectThat(
      false,
      !run.heldPort && names.includes('PORT')
        ? `Expected src/server.ts to refuse PORT=${env.PORT} ${situation}, got ${listenError} from listen(): it read ${env.PORT} as a port and tried to listen on it. PORT must be a whole number from 0 to 65535, as written.`
        : filledIn.length > 0 && !causes.listensFirst
          ? `Expected src/server.ts to exit naming ${list(filledIn)} ${situation}, got it going on to listen (${listenError} ${run.heldPort ? `on port ${run.heldPort}, which the grader holds open` : 'on a port another process held'}): it fills a missing ${list(filledIn)} with a default of its own. Required values have no default, in any environment.${templatesNote}`
          : !causes.listensFirst
            ? `Expected src/server.ts to refuse to start ${situation}, got it going on to listen (${listenError} on port ${run.heldPort}, the PORT it was given, which the grader holds open): it accepted this configuration, though it refuses others before listening.${rule ? ` ${rule}` : ''}`
            : `Expected src/server.ts to check its configuration before listening ${situation}, got ${listenError} on port ${run.heldPort} (the PORT it was given, which the grader holds open): it tried to listen before checking its configuration. Validate every variable first, then call app.listen().`,
    );
  }
  const listened = run.acceptedConnection || (run.listenedOn?.length ?? 0) > 0;
  if (!run.exit) {
    const absent = names.filter((name) => !env[name]);
    const fallback = causes.listensFirst
      ? ' It listens before checking its configuration (it tries to with a short SESSION_SECRET too): validate every variable first, then call app.listen().'
      : absent.length > 0
        ? ` A missing ${list(absent)} must stop it, not be filled with a default or only warned about. Required values have no default in any environment${env.NODE_ENV ? `, ${env.NODE_ENV} included` : ''}.${templatesNote}`
        : '';
    expectThat(
      false,
      listened
        ? `Expected src/server.ts to exit with an error ${situation}, got a server listening on ${run.listenedOn?.length ? `port ${run.listenedOn[0]}` : 'its port'}: it started without a valid configuration.${fallback}`
        : `Expected src/server.ts to exit with an error ${situation}, got a process still running after ${STOP_WITHIN_MS / 1000} s.`,
    );
  }
  const { code, signal } = run.exit!;
  expectThat(
    code !== 0 && code !== null,
    `Expected src/server.ts to exit with a non-zero code ${situation}, got ${signal ? `killed by ${signal}` : 'code 0'}: process managers and deploy tools read 0 as success.`,
  );
  expectThat(
    !listened,
    `Expected src/server.ts never to accept a connection ${situation}, got a server that listened before it exited. Validate before app.listen().`,
  );
  // A logger without a silly level (pino) may refuse LOG_LEVEL=silly by name, as lesson 07 asks, before
  // it reads the rest: that refusal stands for this one (other refusals name these variables), and its
  // output is still read for secrets.
  const levelRefused = env.LOG_LEVEL === 'silly' && /\bLOG_LEVEL\b/.test(output);
  const unnamed = levelRefused ? [] : names.filter((name) => !new RegExp(`\\b${name}\\b`).test(output));
  const named = names.filter((name) => !unnamed.includes(name));
  const filled = unnamed.filter((name) => causes.defaulted.includes(name));
  expectThat(
    unnamed.length === 0,
    `Expected the output to name ${list(unnamed)} ${situation}, got ${output.trim() ? show(output.trim(), 160) : 'no output at all'}.` +
      (filled.length > 0
        ? ` Without ${list(filled)} alone the app starts: it fills a missing or empty ${list(filled)} with a default of its own. Required values have no default, in any environment.${templatesNote}`
        : named.length > 0
          ? ` It named only ${list(named)}: ${unreported(unnamed, env)}, or it stops before it has checked every variable. Check each variable against its rule, then stop once with every problem.`
          : ''),
  );
  // PORT is fine wherever it is not named as wrong: set and valid (the held port), or unset, when it
  // takes its default; a notice about it ("PORT is not set, using 3000", "PORT ok") names it all the
  // same (red team 06 r7).
  const portFine = !names.includes('PORT');
  const alsoNamed = [...fine, ...(portFine ? ['PORT'] : [])].filter((name) => new RegExp(`\\b${name}\\b`).test(output));
  const portUnset = alsoNamed.includes('PORT') && 'PORT' in env && env.PORT === undefined;
  expectThat(
    alsoNamed.length === 0,
    `Expected the output to name only what is wrong ${situation}, got it naming ${list(alsoNamed)} too, which ${alsoNamed.length > 1 ? 'are' : 'is'} ${portUnset ? `fine (${alsoNamed.length > 1 ? 'set and valid, and PORT ' : ''}optional and unset: it takes its default ${DEFAULT_PORT})` : 'set and valid'}: ${show(output.trim(), 160)}. Name each variable that breaks its rule and no other, not even as "ok" or with a notice about its default, at any log level: a list of every variable on any problem sends the operator to check them all.`,
  );
}

/**
 * Why a refusal that names some variables leaves `unnamed` out, as far as the grader can tell: a rule
 * that lets the value through, or a default for a missing one (red team 06 r8: an app that checked every
 * variable, with a URL rule too loose for a port of 99999, was told to check every variable).
 */
const unreported = (unnamed: string[], env: Env) => {
  const [set, unset] = [unnamed.filter((name) => env[name]), unnamed.filter((name) => !env[name])];
  return [
    ...(set.length ? [`either its rule for ${list(set)} accepts the value given (what is wrong with it is named above)`] : []),
    ...(unset.length ? [`${set.length ? '' : 'either '}it gives a missing ${list(unset)} a value of its own`] : []),
  ].join(', ');
};

/** Where a default can come from besides the code. */
const TEMPLATES_HELD = ` (The working directory held ${TEMPLATE_FILES.join(', ')}, as a clone of the repository does: such a file documents the variables and is never loaded.)`;

const list = (names: string[]) => (names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names.join(''));

/**
 * Why a start given PORT= (port 3000 held) listens on `port`: a port the system picked (listen(0), from
 * the ephemeral range), or one the app chose itself after 3000 turned out to be taken (a fallback such
 * as Vite's port + 1), which it tells by trying 3000 first (EADDRINUSE, "in use") or by the port.
 */
function whyElsewhere(run: Startup, port: number, zero: string): string {
  const triedDefault = new RegExp(`\\b(EADDRINUSE|in use)\\b[^\\n]*\\b${DEFAULT_PORT}\\b|\\b${DEFAULT_PORT}\\b[^\\n]*\\b(EADDRINUSE|in use)\\b`, 'i').test(plain(run.output));
  return triedDefault || (port > DEFAULT_PORT && port <= DEFAULT_PORT + 100)
    ? `it moved to another port of its own when port ${DEFAULT_PORT} was taken. A taken port must stop the server (EADDRINUSE), not move it: the operator, the proxy and the health check look for it on the port configured.`
    : zero;
}

/**
 * What a start given the held port 3000 did when it is still running, listening on no port the grader
 * saw, and printed nothing about the port (red team 06 r9: an app that retried 3000 every second was
 * told it listened on a port of its own choosing).
 */
const STILL_WAITING = `it listened on no port the grader could see: it did not stop when port ${DEFAULT_PORT} was taken (it waits for the port to come free, retries it, or its error handler only logs). When the configured port is taken the server must stop (exit non-zero, EADDRINUSE), not wait for the port nor move to another.`;

/**
 * Why a start given the held port 3000 is still running without listening: it saw listen() fail
 * (EADDRINUSE, "in use" in its output) and carried on (a retry loop, an error handler that only logs),
 * or, with no such line, `otherwise`.
 */
function stillRunning(run: Startup, otherwise: string): string {
  const failed = /^.*\b(EADDRINUSE|in use|busy|taken)\b.*$/im.exec(plain(run.output))?.[0];
  return failed
    ? `listen() failed (${show(failed.trim(), 100)}) and the process carried on (it retries, or its error handler only logs). When the configured port is taken the server must stop (exit non-zero), not wait for the port nor move to another.`
    : otherwise;
}

/**
 * The files the app wrote in its working directory `cwd` (a log file), apart from the grader's own:
 * their text, to be read for secrets like the app's output.
 */
function filesWritten(cwd: string, own: string[]): { name: string; text: string; place: string }[] {
  const homes = HOMES.get(cwd);
  const folders: [string, string, string, string[]][] = [
    [cwd, '', 'in its working directory', own],
    ...(homes
      ? ([
          [homes.TMPDIR, '$TMPDIR/', 'in its TMPDIR (a temp folder of its own the grader gave it and read)', []],
          [homes.HOME, '~/', 'in its HOME (a folder of its own the grader gave it and read)', []],
        ] as [string, string, string, string[]][])
      : []),
  ];
  return folders.flatMap(([folder, prefix, place, skip]) => {
    const names = (readdirSync(folder, { recursive: true }) as string[]).filter((name) => !skip.includes(name) && !name.split(path.sep).includes('node_modules'));
    return names.flatMap((name) => {
      const file = path.join(folder, name);
      const stats = statSync(file, { throwIfNoEntry: false });
      return stats?.isFile() ? [{ name: `${prefix}${name}`, text: readFileSync(file).subarray(0, 1_000_000).toString('utf8'), place }] : [];
    });
  });
}

/**
 * The files in the folder the apps run from (the compiled copy of the lesson folder) that the learner's
 * folder does not hold as they are: what the app wrote beside its code, found from import.meta.url or
 * __dirname rather than the working directory. The JavaScript compiled beside each .ts file is the grader's.
 */
function filesBesideCode(t: LessonKit): { name: string; text: string }[] {
  const names = (readdirSync(t.runDir, { recursive: true }) as string[]).filter((name) => !name.split(path.sep).includes('node_modules') && name !== BUILD_ERROR_FILE);
  return names.flatMap((name) => {
    const file = path.join(t.runDir, name);
    if (!statSync(file, { throwIfNoEntry: false })?.isFile()) return [];
    if (/\.[cm]?js$/.test(name) && existsSync(path.join(t.dir, name.replace(/\.([cm]?)js$/, '.$1ts')))) return [];
    const text = readFileSync(file);
    const original = path.join(t.dir, name);
    if (existsSync(original) && readFileSync(original).equals(text)) return [];
    return [{ name, text: text.subarray(0, 1_000_000).toString('utf8') }];
  });
}

/**
 * POST /session signs the customer's name with SESSION_SECRET (src/app.ts: name.HMAC-SHA256 in
 * base64url): the cookie tells which secret the app really uses.
 */
function expectSignedWith(reply: Reply, secrets: string[], situation: string, others: [secret: string, cause: string][] = []): void {
  expectStatus(reply, 201);
  const cookie = ([] as string[]).concat(reply.headers['set-cookie'] ?? []).find((line) => line.startsWith('sid='));
  const value = cookie && decodeURIComponent(cookie.slice('sid='.length).split(';')[0]!);
  const signature = (secret: string) => `ada.${createHmac('sha256', secret).update('ada').digest('base64url')}`;
  // A secret the grader knows the cookie is signed with tells the cause; another is a value the .env reader changed.
  const cause = others.find(([secret]) => signature(secret) === value)?.[1];
  expectThat(
    value !== undefined && secrets.map(signature).includes(value),
    !cookie
      ? `Expected POST /session to set the signed sid cookie ${situation}, got no sid cookie: src/app.ts signs it with SESSION_SECRET; leave it as it is.`
      : cause
        ? `Expected POST /session to sign its cookie with ${secrets.length > 1 ? 'the SESSION_SECRET .env gives' : 'the SESSION_SECRET the environment gives'} ${situation}, got a cookie signed with ${cause}`
        : `Expected POST /session to sign its cookie with the SESSION_SECRET .env gives ${situation}, got a cookie signed with another value: the .env reader changed it (kept the quotes or the comment after it). Read .env with dotenv or process.loadEnvFile(), which strip both.`,
  );
}

/** Secrets a start's cookie may be signed with by mistake, each with what that tells. */
const NAIVE_SIGNATURE: [string, string][] = [
  [NAIVE_SECRET, `${NAIVE_SECRET}, a line inside the double-quoted value of WELCOME, which spans three lines: the .env reader goes line by line instead of parsing the file (a quoted value may hold newlines). Read .env with dotenv or process.loadEnvFile().`],
];

/** The database host the running app reports in GET /health. */
async function expectDatabaseHost(reply: Reply, expected: string, situation: string): Promise<void> {
  expectStatus(reply, 200);
  const other = expected === ENV_DB_HOST ? FILE_DB_HOST : ENV_DB_HOST;
  const shown = [expected, other, NAIVE_DB_HOST].find((host) => reply.text.includes(host));
  expectThat(
    shown === expected,
    `Expected GET /health to report the database ${expected} ${situation}, got ${shown ?? show(reply.text, 80)}` +
      (shown === NAIVE_DB_HOST
        ? `: that host is on a line inside the double-quoted value of SIGNATURE in .env, which spans three lines. The .env reader goes line by line instead of parsing the file (a quoted value may hold newlines); read .env with dotenv or process.loadEnvFile().`
        : '.'),
  );
}

/** The secrets a start was given, in its environment and its .env: SESSION_SECRET and any database password. */
function secretsOf(env: Env, dotenv = ''): [secret: string, what: string][] {
  const fromFile = Object.entries(parseEnv(dotenv));
  const secrets: [string, string][] = [];
  for (const [name, value] of [...Object.entries(env), ...fromFile]) {
    if (!value) continue;
    if (name === 'SESSION_SECRET') secrets.push([value, 'SESSION_SECRET']);
    // From the text, not new URL(): a malformed URL's password is as secret as a valid one's.
    const [, user, password] = (name === 'DATABASE_URL' && /^[a-z]+:\/\/([^:@/]*):([^@/]+)@/.exec(value)) || [];
    if (password) secrets.push([password, user === password ? USER_IS_PASSWORD : 'the database password']);
    const inQuery = name === 'DATABASE_URL' ? /[?&]password=([^&#]+)/.exec(value)?.[1] : undefined;
    if (inQuery) secrets.push([inQuery, 'the database password (given in the query string, ?password=)']);
  }
  return secrets;
}

/** The password of a URL whose user name is the password too (bookshop:bookshop). */
const USER_IS_PASSWORD = "the database password (here the URL's user name too, as in bookshop:bookshop: a user name printed, in a URL whose password is masked too, shows the password; print the host alone)";

/** Characters that stand for hidden ones in a "masked" preview (Wm********vZ, Wm…vZ, Wm####, Wm3...vZ1). */
const MASK = '[*•·#xX_?….-]';
/**
 * A word that stands for hidden characters, bracketed or not: Wm3[REDACTED]vZ1, Wm3<hidden>vZ1,
 * Wm3(masked)vZ1 (red team 06 r7). Next to the secret's characters, with no space between.
 */
const MASK_WORD = '(?:\\[[^\\]\\s]{1,24}\\]|<[^>\\s]{1,24}>|\\([^)\\s]{1,24}\\)|\\{[^}\\s]{1,24}\\}|REDACTED|redacted|HIDDEN|hidden|MASKED|masked)';
/** A mask between or beside a secret's characters: a run of mask characters (a space before allowed), an ellipsis or a mask word. */
const MASKED = `(?: ?(?:${MASK}{2,}|…)|${MASK_WORD})`;
const MASKED_AFTER = `(?:(?:${MASK}{2,}|…) ?|${MASK_WORD})`;
/**
 * This many of a secret's first or last characters, standing alone (not inside a longer word or
 * number), count as shown without a mask: 'ends with "vZ1"', a key id (red team 06 r7). Two alone are
 * too common a token (Pg, db) to tell.
 */
const BARE_AFFIX = 3;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * What `text` shows of `secret`: all of it, a run of SHOWN_CHARACTERS of its characters, its first
 * or last MASKED_AFFIX characters or more (fewer than SHOWN_CHARACTERS) against a mask (`Wm********`,
 * `********vZ`, `Wm3...vZ1`, a space between allowed), or one character of its ends beside a mask.
 */
function shownPart(text: string, secret: string): string | undefined {
  if (text.includes(secret)) return secret;
  for (let start = 0; start + SHOWN_CHARACTERS <= secret.length; start++) {
    const part = secret.slice(start, start + SHOWN_CHARACTERS);
    if (text.includes(part)) return part;
  }
  const word = '[\\p{L}\\p{N}]';
  for (let length = SHOWN_CHARACTERS - 1; length >= MASKED_AFFIX; length--) {
    const [head, tail] = [escape(secret.slice(0, length)), escape(secret.slice(-length))];
    const found = new RegExp(`${head}${MASKED}|${MASKED_AFTER}${tail}`).exec(text)?.[0];
    if (found) return found;
  }
  // The first or last BARE_AFFIX characters on their own, no mask needed (red team 06 r7).
  const [head, tail] = [escape(secret.slice(0, BARE_AFFIX)), escape(secret.slice(-BARE_AFFIX))];
  const bare = new RegExp(`(?<!${word})(?:${head}|${tail})(?!${word})`, 'u').exec(text)?.[0];
  if (bare) return bare;
  // One character at each end around a mask (W************Z), or one at either end against a run of
  // stars or bullets (W*******): a word's letter never touches them (red team 06 r6).
  const [first, last] = [escape(secret.slice(0, 1)), escape(secret.slice(-1))];
  return new RegExp(`(?<!${word})${first}${MASKED} ?${last}(?!${word})|(?<!${word})${first}[*•]{3,}|[*•]{3,}${last}(?!${word})`, 'u').exec(text)?.[0];
}

/**
 * A base64, base64url or hex token in `text` that decodes to SHOWN_CHARACTERS of `secret` in a row:
 * an encoding hides nothing (red team 06 r7: the secret in base64 at LOG_LEVEL=debug). Random
 * tokens (hashes, ids) decode to bytes that hold such a run with odds of one in four billion.
 */
function encodedPart(text: string, secret: string): string | undefined {
  const runs = Array.from({ length: Math.max(1, secret.length - SHOWN_CHARACTERS + 1) }, (_, start) => secret.slice(start, start + SHOWN_CHARACTERS));
  for (const [token] of text.matchAll(/[A-Za-z0-9+/_-]{8,}={0,2}/g)) {
    const decoded = [Buffer.from(token, 'base64').toString('utf8'), /^(?:[0-9a-fA-F]{2})+$/.test(token) ? Buffer.from(token, 'hex').toString('utf8') : ''];
    if (decoded.some((bytes) => runs.some((run) => bytes.includes(run)))) return token;
  }
  return printedBytes(text).find(({ bytes }) => runs.some((run) => bytes.includes(run)))?.printed;
}

/**
 * Bytes printed as numbers, in hex pairs or in decimal, with separators (an inspected Buffer, <Buffer 57
 * 6d 33 …>, or Uint8Array, [ 87, 109, 51, … ], a hex dump 57:6d:33): what they spell. Red team 06 r11: a
 * secret kept as a Buffer and printed whole in a startup summary that redacted strings only.
 */
function printedBytes(text: string): { printed: string; bytes: string }[] {
  const hex = [...text.matchAll(/(?:0x)?[0-9a-f]{2}(?:[\s,:]+(?:0x)?[0-9a-f]{2}){3,}/gi)].map(([printed]) => ({ printed, bytes: Buffer.from(printed.replace(/0x|[\s,:]/gi, ''), 'hex').toString('utf8') }));
  const decimal = [...text.matchAll(/\b\d{1,3}(?:\s*,\s*\d{1,3}){3,}\b/g)].map(([printed]) => ({ printed, bytes: Buffer.from(printed.split(/\s*,\s*/).map(Number).filter((byte) => byte < 256)).toString('utf8') }));
  return [...hex, ...decimal];
}

/**
 * A request to a server that has already answered GET /health with 200 during startup (this lesson
 * leaves the routes alone). No answer now, on a machine far too busy (the grader's own requests then
 * wait for a CPU too), is not the app's doing: the grader cannot judge.
 */
async function answered(server: RunningServer, method: 'get' | 'post' | 'put', path: string, body?: object | string): Promise<Reply> {
  try {
    return await (method === 'get'
      ? server.client.get(path)
      : server.client.request(method.toUpperCase(), path, typeof body === 'string' ? { body, headers: { 'content-type': 'application/json' } } : { body }));
  } catch (error) {
    const busy = busyMachine();
    if (error instanceof CheckFailure && busy && /got none within/.test(error.message)) {
      throw new CannotJudge(`${method.toUpperCase()} ${path} got no answer from src/server.ts, which had answered GET /health while it started: ${busy}. Grade again when it is quieter.`);
    }
    throw error;
  }
}
const healthOf = (server: RunningServer) => answered(server, 'get', '/health');

/**
 * Runs `judge`; a failure it throws is about `what` (one run's output, the request that showed it):
 * the report then shows that output and request, not the last of the many the check read.
 */
async function failingAbout(what: FailureAbout, judge: () => void | Promise<void>): Promise<void> {
  try {
    await judge();
  } catch (error) {
    if (error instanceof CheckFailure && !('about' in error)) Object.assign(error, { about: what });
    throw error;
  }
}

/** What a normal start was asked again after something that may reload its settings, and how it got there. */
interface Reload {
  how: string;
  /** GET /health (the database host) and POST /session (the cookie's signature). */
  replies: [Reply, Reply];
}
const HUNG_UP = 'after SIGHUP (kill -HUP), which the app handled and lived on';
/** Appended to the development start's .env and other files while it runs, as a developer edits them. */
const EDITED_LINE = '\n# edited while the app ran\n';
const EDITED = 'after its .env and the other files were edited while it ran (a comment line appended, as a developer does): the app reloaded them';

/** How long SIGHUP is given to show what it does: exit (Node's default) or print something. */
const HANGUP_WAIT_MS = 2000;

/**
 * SIGHUP to the app, as `kill -HUP` sends it to have a configuration re-read: waits until the process
 * exits (Node's default for SIGHUP) or prints something, then a moment more for the rest of it.
 */
async function hangUp(app: AppProcess): Promise<void> {
  const before = app.mark;
  try {
    process.kill(app.child.pid!, 'SIGHUP');
  } catch {
    return; // gone already
  }
  const until = Date.now() + HANGUP_WAIT_MS;
  while (app.running && app.mark === before && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 25));
  if (app.running) await new Promise((resolve) => setTimeout(resolve, 100));
}

/**
 * Routes an app may add to show its settings while developing (Spring's /actuator/env, a /debug/config
 * of its own): the normal starts ask each of them, since an answer is output too (red team 06 r6). A
 * route under another name is as wrong, and out of the grader's sight.
 */
/**
 * The settings routes the development start asks under other methods too: POST (a "reload" that answers
 * what is now in effect) and PUT on /config (red team 06 r9: POST /config answered the whole config).
 */
const OTHER_METHOD_PATHS: ['post' | 'put', string][] = [
  ...['/config', '/env', '/settings', '/debug/config', '/admin/config'].map((path): ['post', string] => ['post', path]),
  ['put', '/config'],
];
const DEBUG_PATHS = [
  '/config', '/env', '/settings', '/debug', '/debug/config', '/debug/env', '/_debug/config', '/admin/config', '/actuator/env',
  // Where a single-page app fetches its settings, and the status pages that list them (red team 06 r10: GET /api/config).
  '/api/config', '/api/env', '/api/settings', '/api/debug', '/status', '/api/status', '/info', '/health?verbose=1',
];

/** The port, taken for the duration of a check, as app.listen(port) would take it; undefined when it is taken already. */
function holdPort(port: number): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer((socket) => socket.destroy());
    server.once('error', () => resolve(undefined));
    server.listen(port, () => resolve(server));
  });
}

lesson('06-configuration', (t) => {
  // Each start the app must refuse runs once; the check about secrets reads the output of them all.
  const refusal = (name: string) => {
    const { env, dotenv, others, templates } = REFUSALS[name]!;
    return async (): Promise<RefusedRun> => {
      const cwd = workingDir(t, dotenv, others, templates);
      const own = [...(dotenv === undefined ? [] : ['.env']), ...(others ?? []), ...(templates ? TEMPLATE_FILES : [])];
      // Where a value is wrong (not missing) and the refusal sets no PORT, its PORT is one the grader
      // holds open: an app that listens before validating fails with EADDRINUSE, whatever the timing.
      // Elsewhere every port the process listens on is watched: an app that goes on without a
      // missing value (a default, a warning) listens and stays.
      if (env.PORT !== undefined || name.startsWith('missing-')) return { ...(await t.startup({ env: at(cwd, env), cwd, anyPort: true }, STOP_WITHIN_MS, true)), files: filesWritten(cwd, own) };
      const holder = await holdPort(0);
      const heldPort = holder && (holder.address() as AddressInfo).port;
      try {
        const run = await t.startup({ env: at(cwd, heldPort ? { ...env, PORT: String(heldPort) } : env), cwd, anyPort: true }, STOP_WITHIN_MS, true);
        return { ...run, heldPort, files: filesWritten(cwd, own) };
      } finally {
        holder?.close();
      }
    };
  };
  const refused = (name: string) => t.shared(`refusal ${name}`, refusal(name));
  /** Starts a refusal that a check will ask for soon, without waiting for it. */
  const startRefused = (name: string) => t.startShared(`refusal ${name}`, refusal(name));
  /** The refusals causesOf() reads for a refusal under `nodeEnv` that must name `names`. */
  const causeRuns = (nodeEnv: string | undefined, names: string[]) => {
    const missing = NODE_ENVS.includes(nodeEnv) ? names.filter((name) => name === 'DATABASE_URL' || name === 'SESSION_SECRET') : [];
    return { missing, runs: ['short-secret', 'url-without-scheme', ...missing.map((name) => `missing-${name.toLowerCase().replace('_', '-')}-${nodeEnv ?? 'unset'}`)] };
  };
  /** The causes other refusals show (see Causes), for a refusal under `nodeEnv` that must name `names`. */
  const causesOf = async (nodeEnv: string | undefined, names: string[]): Promise<Causes> => {
    const { missing, runs: needed } = causeRuns(nodeEnv, names);
    // One wrong value the app may have let through tells nothing; two of different variables do.
    const [short, notUrl, ...runs] = await Promise.all(needed.map(refused));
    return { listensFirst: triedToListen(short!) && triedToListen(notUrl!), defaulted: missing.filter((_, index) => triedToListen(runs[index]!)) };
  };
  /**
   * Starts the named refusals side by side, with every refusal their causes are read from, then judges
   * them in order. All at once: an app that never exits costs one wait of STOP_WITHIN_MS per check, not
   * two in a row, which the check's time limit could not hold (red team 06 r4: exit 2 for such an app).
   * (Not every refusal of the lesson at once: two dozen processes that never exit, watched side by side,
   * starve the grader's requests to the one server another check starts meanwhile.)
   */
  const expectRefused = async (...names: string[]) => {
    for (const name of names) for (const cause of causeRuns(slotOf(REFUSALS[name]!), REFUSALS[name]!.names).runs) startRefused(cause);
    const runs = await Promise.all(names.map(refused));
    for (const [index, name] of names.entries()) {
      const refusal = REFUSALS[name]!;
      const causes = await causesOf(slotOf(refusal), refusal.names);
      await failingAbout({ output: runs[index]!.output }, () => expectRefusedToStart(runs[index]!, refusal, causes));
    }
  };
  /**
   * A normal start with secrets in the environment and other ones in .env: NODE_ENV unset, or
   * development with LOG_LEVEL=debug. Its replies and its whole output up to exit, for the checks
   * about which value wins and about secrets.
   */
  const normalStart = (mode: 'unset' | 'development') => t.shared(`normal start ${mode}`, normalRun(mode));
  function normalRun(mode: 'unset' | 'development') {
    return async () => {
      const env: Env = mode === 'unset' ? valid : DEVELOPMENT_ENV;
      const others = otherEnvFiles(env.NODE_ENV);
      // Every file beside the environment gives a PORT of its own, one the grader holds open: an app
      // that takes PORT from a file over the environment's fails to listen (EADDRINUSE on that port;
      // red team 06 r7: only DATABASE_URL was tried).
      const holders = await Promise.all(['.env', ...others].map(async (file) => [file, await holdPort(0)] as const));
      const filePorts = Object.fromEntries(holders.flatMap(([file, holder]) => (holder ? [[file, (holder.address() as AddressInfo).port]] : [])));
      const fileText = (file: string) => `${OTHER_DOTENV}${filePorts[file] ? `PORT=${filePorts[file]}\n` : ''}`;
      const cwd = workingDir(t, fileText('.env'), []);
      for (const file of others) writeFileSync(path.join(cwd, file), fileText(file));
      const holder = { close: () => holders.forEach(([, held]) => held?.close()) };
      // The development start takes SESSION_SECRET from .env alone: an app that skips .env there refuses.
      const server = await t.serverOrExit({ env: at(cwd, env), cwd }).finally(() => holder.close());
      if (!('client' in server)) return { env, started: server, replies: [], reloads: [], output: server.output, files: filesWritten(cwd, ['.env', ...others]), filePorts };
      const listening = Date.now();
      const replies = [
        await healthOf(server),
        await answered(server, 'get', '/books'),
        await answered(server, 'post', '/session', { customer: 'ada' }),
        // A body that is not JSON: the error path, where a helpful handler may add "context".
        await answered(server, 'post', '/session', '{"customer": "ada"'),
        await answered(server, 'get', '/no-such-page'),
        ...(await Promise.all(DEBUG_PATHS.map((path) => answered(server, 'get', path)))),
        // The development start waits for late output anyway: the other methods cost no time there.
        ...(mode === 'development' ? await Promise.all(OTHER_METHOD_PATHS.map(([method, path]) => answered(server, method, path, {}))) : []),
      ];
      // The development start runs on for LATE_OUTPUT_MS after it listens: what an app prints a moment
      // later (a pool that reports once it is ready, a first heartbeat) is output too.
      // SIGHUP (kill -HUP) to the start with NODE_ENV unset, then the database and the cookie once more
      // if it is still running: a "reload" that loads .env again with override makes the files win from
      // then on (red team 06 r8). Node's default for SIGHUP is to exit, which is fine. The development
      // start has its files edited while it runs (a line appended, as a developer does), then is asked
      // again, and gets SIGHUP too when it listens for it (an app without a handler would exit, and its
      // SIGINT path go unread): a reload "only in development", on a signal or a file watcher, is a reload
      // all the same (red team 06 r11).
      const reloads: Reload[] = [];
      const askAgain = async (how: string) => reloads.push({ how, replies: [await healthOf(server), await answered(server, 'post', '/session', { customer: 'ada' })] });
      if (mode === 'development') {
        for (const file of ['.env', ...others]) appendFileSync(path.join(cwd, file), EDITED_LINE);
        await new Promise((resolve) => setTimeout(resolve, listening + LATE_OUTPUT_MS - Date.now()));
        if (server.process.running) await askAgain(EDITED);
      }
      if (mode === 'unset' || (server.process.running && catchesSignal(server.process.child.pid, 'SIGHUP'))) {
        await hangUp(server.process);
        if (server.process.running) await askAgain(HUNG_UP);
      }
      // Ctrl-C (SIGINT) in development, as a developer stops it; SIGTERM, as a platform does, otherwise.
      await server.process.stop(2000, mode === 'development' ? 'SIGINT' : 'SIGTERM');
      const replied = [...replies, ...reloads.flatMap((reload) => reload.replies)];
      return { env, started: server, replies: replied, reloads, output: server.process.output(), files: filesWritten(cwd, ['.env', ...others]), filePorts };
    };
  }
  /** A start watched until it exits (or STOP_WITHIN_MS), with the files it wrote in its working directory (besides .env). */
  const startupWithFiles = async (env: Env, dotenv?: string): Promise<RefusedRun> => {
    const cwd = workingDir(t, dotenv);
    const run = await t.startup({ env: at(cwd, env), cwd, anyPort: true }, STOP_WITHIN_MS, true);
    return { ...run, files: filesWritten(cwd, dotenv === undefined ? [] : ['.env']) };
  };
  /**
   * The ends of PORT's range, which must start: 0 with NODE_ENV=production (the production start,
   * whose output the check about secrets reads, the password in the user info and the query string),
   * and 65535 with LOG_LEVEL=silly (winston's level beyond debug), whose output the check about secrets
   * reads too. Whether an app knows that level does not matter: only a refusal that names PORT rejects 65535.
   */
  const portEnds = () =>
    t.shared('port ends', () =>
      Promise.all([
        startupWithFiles({ ...valid, DATABASE_URL: bothPasswordsUrl(ENV_DB_HOST), PORT: '0', NODE_ENV: 'production' }),
        // 65535 comes from .env alone (NODE_ENV=prod, short for production but not production: a
        // test such as /prod/i, startsWith('prod') or a list of aliases skips .env there, red team 06
        // r6 and r7; "any value at all", no PORT in the environment): an app that reads PORT before
        // it loads .env, or skips .env under prod, listens on 3000 instead.
        startupWithFiles({ ...valid, PORT: undefined, LOG_LEVEL: 'silly', NODE_ENV: PROD_ALIAS }, PORT_DOTENV),
      ]),
    );
  /**
   * PORT= and PORT=' ' while the grader holds port 3000 (the default): an app that uses the default
   * cannot listen, and fails on its error path (EADDRINUSE), whose output the check about secrets reads.
   * See EMPTY_PORT_STARTS for their NODE_ENVs and .env.
   */
  const emptyPortStarts = () =>
    t.shared('empty port', async () => {
      const holder = await holdPort(DEFAULT_PORT);
      try {
        // The password in the query string too: the line of a failed listen() that blanks only url.password prints it.
        return await Promise.all(
          EMPTY_PORT_STARTS.map(async ({ port, env, dotenv }): Promise<EmptyPortRun> => {
            const full = { ...valid, DATABASE_URL: bothPasswordsUrl(ENV_DB_HOST), ...env, PORT: port };
            return { ...(await startupWithFiles(full, dotenv)), env: full, dotenv };
          }),
        );
      } finally {
        holder?.close();
      }
    });
  const underEveryNodeEnv = (prefix: string) => NODE_ENVS.map((nodeEnv) => `${prefix}-${nodeEnv ?? 'unset'}`);
  /**
   * A start that needs .env (DOTENV): with NODE_ENV unset, nothing in the environment; with test
   * (LOG_LEVEL=trace, the most verbose level, for the check about secrets) and staging (a deployed
   * environment that is not production), DATABASE_URL in the environment and
   * SESSION_SECRET in .env alone, beside .env.local and .env.<NODE_ENV> files that disagree with the
   * environment. The test start's DATABASE_URL carries its password in the query string.
   * GET /health and the whole output up to exit, or how the process ended when it did not start.
   * The start with NODE_ENV unset gets SIGHUP before SIGTERM: what an app prints when it re-reads its
   * configuration (`kill -HUP`) is output too (red team 06 r6).
   */
  const dotenvStart = (nodeEnv: 'unset' | 'test' | 'staging') =>
    t.shared(`dotenv start ${nodeEnv}`, async () => {
      const env: Env =
        nodeEnv === 'unset'
          ? CI_SERVICE // a CI runner's variables: .env is loaded there too (red team 06 r7)
          : nodeEnv === 'test'
            ? // On a CI runner, where tests run: .env never overrides there either (red team 06 r9: override: Boolean(process.env.CI) passed).
              // The switches' other spellings too, DEBUG=1 and VERBOSE=true (red team 06 r11: VERBOSE=true passed).
              { NODE_ENV: nodeEnv, ...CI_SERVICE, LOG_LEVEL: 'trace', DATABASE_URL: queryPasswordUrl(ENV_DB_HOST), DEBUG: '1', VERBOSE: 'true' }
            : // An app's own debug switch (DEBUG=true, VERBOSE=1) rather than the debug package's DEBUG=* (red team 06 r10).
              { NODE_ENV: nodeEnv, DATABASE_URL: valid.DATABASE_URL, DEBUG: 'true', VERBOSE: '1' };
      const others = nodeEnv === 'unset' ? [] : otherEnvFiles(nodeEnv);
      const cwd = workingDir(t, DOTENV, others);
      const started = await t.serverOrExit({ env: at(cwd, env), cwd });
      if (!('client' in started)) return { env, started, replies: [], output: started.output, files: [] };
      // The session cookie is signed with SESSION_SECRET, which comes from .env in every one of these starts.
      const replies = [await healthOf(started), await answered(started, 'get', '/books'), await answered(started, 'post', '/session', { customer: 'ada' })];
      if (nodeEnv === 'unset') await hangUp(started.process);
      await started.process.stop(2000, nodeEnv === 'staging' ? 'SIGINT' : 'SIGTERM');
      return { env, started, replies, output: started.process.output(), files: filesWritten(cwd, ['.env', ...others]) };
    });

  // Every check starts processes of its own: they run side by side.
  t.concurrently(() => {
    t.check('06.starts-with-valid-environment', async () => {
      // The development start runs on LATE_OUTPUT_MS after it listens: begun with the first checks, its
      // wait overlaps theirs instead of ending the lesson's run on its own.
      if (['06.dotenv-file-alone-starts', '06.environment-wins-over-dotenv', '06.secrets-never-printed-or-served'].some(t.runs)) {
        t.startShared('normal start development', normalRun('development'));
      }
      // The postgresql:// scheme, which Postgres clients take as well as postgres:// (red team 06 r7:
      // an app that refused it passed; every other start uses postgres://).
      const server = await t.serverOrExit({ env: { ...valid, DATABASE_URL: POSTGRESQL_URL }, cwd: workingDir(t) });
      const situation = `with DATABASE_URL (postgresql://bookshop:…@${ENV_DB_HOST}:5432/bookshop) and SESSION_SECRET in the environment and no .env file`;
      if (!('client' in server)) {
        const message =
          `Expected src/server.ts to start ${situation}, but it ${server.description} during startup: ${show(plain(server.output).trim(), 160)}.` +
          (/\bDATABASE_URL\b/.test(plain(server.output)) ? ' A URL with a host is valid: postgresql:// is the other name of postgres://, and clients such as pg take both.' : '');
        throw Object.assign(new CheckFailure(message), { about: { output: server.output } });
      }
      await expectDatabaseHost(await healthOf(server), ENV_DB_HOST, situation);
    });

    t.check('06.missing-database-url-stops-startup', () => expectRefused(...underEveryNodeEnv('missing-database-url')));

    t.check('06.missing-session-secret-stops-startup', () => expectRefused(...underEveryNodeEnv('missing-session-secret')));

    t.check('06.every-problem-reported-in-one-run', () => expectRefused('all-malformed', 'missing-and-malformed'));

    t.check('06.empty-variables-count-as-missing', () => expectRefused('empty'));

    t.check('06.empty-port-means-default', async () => {
      // With the default port taken, an app that uses it cannot listen; one that turned PORT= into 0
      // listens on a port the system picked.
      // A blank PORT (a space) is held to the same: the default, or a refusal that names PORT; never 0.
      const [development, blank, madeUp, live] = await emptyPortStarts();
      const blankSituation = `(${emptyPortMode(blank!)}; port ${DEFAULT_PORT} was taken)`;
      const blankElsewhere = blank!.listenedOn?.filter((port) => port !== DEFAULT_PORT) ?? [];
      // PORT= under development (npm run dev) and under a NODE_ENV of the grader's own, no PORT under live; PORT=' ' under preprod.
      for (const run of [development!, madeUp!, live!]) {
        const situation = `when ${run.env.PORT === undefined ? 'PORT is not set' : 'PORT is set to an empty string (PORT=)'} while port ${DEFAULT_PORT} is taken (${emptyPortMode(run)})`;
        const elsewhere = run.listenedOn?.filter((port) => port !== DEFAULT_PORT) ?? [];
        await failingAbout({ output: run.output }, () =>
          expectThat(
            elsewhere.length === 0,
            `Expected the server to use its default port ${DEFAULT_PORT} ${situation}, got it listening on port ${elsewhere[0]}: ${whyElsewhere(run, elsewhere[0]!, run.env.PORT === undefined ? 'it chose a port of its own. Without PORT the server uses its default port, and stops when that is taken.' : "the empty string became 0, and listen(0) takes a random free port. An empty variable counts as missing.")}`,
          ),
        );
        if (run !== development) continue;
        await failingAbout({ output: blank!.output }, () => {
          expectThat(
            blankElsewhere.length === 0,
            `Expected PORT=' ' (a space) to be refused by name or to mean the default port ${DEFAULT_PORT}, got the server listening on port ${blankElsewhere[0]} ${blankSituation}: ${whyElsewhere(blank!, blankElsewhere[0]!, "Number(' ') is 0, like Number(''), and listen(0) takes a random free port. Trim the value before you read it.")}`,
          );
          expectThat(
            blank!.exit !== undefined || (blank!.listenedOn?.includes(DEFAULT_PORT) ?? false),
            `Expected PORT=' ' (a space) to be refused by name, or to mean the default port ${DEFAULT_PORT}, which the grader held, so that the server stops (EADDRINUSE) ${blankSituation}; got a process still running after ${STOP_WITHIN_MS / 1000} s without listening on port ${DEFAULT_PORT}: ${stillRunning(blank!, STILL_WAITING)}`,
          );
        });
        if (run.listenedOn?.includes(DEFAULT_PORT)) continue; // another process let go of it meanwhile, and the app took it
        await failingAbout({ output: run.output }, () => {
          expectThat(
            run.exit !== undefined,
            run.listenedOn
              ? `Expected the server to use its default port ${DEFAULT_PORT} ${situation}, got a process that neither listened nor exited within ${STOP_WITHIN_MS / 1000} s.`
              : `Expected the server to use its default port ${DEFAULT_PORT} ${situation}, got a process still running after ${STOP_WITHIN_MS / 1000} s: ${stillRunning(run, STILL_WAITING)}`,
          );
          const output = plain(run.output);
          expectThat(
            !/\bPORT\b/.test(output) || new RegExp(`EADDRINUSE|\\b${DEFAULT_PORT}\\b`).test(output),
            `Expected ${run.env.PORT === undefined ? 'no PORT' : 'PORT= (empty)'} to count as missing, so the server uses its default port ${DEFAULT_PORT} (${emptyPortMode(run)}); got it refusing to start, naming PORT: ${show(output.trim(), 160)}. PORT is optional, and an empty variable is an unset one.`,
          );
        });
      }
    });

    t.check('06.malformed-database-url-stops-startup', () => expectRefused('url-without-scheme', 'url-without-host', 'url-with-password-without-host', 'url-opaque', 'url-one-slash'));

    t.check('06.short-session-secret-stops-startup', () => expectRefused('short-secret', 'secret-31'));

    t.check('06.bad-port-stops-startup', async () => {
      // The range's ends are allowed: PORT=0 asks the system for a free port, and 65535 is the last one.
      const ends = portEnds();
      await expectRefused(...BAD_PORTS.map((port) => `port-${port}`));
      for (const [index, run] of (await ends).entries()) {
        const port = index === 0 ? '0' : String(TOP_PORT);
        // PORT=0 read as "not set" (`Number(env.PORT) || 3000`): the default port, taken or not.
        const defaultInstead = port === '0' && (run.listenedOn?.includes(DEFAULT_PORT) || new RegExp(`EADDRINUSE\\b.*\\b${DEFAULT_PORT}\\b`).test(plain(run.output)));
        expectThat(
          !defaultInstead,
          `Expected PORT=0 to be accepted as 0 (NODE_ENV=production; listen(0) takes a free port the system picks), got the server ${run.listenedOn?.includes(DEFAULT_PORT) ? `listening on port ${DEFAULT_PORT}` : `trying port ${DEFAULT_PORT}, which another process holds (EADDRINUSE)`}: PORT=0 became the default port ${DEFAULT_PORT}. 0 is falsy, so \`Number(PORT) || ${DEFAULT_PORT}\` replaces it; give the default only when PORT is missing or empty.`,
        );
        // Another process (another grading, too) may hold 65535, and the app then fails to listen in its
        // own way: only a refusal, one that names PORT, rejects the value.
        if (!run.exit || (port !== '0' && (!/\bPORT\b/.test(plain(run.output)) || /\bEADDRINUSE\b/.test(plain(run.output))))) continue;
        expectThat(
          false,
          `Expected PORT=${port} to be accepted${port === '0' ? ' (NODE_ENV=production)' : ` (given in .env, NODE_ENV=${PROD_ALIAS})`} (a whole number from 0 to 65535${port === '0' ? '; listen(0) takes a free port' : ', the last port there is'}), got src/server.ts ${run.exit.signal ? `killed by ${run.exit.signal}` : `exiting with code ${run.exit.code}`}: ${show(plain(run.output).trim(), 160)}.`,
        );
      }
    });

    t.check('06.dotenv-file-alone-starts', async () => {
      // NODE_ENV unset, test and staging with DOTENV; development (the normal start, SESSION_SECRET in a plain .env).
      const [starts, [, top]] = await Promise.all([Promise.all([dotenvStart('unset'), dotenvStart('test'), dotenvStart('staging'), normalStart('development')]), portEnds()]);
      for (const { env, started, replies, output, filePorts } of starts as { env: Env; started: RunningServer | { description: string }; replies: Reply[]; output: string; filePorts?: Record<string, number> }[]) {
        // The development start's files give a PORT the grader holds: taking it is the next check's cause.
        const won = 'client' in started ? undefined : triedFilePort(output, filePorts);
        if (won) {
          const [file, port] = won;
          await failingAbout({ output }, () => expectThat(false, `Expected src/server.ts to start when the environment gives PORT and ${list(Object.keys(filePorts!))} each another (NODE_ENV=${env.NODE_ENV}), got it trying port ${port}, the PORT of ${file} (which the grader holds open, EADDRINUSE): ${file} won over the environment${file === '.env' ? '' : `; look at how you load ${file}`}. Variables really set in the environment win over .env and every other file you load, for every variable, PORT included: load each file without override and never copy a value from it over one that is set.`));
        }
        const situation = env.DATABASE_URL
          ? `when .env alone sets SESSION_SECRET (DATABASE_URL is in the environment, NODE_ENV=${env.NODE_ENV})`
          : 'when only .env sets DATABASE_URL and SESSION_SECRET (nothing in the environment, NODE_ENV unset, CI=true as on a CI runner)';
        await failingAbout({ output }, () => expectThat(
          'client' in started,
          `Expected src/server.ts to start ${situation}, but it ${'description' in started ? started.description : 'ended'} during startup: ${show(plain(output).trim(), 160)}. Outside production (any NODE_ENV but production: unset, development, test, staging, prod, preprod, any value at all), on CI too (CI set), a .env file in the working directory is loaded.` +
            (env.NODE_ENV === 'development'
              ? ''
              : ` This .env holds a comment line, an export line, a double-quoted value, a single-quoted one holding # and followed by a # comment, and values with = in them (?sslmode=require, a secret ending in =): dotenv and process.loadEnvFile() read it as written, a hand-written reader (line.split('='), split('#') or split(' #') before the quotes come off, a regex of your own) does not.`),
        ));
        if (!env.DATABASE_URL) await failingAbout({ output, request: replies[0]!.request }, () => expectDatabaseHost(replies[0]!, FILE_DB_HOST, situation));
        // Where .env.local sits beside .env, a loader may rightly take SESSION_SECRET from it (FILE_SESSION_SECRET).
        await failingAbout({ output, request: replies[2]!.request }, () =>
          expectSignedWith(replies[2]!, env.NODE_ENV ? [PADDED_SECRET, FILE_SESSION_SECRET] : [PADDED_SECRET], `${situation}, where .env has SESSION_SECRET='…' # a comment`, NAIVE_SIGNATURE),
        );
      }
      // preprod and a name of the grader's own (port 3000 held, PORT=' ' and PORT=): SESSION_SECRET from .env alone.
      // Asked for only here, once the rest passed: a folder that fails earlier starts none of them for this check.
      const [, ...otherNames] = await emptyPortStarts();
      for (const run of otherNames) {
        const said = plain(run.output);
        const skipped = run.exit !== undefined && !run.listenedOn?.length && /\bSESSION_SECRET\b/.test(said) && !/\bEADDRINUSE\b/.test(said);
        await failingAbout({ output: run.output }, () =>
          expectThat(
            !skipped,
            `Expected src/server.ts to load .env under NODE_ENV=${run.env.NODE_ENV} (SESSION_SECRET in .env alone, DATABASE_URL in the environment, ${portGiven(run.env)}${run.env.KUBERNETES_SERVICE_HOST ? ', started by npm start, KUBERNETES_SERVICE_HOST and DYNO set' : ''}), got it ${run.exit?.signal ? `killed by ${run.exit.signal}` : `exiting with code ${run.exit?.code}`}, naming SESSION_SECRET: ${show(said.trim(), 160)}. It did not load .env: ${run.env.NODE_ENV === 'preprod' ? 'preprod (like preproduction, prod or any name with prod in it) is not production' : run.env.NODE_ENV === LIVE ? `${LIVE} is not production, and neither is a process started by npm start or on a platform (Kubernetes, Heroku): only NODE_ENV=production is` : `${run.env.NODE_ENV}, a name the grader made up, is not production either`}. Load .env whenever NODE_ENV is anything but exactly production, not for a list of names or a pattern.`,
          ),
        );
      }
      // PORT from .env alone: the app listens on it, not on the default it read before loading the file.
      const output = plain(top!.output);
      // On a machine too busy to see it listen within the wait, its own "listening on … 3000" line tells.
      const onDefault =
        top!.listenedOn?.includes(DEFAULT_PORT) ||
        new RegExp(`\\bEADDRINUSE\\b[^\\n]*\\b${DEFAULT_PORT}\\b`).test(output) ||
        (!top!.listenedOn?.length && new RegExp(`\\blistening\\b[^\\n]*[:\\s]${DEFAULT_PORT}\\b`, 'i').test(output));
      await failingAbout({ output: top!.output }, () => expectThat(
        !(onDefault && !top!.listenedOn?.includes(TOP_PORT)),
        `Expected src/server.ts to listen on port ${TOP_PORT} when only .env sets PORT (PORT=${TOP_PORT} # a comment; NODE_ENV=${PROD_ALIAS}, no PORT in the environment), got it ${top!.listenedOn?.includes(DEFAULT_PORT) ? 'listening on' : 'trying'} its default port ${DEFAULT_PORT}: it did not load .env under NODE_ENV=${PROD_ALIAS}, or read PORT before it loaded .env, or not from it. Load .env whenever NODE_ENV is not exactly production (prod, preprod or any other name with prod in it is not production), first, then read every variable, PORT included, from process.env.`,
      ));
    });

    t.check('06.environment-wins-over-dotenv', async () => {
      const [unset, development, test, staging] = await Promise.all([normalStart('unset'), normalStart('development'), dotenvStart('test'), dotenvStart('staging')]);
      for (const { env, replies, started, output, filePorts, reloads = [] } of [unset, development, test, staging] as { env: Env; replies: Reply[]; started: RunningServer | { description: string; output: string }; output: string; filePorts?: Record<string, number>; reloads?: Reload[] }[]) {
        const mode = `${env.NODE_ENV ? `NODE_ENV=${env.NODE_ENV}` : 'NODE_ENV unset'}${env.CI ? ', CI=true as on a CI runner' : ''}`;
        const files = list(['.env', ...otherEnvFiles(env.NODE_ENV)]);
        const situation = `when the environment says ${ENV_DB_HOST} and ${files} say ${FILE_DB_HOST} (${mode})`;
        if (!('client' in started)) {
          // The normal starts' files give PORT too, a port the grader holds: listening there is taking PORT from a file.
          const fromFile = triedFilePort(started.output, filePorts);
          await failingAbout({ output }, () =>
            expectThat(
              false,
              fromFile
                ? `Expected src/server.ts to listen on the PORT the environment gives ${situation}, got it trying port ${fromFile[1]}, the PORT of ${fromFile[0]} (which the grader holds open, EADDRINUSE; each file gives another): ${fromFile[0]} won over the environment. Variables really set in the environment win over .env for every variable, PORT included: load .env without override and never copy a value from it over one that is set.`
                : `Expected src/server.ts to start ${situation}${env.SESSION_SECRET ? '' : ', with SESSION_SECRET in .env alone'}, but it ${started.description} during startup: ${show(plain(started.output).trim(), 160)}.`,
            ),
          );
        }
        await failingAbout({ output, request: replies[0]!.request }, () =>
          expectDatabaseHost(
            replies[0]!,
            ENV_DB_HOST,
            `${situation}: the real environment wins under every NODE_ENV, on CI too; load no file with override, not .env and not .env.local or .env.${env.NODE_ENV ?? 'development'}`,
          ),
        );
        // SESSION_SECRET too, where the environment gives one beside the files' (red team 06 r7).
        if (env.SESSION_SECRET) {
          await failingAbout({ output, request: replies[2]!.request }, () =>
            expectSignedWith(replies[2]!, [env.SESSION_SECRET!], `when the environment and ${files} give different ones (${mode})`, [
              [FILE_SESSION_SECRET, `the SESSION_SECRET of ${files}: a file won over the environment. Variables really set in the environment win over .env for every variable, SESSION_SECRET included: load .env without override and never copy a value from it over one that is set.`],
            ]),
          );
        }
        // The same after a reload, where the app lived on: a reload re-reads the files under the same rule.
        for (const { how, replies: [health, session] } of reloads) {
          // Red team 06 r10: a reload that deleted from process.env every key .env lists (dotenv's parsed,
          // keys the environment had set included) before loading again was told only about override.
          const reload = `${how}: after its reload the file's values replaced the environment's. Either the reload loads .env again with override (the values are already in process.env, so without it nothing changes), or it deletes variables from process.env before loading again (every key .env lists, as dotenv's parsed does, includes those the environment had set, whose values are then gone for good). The environment wins after a reload too, in development as anywhere: never load a file with override, and never delete a variable the environment set (keep the environment's values from startup, and lay the file's under them)`;
          await failingAbout({ output, request: health.request }, () => expectDatabaseHost(health, ENV_DB_HOST, `${situation}, ${reload}`));
          if (!env.SESSION_SECRET) continue; // the development start's SESSION_SECRET is in its files alone
          await failingAbout({ output, request: session.request }, () =>
            expectSignedWith(session, [env.SESSION_SECRET!], `when the environment and ${files} give different ones (${mode}), ${reload}`, [
              [FILE_SESSION_SECRET, `the SESSION_SECRET of ${files}: a file won over the environment.`],
            ]),
          );
        }
      }
    });

    t.check('06.dotenv-ignored-in-production', () => expectRefused('production'));

    t.check('06.secrets-never-printed-or-served', async () => {
      // What was seen, where, the secrets it was given, and what a failure is about: the output of the
      // run (or the file) that showed it and the request, if a response did, for the report's output,
      // its curl line and its "Look at" (red team 06 r6: a leak at startup pointed at another run's stack).
      const seen: Seen[] = [];
      // The starts that serve first (five processes), then the others (most are other checks' too, and
      // started together: one wait for an app that never exits). A leak in the first ends the check
      // there, without the thirty-odd starts of the others: what most leaks cost a self-check.
      const names = Object.keys(REFUSALS);
      const [starts, dotenvStarts] = await Promise.all([
        Promise.all([normalStart('unset'), normalStart('development')]),
        Promise.all([dotenvStart('unset'), dotenvStart('test'), dotenvStart('staging')]),
      ]);
      // What the app wrote into its working directory (a log file) is output too.
      const filesOf = (files: { name: string; text: string; place: string }[], mode: string, given: [string, string][]) => {
        for (const { name, text, place } of files) seen.push([text, `the file ${name} the app wrote ${place} (${mode})`, given, { output: text }]);
      };
      // Secrets in the environment and (other ones) in .env: an app may print what either gave it.
      for (const { env, replies, output, files } of starts) {
        const mode = env.NODE_ENV
          ? `NODE_ENV=${env.NODE_ENV}, LOG_LEVEL=${env.LOG_LEVEL}, DEBUG=${env.DEBUG}, NODE_DEBUG=${NODE_DEBUG.split(',').slice(0, 3).join(',')},…, the password in the user info and ?password=, SESSION_SECRET in .env, read for ${LATE_OUTPUT_MS / 1000} s after it listened, its files edited meanwhile, sent SIGHUP if it listens for it, stopped with SIGINT`
          : 'NODE_ENV unset, sent SIGHUP (kill -HUP) before SIGTERM';
        const given = secretsOf(env, OTHER_DOTENV);
        for (const reply of replies) seen.push([`${JSON.stringify(reply.headers)}\n${reply.text}`, `the response to ${reply.request.method} ${reply.request.path}${reply.request.body ? ` with the body ${reply.request.body}` : ''} (${mode})`, given, { output, request: reply.request }]);
        seen.push([output, `the output of a normal start and shutdown (${mode}, variables in the environment and in .env)`, given, { output }]);
        filesOf(files, mode, given);
      }
      // Starts that take values from .env: alone (NODE_ENV unset), at the most verbose log level
      // (NODE_ENV=test, LOG_LEVEL=trace, the password in DATABASE_URL's query string), and staging.
      for (const { env, replies, output, files } of dotenvStarts) {
        const mode = env.NODE_ENV ? `NODE_ENV=${env.NODE_ENV}${env.LOG_LEVEL ? `, LOG_LEVEL=${env.LOG_LEVEL}` : ''}${env.VERBOSE ? `, DEBUG=${env.DEBUG}, VERBOSE=${env.VERBOSE}` : ''}, SESSION_SECRET in .env` : 'NODE_ENV unset, variables in .env only, sent SIGHUP (kill -HUP) before SIGTERM';
        const given = [...secretsOf(env, DOTENV), ...(env.NODE_ENV ? secretsOf({}, OTHER_DOTENV) : [])];
        for (const reply of replies) seen.push([`${JSON.stringify(reply.headers)}\n${reply.text}`, `the response to ${reply.request.method} ${reply.request.path} (${mode})`, given, { output, request: reply.request }]);
        seen.push([output, `the output of a start and shutdown (${mode})`, given, { output }]);
        filesOf(files, mode, given);
      }
      const earlier = seen.splice(0);
      expectNoneShown(earlier);
      const [ends, emptyPort, runs] = await Promise.all([portEnds(), emptyPortStarts(), Promise.all(names.map(refused))]);
      // The ends of PORT's range: 0 in production (the password in the user info and ?password=), 65535 (from .env) with LOG_LEVEL=silly.
      for (const [index, run] of ends.entries()) {
        const mode = index === 0 ? 'NODE_ENV=production, PORT=0, the password in the user info and ?password=' : `PORT=${TOP_PORT} (from .env), NODE_ENV=${PROD_ALIAS}, LOG_LEVEL=silly`;
        const given = secretsOf(index === 0 ? { ...valid, DATABASE_URL: bothPasswordsUrl(ENV_DB_HOST) } : valid);
        seen.push([run.output, `the output of a start with ${mode}`, given, { output: run.output }]);
        filesOf(run.files, `a start with ${mode}`, given);
      }
      // PORT= and PORT=' ' with port 3000 held: the path where listen() fails (EADDRINUSE).
      for (const run of emptyPort) {
        const mode = `a start with ${portGiven(run.env)} while port ${DEFAULT_PORT} was taken (${emptyPortMode(run)}; listen() failing with EADDRINUSE, if it used ${DEFAULT_PORT}; the password in the user info and ?password=)`;
        const given = secretsOf(run.env, run.dotenv);
        seen.push([run.output, `the output of ${mode}`, given, { output: run.output }]);
        // A crash report written when listen() fails is output too (red team 06 r9).
        filesOf(run.files, mode, given);
      }
      // Every refusal, for every secret it was given: a malformed value is often quoted back whole.
      names.forEach((name, index) => {
        const { env, dotenv, others, situation } = REFUSALS[name]!;
        const given = [...secretsOf(env, dotenv), ...(others ? secretsOf({}, OTHER_DOTENV) : [])];
        const advice = ' In a refusal, name the variable and the rule it breaks: a wrong value can still hold a password or a secret.';
        seen.push([runs[index]!.output, `the output of a start refused ${situation}`, given, { output: runs[index]!.output }, advice]);
        // A refusal's own log file is output too (red team 06 r9: config-error.log with the raw values).
        for (const { name: file, text, place } of runs[index]!.files) seen.push([text, `the file ${file} the app wrote ${place} at a start refused ${situation}`, given, { output: text }, advice]);
      });
      // And a file written beside the code (a logs folder found from import.meta.url), by any of the starts:
      // it holds what any of them was given (red team 06 r11).
      const everyGiven = [...new Map([...earlier, ...seen].flatMap(([, , given]) => given).map((secret) => [secret[0], secret])).values()];
      for (const { name, text } of filesBesideCode(t)) seen.push([text, `the file ${name} the app wrote beside its code (in the folder src/server.ts runs from, which the grader read after its starts)`, everyGiven, { output: text }]);
      expectNoneShown(seen);
    });
  });
});

/** A text the app showed, where, the secrets it had been given there, what a failure is about, and advice. */
type Seen = [text: string, where: string, secrets: [string, string][], about: FailureAbout, advice?: string];

/** Fails on the first secret shown in what was seen. */
function expectNoneShown(seen: Seen[]): void {
  for (const [text, where, secrets, about, advice = ''] of seen) {
    for (const [secret, what] of secrets) {
      // A user name that equals the password is the password, in a masked URL (postgres://name:****@host)
      // too: the lesson asks for the host alone (red team 06 r6).
      const shown = shownPart(plain(text), secret);
      const encoded = shown === undefined ? encodedPart(plain(text), secret) : undefined;
      if (shown === undefined && encoded === undefined) continue;
      const found = (shown ?? encoded)!;
      // Shown in the URL's password slot: the user name is beside the point.
      const named = what === USER_IS_PASSWORD && plain(text).includes(`:${found}@`) ? 'the database password' : what;
      const how = encoded
        ? 'it encoded (base64, hex or its bytes as numbers, which anyone decodes)'
        : found === secret
          ? 'it'
          : secret.includes(found) && found.length >= SHOWN_CHARACTERS
            ? `${found.length} of its characters`
            : secret.startsWith(found) || secret.endsWith(found)
              ? `its ${secret.startsWith(found) ? 'first' : 'last'} ${found.length} characters`
              : 'its first or last characters beside a mask';
      const message = `Expected ${where} never to show ${named}, got ${how} in ${show(excerpt(plain(text), found), 120)}. Print names and hosts, never values.${advice}`;
      throw Object.assign(new CheckFailure(message), { about });
    }
  }
}

/** The line around the first appearance of `needle`, from at most 40 characters before it. */
function excerpt(text: string, needle: string): string {
  const at = text.indexOf(needle);
  const start = Math.max(text.lastIndexOf('\n', at) + 1, at - 40);
  const end = text.indexOf('\n', at);
  return text.slice(start, end === -1 ? undefined : end);
}
