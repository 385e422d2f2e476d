import type { LessonDefinition } from './types.js';

export default {
  number: 4,
  id: '04-rate-limiting',
  title: 'Rate limiting',
  summary: 'Nothing limits how often a client may call the API, guess a password or ask for a reset link.',
  edits: ['src/app.ts', 'src/server.ts'],
  packages: ['express-rate-limit', 'rate-limit-redis', 'redis', 'rate-limiter-flexible'],
  timeLimitMs: 60_000,
  checks: [
    {
      id: '04.api-allows-100-then-429',
      title: 'The API answers 100 requests per client, then 429 with Retry-After',
      points: 2,
      hints: [
        'Send 101 requests to GET /api/books in a row. What does the last one answer?',
        'A rate limiter counts requests per client in a time window and answers 429 Too Many Requests, with a Retry-After header, once the budget is spent.',
        "In src/app.ts, create a limiter with express-rate-limit and mount it on '/api' before the book routes.",
        "app.use('/api', rateLimit({ windowMs: 15 * 60 * 1000, limit: 100, standardHeaders: 'draft-8', legacyHeaders: false }));",
      ],
    },
    {
      id: '04.limits-use-a-15-minute-window',
      title: 'Every limit lasts 15 minutes: a spent budget (API, login, password reset) is still refused 14 minutes later and back once 15 minutes from its first request are over, and its 429 points about 900 seconds ahead (14 minutes later, to the end of the window)',
      points: 1,
      hints: [
        'Spend a budget (6 logins, 6 resets or 101 API requests), wait a little longer than your window really is, and try again. Is it still refused? And what does Retry-After say?',
        'A window is how long the limiter remembers a spent budget; Retry-After only reports it, in seconds. Limiters measure windows in milliseconds (express-rate-limit) or seconds (rate-limiter-flexible): 15 alone is 15 ms or 15 s, never 15 minutes.',
        'Look at windowMs (or duration) of every limiter you created, not at the header: a handler of your own that writes Retry-After: 900 makes no window longer.',
        'const FIFTEEN_MINUTES = 15 * 60 * 1000; then windowMs: FIFTEEN_MINUTES in each rateLimit({...}) (duration: 15 * 60 for rate-limiter-flexible).',
      ],
    },
    {
      id: '04.login-limited-after-five-failures',
      title: 'After 5 failed logins, the client gets 429 even with the right password, and no more than 5 of a burst sent at once get through',
      points: 2,
      hints: [
        'Try six passwords for demo@bookshop.test, the last one right. Does the sixth get in?',
        'Without a limit, an attacker guesses passwords as fast as your server answers. Five attempts per 15 minutes is plenty for a human who mistyped.',
        'POST /login needs its own, much smaller limiter than the API: put it in front of the handler.',
        "const authLimit = rateLimit({ windowMs: 15 * 60 * 1000, limit: 5 }); app.post('/login', authLimit, async (req, res) => { … });",
      ],
    },
    {
      id: '04.password-reset-limited',
      title: 'After 5 password-reset requests, the client gets 429, and no more than 5 of a burst sent at once get through',
      points: 2,
      hints: [
        'Send POST /password-reset six times from one client. It always answers 200; does it ever stop?',
        'Each reset sends an email: an open reset route lets anyone flood a mailbox and burn your email budget. It always answers 200, so a limiter that only counts failures never counts it.',
        'Give POST /password-reset a limiter of 5 per 15 minutes that counts every request (no skipSuccessfulRequests there).',
        "app.post('/password-reset', authLimit, async (req, res) => { … }); sharing the login limiter or using one of its own both work.",
      ],
    },
    {
      id: '04.auth-limits-hold-across-accounts',
      title: 'One client trying many accounts or addresses is limited after 5 requests, on login and on password reset; a limit per account on top (if any) treats addresses without an account alike and ends by itself',
      points: 2,
      hints: [
        'From one client, try one wrong password for each of five different emails, then log in to the demo account. Is the sixth attempt refused? Do the same with password reset and five addresses.',
        "Credential stuffing tries one leaked password per account, from one address: a limit keyed on the submitted email (or on the client and the email together) gives that address 5 guesses for every account on its list. The budget belongs to the client.",
        'Look at any keyGenerator of your login and password-reset limiters: what does it read from the request body?',
        'Leave keyGenerator out (it keys on req.ip), or return ipKeyGenerator(req.ip). A per-account limit may come in addition, as a second limiter, never instead.',
      ],
    },
    {
      id: '04.login-limit-leaves-api-open',
      title: 'A client that used up its login attempts can still browse the API',
      points: 1,
      hints: [
        'Use up your login attempts, then ask for GET /api/books.',
        'The small login budget is for credential guessing only; a customer who forgot a password should still see the catalogue.',
        'Check where the 5-per-15-minutes limiter is mounted: on the two routes, not with app.use() for everything.',
        "app.post('/login', authLimit, …) and app.post('/password-reset', authLimit, …); app.use('/api', apiLimit) with its own limit of 100.",
      ],
    },
    {
      id: '04.browsing-leaves-login-open',
      title: 'A customer who browses the catalogue can still log in and ask for a reset link',
      points: 1,
      guards: 'The flawed app limits nothing, so browsing never blocks login; a fix whose limiters count in one store under one key must not make it.',
      hints: [
        'Ask GET /api/books a dozen times, then log in with the right password. Are you let in?',
        "Each limiter counts in its store under a key per client. Two limiters that share a store instance (or, in Redis, a key prefix) count under the same key, so every API request also spends the 5 attempts of login.",
        'Look at the store option of each rateLimit(): is one instance passed to two limiters? express-rate-limit prints ERR_ERL_STORE_REUSE when it is.',
        "Leave store out for memory, or create one per limiter: new RedisStore({ prefix: 'rate-limit:api:', sendCommand }) and another with 'rate-limit:auth:'.",
      ],
    },
    {
      id: '04.clients-have-separate-buckets',
      title: 'Clients behind the proxy have separate buckets, and one IPv6 client (a /56) has one bucket on every limiter, not one per address',
      points: 1,
      hints: [
        'After one client is locked out of login, can a different client (another X-Forwarded-For address) still log in?',
        "Behind a proxy every connection comes from the proxy, so req.ip is the proxy's address unless Express is told to trust it; then it reads the client from X-Forwarded-For.",
        'The shop runs behind exactly one proxy. Tell Express so, once, right after creating the app.',
        "app.set('trust proxy', 1);",
      ],
    },
    {
      id: '04.forwarded-for-cannot-escape',
      title: 'A client cannot escape its bucket by writing addresses into X-Forwarded-For',
      points: 2,
      hints: [
        'Send X-Forwarded-For: 1.2.3.4, <your address>, changing 1.2.3.4 each time. Does the limit still catch you?',
        'The proxy appends the address it saw to whatever X-Forwarded-For the client sent. With one proxy, only the right-most entry is trustworthy; the left-most is whatever the client wrote.',
        "Look at your trust proxy setting and at any keyGenerator that reads X-Forwarded-For by hand.",
        "app.set('trust proxy', 1) (never true behind one proxy), and key on req.ip, which is the default.",
      ],
    },
    {
      id: '04.client-headers-cannot-skip-a-limit',
      title: 'Nothing a client writes (headers such as Authorization, cookies, User-Agent, Accept-Language, Sec-Purpose, X-Real-IP…, query parameters, body fields) lets it skip or escape a limit',
      points: 2,
      hints: [
        'Use up a limit, then send the same request with an Authorization header you made up, or the User-Agent of a health checker. Still 429?',
        "Every header of a request is the client's to write, except the address your one proxy appends to X-Forwarded-For. A skip rule or keyGenerator that trusts any of them lets anyone out of the limit by sending it.",
        'Look at the skip and keyGenerator options of each limiter: which request headers, query parameters or body fields (req.body) do they read?',
        'Drop skip rules that read headers, the query or the body (or check a key against the ones you issued, from the environment) and key on req.ip alone, the default.',
      ],
    },
    {
      id: '04.path-variants-share-the-bucket',
      title: 'Changing the path\'s case, adding a trailing slash or a query string does not bypass a limit',
      points: 1,
      hints: [
        'POST /LOGIN, POST /login/ and POST /login?ref=newsletter reach your login handler too. Are they counted?',
        'Express matches routes case-insensitively, ignores a trailing slash and matches the path without its query string, so a test like req.path === "/login" (or anything on req.originalUrl or req.url, which carry the query) misses requests that the route still serves.',
        'Let Express do the matching: attach the limiter to the route or mount it with app.use(path, limiter).',
        "app.post('/login', authLimit, handler) and app.use('/api', apiLimit) instead of if (req.path === '/login') inside a middleware.",
      ],
    },
    {
      id: '04.health-never-limited',
      title: 'src/server.ts starts without REDIS_URL, /health answers 200 after 150 calls and passes no limiter, and clients reaching it through a proxy on another machine have separate buckets that hold over new connections too',
      points: 1,
      guards: 'The flawed app limits nothing, so /health already answers; a limiter mounted for every route must leave it out.',
      hints: [
        'Call GET /health 150 times. Does the last call still answer 200? Does any answer carry a RateLimit or Retry-After header?',
        'The load balancer polls /health every few seconds; a 429 there makes it take a healthy instance out of service, and a limiter with a high limit still counts every probe until it refuses one.',
        'Look at where /health is registered compared with any app.use(limiter).',
        'Register app.get("/health", …) before every limiter, or mount the limiters on their own routes only.',
      ],
    },
    {
      id: '04.redis-shares-limit-across-processes',
      title: 'With REDIS_URL set, two processes share every limit (API, login, password reset) for its whole window, each limit in keys of its own, and a process that starts keeps the counts',
      points: 2,
      needs: 'redis',
      hints: [
        'Start two instances with the same REDIS_URL and spread six login attempts, six password-reset requests and 101 API requests over both. Is the last of each refused? Can a client that browsed a little still log in?',
        'An in-memory limiter counts per process: four instances behind a load balancer allow four times the budget. A shared store such as Redis makes them count together, for every limiter, each under a prefix of its own.',
        'In src/server.ts, connect a node-redis client when REDIS_URL is set and pass it to createApp(); give each limiter a RedisStore of its own from rate-limit-redis, with its own prefix.',
        "store: new RedisStore({ prefix: 'rate-limit:auth:', sendCommand: (...args: string[]) => redis.sendCommand(args) }), one store per limiter, memory when REDIS_URL is unset.",
      ],
    },
    {
      id: '04.shutdown-closes-redis',
      title: 'src/server.ts started with REDIS_URL still exits on SIGTERM',
      points: 1,
      needs: 'redis',
      guards: 'The flawed app opens no Redis connection, so it already exits on SIGTERM; a fix that connects to Redis must close the connection when it shuts down.',
      hints: [
        'Start the app with REDIS_URL set, send it a request, then stop it with Ctrl+C (or kill -TERM). Does the process end?',
        "Node exits when nothing keeps its event loop busy. server.close() stops the HTTP server, but an open Redis connection is a socket too: the process stays until an orchestrator's grace period runs out and it is killed.",
        'Look at the shutdown handler in src/server.ts: what does it close, and in what order?',
        'server.close(async () => { await redis?.close(); process.exit(0); });',
      ],
    },
    {
      id: '04.redis-down-answers-and-recovers',
      title: 'With Redis stopped mid-run, every limited route answers at once (served or refused, as you choose), the process lives on, and the limits hold again in Redis once it is back',
      points: 2,
      needs: 'redis',
      hints: [
        'Start the app with REDIS_URL set, send a request, stop Redis (redis-cli shutdown nosave, or stop its container) and send POST /login again. How long does it take to answer? Does the process survive? Start Redis again: is a client limited after 5 attempts again?',
        "node-redis keeps commands in an offline queue while it reconnects, so a limiter on Redis makes every limited request wait until Redis is back or the command times out (5 s by default); a client with no 'error' listener ends the process when its connection drops. Once commands fail at once, express-rate-limit's passOnStoreError decides: served unlimited (true) or refused with an error (false, the default).",
        'Look at how src/server.ts creates the Redis client: its options (the offline queue, the reconnect strategy) and its listeners. Then decide, limiter by limiter, whether an outage lets requests through or refuses them.',
        "createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true }) and redis.on('error', (error) => console.error(`Redis: ${error.message}`)); leave the reconnect strategy alone, and add passOnStoreError: true to a limiter that should stay open while Redis is down.",
      ],
    },
    {
      id: '04.no-misconfiguration-reported',
      title: "express-rate-limit reports no misconfiguration (no ERR_ERL_* error) in the app's output",
      points: 1,
      guards: 'The flawed app uses no limiter, so the library reports nothing; a fix must not add a limiter it reports as misconfigured.',
      hints: [
        "Run the app, send a request to each limited route, and read the output: does a ValidationError with an ERR_ERL_ code appear?",
        'express-rate-limit checks how each limiter is set up and prints an error when something would let clients through or count wrong: a store shared by two limiters, trust proxy true, a keyGenerator that ignores IPv6 subnets, an option it does not know.',
        'The error names its code and a page at https://express-rate-limit.github.io/<code>/ that explains the fix; it is printed once, when the limiter is created or first used.',
        'ERR_ERL_STORE_REUSE: one store per limiter. ERR_ERL_PERMISSIVE_TRUST_PROXY: trust proxy 1. ERR_ERL_KEY_GEN_IPV6: ipKeyGenerator(req.ip). ERR_ERL_UNKNOWN_OPTION: fix the spelling.',
      ],
    },
  ],
  requirements: [
    {
      text: 'Limit every client to 100 requests per 15 minutes on everything under /api, every method (HEAD and OPTIONS too) and every answer (404s too, and 304s to conditional requests), answering 429 with Retry-After (a number of seconds, or an HTTP-date) once the budget is spent',
      checks: ['04.api-allows-100-then-429', '04.limits-use-a-15-minute-window'],
    },
    {
      text: 'Limit every client to 5 requests per 15 minutes on POST /login, even when the 6th has the right password, and when the requests come all at once (each counted as it arrives, in one step)',
      checks: ['04.login-limited-after-five-failures', '04.limits-use-a-15-minute-window', '04.redis-shares-limit-across-processes'],
    },
    {
      text: 'Limit every client to 5 requests per 15 minutes on POST /password-reset, counting every request although each answers 200, and when the requests come all at once',
      checks: ['04.password-reset-limited', '04.limits-use-a-15-minute-window', '04.redis-shares-limit-across-processes'],
    },
    {
      text: 'Count login and password reset per client (the address), not per account or address submitted: one client trying many accounts is limited after 5, and a successful login does not give back the guesses spent (a per-account limit may come on top)',
      checks: ['04.auth-limits-hold-across-accounts', '04.clients-have-separate-buckets'],
    },
    {
      text: 'If a limit per account sits on top: count addresses without an account as those with one (a 429 only real accounts meet tells who has one), and limit, never lock: it ends by itself, never a lock that only support can lift',
      checks: ['04.auth-limits-hold-across-accounts'],
    },
    {
      text: 'Keep the API budget and the login and password-reset budget apart, each limiter on its own routes only: using one up (or asking for pages no route answers) leaves the other open',
      checks: ['04.login-limit-leaves-api-open', '04.browsing-leaves-login-open'],
    },
    {
      text: 'Never limit GET /health: 150 calls in a row all answer 200, with no RateLimit or Retry-After header, and nothing counted in Redis',
      checks: ['04.health-never-limited'],
    },
    {
      text: 'Without REDIS_URL, start and keep the limits in memory, in one process (workers that each count in memory of their own allow each its own budget); connect to Redis only when REDIS_URL is set',
      checks: ['04.health-never-limited'],
    },
    {
      text: 'Key IPv6 clients by their network (express-rate-limit\'s ipKeyGenerator) on every limiter (API, login, password reset), so that one client cannot take a new bucket per address',
      checks: ['04.clients-have-separate-buckets'],
    },
    {
      text: "Behind exactly one proxy, tell clients apart by the address the proxy appends to X-Forwarded-For (trust proxy 1, set on the app createApp() returns: not 'loopback', the load balancer runs on another machine), never by what the client writes in front of it",
      checks: ['04.clients-have-separate-buckets', '04.forwarded-for-cannot-escape', '04.redis-shares-limit-across-processes', '04.health-never-limited'],
    },
    {
      text: 'Limit every client whatever its address: no skip for private, loopback, VPN (100.64.0.0/10), link-local or other "internal" client addresses',
      checks: ['04.clients-have-separate-buckets', '04.forwarded-for-cannot-escape'],
    },
    {
      text: 'Let nothing a client writes skip a limit or choose its bucket: no header (Authorization, cookies, the cookies the app itself set at login, API keys, User-Agent, Accept, Accept-Language, Content-Type (application/json; charset=utf-8 is JSON too), a prefetch hint such as Sec-Purpose, ids it makes up, Origin, Host, X-Forwarded-Host, X-Forwarded-Proto (what req.protocol reads behind a trusted proxy), Forwarded, other address headers), no query parameter, no field of the body (a captcha nobody verified, a resend or remember-me flag, an email sent as a list rather than a string): the grader sends many common names, and a name it did not think of is as much a hole',
      checks: ['04.client-headers-cannot-skip-a-limit'],
    },
    {
      text: "Count a path however the client spells it: Express's case-insensitive, trailing-slash-tolerant routing, which ignores the query string, must not open a way around a limit",
      checks: ['04.path-variants-share-the-bucket'],
    },
    {
      text: 'With REDIS_URL set, share every limit (API, login, password reset) between processes through Redis, each limiter with a store and key prefix of its own, the same on every host (no prefix from the host name or any instance id: DYNO, NODE_APP_INSTANCE, POD_NAME…), and keep the counts when a process starts or stops (no keys deleted at startup or on SIGTERM: a new instance honours a budget spent on the running ones, and the running ones keep it when another stops)',
      checks: ['04.redis-shares-limit-across-processes'],
    },
    {
      text: "Keep every limit for its whole 15 minutes on every store path: a spent budget is not refilled early, whatever Retry-After says, and each client's window starts with its own first request and does not move (not one reset tick for everyone, nor an expiry set again on every hit); Retry-After tells the time left in the client's window, not the window's length",
      checks: ['04.limits-use-a-15-minute-window', '04.redis-shares-limit-across-processes'],
    },
    {
      text: 'With REDIS_URL set, close the Redis connection when the server shuts down, so that the process still exits on SIGTERM',
      checks: ['04.shutdown-closes-redis'],
    },
    {
      text: 'With REDIS_URL set, survive Redis going down while the app runs: every limited route answers at once, served or refused (429, 500 or 503) as you choose, the process keeps running (through an outage of two hours too: no exit after some time without Redis or after some number of failed reconnects), and once Redis is back, however long it was away, the client reconnects within a few seconds (a reconnect delay capped at a few seconds) and every limit holds again, counted in Redis (the API\'s too: a budget spent before the outage is still spent)',
      checks: ['04.redis-down-answers-and-recovers'],
    },
    {
      text: "Configure the limiters so that express-rate-limit reports no misconfiguration (no ERR_ERL_* error in the app's output)",
      checks: ['04.no-misconfiguration-reported'],
    },
  ],
  advice: [
    'Keep any limit per account in the shared store too, as every other limiter: one kept in each process\'s memory counts a fraction of the attempts once there are several. The per-account limit is advice, and the grader does not count it across processes.',
    'Login and password reset may share one budget or have one each.',
    'Counting only failed logins (skipSuccessfulRequests) is a reasonable choice for login.',
    "Send standard RateLimit headers (standardHeaders: 'draft-8') beside Retry-After; any draft, or the legacy X-RateLimit-* headers, will do.",
    'Build the limiters inside createApp() rather than at module level, so that every app starts with fresh counters.',
    'While Redis is down, which routes stay open (passOnStoreError: true) and which are refused is your choice; a common one is closed for login and password reset, open for the catalogue.',
    'No limiter at all in front of GET /health, however high its limit: the grader sends 150 probes and reads their headers and the Redis commands, so a limiter that stays silent, counts in memory and allows more than 150 is past what it can see, yet the load balancer spends it.',
    "Listen for the Redis client's 'error' events with on(), not once(): after the first, the next failed reconnect ends the process or stops the reconnecting (node-redis 6, depending on timing); the grader checks for a listener, not for once().",
    'A limit per account (the normalised email) on login and password reset may come on top of the per-client limit, registered after it: it slows a botnet that spreads one list over many addresses. Keep it generous and short: a limit an attacker can spend keeps the real customer out while it lasts. The grader does not try other spellings of an address (upper case): keying on the normalised email is advice it does not check.',
    'With REDIS_URL set, a process that finds Redis unreachable when it starts keeps trying and counts in Redis once it answers, never in memory for good; the grader starts its processes with Redis up and does not check this.',
  ],
} satisfies LessonDefinition;
