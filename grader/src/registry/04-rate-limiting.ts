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
      title: 'Both limits last 15 minutes: the 429 points about 900 seconds ahead',
      points: 1,
      hints: [
        'Read the Retry-After header of the 429. How many seconds does it ask the client to wait?',
        'Limiters measure windows in milliseconds (express-rate-limit) or seconds (rate-limiter-flexible). 15 alone is 15 ms or 15 s, not 15 minutes.',
        'Look at windowMs (or duration) of every limiter you created.',
        'const FIFTEEN_MINUTES = 15 * 60 * 1000; then windowMs: FIFTEEN_MINUTES in each rateLimit({...}).',
      ],
    },
    {
      id: '04.login-limited-after-five-failures',
      title: 'After 5 failed logins, the client gets 429 even with the right password',
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
      title: 'After 5 password-reset requests, the client gets 429',
      points: 2,
      hints: [
        'Send POST /password-reset six times from one client. It always answers 200; does it ever stop?',
        'Each reset sends an email: an open reset route lets anyone flood a mailbox and burn your email budget. It always answers 200, so a limiter that only counts failures never counts it.',
        'Give POST /password-reset a limiter of 5 per 15 minutes that counts every request (no skipSuccessfulRequests there).',
        "app.post('/password-reset', authLimit, async (req, res) => { … }); sharing the login limiter or using one of its own both work.",
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
      id: '04.clients-have-separate-buckets',
      title: 'Clients behind the proxy have separate buckets',
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
      id: '04.path-variants-share-the-bucket',
      title: 'Changing the path\'s case or adding a trailing slash does not bypass a limit',
      points: 1,
      hints: [
        'POST /LOGIN and POST /login/ reach your login handler too. Are they counted?',
        'Express matches routes case-insensitively and ignores a trailing slash, so a test like req.path === "/login" misses paths that the route still serves.',
        'Let Express do the matching: attach the limiter to the route or mount it with app.use(path, limiter).',
        "app.post('/login', authLimit, handler) and app.use('/api', apiLimit) instead of if (req.path === '/login') inside a middleware.",
      ],
    },
    {
      id: '04.health-never-limited',
      title: '/health answers 200 after 150 calls',
      points: 1,
      guards: 'The flawed app limits nothing, so /health already answers; a limiter mounted for every route must leave it out.',
      hints: [
        'Call GET /health 150 times. Does the last call still answer 200?',
        'The load balancer polls /health every few seconds; a 429 there makes it take a healthy instance out of service.',
        'Look at where /health is registered compared with any app.use(limiter).',
        'Register app.get("/health", …) before every limiter, or mount the limiters on their own routes only.',
      ],
    },
    {
      id: '04.redis-shares-limit-across-processes',
      title: 'With REDIS_URL set, two processes share one login limit',
      points: 2,
      needs: 'redis',
      hints: [
        'Start two instances with the same REDIS_URL and spread six login attempts over both. Is the sixth refused?',
        'An in-memory limiter counts per process: four instances behind a load balancer allow four times the guesses. A shared store such as Redis makes them count together.',
        'In src/server.ts, connect a node-redis client when REDIS_URL is set and pass it to createApp(); give each limiter a RedisStore from rate-limit-redis.',
        "store: new RedisStore({ prefix: 'rate-limit:auth:', sendCommand: (...args: string[]) => redis.sendCommand(args) }), one store per limiter, memory when REDIS_URL is unset.",
      ],
    },
  ],
  requirements: [],
  advice: [],
} satisfies LessonDefinition;
