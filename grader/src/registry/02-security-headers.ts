import type { LessonDefinition } from './types.js';

export default {
  number: 2,
  id: '02-security-headers',
  title: 'Security headers',
  summary:
    'Without hardening headers the shop announces it runs Express, lets a script injected into its search page run, and can be framed, sniffed and downgraded to HTTP.',
  edits: ['src/app.ts'],
  packages: ['helmet'],
  timeLimitMs: 45_000,
  checks: [
    {
      id: '02.no-x-powered-by',
      title: 'No response names the framework: X-Powered-By is gone from pages, API, static files and POSTs',
      points: 1,
      hints: [
        'Run curl -i http://localhost:3000/api/books and read the headers. What does the first one tell an attacker?',
        'Express adds X-Powered-By: Express to every response. It tells a scanner which exploits to try first, and it buys you nothing.',
        "In createApp() in src/app.ts, turn the header off for the whole app, before any route answers. Renaming it or faking another framework's name does not count.",
        "app.disable('x-powered-by'), or app.use(helmet()) as the first middleware (helmet removes it).",
      ],
    },
    {
      id: '02.csp-enforced-everywhere',
      title: 'Every kind of response carries an enforced Content-Security-Policy',
      points: 2,
      hints: [
        'Which header tells a browser which scripts a page may run? Does any response of the shop send it?',
        'A Content-Security-Policy is enforced; Content-Security-Policy-Report-Only only reports. Middleware added after the routes or express.static never runs for them.',
        'In src/app.ts, add the header in the very first middleware of createApp(), so pages, the API, static files and POSTs all get it.',
        'import helmet from "helmet"; then app.use(helmet()) right after const app = express().',
      ],
    },
    {
      id: '02.csp-blocks-injected-script',
      title: 'In Chromium, no script injected through the search page runs (inline, as a handler, from a public CDN), and nonces cannot be guessed',
      points: 3,
      hints: [
        "Open /search?q=<script>alert(1)</script> in a browser. The page writes your query into the HTML unescaped: would the policy stop that script, or one loaded from https://cdn.jsdelivr.net/npm/anything?",
        "The effective script-src (script-src, else default-src) decides. 'unsafe-inline' allows exactly the injected <script> (in script-src-attr, an injected onerror=\"…\"); 'unsafe-eval', wildcards, scheme sources like https: or data:, and public CDNs that serve any npm package (cdn.jsdelivr.net, unpkg.com, esm.sh) or tag managers (www.googletagmanager.com) let attackers load code of their own; object-src must be 'none'. A nonce must be new, random and long on every response.",
        "Look at the policy you send: keep script-src to 'self' (your files under /static) or to a nonce made per response with crypto.randomBytes(16), and add object-src 'none'.",
        "helmet()'s default policy already does this: default-src 'self'; script-src 'self'; object-src 'none'. Do not add 'unsafe-inline' or a CDN to make something work; move the code to a file under public/.",
      ],
    },
    {
      id: '02.clickjacking-blocked',
      title: 'Other sites cannot frame the shop (X-Frame-Options or CSP frame-ancestors)',
      points: 1,
      hints: [
        'Could another site load your order page in an invisible iframe and trick a customer into clicking "Buy"?',
        "Browsers refuse to frame a page that answers X-Frame-Options: DENY or SAMEORIGIN, or whose policy says frame-ancestors 'none' or 'self'. When frame-ancestors is present, it wins.",
        'Add the header to every response in the first middleware of createApp().',
        "helmet() sends X-Frame-Options: SAMEORIGIN and frame-ancestors 'self'; by hand, res.setHeader('X-Frame-Options', 'DENY').",
      ],
    },
    {
      id: '02.content-types-not-sniffed',
      title: 'Every response forbids content-type sniffing (X-Content-Type-Options: nosniff)',
      points: 1,
      hints: [
        'What would a browser do with a JSON or text response that happens to look like HTML or JavaScript?',
        'Browsers may "sniff" a response and treat it as another type. X-Content-Type-Options: nosniff makes them trust the Content-Type you send, and refuse scripts and stylesheets of the wrong type.',
        'Send it on every response from the first middleware of createApp().',
        "helmet() sends it; by hand, res.setHeader('X-Content-Type-Options', 'nosniff').",
      ],
    },
    {
      id: '02.referrer-policy-safe',
      title: 'A safe Referrer-Policy keeps URLs, search terms included, from leaking to other sites',
      points: 1,
      hints: [
        'A customer searches, then clicks a link to another site. What does that site learn from the Referer header?',
        'Referrer-Policy decides how much of the URL a browser passes on. no-referrer, same-origin, strict-origin and strict-origin-when-cross-origin are safe; unsafe-url, no-referrer-when-downgrade and origin leak more than they should.',
        'Send the header on every response from the first middleware of createApp().',
        "helmet() sends Referrer-Policy: no-referrer; by hand, res.setHeader('Referrer-Policy', 'strict-origin-when-cross-origin').",
      ],
    },
    {
      id: '02.hsts-six-months',
      title: 'Browsers that reach the shop through its TLS proxy are told to use HTTPS only, for a fixed six months or more (HSTS), and the app trusts that one proxy only',
      points: 1,
      hints: [
        'A customer types bookshop.example on café Wi-Fi. Which request goes out over plain HTTP first?',
        'Strict-Transport-Security tells a browser to use only HTTPS for your site for max-age seconds; browsers honour it only over HTTPS. The shop sits behind a TLS proxy that adds X-Forwarded-Proto: https, and the grader sends what it sends. A short max-age soon lets the browser forget.',
        "Send it from the first middleware of createApp(), with a fixed max-age of at least 15552000 (180 days): on every response, or only when req.secure, which needs app.set('trust proxy', 1) behind the proxy (1, not true or 2: trusting more lets a customer's own X-Forwarded-For slip past the gift-card limiter).",
        "helmet() sends max-age=31536000; includeSubDomains; by hand, res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains').",
      ],
    },
    {
      id: '02.legacy-xss-filter-off',
      title: "The browser's legacy XSS filter stays off (X-XSS-Protection absent or 0)",
      points: 1,
      guards:
        'The flawed app sends no X-XSS-Protection, which is right; this catches a fix that turns the old filter back on, which could be abused to leak data from the page.',
      hints: [
        'Is X-XSS-Protection: 1; mode=block a protection today?',
        "The filter it switched on is gone from current browsers, and where it existed it could be abused to leak data or switch off the page's own scripts. The CSP is the protection now.",
        'If you set security headers by hand, leave X-XSS-Protection out or set it to 0.',
        "helmet() sends X-XSS-Protection: 0; by hand, just do not send 1.",
      ],
    },
    {
      id: '02.error-responses-hardened',
      title: "Every error answer carries the same headers: 404s, a 500, a 429, the body parsers' 400, 413 and 415, OPTIONS and CORS preflights, express.static's redirect of /static",
      points: 2,
      hints: [
        "Run curl -i on /no-such-page, /static, /api/books/1/recommendations, six times /api/gift-cards/NOPE, and curl -i -X POST -H 'Content-Type: application/json' --data '{' on /api/orders. Which headers do they have?",
        'The not-found handler, the error handler, the rate limiter and express.static (its 301 for a folder without the trailing slash) answer by themselves, and express.json() hands a malformed, oversized or wrongly encoded body to the error handler at once: ordinary middleware registered after it never runs for that request.',
        'Register the header middleware first in createApp(), before express.json() (and any other body parser), express.static, the limiter and every route.',
        'const app = express(); app.use(helmet()); then everything else, express.json() included.',
      ],
    },
    {
      id: '02.page-works-under-policy',
      title: "In Chromium the shop still works under its policy: styled pages, a search form that submits, results counted by its script",
      points: 2,
      guards:
        "Without a policy everything works; this catches a policy that breaks the pages' own /static/search.js or /static/app.css, or stops the search form (form-action, sandbox).",
      hints: [
        'Open http://localhost:3000/ in a browser with the developer console open, search for "release" with the form in the header. Do you land on the results, styled, with "1 book found" filled in?',
        "Every file the page loads must be allowed by your policy: scripts by script-src (else default-src), stylesheets by style-src (else default-src). A form may submit only where form-action allows (it does not fall back to default-src), and a sandbox directive gives the page an opaque origin and blocks forms.",
        "Look at the directives of your policy, at the console's messages, and at the <script>, <link> and <form> tags in src/pages.ts.",
        "Allow your own files and form: script-src 'self'; style-src 'self'; form-action 'self' (helmet()'s default does), no sandbox, or give each tag the response's nonce.",
      ],
    },
  ],
  requirements: [
    { text: 'Remove X-Powered-By from every response, rather than renaming or faking it.', checks: ['02.no-x-powered-by'] },
    {
      text: "Send an enforced Content-Security-Policy header on every response (HTML pages, the JSON API, GET /health, static files, POSTs), whatever the request says about itself (Accept, the Sec-Fetch-* and Origin headers Chromium sends, Sec-Fetch-Dest: iframe when another site frames a page, X-Requested-With, Authorization, the User-Agent (a health check's such as kube-probe/ or ELB-HealthChecker/ too), and the URL's query string or a trailing slash, such as ?debug=1): not only Report-Only, not only a `<meta>` tag.",
      checks: ['02.csp-enforced-everywhere'],
    },
    {
      text: "Keep the effective script-src free of 'unsafe-inline' (unless with a nonce or hash), 'unsafe-eval', wildcards and scheme sources, and set object-src 'none'.",
      checks: ['02.csp-blocks-injected-script'],
    },
    {
      text: 'Let no script injected into the search page run in a browser: no inline `<script>`, no inline event handler, no `data:` URL, no script from a public CDN that serves any npm package or a tag manager anyone can publish a container on (Google Tag Manager, Adobe Launch, Tealium), nor from any other site, nor one of your own app\'s answers that a page can load as a script (a JSONP answer to `?callback=`, `?jsoncallback=` or any other name, or a script written from the request such as `/search-data.js?q=`: \'self\' trusts every script your origin serves, so answer JSON only as JSON and serve scripts as fixed files), nor from a host anyone can publish on in any spelling (S3 in any region, Google Cloud or Firebase storage, raw.githubusercontent.com).',
      checks: ['02.csp-blocks-injected-script'],
    },
    {
      text: 'If the policy uses a nonce, make it new and random on every response, from at least 16 random bytes: never reused (not per visitor, not per connection), never from a counter or the clock, hashed or not, nor under a fixed key (every start of the app must give new ones), and only on your own script tags, never stamped onto whatever `<script>` a response holds.',
      checks: ['02.csp-blocks-injected-script'],
    },
    { text: "Stop other sites from framing the pages: X-Frame-Options DENY or SAMEORIGIN, or frame-ancestors 'none' or 'self', on every response a browser shows (a redirect it follows needs none), whatever the request says about itself (a query string such as ?embed=1 and the User-Agent included).", checks: ['02.clickjacking-blocked'] },
    { text: 'Send X-Content-Type-Options: nosniff on every response.', checks: ['02.content-types-not-sniffed'] },
    {
      text: 'Send a safe Referrer-Policy on every response: no-referrer, same-origin, strict-origin or strict-origin-when-cross-origin; and loosen it nowhere in the pages (no `<meta name="referrer">` or referrerpolicy attribute with a leaking value, neither in the HTML nor added at run time by a script of the page, on an element of the page or one it never adds to it, such as a `new Image()` pixel).',
      checks: ['02.referrer-policy-safe'],
    },
    {
      text: 'Send Strict-Transport-Security with a fixed max-age of at least 15552000 seconds (the same whatever the date and however long the app has run: not counted down to a date or from the start of the app) on every response to a request that came through the TLS proxy (X-Forwarded-Proto: https); over plain HTTP you may leave it out.',
      checks: ['02.hsts-six-months'],
    },
    {
      text: "If you trust the proxy, trust only the one in front (app.set('trust proxy', 1)), never true, 2 or a list of private subnets ('loopback, linklocal, uniquelocal'), and key the gift-card limiter on the client's address alone (express-rate-limit's default key, which counts an IPv6 client by its network: a keyGenerator of your own that returns req.ip gives each of the addresses of one IPv6 customer a bucket of its own; pass it through ipKeyGenerator), not on a header the customer writes (X-Forwarded-For's first entry, X-Real-IP, Forwarded, X-Client-IP, User-Agent, Accept-Language, cookies), nor on the code looked up, the URL or the host the request names (Host, X-Forwarded-Host); never skip requests, or raise the limit, for what a request says about itself (its method: a HEAD lookup tells a valid code as well as a GET; an address header that says private or loopback; an Authorization, X-Api-Key, X-Auth-Token or cookie nobody checked; a crawler's or monitor's User-Agent): a customer who writes a client address, a new code or other headers of their own, or changes address within their IPv6 network, must still be held by it.",
      checks: ['02.hsts-six-months'],
    },
    { text: 'Leave X-XSS-Protection out, or send 0, to every client (old Internet Explorer included).', checks: ['02.legacy-xss-filter-off'] },
    {
      text: "Give error answers the same headers as the routes: the 404 for any method, the error handler's 500, the rate limiter's 429, the body parsers' 400, 413 and 415 (express.json() and any other: urlencoded, text, raw), and whatever an OPTIONS or a CORS preflight gets (a 204 from a CORS handler after the headers is fine).",
      checks: ['02.error-responses-hardened'],
    },
    {
      text: 'Set the headers in the first middleware of createApp(), before express.json() and every other body parser, express.static (at any path: a second mount of public/ at / too; its setHeaders option misses the 301 it writes for GET /static), CORS handling and every route (GET /health too), for every method and path.',
      checks: ['02.error-responses-hardened', '02.csp-enforced-everywhere', '02.no-x-powered-by'],
    },
    {
      text: "Keep the pages working under their policy: their own stylesheet and script load, and the search form in the header submits and shows the results.",
      checks: ['02.page-works-under-policy'],
    },
  ],
  advice: [
    'Escape user input in templates as well: the policy is the net under the templates you forget (the solution leaves the escape out on purpose).',
    "When a page breaks under the policy, fix the page (move inline code to public/, or give it the response's nonce) rather than weakening the policy.",
    'helmet() is the short way to all of these headers; setting them by hand in one middleware, with app.disable(\'x-powered-by\'), works as well.',
    'Add includeSubDomains to HSTS once every subdomain serves HTTPS.',
    "Take nonce bytes from crypto (randomBytes, randomUUID), never from Math.random(), nor from a counter or a clock mixed with something of your own and hashed (sha256 of the process id and a counter, of process.hrtime(), of the time and the URL): their output can be worked out from a few values, though no check can tell by looking at the nonces. The grader catches a bare counter and the time in seconds or milliseconds, hashed or not, and nonces that repeat.",
    "With 'strict-dynamic', a script of your own that creates a <script> from markup it finds (a loader for every [data-widget-src]) runs whatever an injected element points at: let such loaders take only URLs of your own. The grader does not check this.",
    "Never app.set('trust proxy', 'loopback') either (the first entry of the forbidden list): it works only while the proxy runs on the app's own machine. Behind a proxy on another host, req.secure stays false (no HSTS when you send it only over HTTPS) and every customer shares the proxy's address in the limiter. The grader's proxy runs on the loopback, so it cannot see this.",
  ],
} satisfies LessonDefinition;
