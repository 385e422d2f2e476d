import type { LessonDefinition } from './types.js';

export default {
  number: 6,
  id: '06-configuration',
  title: 'Configuration',
  summary: 'The database URL and its password are hard-coded, nothing is validated, and a missing SESSION_SECRET only shows up as a confusing 500 on the first login.',
  edits: ['src/config.ts', 'src/server.ts'],
  packages: ['dotenv', 'zod', 'envalid'],
  // Every check starts src/server.ts; a server that neither exits nor listens is watched for 10 s.
  // An app that never exits after a refusal costs 10 s in each of eight checks, one after another in
  // the self-check (red team 06 r4): the limit holds them on a busy machine, so the app fails (still
  // running) instead of leaving the last checks unjudged. A correct app takes a few seconds.
  timeLimitMs: 150_000,
  // The secrets check reads every start of the lesson, some forty processes, and waits out any that never exits.
  checkTimeLimitMs: 30_000,
  checks: [
    {
      id: '06.starts-with-valid-environment',
      title: 'With DATABASE_URL (a postgresql:// URL) and SESSION_SECRET in the environment and no .env file, the server starts and uses that database',
      points: 1,
      guards: 'The exercise already reads DATABASE_URL from the environment; a fix must keep starting without any .env file.',
      hints: [
        'Start the server with DATABASE_URL=postgresql://user:password@host:5432/db and SESSION_SECRET exported and no .env file in the directory.',
        'Production has no .env file: the platform sets real variables. A missing .env must never be an error.',
        'If you load .env, make the load optional: dotenv.config() simply returns when the file is absent. If you check the scheme, take postgresql:// as well as postgres://: both name a Postgres database.',
        'Load .env (if present), then validate process.env, then start: in that order, in src/config.ts.',
      ],
    },
    {
      id: '06.missing-database-url-stops-startup',
      title: 'Without DATABASE_URL the server exits non-zero at startup, names the variable and never listens (no default URL), whatever NODE_ENV says',
      points: 2,
      hints: [
        'Run the server with SESSION_SECRET set but no DATABASE_URL, with NODE_ENV unset (as npm run dev starts it), development, test (with VITEST, JEST_WORKER_ID, NODE_TEST_CONTEXT and the other variables test runners set, as npm test starts it), production, ci (with CI=true) and a name of your own such as local, from a directory holding a copy of .env.example. Which database does it use?',
        'A hard-coded fallback sends a misconfigured server to the wrong database (and puts a password in git), and a fallback "only for tests", "only on CI", "only in development" or "from .env.example" does the same to the test runner, the pipeline or a staging box, and so does one "only for NODE_ENV=local" or "only under npm run dev". Required settings have no defaults in any environment: .env is where development values live, and .env.example only documents them.',
        'In src/config.ts, check DATABASE_URL before returning the config; src/server.ts calls loadConfig() before app.listen().',
        'With zod: z.object({ DATABASE_URL: z.url(), ... }).safeParse(process.env); on failure print each issue.path and message, then process.exit(1).',
      ],
    },
    {
      id: '06.missing-session-secret-stops-startup',
      title: 'Without SESSION_SECRET the server exits non-zero at startup, names the variable and never listens (no default secret), whatever NODE_ENV says',
      points: 2,
      hints: [
        'Start without SESSION_SECRET, with NODE_ENV unset (as npm run dev starts it), development, test (with VITEST, JEST_WORKER_ID, NODE_TEST_CONTEXT and the like set, as npm test starts it), production, ci (with CI=true), e2e on CI and a name of your own such as dev, beside a copy of .env.example, then POST /session. When does the problem show up, and what does the error say?',
        'A missing secret should stop the process at startup with its name, not surface later as "The \\"key\\" argument must be of type string" on the first login.',
        'Never give a secret a fallback value (SESSION_SECRET ?? "dev-secret"), not even for one NODE_ENV (local, dev, any name) or for a database on localhost, under npm run dev or npm test (npm_lifecycle_event), on CI (CI, NODE_ENV=ci, e2e) or under a test runner (VITEST, JEST_WORKER_ID, NODE_TEST_CONTEXT, any of them), and never load .env.example, whose placeholder is in git: a default secret is a public one. A developer puts theirs in .env.',
        "SESSION_SECRET: z.string().min(32) in the schema, or if (!process.env.SESSION_SECRET) problems.push('SESSION_SECRET is missing').",
      ],
    },
    {
      id: '06.every-problem-reported-in-one-run',
      title: 'With missing and malformed values together, one run names every variable that is wrong',
      points: 1,
      hints: [
        'Start with DATABASE_URL=postgres://u:p@db:99999/db, SESSION_SECRET=short and PORT=abc, then again without DATABASE_URL. How many restarts does it take to learn everything that is wrong?',
        'Whoever deploys wants the whole list at once, not one problem per deploy: a missing value and a malformed one belong in the same report, and one bad value must not hide the next.',
        'Collect problems into one list, missing and malformed alike, and exit once after checking every variable; a schema library\'s safeParse does this for you.',
        'const problems: string[] = []; …check each variable, push a message…; if (problems.length) { console.error(problems.join("\\n")); process.exit(1); }',
      ],
    },
    {
      id: '06.empty-variables-count-as-missing',
      title: 'DATABASE_URL and SESSION_SECRET set to empty strings are refused like missing ones',
      points: 1,
      hints: [
        'Start with DATABASE_URL= and SESSION_SECRET= (set, but empty).',
        'An empty variable is set: `=== undefined` lets it through. dotenv will not fill it from .env either, because it never overrides a variable that exists.',
        'Test for a usable value, not for presence: a non-empty string, a valid URL, a minimum length.',
        "if (!process.env.DATABASE_URL) … (falsy catches undefined and ''), or z.url() / z.string().min(32), which reject '' too.",
      ],
    },
    {
      id: '06.empty-port-means-default',
      title: "PORT= (empty) counts as missing: the server uses its default port 3000, never a port the system picks nor the next one when 3000 is taken (under development too, and with PORT not set at all); a blank PORT=' ' is refused by name or means 3000",
      points: 1,
      hints: [
        "Start with PORT= (set, but empty), then PORT=' ' (a space), then with no PORT at all, with port 3000 taken, under NODE_ENV=development too (npm run dev). Which port does the server listen on?",
        'An empty variable counts as missing, PORT included, and a missing PORT means 3000. Number("") and z.coerce.number() both turn "" into 0, and listen(0) takes a random free port, where no load balancer or health check will look.',
        'Look at how src/config.ts turns PORT into a number: `??` replaces only undefined, and z.coerce runs before .default() would apply.',
        "Drop empty and blank variables before validating (Object.entries(process.env).filter(([, value]) => value?.trim())), or read Number(process.env.PORT?.trim() || 3000).",
      ],
    },
    {
      id: '06.malformed-database-url-stops-startup',
      title: 'A DATABASE_URL that is not a URL with a host stops startup and is named',
      points: 1,
      hints: [
        'Start with DATABASE_URL=db.internal/bookshop (no scheme), then postgres:///bookshop, postgres:/bookshop and postgres:bookshop (no host).',
        'Validate the shape, not only the presence: a malformed URL fails later, deep in a driver, with an error that does not say which variable. A database URL without a host parses as a URL, but names no server, whether it is written with three slashes, one or none.',
        'new URL(value) throws on a value that is not a URL, and its hostname is empty when there is no host; z.url() accepts postgres:///bookshop unless you give it a hostname rule.',
        "z.url({ protocol: /^postgres(ql)?$/, hostname: /./ }), or URL.canParse(value) && new URL(value).hostname !== ''",
      ],
    },
    {
      id: '06.short-session-secret-stops-startup',
      title: 'A SESSION_SECRET shorter than 32 characters (14, and 31 characters that are 32 bytes) stops startup and is named (32 characters are enough)',
      points: 1,
      hints: [
        'Start with SESSION_SECRET=short-Secret-42, then with a secret of exactly 31 characters (one of them an é), then 32.',
        'A short secret can be guessed offline from one signed cookie. 32 random characters is the floor the course asks for.',
        'Check the length in characters (value.length; counting code points is fine too), not in bytes (Buffer.byteLength counts an é as 2), as part of validation; print the rule, never the value.',
        "SESSION_SECRET: z.string().min(32, 'must be at least 32 characters long')",
      ],
    },
    {
      id: '06.bad-port-stops-startup',
      title: 'A PORT that is not a whole number from 0 to 65535 (abc, 99999, 3000abc, 80.5, -1, 65536) stops startup and names PORT; PORT=0 and PORT=65535 start',
      points: 1,
      hints: [
        'Start with PORT=abc, 99999, 3000abc, 80.5, -1 and 65536, then PORT=0 and PORT=65535. What does the error say, and which port does the server take?',
        'Number("abc") is NaN; listen() then fails with an error about options.port, not about your variable. Optional settings still need validating when set.',
        'PORT is optional with a default of 3000, but when it is set it must be a whole number from 0 to 65535 (0 included: the system picks a free port, and 0 is falsy, so `Number(PORT) || 3000` turns it into 3000). parseInt() reads 3000abc as 3000 and 80.5 as 80: it does not validate.',
        'PORT: z.coerce.number().int().min(0).max(65535).default(3000)',
      ],
    },
    {
      id: '06.dotenv-file-alone-starts',
      title: 'Outside production (NODE_ENV unset, on CI too, development, test, staging, prod, preprod, live (started by npm start on Kubernetes), a name made up at each grade) .env is loaded, as dotenv reads it (export lines, quotes, a # inside quotes, comments, values over several lines): alone it is enough to start, and it supplies what the environment lacks, PORT included',
      points: 2,
      hints: [
        "Put `export DATABASE_URL=\"…?sslmode=require\"`, `SESSION_SECRET='…#… #…=' # a comment` and a double-quoted value over three lines whose middle line reads SESSION_SECRET=something-else in a .env file in the directory you start from, and nothing in the environment; start with NODE_ENV unset (and CI=true), then with NODE_ENV=development, test, staging, preprod and a name of your own. Then put only PORT=65535 in .env and start with NODE_ENV=prod: which port does the server take?",
        'A .env file keeps development settings out of the code. dotenv reads ./.env from the working directory into process.env.',
        'Load it in src/config.ts before reading any variable (PORT too), whenever NODE_ENV is not production (not a list of known environments, nor a pattern such as /prod/ or a list of its aliases, nor a test of CI, of npm start or of platform variables such as KUBERNETES_SERVICE_HOST: tests, CI runs, staging, prod, preprod, live and a plain npm start need it too), with dotenv or process.loadEnvFile(), which understand export, single and double quotes, comments, a # inside quotes, = inside values and quoted values over several lines; a reader of your own that goes line by line does not.',
        "import dotenv from 'dotenv'; if (process.env.NODE_ENV !== 'production') dotenv.config();",
      ],
    },
    {
      id: '06.environment-wins-over-dotenv',
      title: 'When the environment and .env (or .env.local, .env.<NODE_ENV>) disagree, the environment wins, for DATABASE_URL, SESSION_SECRET (the cookie signature) and PORT (the port listened on), with NODE_ENV unset, development, test (on CI, CI=true) and staging, and after a reload (SIGHUP, or .env edited while a development start runs) where the app reloads',
      points: 1,
      guards: 'The exercise ignores .env entirely; loading it must not let the file override the environment.',
      hints: [
        'Set DATABASE_URL, SESSION_SECRET and PORT in the environment and different ones in .env and .env.local, then start with NODE_ENV unset, development, test and staging. Which database does GET /health report, which port does the server listen on, and which secret signs the cookie POST /session sets?',
        'The environment is what the operator set for this run; .env is a developer default. dotenv never overrides an existing variable unless you ask it to.',
        'Look for override in every dotenv.config() (override: true, or one that depends on NODE_ENV, on CI (process.env.CI) or on a second file such as .env.local), or code that copies a value of the parsed file over process.env (PORT or SESSION_SECRET "because the developer\'s file knows better"), a reload that loads .env again with override included, on SIGHUP or when a file watcher sees .env change, in development too.',
        'dotenv.config() with no options, or process.loadEnvFile(), both leave existing variables alone.',
      ],
    },
    {
      id: '06.dotenv-ignored-in-production',
      title: 'With NODE_ENV=production no .env file is loaded (.env, .env.local, .env.production, .env.production.local)',
      points: 1,
      hints: [
        'Start with NODE_ENV=production, an empty environment and .env, .env.local, .env.production and .env.production.local files in the directory.',
        'A .env file left on a production server (a copied folder, a baked image) silently supplies development settings. In production only the real environment counts.',
        'Guard the load with the NODE_ENV check, before validation runs, and guard every file you load: .env.local and .env.production are developer files too.',
        "if (process.env.NODE_ENV !== 'production') dotenv.config();",
      ],
    },
    {
      id: '06.secrets-never-printed-or-served',
      title: 'The database password (in the user info or ?password=) and SESSION_SECRET, 4 characters of them in a row, their first or last 3 characters, their first or last characters beside a mask ([REDACTED] included), or an encoding of them (base64, hex, their bytes as numbers), never appear in output (stdout, stderr, files written in the working directory, TMPDIR, HOME or beside the code) or in any response (common debug routes such as /debug/config and /api/config included): not in production, not at LOG_LEVEL=debug, trace or silly or with DEBUG=*, NODE_DEBUG, DEBUG=true or 1, VERBOSE=1 or true, not on SIGINT, SIGTERM or SIGHUP, not when listen() fails or a request does, not even when a value is refused',
      points: 2,
      hints: [
        'Read what the server prints when it starts (with NODE_ENV=development, LOG_LEVEL=debug, DEBUG=* and NODE_DEBUG=config, with NODE_ENV=production, with LOG_LEVEL=trace and silly too, and with DATABASE_URL=postgres://u:p4-ss!@db/db?password=p4-ss!) and a few seconds later, when port 3000 is taken, when you press Ctrl-C or send kill -HUP, after POST /session with a body that is not JSON, what any route of yours that shows settings answers, and when it refuses DATABASE_URL=postgres://u:p4-ss!@db:99999/db?password=p4-ss! or mysql://u:p4-ss!@db/db, at LOG_LEVEL=debug and DEBUG=* too. Look at any file it writes. Would you paste that into a chat channel?',
        'Logs are shipped, indexed and read by many people. A printed connection string is a leaked password, a malformed one or one with the password in its query string included; an echoed secret is a leaked secret, a short one included, and so is a "masked" preview of its first or last characters (Wm3...vZ1, W*****Z, Wm3[REDACTED]vZ1), its last three characters as a key id, or the secret in base64 or hex, which anyone decodes. A user name can be the password too (bookshop:bookshop), in a URL whose password is masked as well: print the host alone.',
        "Look at the startup log line in src/server.ts, its listen error and shutdown handlers, any error handler, and at everything that runs when validation fails, at every log level: your messages, a library's messages (envalid's url() quotes the value), an error printed whole (the URL parser's TypeError carries the input).",
        'Print new URL(config.databaseUrl).host instead of the URL (a mask such as /:(\\w+)@/ misses passwords with - . ! ~, and url.replace(password, …) hides a user name equal to it), never console.log(config), and name variables without their values in error messages: "DATABASE_URL must be a postgres:// URL with a host".',
      ],
    },
  ],
  requirements: [
    { text: 'start with DATABASE_URL and SESSION_SECRET in the environment and no .env file, and use that database, a postgresql:// URL as well as a postgres:// one', checks: ['06.starts-with-valid-environment'] },
    {
      text: 'treat DATABASE_URL and SESSION_SECRET as required whatever NODE_ENV says (a name of your own such as local, dev or e2e included) and whatever the machine (process.platform darwin or win32 too), under npm run dev (npm_lifecycle_event=dev) and npm test (npm_lifecycle_event=test, test:e2e), under a test runner too (VITEST, JEST_WORKER_ID, NODE_TEST_CONTEXT, MOCHA_WORKER_ID, TEST_WORKER_INDEX, TAP) and on CI (CI, NODE_ENV=ci): without either, exit non-zero before listening and name the variable (no value for them in the code, none from .env.example or another committed template file)',
      checks: ['06.missing-database-url-stops-startup', '06.missing-session-secret-stops-startup'],
    },
    {
      text: "count an empty variable as missing: refuse DATABASE_URL= and SESSION_SECRET=, and give PORT= the default 3000 (never 0, a port the system picks, nor the next port when 3000 is taken, under development too, nor when PORT is not set at all); a blank PORT=' ' either means 3000 too or is refused by name",
      checks: ['06.empty-variables-count-as-missing', '06.empty-port-means-default'],
    },
    { text: 'refuse a DATABASE_URL that is not a URL with a host (postgres:///db, postgres:/db and postgres:db included)', checks: ['06.malformed-database-url-stops-startup'] },
    { text: 'refuse a SESSION_SECRET shorter than 32 characters (31 included, counted in characters (value.length or code points), not bytes), and accept one of 32', checks: ['06.short-session-secret-stops-startup', '06.starts-with-valid-environment'] },
    { text: 'refuse a PORT that is not a whole number from 0 to 65535 (-1 and 65536 included), and accept PORT=0 and PORT=65535', checks: ['06.bad-port-stops-startup'] },
    { text: "report every problem in one run, missing and malformed values together, each by its variable's name", checks: ['06.every-problem-reported-in-one-run'] },
    {
      text: 'name in a refusal only the variables that are wrong, at any log level (LOG_LEVEL=debug and trace, DEBUG=* included): not one that is set and valid, nor PORT when it is unset and takes its default (no "SESSION_SECRET ok", no "PORT is not set, using 3000")',
      checks: ['06.missing-database-url-stops-startup', '06.missing-session-secret-stops-startup', '06.malformed-database-url-stops-startup', '06.short-session-secret-stops-startup', '06.bad-port-stops-startup'],
    },
    {
      text: "load a .env file from the working directory whenever NODE_ENV is not production (unset, development, test, staging, prod, preprod, live or any other value, on CI too, under npm start and on a platform such as Kubernetes or Heroku too), when there is one, before reading any variable (PORT too), reading it as dotenv does (comment lines, export lines, double and single quotes, a # inside quotes, a space and # inside quotes too, a # comment after a value, = inside a value, a double-quoted value over several lines)",
      checks: ['06.dotenv-file-alone-starts'],
    },
    { text: 'let variables set in the real environment win over .env and any other file it loads (.env.local, .env.<NODE_ENV>), every variable (DATABASE_URL, SESSION_SECRET and PORT), under every NODE_ENV, development too, on CI too, at startup and after a reload (on SIGHUP or on a change a file watcher sees, in development too) alike', checks: ['06.environment-wins-over-dotenv'] },
    { text: 'load no .env file (.env, .env.local, .env.production, .env.production.local) when NODE_ENV=production', checks: ['06.dotenv-ignored-in-production'] },
    {
      text: 'never show the database password (in the user info or a ?password= query parameter; a user name equal to it counts, in a URL whose password is masked too, so print the host, not the user) or SESSION_SECRET, nor part of them (4 characters in a row count, and so do the first or last 3 on their own ("ends with vZ1"), the first or last 2 or 3 beside a mask: Wm******vZ, Wm3...vZ1, Wm3[REDACTED]vZ1, and the first and last one around a mask or one beside a run of stars: W******Z, W******), nor them encoded (base64, base64url, hex, or their bytes printed as numbers, as an inspected Buffer shows them: an encoding hides nothing), in its output (stdout, stderr, a file it writes in its working directory, its TMPDIR, its HOME or beside its code) or a response: not at a normal start, in production or a few seconds later, not at any log level (LOG_LEVEL=debug, trace, silly) or debug switch (DEBUG=*, NODE_DEBUG, DEBUG=true or 1, VERBOSE=1 or true), not when it shuts down (SIGTERM, SIGINT) or gets SIGHUP, not when listen() fails, not in an error response nor from a route that shows settings (/config, /env, /debug/config, /api/config, /status and the like, under any method: GET, POST, PUT), not in any refusal nor a file written then, at any log level, not even of a value that is malformed, of the wrong scheme or too short',
      checks: ['06.secrets-never-printed-or-served'],
    },
  ],
  advice: [
    'Check the scheme too (`postgres://` or `postgresql://`, both of which must start); the grader refuses only URLs without a scheme or a host (it tries a `mysql://` URL only beside a bad PORT, and then only reads the refusal for the password).',
    'Read and validate the configuration in one module (`src/config.ts`) and hand the rest of the app a typed object.',
    'Quoting a bad `PORT` back in a refusal (`PORT must be a whole number, got "3000abc"`) is your choice: a port is no secret. The values of `DATABASE_URL` and `SESSION_SECRET` never appear in one.',
    'Pass `{ quiet: true }` to `dotenv.config()`, so that dotenv 18 prints no line of its own at every start.',
    'Log where the database is (`new URL(databaseUrl).host`) when the server starts, so an operator can see which one it uses.',
    'Commit a `.env.example` with every variable and no real values, and keep `.env` out of git.',
    'Have no route that shows the settings at all, under any method: the grader asks a few common paths (/config, /env, /settings, /debug, /debug/config, /debug/env, /_debug/config, /admin/config, /actuator/env, /api/config, /api/env, /api/settings, /api/debug, /status, /api/status, /info, /health?verbose=1; POST and PUT on some) and cannot find one under another name or method, which leaks as surely.',
    'The grader pipes stdout and stderr, so it never sees what your app does only on a terminal (`process.stdout.isTTY`): a default, or a banner with a secret, shown only there breaks the rules all the same, and is advice the grader cannot check.',
    'A default for a required value that depends on the machine is a default: the grader fakes macOS and Windows (`process.platform`) on some starts, but not a host name, `TERM_PROGRAM`, `CODESPACES` or a user name, which it cannot vary; such a default breaks the rule all the same.',
    'Print no secret under a debug switch of your own either: the grader turns on `DEBUG=*`, `NODE_DEBUG`, `DEBUG=true` or `1` and `VERBOSE=1` or `true`, and cannot guess a switch of another name (`APP_DEBUG=1`), which leaks as surely.',
    'Output the grader does not wait for counts too: a line printed every few seconds or minutes (a heartbeat, a health log) must not hold a secret either; the grader reads the development start for 3 seconds after it listens, and other runs for less.',
    'Whether .env fills a variable the environment sets to an empty string is your choice: dotenv and process.loadEnvFile() leave it empty (so it is refused), and filling it from .env is fine too.',
  ],
} satisfies LessonDefinition;
