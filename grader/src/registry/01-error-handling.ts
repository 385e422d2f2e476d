import type { LessonDefinition } from './types.js';

export default {
  number: 1,
  id: '01-error-handling',
  title: 'Error handling',
  summary: 'Without an error handler of your own, Express shows stack traces to clients and a callback error kills the process.',
  edits: ['src/app.ts'],
  packages: ['http-errors'],
  // Five servers read the log (production twice, unset, test, a made-up mode) after the hosts: on a loaded machine 30 s ran out.
  timeLimitMs: 60_000,
  checks: [
    {
      id: '01.sync-throw-answers-generic-json',
      title: 'A synchronous throw in a route answers 500 with a generic JSON body',
      points: 2,
      hints: [
        'Ask for /books/2/cover: book 2 has corrupt metadata. What does a client see?',
        'Express hands every error to an error-handling middleware. Without one, its built-in handler answers with HTML and, outside production, the stack trace.',
        'Add your own handler in src/app.ts, after every route: app.use((err, req, res, next) => { … }).',
        "app.use((err: unknown, req: Request, res: Response, next: NextFunction) => { console.error(err); res.status(500).json({ error: 'Internal Server Error' }); });",
      ],
    },
    {
      id: '01.rejected-promise-answers-generic-json',
      title: 'A rejected promise in an async route answers 500 with a generic JSON body',
      points: 2,
      hints: [
        'GET /reports/sales awaits a database that is down. Where does that rejection go?',
        'Express 5 passes a rejected promise from a route to next(err) for you, so the same error handler answers it.',
        'Once your error handler is registered after the routes, check that nothing it sends (body, headers, status line) names the error, a file or the database.',
        'Answer every 5xx with one fixed body, for example { error: "Internal Server Error" }, whatever the error says.',
      ],
    },
    {
      id: '01.middleware-throw-answers-generic-json',
      title: 'A throw in middleware that runs before the routes answers 500 with a generic JSON body',
      points: 1,
      hints: [
        'Send GET /books with the header X-Shop: atlantis, a shop that does not exist.',
        'Middleware errors travel to the same error handler as route errors, as long as the handler is registered after that middleware.',
        'Look at the order of app.use calls in src/app.ts: the error handler belongs at the very end.',
        'Keep the currency middleware as it is; the error handler at the end turns its TypeError into a generic 500.',
      ],
    },
    {
      id: '01.production-mode-answers-generic-json',
      title: 'With NODE_ENV=production, every server error still answers generic JSON',
      points: 1,
      hints: [
        'Run your app with NODE_ENV=production and repeat the failing requests.',
        "Express's built-in handler hides the stack in production but still answers HTML; clients of a JSON API need JSON in every mode.",
        'Your handler should not depend on NODE_ENV to be safe: the same JSON body in every mode.',
        'Do not branch on app.get("env") to decide whether to leak details: the default mode is what you get when somebody forgets to set NODE_ENV.',
      ],
    },
    {
      id: '01.test-mode-answers-generic-json',
      title: 'With NODE_ENV=test (as under a test runner), staging or any other value (a made-up qa-… name, and dev, development with a trailing space, Development or local: not development), DEBUG set too, every error answer still says nothing about the error',
      points: 1,
      hints: [
        'Run your app with NODE_ENV=test, as vitest and jest do, or NODE_ENV=staging, and repeat the failing requests.',
        "Only production is the unsafe value to test for: NODE_ENV can be test, staging or anything else, and Express's built-in handler shows the stack under each of them.",
        'Look at the condition that adds details to an answer: it should be true only when NODE_ENV is exactly development, not whenever it is set and not production, not for a list of development-like names (local), and not because DEBUG is set (DEBUG=express:* traces Express).',
        "if (process.env.NODE_ENV === 'development') body.stack = err.stack; // exactly development: not /^dev/i, not toLowerCase(), nothing in any other mode",
      ],
    },
    {
      id: '01.callback-error-answers-and-app-survives',
      title: 'An error raised in a callback answers 500 JSON, the route still answers its successes, and the process keeps serving',
      points: 3,
      hints: [
        'Ask for /books/3/stock, then for /health. Is your app still there?',
        'Express cannot catch an exception thrown inside a callback or timer: it happens on another turn of the event loop and crashes the process.',
        'In the stockLevel callback of GET /books/:id/stock, hand the error to Express instead of throwing it (or answering it there yourself, which skips your log and your one generic body).',
        'Take next as the route\'s third parameter and write: if (err) return next(err);',
      ],
    },
    {
      id: '01.errors-logged-with-stack',
      title: "Every server error is logged on stdout or stderr with its message and its own whole stack trace, each time it happens, in every NODE_ENV, before the process exits",
      points: 1,
      hints: [
        'When a 500 happens at 3 a.m., what will you read to find out why? And when the same error happens twice, or two at once?',
        'Hide details from the client, never from yourself: the server log needs the message and the stack.',
        'In your error handler, log the error object itself before answering, to the console (a log file alone is not where a platform collects logs), and let every server error reach that handler: a route that answers its own 500 logs nothing.',
        "console.error(err) prints the message and the error's own stack, every frame (console.trace() prints the handler's, and a new error made from err.message its own: wrap with { cause: err }); a JSON logger on stdout works too (lesson 07) when it keeps the stack, for example winston with format.errors({ stack: true }), in every NODE_ENV.",
      ],
    },
    {
      id: '01.malformed-json-answers-400-json',
      title: 'A malformed JSON body answers 400 in JSON, with no stack or file path, in production and development too',
      points: 1,
      hints: [
        'POST /books with the body {"title": and a JSON content type.',
        'express.json() rejects bad JSON with an error that carries status 400. Your handler should keep client errors as client errors.',
        'In the error handler, read err.status (or err.statusCode) when it is a 4xx number and use it.',
        'const status = typeof err.status === "number" && err.status >= 400 && err.status < 500 ? err.status : 500;',
      ],
    },
    {
      id: '01.parser-client-errors-keep-their-status',
      title: "A client error keeps its 4xx status (the parser's 413 and 415, the router's 400 for a malformed path parameter), in JSON with no stack or file path, in production and development too",
      points: 1,
      hints: [
        "POST /books a JSON body over 100 kB, or one sent with Content-Type: application/json; charset=latin1. Which status comes back?",
        'express.json() refuses a body for several reasons, each with its own 4xx status on the error (413 too large, 415 unsupported charset or encoding, 400 bad syntax). They are all client errors.',
        'In your error handler, look at how you decide the status: a test for SyntaxError, for one error type or for http-errors errors only turns the others into 500s (the router gives a malformed %-encoding in /books/:id status 400 too).',
        'const status = Number.isInteger(err.status) && err.status >= 400 && err.status < 500 ? err.status : 500; then answer JSON with that status.',
      ],
    },
    {
      id: '01.unknown-route-answers-404-json',
      title: 'An unknown route answers 404 with a JSON body, whatever the method and the Accept header, with no stack or file path, in production and development too',
      points: 1,
      hints: [
        'GET /no-such-page, then POST /no-such-page, DELETE /books and OPTIONS /no-such-page. What status and content type come back?',
        'A request no route matched is not an error: whatever its method, it reaches the end of the app, where Express answers "Cannot GET" (or POST, DELETE…) itself.',
        'Add a plain middleware with app.use() after all routes, before the error handler, that answers 404: app.get() would catch GET only, and a catch-all route leaves OPTIONS to Express, which answers it 200.',
        "app.use((req, res) => { res.status(404).json({ error: 'Not Found' }); }); // JSON for a browser's Accept too, not res.format()",
      ],
    },
    {
      id: '01.server-errors-share-one-body',
      title: 'Every server error answers exactly the same body and headers, in every NODE_ENV and at any time',
      points: 1,
      hints: [
        'Compare the bodies and headers of GET /books/2/cover, GET /reports/sales, GET /books with X-Shop: atlantis and GET /books/3/stock, with NODE_ENV unset and production, a few seconds apart.',
        'Any difference between two 500 answers tells an attacker something about your code: a header that names the kind of failure or is sent for one kind only (a Retry-After for an outage), a random id whose prefix says which kind, a hint shown outside production, a timestamp.',
        'Build the 5xx answer in one place, the error handler, from nothing that comes from the error, the mode or the clock; a route or middleware that answers its own 500 breaks that.',
        'res.status(500).json({ error: "Internal Server Error" }) for every server error.',
      ],
    },
    {
      id: '01.connection-kept-after-error-answers',
      title: 'After an error answer (a client error too), in JSON, the same keep-alive connection serves the next request, in every NODE_ENV (development too)',
      points: 1,
      hints: [
        'Send two requests over one connection: curl -v http://localhost:3000/reports/sales http://localhost:3000/health. Does curl reuse the connection, or say "Closing connection"?',
        "Once your handler has answered, the request is done. If it then calls next(err), Express's built-in handler runs anyway, finds the answer already sent, and destroys the connection: every keep-alive client loses it after each error.",
        'Look at every next(err) in your error handler: it belongs only before an answer, for the case where one is already under way (res.headersSent).',
        'if (res.headersSent) return next(err); at the top of the handler, then log, answer, and return without calling next, and without a Connection: close header, in development too.',
      ],
    },
    {
      id: '01.uncaught-exception-ends-process',
      title: 'An uncaught exception (thrown outside any request, one with a code such as ERR_HTTP_HEADERS_SENT, ECONNRESET or ECONNREFUSED, an AbortError or an error marked operational too, an unhandled promise rejection in production too and one whose reason is no Error, or a request\'s own) ends the process with a non-zero exit code, in every NODE_ENV, after the error is written down: nothing keeps it running',
      points: 1,
      guards:
        'The exercise has no uncaughtException handler, so Node ends the process with code 1 (on its callback error already); a fix that keeps an uncaught exception from ending it (a process-wide handler that resumes, for some errors or all) or ends it with code 0 breaks this.',
      hints: [
        'What happens to your process when code outside any request (a timer, a background job) throws?',
        "After an uncaught exception the process is in a state nobody knows: Node's answer is to end it, and a supervisor starts a clean one.",
        "Look for process.on('uncaughtException') (or 'unhandledRejection') in your code: a handler that logs and carries on (for some errors only, such as those with a code (ERR_HTTP_HEADERS_SENT too), a name such as AbortError, marked isOperational or a rejection reason that is no Error, or in one mode such as production), or forwards the error to a request, keeps a broken process serving; one that exits with code 0 tells the supervisor all is well.",
        "Remove the process-wide handler and pass the callback error with next(err); if you keep one, end it with process.exit(1) after logging, whatever the error.",
      ],
    },
  ],
  requirements: [
    {
      text: 'Leave the four failures in place (src/catalog.ts and the currency middleware are not yours to change): they stand for failures you cannot prevent.',
      checks: ['01.sync-throw-answers-generic-json', '01.rejected-promise-answers-generic-json', '01.middleware-throw-answers-generic-json', '01.callback-error-answers-and-app-survives'],
    },
    { text: 'Answer a synchronous throw in a route with 500 and a generic JSON body.', checks: ['01.sync-throw-answers-generic-json'] },
    {
      text: 'Answer the same generic JSON whatever the request says: a query string (?debug=1), a header (X-Debug: 1), a cookie (debug=1), the host it was sent to (localhost) or an Accept header (text/html, text/plain, application/xml, */*) turns no details on, in any NODE_ENV.',
      checks: [
        '01.sync-throw-answers-generic-json',
        '01.rejected-promise-answers-generic-json',
        '01.middleware-throw-answers-generic-json',
        '01.callback-error-answers-and-app-survives',
        '01.production-mode-answers-generic-json',
        '01.test-mode-answers-generic-json',
      ],
    },
    { text: 'Answer a rejected promise in an async route with 500 and a generic JSON body.', checks: ['01.rejected-promise-answers-generic-json'] },
    { text: 'Answer a throw in a middleware that runs before the routes with 500 and a generic JSON body.', checks: ['01.middleware-throw-answers-generic-json'] },
    {
      text: 'Hand an error raised in a callback to Express (next(err), or a promisified call you await), so that it answers 500 JSON and the process keeps serving.',
      checks: ['01.callback-error-answers-and-app-survives', '01.errors-logged-with-stack', '01.server-errors-share-one-body'],
    },
    {
      text: 'Keep what worked working: the routes answer their successes as before (GET /books/1/stock its stock, GET /books/1/cover its cover, POST /books 201).',
      checks: ['01.callback-error-answers-and-app-survives'],
    },
    {
      text: "Let no part of a server error's answer (body, headers, status line) carry its message, its code or other details, its stack, a file path or its class name: the status line stays the standard 500 Internal Server Error.",
      checks: [
        '01.sync-throw-answers-generic-json',
        '01.rejected-promise-answers-generic-json',
        '01.middleware-throw-answers-generic-json',
        '01.callback-error-answers-and-app-survives',
        '01.production-mode-answers-generic-json',
        '01.test-mode-answers-generic-json',
      ],
    },
    {
      text: 'Let no error answer of any status, a 4xx included, carry a stack frame or a file path.',
      checks: ['01.malformed-json-answers-400-json', '01.parser-client-errors-keep-their-status', '01.unknown-route-answers-404-json', '01.test-mode-answers-generic-json'],
    },
    {
      text: 'Be safe whatever NODE_ENV says: generic JSON when it is unset, production, test, staging, qa or any value but development, dev, development with a trailing space, Development and local included (details, if any, only when it is exactly development), and whatever DEBUG says (set to trace Express, DEBUG=express:*, or the app itself, DEBUG=bookshop or bookshop:*, it turns no details on).',
      checks: ['01.production-mode-answers-generic-json', '01.test-mode-answers-generic-json'],
    },
    {
      text: 'Answer every server error with byte-for-byte the same body, in every NODE_ENV but development and at any time (no timestamp, counter or hint outside production), and with the same headers (no header that tells one failure from another: none sent for one kind only, such as a Retry-After for an outage, and no id whose fixed part, a prefix, differs with the kind).',
      checks: ['01.server-errors-share-one-body'],
    },
    {
      text: "Log every server error with its message and its own whole stack trace (every frame, from where it was made; an error you wrap keeps it as its cause) on stdout or stderr, the server log a platform collects (a logger's warning that it has no transport is not a log): in every NODE_ENV (production, unset, test and any other), each time it happens (the same error over a hundred times in a row, two at once), written out before the process exits.",
      checks: ['01.errors-logged-with-stack'],
    },
    {
      text: "Keep a client error's own 4xx status (err.status), whoever raised it, and answer it in JSON, in every NODE_ENV: 400 for malformed JSON, 413 for a body over express.json()'s limit, 415 for an unsupported charset or encoding, 400 for a path parameter the router cannot decode.",
      checks: ['01.malformed-json-answers-400-json', '01.parser-client-errors-keep-their-status'],
    },
    {
      text: "Answer an unknown route with 404 and a JSON body, whatever the method (OPTIONS, TRACE, PROPFIND and the rest too) and whatever the Accept header asks for (a browser's text/html too), in every NODE_ENV.",
      checks: ['01.unknown-route-answers-404-json'],
    },
    {
      text: "After answering an error, a client error included (400, 404, 413, 415), stop, in every NODE_ENV (development included): do not call next(err) after your answer, or Express's built-in handler closes the client's connection; and do not close it yourself (Connection: close), at once or a moment later (the grader sends its last request 0.8 s after an error answer).",
      checks: ['01.connection-kept-after-error-answers'],
    },
    {
      text: "Answer every error in JSON in every NODE_ENV, development included (details may show in a development 500, in its JSON): never with Express's built-in HTML page (next(err) before any answer).",
      checks: ['01.connection-kept-after-error-answers', '01.malformed-json-answers-400-json', '01.parser-client-errors-keep-their-status', '01.unknown-route-answers-404-json'],
    },
    {
      text: "Let an uncaught exception end the process, with a non-zero exit code (process.exit(1) if you handle it at all), in every NODE_ENV (production too): hand request errors to Express (next(err)) instead of a process.on('uncaughtException') or process.on('unhandledRejection') handler that resumes (for every error, for errors with a code such as ERR_HTTP_HEADERS_SENT, ERR_STREAM_DESTROYED, ECONNRESET, EPIPE or ECONNREFUSED, for an AbortError or a TimeoutError, for errors marked operational (err.isOperational), for a rejection whose reason is not an Error, in one mode such as production, or after forwarding the error to a request), so that any uncaught exception, one thrown outside any request and a promise rejection nobody handled too, ends it; a handler logs the error before it exits (one that only exits hides why the process died).",
      checks: ['01.uncaught-exception-ends-process'],
    },
  ],
  advice: [
    'Errors made with http-errors (a status and an expose flag) let the handler decide what a client may read.',
    'If you want error details while you develop, add them only when NODE_ENV is explicitly development, never when it is merely unset.',
    'Turn a callback API into a promise with util.promisify and await it, instead of calling next(err) by hand in every callback.',
    "When an answer is already under way (res.headersSent, a stream that failed halfway), hand the error to next(err), so that Express closes the connection: this app has no streaming route, so the grader cannot try it.",
    'Do not cap how many errors a minute the log keeps, however high the cap: the grader asks one error over a hundred times, so a higher cap passes it, and loses the errors of a bad minute.',
  ],
} satisfies LessonDefinition;
