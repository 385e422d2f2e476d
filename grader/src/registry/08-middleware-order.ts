import type { LessonDefinition } from './types.js';

export default {
  number: 8,
  id: '08-middleware-order',
  title: 'Middleware order',
  part: 'Shipping it',
  summary:
    'Every fix of lessons 01 to 07 is in the app and configured right, but registered in an order that quietly undoes half of them.',
  edits: ['src/app.ts'],
  // One run of src/server.ts (about 2 s to start on a busy machine) that every check judges. 60 s, not 30:
  // graded beside the eight other lessons (`course grade` of the whole course), its checks wait their turn.
  timeLimitMs: 60_000,
  checks: [
    {
      id: '08.every-request-logged-once',
      title: 'Every request gets exactly one access line with its method, path and status: static files, 401s, 404s, 429s and errors included',
      points: 2,
      hints: [
        'Start the app, fetch /static/storefront.css, /api/books, a page that does not exist and /api/reports/sales, then read stdout. Which of them left an access line?',
        'Express runs layers in the order they were registered, and a layer that answers ends the chain: a logger registered after a route never sees the requests that route answered. The access logger hooks res.on("finish"), so it can sit first and still know the status.',
        'In src/app.ts, look at where app.use(accessLog) is: every layer above it can answer without it.',
        'Register app.use(accessLog) first, right after app.set(\'trust proxy\', 1), before helmet, compression, the static files and every route.',
      ],
    },
    {
      id: '08.every-answer-hardened',
      title: 'Every answer carries the security headers and no X-Powered-By: static files, JSON, CSV, 201, 401, 404, 413, 429, error answers, OPTIONS, /health and /metrics',
      points: 2,
      hints: [
        'curl -i /static/storefront.css and /api/books/1: compare their headers.',
        "helmet() sets its headers on the responses of the layers after it. express.static answers a file and stops, so whatever is registered after it never touches that answer; the same goes for any router mounted above helmet.",
        'In src/app.ts, find every layer that can answer (express.static, routers, routes) above app.use(helmet()).',
        'Put app.use(helmet()) before app.use(\'/static\', express.static(...)) and before every route and router: right after the access logger.',
      ],
    },
    {
      id: '08.static-and-large-answers-compressed',
      title: 'The stylesheet under /static and the catalogue are gzip-compressed for a client that asks, and decode to the same bytes',
      points: 1,
      hints: [
        "curl -s -H 'Accept-Encoding: gzip' -D - -o /dev/null /static/storefront.css: is there a Content-Encoding?",
        'compression() wraps the responses written after it. A file express.static sent before compression() ran goes out as it is, however large.',
        'In src/app.ts, compare where app.use(compression()) and app.use(\'/static\', express.static(...)) are.',
        "Register app.use(compression()) before app.use('/static', express.static(publicDir, { maxAge: '1h' })).",
      ],
    },
    {
      id: '08.refused-before-body-parse',
      title: 'A client gets its own 100 API requests per 15 minutes, whatever X-Forwarded-For it writes itself and whichever address of its IPv6 network it comes from, each counted once whichever /api route it uses (the login and /api/orders included), then 429 before its body is read: a malformed or oversized body is refused with 429, not 400 or 413',
      points: 2,
      hints: [
        'Spend the API budget (100 requests to /api/books/1), then POST /api/orders with a body that is not JSON. What status comes back, and what did the app do before answering it?',
        'A rate limiter protects only the work registered after it. With express.json() above it, every refused request still has its body read and parsed: a flood of large bodies costs CPU before it is counted.',
        "In src/app.ts, look at what is registered between the top of the app and app.use('/api', rateLimit(...)).",
        "Move app.use('/api', rateLimit({...})) above app.use(express.json()) (and above the session, see the next check).",
      ],
    },
    {
      id: '08.refused-before-session-lookup',
      title: 'A client over its API budget gets 429 without a session-store round trip, even when it sends a session cookie',
      points: 2,
      hints: [
        'Sign in, spend the API budget from one client, read GET /metrics, send a few more API requests with the session cookie, and read GET /metrics again.',
        'express-session looks the session up in the store for every request that carries a cookie, before any later layer runs. A limiter registered after it counts a flood only after each request has cost a round trip to the store (Redis, in production).',
        "In src/app.ts, compare where app.use(session({...})) and app.use('/api', rateLimit(...)) are.",
        "Register the /api rate limiter before app.use(session({...})), and keep GET /health and GET /metrics outside /api.",
      ],
    },
    {
      id: '08.health-and-metrics-never-limited',
      title: 'GET /health and GET /metrics in every spelling Express routes there, the stylesheet and pages outside /api are never refused to a client that has spent its API budget',
      points: 1,
      guards: "The exercise mounts the limiter on '/api' only; moving it earlier must not put the health probe and the metrics behind it.",
      hints: [
        'Spend the API budget from one client (100 requests to /api/books/1), then GET /health from the same client.',
        "The load balancer's health probe and the operators' dashboard must always get through: a limiter that refuses them takes a healthy instance out of rotation. Moving the limiter up is right; widening what it covers is not.",
        "In src/app.ts, look at how the rate limiter is registered: app.use(limiter) covers every path below it (a skip list of exact paths misses /HEALTH and /health/), app.use('/api', limiter) only /api.",
        "Keep app.use('/api', rateLimit({...})) with its path, or register GET /health and GET /metrics above the limiter.",
      ],
    },
    {
      id: '08.protected-routes-refuse-anonymous',
      title: 'Every request under /api/orders, any method (HEAD and OPTIONS included) on any path at any depth, routed or not, answers 401 to an anonymous client (with no cookie, or one that names no session), and a signed-in customer is served',
      points: 2,
      hints: [
        'Without signing in, GET /api/orders, /api/orders/export and POST /api/orders, then DELETE /api/orders and GET /api/orders/101. Does every one refuse?',
        'A guard registered with app.use(path, guard) only runs for requests that reach it: a route registered above it has already answered. Authentication comes before every handler it protects.',
        "In src/app.ts, look for routes under /api/orders registered above app.use('/api/orders', requireSignIn), and for a guard passed to the routes one by one, which leaves other methods and paths (and the next route added) unguarded.",
        "Register app.use('/api/orders', requireSignIn) before the first /api/orders route, /api/orders/export included: it covers every method on every path under /api/orders.",
      ],
    },
    {
      id: '08.errors-answer-generic-json',
      title: 'Every error, wherever it is raised, inside /api or outside, answers the one generic JSON body with its own status (500, 400, 413, 415), to a browser too, and a 500 is logged with its stack',
      points: 2,
      hints: [
        'GET /api/reports/sales fails: what does the client get, HTML or JSON? And a malformed JSON body sent to POST /api/orders?',
        'An error skips every ordinary layer after the throw and goes to the next four-parameter layer registered after it. A route registered below the error handler has none: its errors reach Express\'s own HTML handler. A second handler higher up catches earlier errors and decides for them.',
        'In src/app.ts, find every route and app.use() below the error handler, any other four-parameter function, and check that the handler itself has four parameters and no path.',
        'Keep one error handler and register it last, after the 404 handler: app.use(notFound); app.use(errorHandler); return app;',
      ],
    },
  ],
  requirements: [
    {
      text: 'Write exactly one access line per request, with method, path (as the client sent it: req.originalUrl) and status, whoever answers it: a route, express.static (a HEAD request and a 304 revalidation included), the rate limiter (429), the sign-in guard (401), the 404 handler or the error handler.',
      checks: ['08.every-request-logged-once'],
    },
    {
      text: 'Send the security headers (Content-Security-Policy, Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options or frame-ancestors) and no X-Powered-By on every answer: static files, JSON, CSV, 201, 401, 404, 413, 429, errors, OPTIONS, GET /health and GET /metrics, with helmet\'s defaults or stricter (a Content-Security-Policy loosened until injected scripts run, with \'unsafe-inline\' or a wildcard, counts as none).',
      checks: ['08.every-answer-hardened'],
    },
    {
      text: 'Compress the static stylesheet and the catalogue for a client that accepts gzip, without changing their bytes: smaller on the wire, not only wrapped in gzip (level 0 stores the bytes as they are).',
      checks: ['08.static-and-large-answers-compressed'],
    },
    {
      text: "Serve each client its own 100 API requests per 15 minutes (the clients come through one proxy: keep app.set('trust proxy', 1), or they share the proxy's address and one budget; trust proxy true or 2, or a key read from the X-Forwarded-For header, gives a client that writes its own addresses in front of the proxy's a fresh budget for each, and it must not; key on the client as lesson 04 does, the default key or ipKeyGenerator(req.ip), on the address alone (not the User-Agent or any other header the client writes, each value of which would buy a fresh budget), not the bare req.ip, which gives an IPv6 client a fresh budget for every address of its own network, nor the Cookie header or the session), with a window of 15 minutes, stated on its 429 (Retry-After or the RateLimit headers, as the exercise's standardHeaders send them: the grader holds the stated window to 15 minutes, and a 429 that states none fails), each counted once whichever /api route it uses and however it is answered (POST /api/login and /api/orders included: a limiter used again on a route counts it twice; failed answers count too; a second, stricter limiter on the login alone is your choice), then refuse it with 429 before any body parser reads its body: a malformed or oversized body, POST /api/login included, gets 429, not 400 or 413, and so does a form, text or binary body (an express.urlencoded(), express.text() or express.raw() above the limiter reads it first).",
      checks: ['08.refused-before-body-parse'],
    },
    {
      text: 'Refuse a client over its API budget with 429 on every /api path, routed or not (/api/nope, /api/reports/sales: no /api route above the limiter), /api itself included, in any spelling (/API/Books/1, /aPi/bOoKs/1, /API), for every method (OPTIONS and HEAD included: no skip on req.method), without looking its session up in the store (GET /metrics counts the lookups).',
      checks: ['08.refused-before-session-lookup'],
    },
    {
      text: 'Keep GET /health and GET /metrics (in every spelling Express routes there: /HEALTH, /health/), the static files and every page outside /api outside the API rate limit: a client that has spent its API budget gets 200 from them, and 404 from a page that does not exist, /apidocs and /api-docs included. No limiter counts them (their answers carry no rate-limit headers): a limiter without a path, however generous its budget, refuses them once it is spent.',
      checks: ['08.health-and-metrics-never-limited'],
    },
    {
      text: 'Answer 401 to an anonymous request on every path under /api/orders, routed or not (/api/orders/101), in every spelling Express routes there (/API/Orders/export, /api/Orders, any mix of cases, a trailing slash), at any depth (/api/orders/101/items), and for every method (DELETE, PUT, PATCH, HEAD and OPTIONS included: Express answers HEAD with the GET route, and the shop answers no cross-origin request): the guard protects the /api/orders space, not only its routes. Anonymous means no signed-in session, not no cookie: a made-up or forged connect.sid cookie gets 401 too. Serve a signed-in customer there.',
      checks: ['08.protected-routes-refuse-anonymous'],
    },
    {
      text: 'Answer every error with the generic JSON body of its status, whatever the Accept header asks (text/html from a browser too) ({"error":"Internal Server Error"} for a 500, {"error":"Bad Request"} for a malformed body or a gzip body that does not inflate, {"error":"Payload Too Large"} and 413 for a body over 100 kB however little over, {"error":"Unsupported Media Type"} and 415 for a charset or a Content-Encoding express.json() cannot read), with the status the error carries (err.status, whatever it is: not a status picked by hand from err.type), whichever route raised it, inside /api or outside (a malformed body to any path the body parser covers: the one of the exercise covers every path; one mounted on /api only leaves the other paths their 404), and log a 500 at level error with its message and stack.',
      checks: ['08.errors-answer-generic-json'],
    },
  ],
  advice: [
    "Keep helmet's other defaults too (Cross-Origin-Resource-Policy: same-origin, Referrer-Policy: no-referrer and the rest): the grader checks the four headers the table names, not these, and loosening one (crossOriginResourcePolicy: 'cross-origin', the usual answer to an image blocked on another site) is a choice to make per route, for the files that need it.",
    "Keep trust proxy at 1 (the one proxy), not 'loopback' or a list of subnets: the grader's proxy is on this machine, so it cannot tell 'loopback' from 1, but behind a proxy on another host req.ip would be the proxy's address for every client.",
    'A whole-app limiter that sends no rate-limit headers is invisible until its budget is spent: the grader sees a limiter on /health only by its headers or its 429, so do not add one.',
    'Order by what each layer needs and what it protects: observe (logger), harden (helmet), shrink (compression), serve files, refuse cheaply (rate limits), parse, look up the session, authenticate, route, 404, errors.',
    'Whether GET /health and GET /metrics get access lines is your choice: the grader does not count them.',
    'Serve static files before the body parser and the session: a file needs neither, and a visitor with a cookie would pay a store lookup per file.',
    'Give each router its own middleware only when it is the router that needs it, and mount the router after the app-wide layers.',
    'Whether the sign-in guard runs before the body parser is your choice: the guard protects the /api/orders routes, and a body nobody can read may be refused with 400 or 413 before it; a guard registered before express.json() answers 401 whatever an anonymous client sends, which is stricter and also fine (it still checks the session, so session() moves up with it).',
    'A second, stricter limiter on POST /api/login alone (lesson 04 has one against credential stuffing) is your choice: the grader checks the API budget of 100, not the login\'s.',
  ],
} satisfies LessonDefinition;
