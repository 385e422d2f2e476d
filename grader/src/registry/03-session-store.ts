import type { LessonDefinition } from './types.js';

export default {
  number: 3,
  id: '03-session-store',
  title: 'Session store',
  summary:
    'Logins live in the memory of one process under a secret written in the code, so a second instance or a restart logs everyone out, and the cookie carries none of the protections a login needs.',
  edits: ['src/app.ts', 'src/server.ts', 'src/session-store.ts'],
  packages: ['connect-redis', 'redis', 'session-file-store'],
  // Every check starts src/server.ts (some two or three times): about a second each. The lifetime check sends
  // 33 requests per store path and the outage check waits for a reconnect: 90 s leaves room on a loaded machine.
  timeLimitMs: 90_000,
  checks: [
    {
      id: '03.session-shared-between-processes',
      title: 'A login made on one process of the app is valid on a second process',
      points: 3,
      hints: [
        'Start the app twice on two ports (PORT=3000 and PORT=3001), log in on the first, then send the cookie to GET /me on the second.',
        "express-session keeps sessions in a MemoryStore by default: a Map inside one process. Behind a load balancer, the next request lands on another process that has never heard of the session.",
        'Give session() a store that lives outside the process. src/server.ts reads SESSION_SECRET, REDIS_URL and SESSION_DIR and calls createApp({ secret, redisUrl, sessionDir }); createApp (it may be async) builds Redis when redisUrl is set, the embedded file store in sessionDir otherwise.',
        "const store = redisUrl ? new RedisStore({ client }) : new (sessionFileStore(session))({ path: sessionDir ?? '.sessions', retries: 0, logFn: () => {} }); then session({ store, … }).",
      ],
    },
    {
      id: '03.restart-keeps-session',
      title: 'A login survives a restart of the app',
      points: 2,
      hints: [
        'Log in, stop the server with Ctrl-C, start it again and ask GET /me with the same cookie.',
        "Memory dies with the process. Every deploy, crash or autoscaling event restarts processes, and each one logs out everybody it served.",
        'The store you pass to session() must keep its data outside the process: in Redis, or in files.',
        'Same store as for the two-process check: new RedisStore({ client }) when redisUrl is set, new FileStore({ path: sessionDir }) otherwise, passed to session({ store }).',
      ],
    },
    {
      id: '03.secret-from-environment',
      title: 'The session cookie is signed with the SESSION_SECRET the app was started with, and one signed with a secret from the code is refused',
      points: 1,
      hints: [
        "Search src/ for the string you pass to session({ secret }). Anyone who reads the repository can sign a cookie your app will trust.",
        'The secret signs the session id in the cookie. It must be the same on every process (or their cookies do not match) and must come from the deployment, not the code: then it can be rotated without a commit.',
        'Read process.env.SESSION_SECRET in src/server.ts, refuse to start without it, and pass it to createApp({ secret, … }). A random secret per process is no answer: each process would reject the others\' cookies. Give session({ secret }) the value itself, not a key derived from it.',
        "In server.ts: const secret = process.env.SESSION_SECRET; if (!secret) { console.error('SESSION_SECRET is not set'); process.exit(1); } … In createApp({ secret }): session({ secret, … })",
      ],
    },
    {
      id: '03.refuses-to-start-without-secret',
      title: 'Started without SESSION_SECRET (or with an empty one), the app exits with an error instead of listening',
      points: 1,
      hints: [
        'Start the server without SESSION_SECRET: npx tsx src/server.ts. Does it listen?',
        'A fallback secret in the code is the hard-coded secret again, only hidden: every deployment that forgets the variable signs cookies with a string anybody can read in the repository. Refusing to start makes the mistake loud at deploy time.',
        'In src/server.ts, before createApp, check process.env.SESSION_SECRET and stop the process when it is missing or empty. Do not give it a default.',
        "const secret = process.env.SESSION_SECRET; if (!secret) { console.error('SESSION_SECRET is not set.'); process.exit(1); }",
      ],
    },
    {
      id: '03.cookie-httponly-secure-samesite',
      title: 'The session cookie is HttpOnly, Secure and SameSite Lax or Strict',
      points: 2,
      hints: [
        'Log in with curl -i (add -H "X-Forwarded-Proto: https") and read the Set-Cookie line. Which attributes does it have?',
        'HttpOnly keeps scripts (and XSS) away from the cookie, Secure keeps it off plain HTTP, SameSite stops other sites from riding on it. A Secure cookie is only sent when Express knows the request came over HTTPS: behind a proxy that means trusting X-Forwarded-Proto.',
        "Set the cookie options in session({ cookie: { … } }) and tell Express about the one proxy in front of it: app.set('trust proxy', 1).",
        "app.set('trust proxy', 1); session({ …, cookie: { httpOnly: true, secure: true, sameSite: 'lax' } })",
      ],
    },
    {
      id: '03.cookie-expires-within-limit',
      title: 'The session cookie expires within 8 hours',
      points: 1,
      hints: [
        'Read the Set-Cookie line of POST /login: is there an Expires or Max-Age?',
        'A cookie without Expires lives until the browser closes, and browsers that restore tabs keep it for weeks. A login should end on its own; this lesson\'s limit is 8 hours. The store expires the session server-side from the same value.',
        'express-session takes the lifetime in milliseconds as cookie.maxAge.',
        'session({ …, cookie: { …, maxAge: 8 * 60 * 60 * 1000 } })',
      ],
    },
    {
      id: '03.login-changes-session-id',
      title: 'Logging in issues a new session id and the old one stops working',
      points: 2,
      hints: [
        'Log in twice with the same cookie jar (curl -c jar -b jar). Does the session id in the cookie change?',
        'Session fixation: if the id stays the same across a login, whoever knew it before (because they planted it in your browser) is logged in as you afterwards.',
        'In POST /login, after the password check, replace the session before you write the user into it.',
        'req.session.regenerate((err) => { if (err) return next(err); req.session.username = account.username; res.json(…); });',
      ],
    },
    {
      id: '03.logout-destroys-session',
      title: 'After logout, the session is gone from the store and a copy of the old cookie no longer works',
      points: 2,
      guards: 'The exercise already destroys the session on logout; a cookie-only session (the user in a signed cookie) cannot be revoked and breaks this.',
      hints: [
        'Copy the cookie before POST /logout and replay it afterwards with curl. Are you still logged in?',
        'Logging out must end the session on the server. Clearing the browser\'s cookie is not enough: a copy (stolen, or on another device) would keep working until it expires.',
        'Keep the session data in the store and delete it there at logout. Storing the user in the cookie itself means nothing on the server can revoke it.',
        "req.session.destroy((err) => { if (err) return next(err); res.clearCookie('connect.sid'); res.status(204).end(); });",
      ],
    },
    {
      id: '03.tampered-cookie-rejected',
      title: 'An edited session cookie answers 401, not 500',
      points: 1,
      guards: 'express-session already rejects a cookie whose signature does not match; a store or cookie code of your own must keep it a plain 401.',
      hints: [
        'Change one letter of your session cookie and ask GET /me.',
        'Anybody can edit cookies. A forged or damaged cookie is a visitor who is not logged in, not a server error.',
        'Let express-session verify the signature (it ignores cookies that do not match); if you parse cookies yourself, treat any failure (decodeURIComponent throws on a malformed %-escape) as "no session".',
        'Keep the session id in a signed express-session cookie and the data in the store: then a bad cookie is simply an unknown session.',
      ],
    },
    {
      id: '03.anonymous-requests-create-no-session',
      title: 'Requests from visitors who never logged in (health, books, /me, a failed login, a logout) set no cookie',
      points: 1,
      hints: [
        'curl -i localhost:3000/health: is there a Set-Cookie line?',
        'With saveUninitialized: true every visit (health checks, crawlers, bots) writes an empty session into the store and hands out a cookie: a store full of junk and an easy way to fill it.',
        'Only save a session once something was put in it, that is, at login.',
        'session({ …, saveUninitialized: false, resave: false })',
      ],
    },
    {
      id: '03.no-memorystore-warning-in-production',
      title: 'Started with NODE_ENV=production, the app prints no MemoryStore warning',
      points: 1,
      hints: [
        'Start the app with NODE_ENV=production and read the first lines it prints.',
        'express-session warns that its default MemoryStore leaks memory and does not scale past one process, but only when NODE_ENV is production: exactly where you are not looking.',
        'The warning goes away when session() is given a store. Creating a store and forgetting to pass it does not count.',
        'session({ store, secret, … }) with the store built from REDIS_URL or SESSION_DIR.',
      ],
    },
    {
      id: '03.sessions-stored-in-redis',
      title: 'With REDIS_URL set, sessions live in that Redis and expire there',
      points: 2,
      needs: 'redis',
      hints: [
        'Start the app with REDIS_URL=redis://localhost:6379, log in, then run redis-cli keys "*" and redis-cli ttl <key>.',
        'Redis is the production answer: every instance on every host shares it, it survives app restarts and deletes expired sessions by itself (connect-redis sets the key\'s TTL from cookie.maxAge).',
        'When createApp receives a redisUrl (server.ts passes REDIS_URL), create a node-redis client with createClient({ url }), listen for its error event, await connect() (it waits while Redis does not answer: no fallback to another store), and hand it to RedisStore from connect-redis.',
        "import { RedisStore } from 'connect-redis'; import { createClient } from 'redis'; const client = createClient({ url: redisUrl }); client.on('error', console.error); await client.connect(); const store = new RedisStore({ client });",
      ],
    },
    {
      id: '03.sessions-stored-in-session-dir',
      title: 'Without REDIS_URL, sessions live in SESSION_DIR and expire there',
      points: 2,
      hints: [
        'Start the app without REDIS_URL and with SESSION_DIR=/tmp/sessions, log in, then list /tmp/sessions. Start a second copy with another SESSION_DIR: does it know your cookie?',
        'The folder is the store: every process given the same SESSION_DIR shares its sessions, a process given another folder must not see them, and a session whose file is gone (logged out elsewhere, expired) is gone. A copy kept in memory, or a folder the app picks itself, breaks that.',
        'Build the file store from the sessionDir that createApp receives (server.ts passes SESSION_DIR), not from a path of your own, and let every request read it: no cache in front of it. session-file-store expires a session from its cookie.maxAge.',
        "new (sessionFileStore(session))({ path: sessionDir, retries: 0, logFn: () => {} }), passed to session({ store, cookie: { maxAge: 8 * 60 * 60 * 1000, … } })",
      ],
    },
    {
      id: '03.login-ends-8-hours-after-login',
      title: 'A login ends 8 hours after it was made, however often the session was used',
      points: 2,
      hints: [
        'Log in, then keep asking GET /me for nine hours (or move your clock ahead): when does the login end?',
        'express-session touches the session on every request, and the store renews its expiry each time (connect-redis resets the key\'s TTL, the file store rewrites the file). So maxAge, rolling or not, is an idle timeout: a cookie replayed now and then keeps the login alive forever.',
        'Give the login an absolute lifetime of its own: write the time of the login into the session when the password checks out, and on every request treat a session whose login is older than 8 hours as signed out.',
        'At login, inside regenerate\'s callback: req.session.loggedInAt = Date.now(). After session(): app.use((req, res, next) => { const at = req.session.loggedInAt; if (at === undefined || Date.now() - at < 8 * 60 * 60 * 1000) return next(); req.session.regenerate(next); });',
      ],
    },
    {
      id: '03.redis-outage-answered-at-once',
      title: 'While Redis is down, a signed-in request and a login are answered at once with a server error, the catalogue and health keep working, and logins work again once Redis is back',
      points: 2,
      needs: 'redis',
      hints: [
        'Start the app with REDIS_URL, log in, stop Redis (redis-cli shutdown nosave, or docker stop), and ask GET /me with curl. How long does it take? Start Redis again and log in.',
        'node-redis keeps a queue of commands while it reconnects and sends them once Redis is back. For a web request that means waiting as long as Redis is down: the customer sees a spinner, and every waiting request holds a socket. Failing at once with a 500 or 503 is the honest answer, and the client reconnects by itself.',
        'The option is on the client that RedisStore uses: createClient({ url, … }). Leave reconnecting on (do not close the client or exit on an error event); a reconnectStrategy of your own returns a delay capped at a few seconds.',
        'createClient({ url: redisUrl, disableOfflineQueue: true }): a command sent while the client is not connected rejects at once, express-session hands the error to Express, and the request answers 500.',
      ],
    },
  ],
  requirements: [
    {
      text: 'Keep sessions in a store every process of the app shares, so that a login made on one process is valid on another, with REDIS_URL set and without it, whatever the host name each process is given (HOSTNAME or os.hostname()) and whatever NODE_ENV each says (one fixed Redis prefix in every process, not one made from NODE_ENV or the host name).',
      checks: ['03.session-shared-between-processes', '03.no-memorystore-warning-in-production'],
    },
    {
      text: 'Keep sessions where a restart of the app does not lose them, with REDIS_URL set and without it: never empty the store when a process starts or stops (on SIGTERM or SIGINT).',
      checks: ['03.restart-keeps-session', '03.sessions-stored-in-redis'],
    },
    {
      text: 'With REDIS_URL set, keep sessions in that Redis (the whole URL given, its password and database included, not an address of your own), whatever NODE_ENV says and whether or not SESSION_DIR is set too, each expiring there within 8 hours; when that Redis does not answer at startup, wait for it (without listening) or exit with a non-zero code, never keep sessions elsewhere (no fallback to memory or to the file store, not even after a timeout of its own).',
      checks: ['03.sessions-stored-in-redis', '03.session-shared-between-processes', '03.redis-outage-answered-at-once'],
    },
    {
      text: 'Without REDIS_URL, keep sessions in the embedded file store in the SESSION_DIR given, directly or in a subfolder the app makes inside it (not a folder of your own elsewhere, not in memory, and without refusing to start for want of Redis), whatever NODE_ENV says (NODE_ENV=test included), each expiring there within 8 hours.',
      checks: ['03.sessions-stored-in-session-dir', '03.session-shared-between-processes', '03.restart-keeps-session', '03.no-memorystore-warning-in-production'],
    },
    {
      text: "Sign the session cookie with the SESSION_SECRET from the environment, its value itself as express-session's secret (not a key derived from it): the same on every process, whatever NODE_ENV says (NODE_ENV=test included), never a secret written in the code (not even an old one kept beside it, however the code builds it: every string written in the lesson folder, src/ and files beside it, is tried as one, and so is every other key the app signs or checks cookies with; an HMAC the app makes with a string written there, whatever it signs, fails too) or made up at startup.",
      checks: ['03.secret-from-environment', '03.session-shared-between-processes'],
    },
    { text: 'Refuse to start (exit with a non-zero code, never listening) when SESSION_SECRET is missing or empty, whatever NODE_ENV says (no fallback for development or for the tests).', checks: ['03.refuses-to-start-without-secret'] },
    {
      text: "Make the session cookie HttpOnly, Secure and SameSite Lax or Strict, whatever NODE_ENV says (development and test included), and trust the proxy in front of the app so that the Secure cookie is sent; a login that reached the app without the proxy's X-Forwarded-Proto header gets a Secure cookie or none (secure: true, not 'auto').",
      checks: ['03.cookie-httponly-secure-samesite'],
    },
    {
      text: 'Let a session end at most 8 hours after its last use: the cookie expires within 8 hours, and the store (Redis, or SESSION_DIR) forgets the session 8 hours after its last request.',
      checks: ['03.cookie-expires-within-limit', '03.sessions-stored-in-redis', '03.sessions-stored-in-session-dir'],
    },
    {
      text: 'Keep a login 8 hours and end it then, however often the session was used since (an absolute lifetime, on both store paths): a session used every 14 minutes 57 seconds holds until 8 hours after the login (10 seconds before, it still answers 200; an idle timeout of the app\'s own may sign out after more than 15 minutes without a request, never sooner), a request with its cookie after that (from 8 hours 3 seconds on, no grace period) reads as signed out (401), whatever NODE_ENV says (the grader moves the clock of a process started with NODE_ENV=development on the Redis path and NODE_ENV=production on the file store path, where the login is made on one started with NODE_ENV=test), also with the session cookie alone, the other cookies\' times edited (plain or encoded), or the other cookies of a new login put beside it, and on a process other than the one that made the login; signed out, not locked out: with that cookie still sent, the catalogue answers 200 and a new login works. maxAge alone, rolling or not, is an idle timeout; a login time in one process\'s memory, in a cookie the browser can change, or in a signed cookie that is not bound to its session (one from any other login fits) is no limit.',
      checks: ['03.login-ends-8-hours-after-login'],
    },
    {
      text: 'While the Redis at REDIS_URL is down, answer a signed-in request and a login at once with a server error (500 or 503), never hang waiting for Redis (no timeout of its own around a queued command: no command sent while Redis is away reaches it once it is back, disableOfflineQueue), never answer from a copy or another store, while the catalogue and the health check keep answering 200; once Redis is back, logins and the sessions kept there work again without a restart, however long it was away (the process keeps running and its client keeps reconnecting, a few seconds apart at most, not after a delay that grows without a cap or is capped at 30 seconds: in the last minute of a long outage no two tries more than 15 seconds apart).',
      checks: ['03.redis-outage-answered-at-once'],
    },
    { text: 'Create no session (and set no cookie) for visitors who never logged in, a logout and a failed login included, whatever made the login fail (a wrong password, a missing username or password, an empty or unparseable body).', checks: ['03.anonymous-requests-create-no-session'] },
    {
      text: 'Give the session a new id at login (req.session.regenerate(), the user written inside its callback), so that the id from before the login no longer works, on any process.',
      checks: ['03.login-changes-session-id'],
    },
    {
      text: 'Destroy the session on the server at logout (its key or file gone from the store, not kept there emptied, no new session made in its place), so that a copy of the old cookie no longer works, on every process of the app at once (no copy of sessions kept in a process\'s memory).',
      checks: ['03.logout-destroys-session', '03.sessions-stored-in-session-dir'],
    },
    {
      text: 'Treat an edited or forged session cookie (a malformed percent escape in it included) as a visitor who is not logged in (401), never as a server error; another cookie edited, or one the app never set, is never a server error either.',
      checks: ['03.tampered-cookie-rejected'],
    },
  ],
  advice: [
    "Give the session cookie a maxAge of 8 hours, or a shorter one with rolling: true: a browser drops a cookie when it expires, so a shorter one that no answer renews signs a customer out sooner than the 8 hours the login promises. The grader replays cookies as an attacker would, whatever their expiry, and does not check this.",
    "Leave node-redis's socketTimeout unset: it closes a connection that has been idle that long, and the default reconnectStrategy does not reconnect after it, so a quiet spell takes every login down until a restart. The grader never leaves Redis idle long enough to see it.",
    "Listen for the Redis client's error event: without a listener, a dropped connection crashes the process.",
    'Give the file store retries: 0 and a quiet logFn, so that a missing session file is a quiet miss instead of five logged retries.',
    'When refusing to start, print which variable is missing.',
    'Destroy a session whose 8 hours are over when you find it (regenerate or destroy), so the store does not keep it until its idle expiry.',
    'Give the session a new id at every change of privilege, not only at login (a customer who becomes an admin, a password change, a second factor confirmed): req.session.regenerate().',
    "Rotate the session secret without signing everybody out: express-session's secret may be an array, whose first value signs new cookies and every value verifies (the new secret first, the old one from the environment beside it until its sessions have expired).",
    'Keep the Redis prefix the same from one release to the next (not made from a version or a commit): a deploy with a new prefix signs every customer out.',
    'Use Redis, not a shared file-store folder, as soon as the app runs on more than one machine; never share the folder over a network file system.',
    'Without REDIS_URL, never look for a Redis of your own (127.0.0.1:6379 if one answers, say): the file store in SESSION_DIR is the store then, and a laptop that happens to run a Redis would quietly keep sessions elsewhere. The grader, whose machines run no Redis on that port, cannot see it.',
    "Trust exactly the one proxy in front of the app, app.set('trust proxy', 1), not every hop (true): this app reads only the protocol, where both behave alike, but with true req.ip (rate limits, logs) believes whatever X-Forwarded-For a client sends.",
  ],
} satisfies LessonDefinition;
