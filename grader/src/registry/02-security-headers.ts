import type { LessonDefinition } from './types.js';

export default {
  number: 2,
  id: '02-security-headers',
  title: 'Security headers',
  summary:
    'Without hardening headers the shop announces it runs Express, lets a script injected into its search page run, and can be framed, sniffed and downgraded to HTTP.',
  edits: ['src/app.ts'],
  packages: ['helmet'],
  timeLimitMs: 30_000,
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
      title: 'The policy blocks a script injected through the search page',
      points: 3,
      hints: [
        "Open /search?q=<script>alert(1)</script> in a browser. The page writes your query into the HTML unescaped: would the policy stop that script?",
        "The effective script-src (script-src, else default-src) decides. 'unsafe-inline' allows exactly the injected <script>; 'unsafe-eval', wildcards and scheme sources like https: or data: let attackers load code from elsewhere; object-src must be 'none' so plugins cannot run code.",
        "Look at the policy you send: keep script-src to 'self' (your files under /static) or to a fresh nonce per response, and add object-src 'none'.",
        "helmet()'s default policy already does this: default-src 'self'; script-src 'self'; object-src 'none'. Do not add 'unsafe-inline' to make something work; move the inline code to a file.",
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
      title: 'Browsers are told to use HTTPS only, for at least six months (HSTS)',
      points: 1,
      hints: [
        'A customer types bookshop.example on café Wi-Fi. Which request goes out over plain HTTP first?',
        'Strict-Transport-Security tells a browser to use only HTTPS for your site for max-age seconds. Behind a TLS proxy your app still sends the header; a short max-age soon lets the browser forget.',
        'Send it on every response from the first middleware of createApp(), with max-age of at least 15552000 (180 days).',
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
      title: 'The 404, a 500 from the error handler and a 429 from the rate limiter carry the same headers',
      points: 2,
      hints: [
        'Run curl -i on /no-such-page, /api/books/1/recommendations and, six times, /api/gift-cards/NOPE. Which headers do they have?',
        'The not-found handler, the error handler and the rate limiter answer by themselves; only middleware registered before them has run.',
        'Register the header middleware first in createApp(), before express.json(), express.static, the limiter and every route.',
        'const app = express(); app.use(helmet()); then everything else.',
      ],
    },
    {
      id: '02.page-works-under-policy',
      title: "The shop's pages still load their own script and stylesheet under the policy",
      points: 2,
      guards:
        'Without a policy everything loads; this catches a policy so strict that it blocks the pages\' own /static/search.js or /static/app.css.',
      hints: [
        'Open /search?q=dune in a browser with the developer console open. Does the line "2 books found" appear, and is the page styled?',
        "Every file the page loads must be allowed by your policy: scripts by script-src (else default-src), stylesheets by style-src (else default-src). default-src 'none' alone blocks the page's own files.",
        "Look at the directives of your policy and at the <script> and <link> tags in src/pages.ts.",
        "Allow your own files: script-src 'self'; style-src 'self' (helmet()'s default does), or give each tag the response's nonce.",
      ],
    },
  ],
  requirements: [],
  advice: [],
} satisfies LessonDefinition;
