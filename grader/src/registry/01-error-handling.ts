import type { LessonDefinition } from './types.js';

export default {
  number: 1,
  id: '01-error-handling',
  title: 'Error handling',
  summary: 'Without an error handler of your own, Express shows stack traces to clients and a callback error kills the process.',
  edits: ['src/app.ts'],
  packages: ['http-errors'],
  timeLimitMs: 30_000,
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
        'Once your error handler is registered after the routes, check that its body names no error, file or database.',
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
      title: 'With NODE_ENV=production, server errors still answer generic JSON',
      points: 1,
      hints: [
        'Run your app with NODE_ENV=production and repeat the failing requests.',
        "Express's built-in handler hides the stack in production but still answers HTML; clients of a JSON API need JSON in every mode.",
        'Your handler should not depend on NODE_ENV to be safe: the same JSON body in every mode.',
        'Do not branch on app.get("env") to decide whether to leak details: the default mode is what you get when somebody forgets to set NODE_ENV.',
      ],
    },
    {
      id: '01.callback-error-answers-and-app-survives',
      title: 'An error raised in a callback answers 500 JSON and the process keeps serving',
      points: 3,
      hints: [
        'Ask for /books/3/stock, then for /health. Is your app still there?',
        'Express cannot catch an exception thrown inside a callback or timer: it happens on another turn of the event loop and crashes the process.',
        'In the stockLevel callback of GET /books/:id/stock, hand the error to Express instead of throwing it.',
        'Take next as the route\'s third parameter and write: if (err) return next(err);',
      ],
    },
    {
      id: '01.errors-logged-with-stack',
      title: 'Server errors are logged with their stack trace',
      points: 1,
      guards: "Express's built-in handler already logs the stack outside tests; a custom handler must keep doing it.",
      hints: [
        'When a 500 happens at 3 a.m., what will you read to find out why?',
        'Hide details from the client, never from yourself: the server log needs the message and the stack.',
        'In your error handler, log the error object itself before answering.',
        'console.error(err) prints the message and the stack; a logger works too (lesson 07).',
      ],
    },
    {
      id: '01.malformed-json-answers-400-json',
      title: 'A malformed JSON body answers 400 with a JSON body',
      points: 1,
      hints: [
        'POST /books with the body {"title": and a JSON content type.',
        'express.json() rejects bad JSON with an error that carries status 400. Your handler should keep client errors as client errors.',
        'In the error handler, read err.status (or err.statusCode) when it is a 4xx number and use it.',
        'const status = typeof err.status === "number" && err.status >= 400 && err.status < 500 ? err.status : 500;',
      ],
    },
    {
      id: '01.unknown-route-answers-404-json',
      title: 'An unknown route answers 404 with a JSON body',
      points: 1,
      hints: [
        'GET /no-such-page. What content type comes back?',
        'A request no route matched is not an error: Express answers "Cannot GET" itself after the last middleware.',
        'Add a plain middleware after all routes, before the error handler, that answers 404.',
        "app.use((req, res) => { res.status(404).json({ error: 'Not Found' }); });",
      ],
    },
    {
      id: '01.server-errors-share-one-body',
      title: 'Two different server errors produce exactly the same body',
      points: 1,
      hints: [
        'Compare the bodies of GET /books/2/cover and GET /reports/sales.',
        'Any difference between two 500 bodies tells an attacker something about your code.',
        'Build the 5xx body from nothing that comes from the error.',
        'res.status(500).json({ error: "Internal Server Error" }) for every server error.',
      ],
    },
  ],
  requirements: [],
  advice: [],
} satisfies LessonDefinition;
