import type { LessonDefinition } from './types.js';

export default {
  number: 7,
  id: '07-logging',
  title: 'Logging',
  summary:
    'console.log strings carry no level, no time and no stack, nothing is kept on disk, and the login route prints passwords.',
  edits: ['src/app.ts', 'src/server.ts', 'src/logger.ts'],
  packages: ['winston', 'pino'],
  // Each check starts src/server.ts on its own (about 2 s each on a busy machine) and polls for async writes.
  timeLimitMs: 60_000,
  // The first check waits for every run side by side; the default run now also waits out the app's drain
  // with a request in flight (up to 6 s for an app that never exits): more than the default 20 s on a busy machine.
  checkTimeLimitMs: 30_000,
  checks: [
    {
      id: '07.stdout-lines-are-json',
      title: 'Every line on stdout, in every environment, up to an exit within 5 s of the signal and at every level, is a JSON object with a level, a message and the time it was written',
      points: 2,
      hints: [
        'Run the app with NODE_ENV=production and with NODE_ENV=development, use every route (sign in too), let it run a while, stop it with Ctrl-C, and read its stdout as a log collector would: can a machine tell an error from a startup note, and did it exit?',
        'Structured logging means one JSON object per line, each with a level, a message and the time it was written (not a time taken once at startup). One plain console.log line is enough to break a parser downstream.',
        "Create src/logger.ts with winston (JSON format, format.timestamp() in the logger's format so each line gets its own time, a Console transport) and send every console.log in src/app.ts and src/server.ts through it: the route only signed-in users reach and the shutdown line too.",
        "winston.createLogger({ level: process.env.LOG_LEVEL ?? 'info', format: format.combine(format.errors({ stack: true }), format.timestamp(), format.json()), transports: [new transports.Console()] })",
      ],
    },
    {
      id: '07.access-line-per-request',
      title: 'Every request, signed in or not, including 404s and failures, gets exactly one access line at info or above with method, path, status and how long it took (one at debug too)',
      points: 2,
      hints: [
        'Ask for /no-such-page and /reports/sales. Which requests leave a trace in the log?',
        'An access log is written once per request, when the response has finished: only then are the status and the duration known, whoever answered. Twice is as wrong as never: every count made from the log doubles.',
        'In src/app.ts, register one middleware before every route that notes the start time of each request and logs on res.on("finish") only; drop the console.log lines inside the routes and any logging in the 404 handler.',
        "app.use((req, res, next) => { const started = performance.now(); res.on('finish', () => logger.info('request', { method: req.method, url: req.originalUrl, status: res.statusCode, durationMs: performance.now() - started })); next(); });",
      ],
    },
    {
      id: '07.error-logged-with-stack-to-file',
      title: 'A failing route writes its error, message and stack, to a file under LOG_DIR',
      points: 2,
      hints: [
        'GET /reports/sales fails. After it, what is in LOG_DIR, and does it say where in the code the failure happened?',
        "Errors are kept on disk as well as on stdout. An Error's message and stack are not enumerable, so a JSON format drops them unless the logger copies them out first.",
        "In src/logger.ts add a File transport at path.join(process.env.LOG_DIR, 'error.log'); in the error handler of src/app.ts log the error object itself (with pino, under the err key).",
        "format.combine(format.errors({ stack: true }), format.timestamp(), format.json()) on the logger, new transports.File({ filename: path.join(logDir, 'error.log'), level: 'error' }), and logger.error(err) in the handler.",
      ],
    },
    {
      id: '07.error-file-holds-errors-only',
      title: 'The error file under LOG_DIR holds errors and nothing else',
      points: 1,
      hints: [
        'Open the file in LOG_DIR after a few ordinary requests. How many lines would you scroll past to find the error?',
        "A transport takes every level at or above its own level, and without one it takes the logger's. The error file needs a level of its own.",
        "Look at the options of the File transport in src/logger.ts.",
        "new winston.transports.File({ filename: path.join(logDir, 'error.log'), level: 'error' })",
      ],
    },
    {
      id: '07.client-still-gets-generic-500',
      title: 'A failing route still answers the client with the generic JSON 500 body',
      points: 1,
      guards: 'The error handler from lesson 01 already answers a generic 500; logging more must not mean telling the client more.',
      hints: [
        'GET /reports/sales: what does the client see now that the log knows everything?',
        'The details belong in the log, where you read them; the client gets a fixed body that reveals nothing.',
        "In the error handler of src/app.ts, log the error and keep the response body as it was: answer it there, don't pass it on with next(err), or Express answers with its own HTML page.",
        "logger.error(err); res.status(500).json({ error: 'Internal Server Error' });",
      ],
    },
    {
      id: '07.log-level-warn-silences-info',
      title: 'LOG_LEVEL=warn silences info lines but keeps errors, message and stack, on stdout, also without LOG_DIR (writing no file); unset, the level is info',
      points: 1,
      hints: [
        'Start the app with LOG_LEVEL=warn and no LOG_DIR, and make a few requests. Does it start, and does anything quieten down?',
        'The level is how an operator turns the volume down in an incident without a deploy. It only works if every line goes through the logger and the logger reads its level from the environment. LOG_DIR is optional: without it there is no error file, and the log still goes to stdout.',
        "In src/logger.ts, take the logger's level from process.env.LOG_LEVEL, with info as the default, and add the File transport only when process.env.LOG_DIR is set.",
        "winston.createLogger({ level: process.env.LOG_LEVEL ?? 'info', ... })",
      ],
    },
    {
      id: '07.log-level-any-case-or-refused',
      title: 'Every level of the logger works (error and the lowest, silly or trace, included), WARN works as warn (or is refused), and a level the logger does not know (constructor, a name every object inherits; trace with winston, silly with pino) stops the app at startup instead of silencing it',
      points: 1,
      hints: [
        'Start the app with LOG_LEVEL=WARN, then with LOG_LEVEL=error, quiet, constructor, trace and silly, and make GET /reports/sales fail. Does it start, and is the error still in the log?',
        "winston drops every line, errors included, when its level is a name it does not know, and level names are lower case; trace and fatal are pino's names, not winston's. A setting that can silence the log is configuration to validate at startup, as lesson 06 teaches.",
        "In src/logger.ts, lower-case process.env.LOG_LEVEL before the logger sees it, and check it against the levels of the logger you use (winston.config.npm.levels), not a list of your own, before creating the logger.",
        "const level = (process.env.LOG_LEVEL || 'info').toLowerCase(); if (!Object.hasOwn(winston.config.npm.levels, level)) { console.error('Invalid configuration, not starting: LOG_LEVEL must be one of ...'); process.exit(1); }",
      ],
    },
    {
      id: '07.secrets-stay-out-of-logs',
      title: 'Passwords, Authorization headers, cookies and the tokens the app issues appear in no log, at any level',
      points: 2,
      hints: [
        'Sign in with POST /login (with a wrong password and with the right one), call GET /orders with the token, also with LOG_LEVEL=debug, then search stdout, stderr and LOG_DIR for the password and the token.',
        'Logs are copied to more places and kept longer than your database, and read by more people. Log chosen fields of a request, never its body or headers. Watch out for errors that carry the request body with them.',
        'Look at the login route in src/app.ts and at whatever your access log, debug lines and error handler write: no req.body, no req.headers, no token.',
        "Remove console.log('Login attempt', req.body) and log only method, url, status and duration per request.",
      ],
    },
  ],
  requirements: [
    {
      text: 'Write every line on stdout as one JSON object with a level, a message and a timestamp taken when the line was written (not once at startup), at every level and from startup to exit, the lines written at shutdown and those written as time passes (on a timer, hourly, daily, weekly or monthly too, from setInterval or setTimeout, global, of node:timers or of node:timers/promises) included, what a process-wide handler prints (an unhandled rejection), and a refusal to start (a bad setting such as PORT=abc, a bad LOG_LEVEL) or a start on a port in use too (on stderr, or as JSON): no console.log left on any path, signed in or not. Each line reaches stdout as it is logged, the startup line too, not held in a buffer until it fills or the app exits (pino.destination({ minLength }) holds them, however small): a collector would see it late, and a crash would lose it.',
      checks: ['07.stdout-lines-are-json'],
    },
    {
      text: 'Write JSON in every environment, development, test and NODE_ENV unset included: no text format and no colour code (no escape character, in the level, the message or any other field) on stdout or in the files under LOG_DIR, whatever NODE_ENV says.',
      checks: ['07.stdout-lines-are-json', '07.error-logged-with-stack-to-file', '07.log-level-any-case-or-refused'],
    },
    {
      text: 'Write a startup line and a shutdown line through the logger, on stdout (not stderr), in every environment: the shutdown line on SIGTERM and on SIGINT alike, and exit within 5 s of the signal, also while a client is still sending a request (server.close() waits for it: bound the drain; a drain of a few seconds first is fine).',
      checks: ['07.stdout-lines-are-json'],
    },
    {
      text: "Keep a console transport on stdout in every environment, test included (never silent: NODE_ENV === 'test', with LOG_LEVEL unset too, nor when a test runner or CI (CI=true) starts it), with or without LOG_DIR, every line on stdout (errors not sent to stderr): access lines and errors go there, the error's message and stack included (not only the 500's access line).",
      checks: ['07.stdout-lines-are-json', '07.access-line-per-request', '07.log-level-warn-silences-info'],
    },
    {
      text: 'Write exactly one access line per request, at info or above, once it has finished, with method, the path the client asked for (req.originalUrl, not the route pattern), status and the time that request took (from its own arrival, also while other requests are in flight, whole seconds included; in ms, or with its unit): for requests a route answered (signed in or not, a 304 to a conditional GET included), refused (401, 404), matched by no route or by no method, sent with HEAD or OPTIONS, with a malformed percent-escape in the path (the app goes on serving), and that failed; no second line naming the request and its status at any level, the lowest (silly or trace) included (a 404 handler that logs the 404 again at debug doubles every count; the error line, with its stack, and a debug line without a status are no second line).',
      checks: ['07.access-line-per-request'],
    },
    { text: 'Log a server error with its message and the stack of the code that threw it (not of a new Error made in the handler) to a file under LOG_DIR, opened to append in every environment: a restart keeps what the file held (in production, in development and under test alike).', checks: ['07.error-logged-with-stack-to-file'] },
    { text: 'Keep a file in LOG_DIR that holds errors and nothing else.', checks: ['07.error-file-holds-errors-only'] },
    { text: 'Still answer the client of a failing route with the generic JSON body {"error":"Internal Server Error"} and status 500, not Express\'s HTML error page.', checks: ['07.client-still-gets-generic-500'] },
    {
      text: 'Start without LOG_DIR, logging to stdout only and writing no file (not in the working directory, os.tmpdir(), the home directory or beside the code, nor at a fixed absolute path such as /var/log/bookshop or /tmp/bookshop); when LOG_DIR is set, write the error file there in every environment (not only in production).',
      checks: ['07.stdout-lines-are-json', '07.log-level-warn-silences-info', '07.log-level-any-case-or-refused'],
    },
    {
      text: 'Take the level from LOG_LEVEL, in every environment (NODE_ENV never overrules it, nor caps it in production), default info in every environment (an empty LOG_LEVEL counts as unset, as lesson 06 teaches: it starts, at info; no line below info when it is unset, in development, under test and with NODE_ENV unset too): LOG_LEVEL=warn drops info lines, routine (2xx, 3xx: a 304, a slow success) access lines among them, and keeps errors on stdout; LOG_LEVEL=error keeps nothing below error.',
      checks: ['07.log-level-warn-silences-info', '07.log-level-any-case-or-refused'],
    },
    {
      text: 'Start at every level of the logger in use (error and its lowest level, silly with winston or trace with pino, included, and http and verbose with winston, fatal with pino), read LOG_LEVEL in any case (WARN works as warn, or is refused at startup), and refuse at startup a value that names no level of the logger in use (constructor, a name every object inherits; trace with winston, silly with pino; warning, critical, err, off, none: never mapped onto another level or read as off), and silent too, which turns the log off, errors included (pino keeps it as a hidden own property of pino.levels.values, so Object.hasOwn accepts it: refuse it by name), with a non-zero exit and a message that names LOG_LEVEL or the value, instead of silencing the log.',
      checks: ['07.log-level-any-case-or-refused'],
    },
    {
      text: 'Let no password, Authorization header (of any scheme: Basic carries the password in base64), cookie or token the app issued appear on stdout, on stderr or in any file under LOG_DIR, in clear or encoded (base64 or hex, which anyone decodes), at any level and in any environment (the default, debug with NODE_ENV=development and the lowest level of the logger, silly or trace, are tried), whether a login fails (for an account, or for an address that has none), succeeds or sends a body the parser rejects (long or short), whatever URL reached the login route (/login?next=%2Forders too).',
      checks: ['07.secrets-stay-out-of-logs'],
    },
  ],
  advice: [
    'Leave colours out when stdout is a terminal too (process.stdout.isTTY, docker run -t): the grader reads stdout through a pipe and cannot see them; read the JSON at a terminal through a pretty-printer.',
    'Log chosen fields of a request (method, path, status, duration), never req.body or req.headers; if you do log more at debug, redact the secrets in the logger (pino has a redact option).',
    "Log server errors (5xx); answer client errors without logging their contents: express.json()'s parse error carries the raw body.",
    'Whether health probes (GET /health) get an access line is your choice: the grader does not look for them.',
    'With pino, write the error file through pino.destination({ dest, sync: true }), so that an error logged just before a crash is on disk.',
    'Print what is wrong with LOG_LEVEL and what it accepts, on stderr, as lesson 06 teaches for every setting.',
    'Give every request an id, log it on the access line and on every line logged for that request, and send it back in a header.',
    'Redact what logger.error(err) serialises: an HTTP client error can carry the Authorization header of the request it made.',
    "Log requests the client aborted too: they never fire the response's finish event, only close.",
    'Strip or mask query parameters that can carry a token before the URL goes into an access line.',
  ],
} satisfies LessonDefinition;
