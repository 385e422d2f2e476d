import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { type BrowserPage, closeBrowser, openPage, PAGE_TIMEOUT_MS, startBrowser } from '../support/browser.js';
import {
  blocksPlugins,
  effectiveSources,
  evaluatorHighFindings,
  governingDirective,
  hasNonceOrHash,
  noncesIn,
  parsePolicies,
  type Policy,
  scriptSourceWeaknesses,
  sourceMatchesUrl,
  type ReceivedPolicy,
} from '../support/csp.js';
import { CheckFailure, expectThat, fail, show } from '../support/expect.js';
import { ANSWER_TIMEOUT_MS, type Client, header, type RawReply, type Reply } from '../support/http.js';
import { lesson } from '../support/lesson.js';
import { makeTempFolder, removeTempFolder } from '../support/watchdog.js';

/** What a JSON client sends: headers must not depend on what the request accepts. */
const API_CLIENT = { Accept: 'application/json' };
/** What Chromium sends for a page it navigates to, and for what the page then loads: headers must not depend on them either. */
const BROWSER = {
  document: { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8', 'Sec-Fetch-Dest': 'document', 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Site': 'none', 'Sec-Fetch-User': '?1' },
  style: { Accept: 'text/css,*/*;q=0.1', 'Sec-Fetch-Dest': 'style', 'Sec-Fetch-Mode': 'no-cors', 'Sec-Fetch-Site': 'same-origin' },
  script: { Accept: '*/*', 'Sec-Fetch-Dest': 'script', 'Sec-Fetch-Mode': 'no-cors', 'Sec-Fetch-Site': 'same-origin' },
  fetch: { Accept: '*/*', 'Sec-Fetch-Dest': 'empty', 'Sec-Fetch-Mode': 'cors', 'Sec-Fetch-Site': 'same-origin' },
  /** A fetch() that posts from the page: browsers add Origin. */
  post: { Accept: '*/*', 'Sec-Fetch-Dest': 'empty', 'Sec-Fetch-Mode': 'cors', 'Sec-Fetch-Site': 'same-origin', Origin: 'http://127.0.0.1' },
  /** Another site puts the page in an <iframe>, <frame>, <object> or <embed>: what framing protection is for. */
  iframe: { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8', 'Sec-Fetch-Dest': 'iframe', 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Site': 'cross-site' },
  frame: { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8', 'Sec-Fetch-Dest': 'frame', 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Site': 'cross-site' },
  object: { Accept: '*/*', 'Sec-Fetch-Dest': 'object', 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Site': 'cross-site' },
  embed: { Accept: '*/*', 'Sec-Fetch-Dest': 'embed', 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Site': 'cross-site' },
};
/** What other clients add: a front end's XMLHttpRequest, and an API client with a token. */
const XHR = { ...API_CLIENT, 'X-Requested-With': 'XMLHttpRequest' };
const BEARER = { ...API_CLIENT, Authorization: 'Bearer bookshop-mobile-app-token' };
/** A real CORS preflight: another origin asks before a POST with a JSON body. */
const PREFLIGHT = { Origin: 'https://app.bookshop.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' };
/** Clients that name themselves: old Internet Explorer (which had the XSS filter) and a crawler. Anyone can write any User-Agent. */
const AGENTS = {
  ie11: { 'User-Agent': 'Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko' },
  msie8: { 'User-Agent': 'Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)' },
  googlebot: { 'User-Agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' },
  bingbot: { 'User-Agent': 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)' },
  // Health checks and monitors: Kubernetes, AWS and Google Cloud load balancers.
  kubeProbe: { 'User-Agent': 'kube-probe/1.29' },
  elb: { 'User-Agent': 'ELB-HealthChecker/2.0' },
  googleHc: { 'User-Agent': 'GoogleHC/1.0' },
};
/** The request headers the grader adds to say who asks; a reply whose headers change without them depends on them. */
const CLIENT_HEADERS = new Set([...[...Object.values(BROWSER), XHR, BEARER, PREFLIGHT, ...Object.values(AGENTS)].flatMap((headers) => Object.keys(headers)), 'Accept']);
/**
 * Query parameters a link to the shop can carry (anyone who sends a customer a link writes them): the
 * headers must not depend on them, nor on a trailing slash.
 */
const LINK_PARAMETERS = ['debug', 'embed', 'preview', 'test', 'iframe', 'framed', 'widget', 'partner', 'nocsp', 'amp', 'print', 'mobile'];
const linkQuery = (value: string) => LINK_PARAMETERS.map((name) => `${name}=${value}`).join('&');
/** The URL without the grader's link parameters and trailing slash; the same URL when it has none. */
function withoutLinkExtras(path: string): string {
  const url = new URL(path, 'http://localhost');
  LINK_PARAMETERS.forEach((name) => url.searchParams.delete(name));
  const pathname = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
  return `${pathname}${url.searchParams.size ? `?${url.searchParams}` : ''}`;
}
/**
 * Real routes of every kind, each answering 2xx, asked as curl, API clients and Chromium ask (a page, and
 * the stylesheet, script and fetch() calls it makes). A check on a 404 alone is fooled by late middleware.
 */
const routes: Route[] = [
  { kind: 'HTML page', method: 'GET', path: '/' },
  { kind: 'HTML page, as Chromium navigates to it', method: 'GET', path: '/search?q=dune', headers: BROWSER.document },
  { kind: 'JSON API', method: 'GET', path: '/api/books', headers: API_CLIENT },
  { kind: 'JSON API', method: 'GET', path: '/api/books/1', headers: API_CLIENT },
  { kind: 'JSON API, HEAD', method: 'HEAD', path: '/api/books', headers: API_CLIENT },
  { kind: 'health check', method: 'GET', path: '/health' },
  { kind: 'static file', method: 'GET', path: '/static/app.css' },
  { kind: 'static file', method: 'GET', path: '/static/search.js' },
  { kind: 'JSON API', method: 'POST', path: '/api/orders', body: { bookId: 1, quantity: 2 }, headers: API_CLIENT },
  { kind: "stylesheet, as Chromium loads it (Sec-Fetch-Dest: style)", method: 'GET', path: '/static/app.css', headers: BROWSER.style },
  { kind: 'script, as Chromium loads it (Sec-Fetch-Dest: script)', method: 'GET', path: '/static/search.js', headers: BROWSER.script },
  { kind: "a page's fetch(), as Chromium sends it (Sec-Fetch-Dest: empty)", method: 'GET', path: '/api/books/2', headers: BROWSER.fetch },
  { kind: "a page's fetch() POST, as Chromium sends it (Origin, Sec-Fetch-Mode: cors)", method: 'POST', path: '/api/orders', body: { bookId: 2, quantity: 1 }, headers: BROWSER.post },
  { kind: 'HTML page, as Chromium loads it into an iframe on another site (Sec-Fetch-Dest: iframe)', method: 'GET', path: '/search?q=dune', headers: BROWSER.iframe },
  { kind: 'HTML page, as Chromium loads it into a <frame> on another site (Sec-Fetch-Dest: frame)', method: 'GET', path: '/', headers: BROWSER.frame },
  { kind: 'HTML page, as Chromium loads it into an <object> on another site (Sec-Fetch-Dest: object)', method: 'GET', path: '/search?q=dune', headers: BROWSER.object },
  { kind: 'HTML page, as Chromium loads it into an <embed> on another site (Sec-Fetch-Dest: embed)', method: 'GET', path: '/', headers: BROWSER.embed },
  { kind: 'JSON API, from an XMLHttpRequest (X-Requested-With)', method: 'GET', path: '/api/books', headers: XHR },
  { kind: 'JSON API, from a client with a token (Authorization: Bearer)', method: 'GET', path: '/api/books/1', headers: BEARER },
  { kind: 'HTML page, from a link that adds ?debug=1&embed=1…', method: 'GET', path: `/?${linkQuery('1')}` },
  { kind: 'HTML page, from a link with a trailing slash and &debug=true&embed=true…', method: 'GET', path: `/search/?q=dune&${linkQuery('true')}` },
  { kind: 'JSON API, from a link that adds ?debug=1&embed=1…', method: 'GET', path: `/api/books?${linkQuery('1')}` },
  { kind: 'HTML page, as Internet Explorer 11 asks (User-Agent: … Trident/7.0)', method: 'GET', path: '/search?q=dune', headers: AGENTS.ie11 },
  { kind: 'HTML page, as Internet Explorer 8 asks (User-Agent: … MSIE 8.0)', method: 'GET', path: '/', headers: AGENTS.msie8 },
  { kind: "HTML page, as Google's crawler asks (User-Agent: … Googlebot)", method: 'GET', path: '/', headers: AGENTS.googlebot },
  { kind: "JSON API, as Bing's crawler asks (User-Agent: … bingbot)", method: 'GET', path: '/api/books/1', headers: AGENTS.bingbot },
  { kind: 'HTML page, as a Kubernetes probe asks (User-Agent: kube-probe/1.29)', method: 'GET', path: '/search?q=dune', headers: AGENTS.kubeProbe },
  { kind: 'health check, as an AWS load balancer asks (User-Agent: ELB-HealthChecker/2.0)', method: 'GET', path: '/health', headers: AGENTS.elb },
  { kind: 'JSON API, as a Google Cloud health check asks (User-Agent: GoogleHC/1.0)', method: 'GET', path: '/api/books', headers: AGENTS.googleHc },
];

/**
 * A protocol-relative script URL ("//host/…", which starts with a slash like the shop's own "/static/…"),
 * and the end tags of the page's head and body after the injected scripts: an app that stamps its
 * nonce onto tags by rewriting the HTML ("every <script src=\"/", "every script before </head>") stamps
 * the attacker's too.
 */
const PROTOCOL_RELATIVE_SCRIPT = '//attacker.example/relative.js';
const END_TAGS = '</head></body>';
const INJECTED = `<script>document.title='pwned'</script><script src="${PROTOCOL_RELATIVE_SCRIPT}"></script>${END_TAGS}`;
const SIX_MONTHS = 15_552_000;
/** A results page with books and whatever links the page and its script add to them. */
const RESULTS_PAGE = '/search?q=dune';
/** What the shop's TLS proxy adds to every request it forwards: the grader sends it where HSTS is judged. */
const THROUGH_TLS_PROXY = { 'X-Forwarded-Proto': 'https' };
/** Page loads whose nonces are compared: a counter or the clock shows in two, chance does not in four. */
const NONCE_SAMPLES = 4;
/** Nonces carry at least this much randomness: the CSP specification asks for 128 bits. */
const NONCE_MIN_BITS = 120;

/**
 * Script URLs an attacker can count on, on public hosts: CDNs that serve any npm package or GitHub file
 * and storage anyone can rent (anyone can publish there), tag managers (anyone can open an account and
 * publish a container), and CDNs that serve old AngularJS, whose
 * templates run an attacker's code.
 * The browser never reaches them: the grader answers every request for another host itself.
 */
const PUBLIC_CDN_SCRIPTS = [
  'https://cdn.jsdelivr.net/npm/bookshop-pwn@1.0.0/x.js',
  'https://fastly.jsdelivr.net/gh/bookshop-pwn/x@1.0.0/x.js',
  'https://cdn.jsdelivr.net/gh/bookshop-pwn/x@1.0.0/x.js',
  'https://gcore.jsdelivr.net/npm/bookshop-pwn@1.0.0/x.js',
  'https://unpkg.com/bookshop-pwn@1.0.0/x.js',
  'https://npmcdn.com/bookshop-pwn@1.0.0/x.js',
  'https://esm.sh/bookshop-pwn@1.0.0/x.js',
  'https://esm.run/bookshop-pwn@1.0.0',
  'https://cdn.skypack.dev/bookshop-pwn@1.0.0',
  'https://jspm.dev/bookshop-pwn@1.0.0',
  'https://ga.jspm.io/npm:bookshop-pwn@1.0.0/x.js',
  'https://deno.land/x/bookshop_pwn@1.0.0/x.js',
  'https://raw.githack.com/bookshop-pwn/x/main/x.js',
  'https://rawcdn.githack.com/bookshop-pwn/x/main/x.js',
  'https://cdn.statically.io/gh/bookshop-pwn/x/main/x.js',
  'https://storage.googleapis.com/bookshop-pwn/x.js',
  'https://s3.amazonaws.com/bookshop-pwn/x.js',
  'https://cdnjs.cloudflare.com/ajax/libs/angular.js/1.8.3/angular.min.js',
  'https://ajax.googleapis.com/ajax/libs/angularjs/1.8.3/angular.min.js',
  'https://code.angularjs.org/1.8.3/angular.min.js',
  // Tag managers: anyone can open an account and publish a container that runs any code.
  'https://www.googletagmanager.com/gtm.js?id=GTM-BOOKPWN',
  'https://assets.adobedtm.com/bookshop-pwn/launch-EN0000.min.js',
  'https://tags.tiqcdn.com/utag/bookshop-pwn/main/prod/utag.js',
];
/**
 * Families of hosts that serve, under one shared hostname, files anyone can publish: every spelling of
 * path-style S3, Google Cloud and Firebase storage, GitHub's raw files, and the package CDNs. A policy
 * that names one of them (whatever the region or mirror) lets in the file an attacker puts there.
 * Hosts one customer owns (mybucket.s3.amazonaws.com, myshop.web.app) are not among them; a wildcard
 * over them (*.web.app, *.blob.core.windows.net) already fails as a wildcard.
 */
const PUBLISHABLE_HOST_FAMILIES: [family: RegExp, what: string][] = [
  [/^s3(?:[.-]external-1|(?:\.dualstack)?[.-][a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d+)?\.amazonaws\.com(?:\.cn)?$/, "Amazon S3's shared host, where anyone's bucket is a path"],
  [/^(?:storage|firebasestorage|commondatastorage)\.googleapis\.com$|^storage\.cloud\.google\.com$/, "Google Cloud or Firebase storage's shared host, where anyone's bucket is a path"],
  [/^(?:raw|gist|objects)\.githubusercontent\.com$|^(?:cdn\.)?rawgit\.com$|^(?:raw|rawcdn)\.githack\.com$|^(?:[a-z0-9-]+\.)?statically\.io$|^gitcdn\.(?:link|xyz)$/, 'a host that serves any GitHub file'],
  [/^(?:[a-z0-9-]+\.)?(?:jsdelivr\.(?:net|com)|unpkg\.com|npmcdn\.com|esm\.sh|esm\.run|skypack\.dev|jspm\.(?:io|dev)|deno\.land|jsr\.io|bundle\.run|cdn\.pika\.dev)$/, 'a CDN that serves any published package'],
  [/^cdnjs\.cloudflare\.com$/, 'cdnjs, which serves thousands of libraries, old AngularJS among them'],
];

/** The family of hosts anyone can publish on that this host belongs to; undefined when none. */
function publishableHost(hostname: string): string | undefined {
  return PUBLISHABLE_HOST_FAMILIES.find(([family]) => family.test(hostname.toLowerCase()))?.[1];
}

/**
 * Host sources (no path, or only /) of the effective script-src that belong to a family of hosts anyone
 * can publish on, each as a script URL an attacker would publish there: the browser check injects them.
 */
function publishableHostScripts(policies: Policy[]): string[] {
  const urls = new Set<string>();
  for (const policy of policies) {
    const sources = effectiveSources(policy, 'script-src-elem');
    if (!sources || (sources.includes("'strict-dynamic'") && hasNonceOrHash(sources))) continue;
    for (const source of sources) {
      const host = source.match(/^(?:(https?):\/\/)?([a-z0-9.-]+)(?::\d+)?\/?$/i);
      if (host && publishableHost(host[2]!)) urls.add(`${host[1]?.toLowerCase() ?? 'https'}://${host[2]!.toLowerCase()}/bookshop-pwn/x.js`);
    }
  }
  return [...urls];
}

/** Any other site: an https:, http: or * source lets these in. */
const ANY_SITE_SCRIPTS = ['https://attacker.example/x.js', 'http://attacker.example/x.js'];
const ANGULAR_HOSTS = ['cdnjs.cloudflare.com', 'ajax.googleapis.com', 'code.angularjs.org'];
const TAG_MANAGER_HOSTS = ['www.googletagmanager.com', 'assets.adobedtm.com', 'tags.tiqcdn.com'];
/** The pages' origin as the policy sees it: plain HTTP, as the app serves them (the port never matters to a host source). */
const PAGE_ORIGIN = new URL('http://127.0.0.1');

/** Inline code an attacker writes into the page; each records its name in self.__injected when it runs. */
const mark = (name: string) => `(self.__injected=self.__injected||[]).push('${name}')`;
const INLINE_VECTORS = [
  { name: 'inline-script', html: `<script>${mark('inline-script')}</script>`, what: 'an inline <script>' },
  { name: 'event-handler', html: `<img src="/static/missing.png" onerror="${mark('event-handler')}">`, what: 'an inline event handler (<img onerror="…">)' },
  { name: 'data-url', html: `<script src="data:text/javascript,${mark('data-url')}"></script>`, what: 'a <script src="data:…">' },
];
/**
 * The app's own answers loaded as scripts: 'self' lets them in, so one that answers JavaScript (a JSONP
 * ?callback=, whatever its parameter's name) runs the function an attacker names. alert() shows, and
 * Chromium's dialog is recorded.
 */
const CALLBACK_PARAMETERS = ['callback', 'jsoncallback', '_callback', 'jsonp', 'cb', 'fn', 'func', 'call', 'jsonpcallback'];
const SAME_ORIGIN_GADGETS = ['/api/books', '/api/books/1', '/health'].map((path) => `${path}?${CALLBACK_PARAMETERS.map((name) => `${name}=alert`).join('&')}`);
/**
 * What an attacker writes into a query parameter of a script the app generates from the request (a
 * "data" script such as /search-data.js?q=…): one for each way the value may be quoted in the code.
 */
const SCRIPT_BREAKOUTS = ['"', "'", '`', ''].map((quote) => `${quote};${mark('own-script')};//`);
/** The search page with all of the above in its query, and `more` script URLs: one page load tries every way in. */
const browserInjection = (more: string[] = []) =>
  `/search?q=${encodeURIComponent(
    [
      ...INLINE_VECTORS.map((vector) => vector.html),
      ...[...PUBLIC_CDN_SCRIPTS, ...more, ...ANY_SITE_SCRIPTS, PROTOCOL_RELATIVE_SCRIPT, ...SAME_ORIGIN_GADGETS].map((url) => `<script src="${url}"></script>`),
      END_TAGS,
    ].join(''),
  )}`;

/** Body parsers other than express.json(), and a body of about `size` bytes each reads. */
const BODY_PARSERS = [
  { type: 'application/x-www-form-urlencoded', parser: 'express.urlencoded()', body: (size: number) => `bookId=1&note=${'x'.repeat(size)}` },
  { type: 'text/plain', parser: 'express.text()', body: (size: number) => 'x'.repeat(size) },
  { type: 'application/octet-stream', parser: 'express.raw()', body: (size: number) => 'x'.repeat(size) },
];

interface Route {
  kind: string;
  method: 'GET' | 'HEAD' | 'POST';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Sample {
  reply: Reply;
  /** How the message names it: "GET /static/app.css (static file)". */
  label: string;
  /** Answered by the JSON parser, before any middleware registered after express.json() runs. */
  parserError?: boolean;
  /** What answered it, when a library writes the answer by itself: said in place of the check's advice. */
  cause?: string;
}

/** A header rule: undefined when the reply is fine, else what was got instead. */
type Rule = (reply: Reply) => string | undefined;

async function fetchRoutes(app: Client, headers?: Record<string, string>): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (const route of routes) {
    const reply = await app.request(route.method, route.path, { body: route.body, headers: { ...route.headers, ...headers } });
    expectThat(
      reply.status >= 200 && reply.status < 300,
      `Expected ${route.method} ${route.path} to answer 2xx as it did before your change, got ${reply.status} (body ${show(reply.text, 60)}).`,
    );
    samples.push({ reply, label: `${route.method} ${route.path} (${route.kind})` });
  }
  return samples;
}

/**
 * Every kind of answer that no route gives: the app's 404 (for GET and for another method), a 500 from
 * its error handler, the JSON parser's 400, 413 and 415, and a 429 from the gift-card limiter. Sent as
 * the TLS proxy sends them, so that HSTS sent only over HTTPS counts.
 */
async function fetchErrors(app: Client): Promise<Sample[]> {
  const headers = THROUGH_TLS_PROXY;
  const json = (type = 'application/json') => ({ ...headers, 'Content-Type': type });
  // status undefined: whatever the app answers is judged (a CORS middleware after the headers may answer
  // a preflight 204; a root mount of public/ may serve the file).
  const probes: { method: string; path: string; status?: number; label: string; headers: Record<string, string>; body?: string; parserError?: boolean; cause?: string }[] = [
    { method: 'GET', path: '/no-such-page', status: 404, label: '404 from your not-found handler', headers },
    { method: 'DELETE', path: '/api/books/1', status: 404, label: 'a method no route takes: 404', headers },
    { method: 'OPTIONS', path: '/api/orders', label: 'OPTIONS', headers: { ...headers, ...API_CLIENT } },
    { method: 'OPTIONS', path: '/api/orders', label: 'a CORS preflight from another origin (Origin, Access-Control-Request-Method: POST)', headers: { ...headers, ...PREFLIGHT } },
    // The files of public/ at paths other than /static: a second mount above the headers answers them bare.
    ...['/search.js', '/robots.txt', '/favicon.ico', '/public/app.css', '/assets/app.css'].map((path) => ({ method: 'GET', path, label: 'a path outside /static: a file of public/ mounted again, or a route of its own; 404 unless something answers it', headers })),
    // A folder asked without its trailing slash: express.static writes the 301 to /static/ by itself, and
    // its setHeaders option runs only for the files it sends.
    ...['GET', 'HEAD'].map((method) => ({
      method,
      path: '/static',
      label: "the folder of public/ without its trailing slash, express.static's own redirect",
      headers,
      cause:
        'express.static writes this redirect itself, and its setHeaders option runs only for the files it sends, so headers given through setHeaders (or any middleware after it) miss it. ' +
        'Register the headers first, as the very first middleware, before express.static.',
    })),
    { method: 'GET', path: '/api/books/1/recommendations', status: 500, label: '500 from your error handler', headers },
    { method: 'POST', path: '/api/orders', status: 400, label: 'malformed JSON: 400 from express.json()', headers: json(), body: '{"bookId": 1,', parserError: true },
    { method: 'POST', path: '/api/orders', status: 413, label: 'a 150 KB body: 413 from express.json()', headers: json(), body: JSON.stringify({ bookId: 1, note: 'x'.repeat(150_000) }), parserError: true },
    { method: 'POST', path: '/api/orders', status: 415, label: 'an unsupported charset: 415 from express.json()', headers: json('application/json; charset=latin1'), body: '{"bookId": 1}', parserError: true },
    // The same bodies as a form, as text and as bytes: express.urlencoded(), text() or raw() above the
    // headers answers them bare (whatever answers them is judged: an app without those parsers too).
    ...BODY_PARSERS.flatMap(({ type, parser, body }) => [
      { method: 'POST', path: '/api/orders', label: `a ${type} body in an unsupported charset, which ${parser} would refuse with 415`, headers: json(`${type}; charset=koi8-r`), body: body(10), parserError: true },
      { method: 'POST', path: '/api/orders', label: `a 150 KB ${type} body, which ${parser} would refuse with 413`, headers: json(type), body: body(150_000), parserError: true },
    ]),
  ];
  const samples: Sample[] = [];
  for (const probe of probes) {
    const reply = await app.request(probe.method, probe.path, { headers: probe.headers, body: probe.body });
    if (probe.status !== undefined) expectStatusFor(reply, probe.status);
    const label = probe.status === undefined ? `${probe.label}: ${reply.status}` : probe.label;
    samples.push({ reply, label: `${probe.method} ${probe.path} (${label})`, parserError: probe.parserError, cause: probe.cause });
  }
  const lookups = [await app.get('/api/gift-cards/NOPE-0000', { headers })];
  for (let attempt = 1; attempt < 10 && lookups.at(-1)!.status !== 429; attempt++) lookups.push(await app.get('/api/gift-cards/NOPE-0000', { headers }));
  const limited = lookups.at(-1)!;
  if (limited.status !== 429) fail(`Expected GET /api/gift-cards/NOPE-0000 to answer 429 after five lookups, got ${limited.status} ten times. ${whyNeverHeld(lookups)}`);
  samples.push({ reply: limited, label: 'GET /api/gift-cards/NOPE-0000 (429 from the rate limiter)' });
  return samples;
}

/**
 * Why lookups of one unknown code were never held: a limiter that does not count failed lookups (its
 * RateLimit-Remaining stays put), or none at all.
 */
function whyNeverHeld(lookups: Reply[]): string {
  const remaining = lookups.map((reply) => header(reply, 'ratelimit-remaining') ?? header(reply, 'x-ratelimit-remaining') ?? header(reply, 'ratelimit')?.match(/\br=(\d+)/)?.[1]);
  const failed = lookups.every((reply) => reply.status >= 400);
  const counted = remaining.every((value) => value !== undefined) && new Set(remaining).size > 1;
  const skipsFailures = "a limiter that does not count failed requests (skipFailedRequests, or a skip for 4xx answers) never holds a guesser, whose lookups all fail (404)";
  if (failed && remaining[0] !== undefined && !counted) {
    return `Your limiter is there (its RateLimit headers say ${remaining[0]} left on every lookup) but counted none of them: ${skipsFailures}. Count every lookup, answered or not.`;
  }
  return failed
    ? `Either the gift-card limiter is gone, or it does not count these lookups: ${skipsFailures}. Keep it in place and count every lookup.`
    : 'Keep the gift-card limiter in place: five lookups a minute per client.';
}

function expectStatusFor(reply: Reply, status: number): void {
  expectThat(
    reply.status === status,
    `Expected ${reply.request.method} ${reply.request.path} to answer ${status} as it did before your change, got ${reply.status}.`,
  );
}

/**
 * Fails with one line naming the first response that breaks the rule and how many others do. When the
 * app's 404 passes but its routes do not, the headers are added after the routes: say so.
 */
async function expectOnEvery(app: Client, samples: Sample[], rule: Rule, expectation: string, advice: string): Promise<void> {
  const failures = samples.flatMap((sample) => {
    const got = rule(sample.reply);
    return got === undefined ? [] : [{ ...sample, got }];
  });
  const [first, ...others] = failures;
  if (!first) return;
  // Error answers can share a path (the parser's 400, 413 and 415): name them by their status too.
  const names = others.map(({ reply }) => `${reply.request.method} ${reply.request.path}${reply.status >= 400 ? ` (${reply.status})` : ''}`);
  const also = others.length ? `; the same on ${names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ')}` : '';
  let next = first.cause ?? advice;
  const asked = first.reply.request;
  const { 'Content-Type': _type, ...withoutBody } = asked.headers;
  const bare = Object.fromEntries(Object.entries(asked.headers).filter(([name]) => !CLIENT_HEADERS.has(name)));
  const said = Object.keys(asked.headers).filter((name) => CLIENT_HEADERS.has(name));
  const firstOk = failures.find((failure) => failure.reply.status < 300);
  // The first segment of the first failing path that has one below it (/api, /static).
  const sibling = failures.find((failure) => !failure.parserError)?.reply.request.path.match(/^\/([^/?]+)\/[^?]/)?.[1];
  if (/^a page (that says|with) /.test(first.got)) {
    next =
      "The header is fine, the page is not: a <meta name=\"referrer\"> wins over the header for the page that carries it, and a referrerpolicy attribute for its element. " +
      'Take it out of the page (src/pages.ts), or give it a value as safe as the header.';
  } else if (asked.method === 'OPTIONS' && first.reply.status < 300) {
    next =
      `Your app answers OPTIONS ${asked.path} itself (${first.reply.status}${asked.headers['Access-Control-Request-Method'] ? ', a CORS preflight' : ''}) before the headers are added. ` +
      'Register the headers first, then the CORS handling, so that its answers carry them too.';
  } else if (
    withoutLinkExtras(asked.path) !== asked.path &&
    rule(await app.request(asked.method, withoutLinkExtras(asked.path), { headers: asked.headers, body: asked.body })) === undefined
  ) {
    next =
      `Asked as ${asked.method} ${withoutLinkExtras(asked.path)} it is right: your headers depend on the URL, its query string (debug, embed, preview…) or a trailing slash, ` +
      'which anyone who sends a customer a link writes as they like (an attacker adds ?debug=1 to the link that carries the injected script, or frames ?embed=1). ' +
      'Send the same headers on every response, whatever the URL says.';
  } else if (said.length === 1 && said[0] === 'User-Agent' && rule(await app.request(asked.method, asked.path, { headers: bare, body: asked.body })) === undefined) {
    next =
      `Asked without its User-Agent (${show(asked.headers['User-Agent'], 60)}) it is right: your headers depend on the browser, crawler or health check the request names, and anyone can write any User-Agent (kube-probe/… included). ` +
      'Send the same headers to every client (old Internet Explorer included: its XSS filter could be abused to leak data, so X-XSS-Protection stays 0 or absent there too).';
  } else if (said.length && rule(await app.request(asked.method, asked.path, { headers: bare, body: asked.body })) === undefined) {
    next =
      said.length === 1 && asked.headers.Accept === API_CLIENT.Accept
        ? `Asked without Accept: ${API_CLIENT.Accept} it has it: your headers depend on what the request accepts. Send them on every response, whatever the client asks for.`
        : `Asked without its ${said.join(', ')} headers it has it: your headers depend on what the request says it is for. ` +
          "Chromium sends Sec-Fetch-Dest (style, script, empty, and iframe, frame, object or embed when another site frames the page), Origin and the CORS preflight's Access-Control-Request-Method; " +
          'front ends send X-Requested-With, API clients Authorization. Every one of those answers needs the headers too. Send them on every response, whatever the client says.';
  } else if (
    !first.parserError &&
    asked.method !== 'GET' &&
    (await (async () => {
      const twin = await app.request('GET', asked.path, { headers: withoutBody });
      return twin.status === first.reply.status && rule(twin) === undefined;
    })())
  ) {
    next =
      `GET ${asked.path} answers ${first.reply.status} as expected, ${asked.method} ${asked.path} answers ${first.reply.status} with ${first.got}: your headers depend on the request method. ` +
      'Send them on every response, whatever the method (HEAD and the OPTIONS of a CORS preflight included).';
  } else if ((sibling || firstOk) && rule(await app.request('GET', '/no-such-page', { headers: bare })) === undefined) {
    // A 404 under the same first segment tells a middleware that skips a path from one that runs too late.
    const under = sibling ? await app.request('GET', `/${sibling}/no-such-thing`, { headers: bare }) : undefined;
    const underGot = under && under.status === 404 ? rule(under) : undefined;
    if (underGot !== undefined) {
      next =
        `GET /no-such-page answers 404 as expected, but GET /${sibling}/no-such-thing answers 404 with ${underGot}: your headers depend on the path. ` +
        (rule === rules.noFingerprint && /x-powered-by/i.test(underGot)
          ? `An express() app mounted with app.use('/${sibling}', …) is an app of its own, with its own x-powered-by setting on: it adds the header again to its answers after helmet (or your app.disable) removed it for the parent. ` +
            `Make that part an express.Router(), or disable the header on the mounted app too.`
          : 'Send them on every response, whatever the path.');
    } else if (firstOk) {
      next = 'Your 404 has it but these responses do not: the headers are added after whatever answered them. Register them first, before express.static and every route.';
    }
  } else if (failures.every((failure) => failure.parserError) && rule(await app.get('/api/books')) === undefined) {
    const type = String(asked.headers['Content-Type'] ?? '').split(';')[0];
    const parser = BODY_PARSERS.find((candidate) => candidate.type === type)?.parser ?? 'express.json()';
    next =
      `Your routes have it but the answers to a body ${parser} rejects do not: the parser hands its error to your error handler, ` +
      `which skips every ordinary middleware registered after ${parser}. Register the headers before ${parser} and every other body parser.`;
  }
  // The last request sent becomes the curl line: make it the failing one.
  const { method, path, headers, body } = first.reply.request;
  await app.request(method, path, { headers, body });
  fail(`Expected ${expectation} on ${first.label}, got ${first.got}${also}. ${next}`);
}

const rules = {
  noFingerprint: ((reply) => {
    const poweredBy = header(reply, 'x-powered-by');
    if (poweredBy !== undefined) return `X-Powered-By: ${poweredBy}`;
    const named = Object.entries(reply.headers).find(([, value]) => /\bexpress\b/i.test(String(value)));
    return named && `${named[0]}: ${String(named[1])}`;
  }) satisfies Rule,

  nosniff: ((reply) => {
    const value = header(reply, 'x-content-type-options');
    if (value === undefined) return 'no X-Content-Type-Options header';
    return value.split(',')[0]!.trim().toLowerCase() === 'nosniff' ? undefined : `X-Content-Type-Options: ${value}`;
  }) satisfies Rule,

  referrerPolicy: ((reply) => {
    const value = header(reply, 'referrer-policy');
    if (value === undefined) return 'no Referrer-Policy header (older browsers then send the full URL, search terms included, to every HTTPS site)';
    const known = value.split(',').map((token) => token.trim().toLowerCase()).filter((token) => token in referrerPolicies);
    // Browsers use the last policy they understand.
    const used = known.at(-1);
    if (!used) return `Referrer-Policy: ${value}, which browsers do not recognise and ignore`;
    const leak = referrerPolicies[used];
    return leak ? `Referrer-Policy: ${value}, which ${leak}` : pageReferrerOverride(reply.text);
  }) satisfies Rule,

  hsts: ((reply) => {
    const value = header(reply, 'strict-transport-security');
    if (value === undefined) return 'no Strict-Transport-Security header';
    const maxAge = value.split(';').map((part) => part.trim().match(/^max-age\s*=\s*"?(\d+)"?$/i)).find(Boolean);
    if (!maxAge) return `Strict-Transport-Security: ${value}, which has no valid max-age and is ignored`;
    const seconds = Number(maxAge[1]);
    const days = Math.floor(seconds / 86_400);
    return seconds >= SIX_MONTHS ? undefined : `Strict-Transport-Security: ${value}, which is ${days} day${days === 1 ? '' : 's'}`;
  }) satisfies Rule,

  noXssFilter: ((reply) => {
    const value = header(reply, 'x-xss-protection');
    return value === undefined || /^\s*0\s*$/.test(value) ? undefined : `X-XSS-Protection: ${value}`;
  }) satisfies Rule,

  enforcedCsp: ((reply) => {
    const policies = parsePolicies(header(reply, 'content-security-policy'));
    if (policies.some((policy) => policy.directives.size > 0)) return undefined;
    if (policies.length) return `a Content-Security-Policy with no directive in it (${show(header(reply, 'content-security-policy'))})`;
    if (metaPolicy(reply.text) !== undefined) return 'no Content-Security-Policy header, only a policy in a <meta> tag of the page, which covers that HTML page alone';
    if (header(reply, 'content-security-policy-report-only') !== undefined) {
      return 'only Content-Security-Policy-Report-Only, which reports violations and blocks nothing';
    }
    return 'no Content-Security-Policy header';
  }) satisfies Rule,

  framing: ((reply) => {
    // A redirect is never shown in a frame: the browser follows it and judges the answer it lands on.
    // (express.static's 301 for GET /static replaces the app's policy with its own default-src 'none'.)
    if (reply.status >= 300 && reply.status < 400 && header(reply, 'location') !== undefined) return undefined;
    const ancestors = parsePolicies(header(reply, 'content-security-policy'))
      .map((policy) => policy.directives.get('frame-ancestors'))
      .filter((sources) => sources !== undefined);
    // When a policy names frame-ancestors, browsers ignore X-Frame-Options.
    if (ancestors.length) {
      const sameSiteOnly = ancestors.some((sources) => sources.every((source) => ["'none'", "'self'"].includes(source.toLowerCase())));
      if (sameSiteOnly) return undefined;
      const others = ancestors[0]!.filter((source) => !["'none'", "'self'"].includes(source.toLowerCase()));
      return `frame-ancestors ${ancestors[0]!.join(' ')}, which lets ${others.join(' and ')} frame it (browsers then ignore X-Frame-Options): take ${others.join(' and ')} out of frame-ancestors`;
    }
    const value = header(reply, 'x-frame-options');
    if (value === undefined) return 'neither X-Frame-Options nor a CSP frame-ancestors directive, so any site can frame it';
    const values = value.split(',').map((part) => part.trim().toUpperCase());
    return values.every((part) => part === 'DENY' || part === 'SAMEORIGIN') ? undefined : `X-Frame-Options: ${value}, which browsers do not honour`;
  }) satisfies Rule,
};

/** Referrer policies and, for the unsafe ones, what they leak. */
const referrerPolicies: Record<string, string | undefined> = {
  'no-referrer': undefined,
  'same-origin': undefined,
  'strict-origin': undefined,
  'strict-origin-when-cross-origin': undefined,
  'no-referrer-when-downgrade': 'sends the full URL, query string included, to every other HTTPS site',
  'unsafe-url': 'sends the full URL, query string included, to every site, even over plain HTTP',
  origin: 'sends your origin to other sites even over plain HTTP',
  'origin-when-cross-origin': 'sends your origin to other sites even over plain HTTP',
};

/** The legacy keywords browsers still accept in <meta name="referrer">, and the policy each stands for. */
const LEGACY_REFERRER: Record<string, string> = { never: 'no-referrer', always: 'unsafe-url', default: 'strict-origin-when-cross-origin', 'origin-when-crossorigin': 'origin-when-cross-origin' };

/**
 * What in an HTML page loosens the Referrer-Policy header for it: a <meta name="referrer"> (the last
 * one browsers recognise is the page's policy, whatever the header said) or a referrerpolicy attribute
 * on a link, image, script or frame. Undefined when nothing does.
 */
function pageReferrerOverride(html: string): string | undefined {
  let meta: { tag: string; policy: string } | undefined;
  for (const [tag] of html.matchAll(/<meta\b[^>]*>/gi)) {
    if (!/\bname\s*=\s*["']?referrer["'\s>/]/i.test(tag)) continue;
    const content = tag.match(/\bcontent\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i)?.slice(1).find((part) => part !== undefined);
    const token = content?.trim().toLowerCase() ?? '';
    const policy = LEGACY_REFERRER[token] ?? token;
    if (policy in referrerPolicies) meta = { tag, policy };
  }
  const metaLeak = meta && referrerPolicies[meta.policy];
  if (meta && metaLeak) return `a page that says ${meta.tag.replace(/\s+/g, ' ')}, which overrides the header for the page and ${metaLeak}`;
  for (const [tag, value] of html.matchAll(/<[a-z]+\b[^>]*\breferrerpolicy\s*=\s*["']?([a-z-]+)[^>]*>/gi)) {
    const leak = referrerPolicies[value!.toLowerCase()];
    if (leak) return `a page with ${show(tag, 120)}, whose referrerpolicy overrides the header for that element and ${leak}`;
  }
  return undefined;
}

/** What would let an injected script (or plugin) run despite this response's policies; undefined when nothing. */
function injectionWeakness(reply: Reply): string | undefined {
  const policies = parsePolicies(header(reply, 'content-security-policy'));
  if (!policies.length) {
    // Chromium enforces a <meta> policy on the markup after it; what is missing is the header.
    if (metaPolicy(reply.text) !== undefined) return 'no Content-Security-Policy header, only a policy in a <meta> tag of the page, which covers that HTML page alone';
    return 'no enforced Content-Security-Policy, so injected scripts run';
  }
  // Every policy is enforced, so one strict policy is enough to block.
  for (const directive of ['script-src-elem', 'script-src-attr'] as const) {
    const weak = policies.map((policy) => {
      const sources = effectiveSources(policy.directives, directive);
      const [weakness] = scriptSourceWeaknesses(sources, directive);
      if (weakness && !sources) {
        // "script-src: 'self'" names no directive a browser knows: say so rather than "no script-src".
        const misspelt = [...policy.directives.keys()].filter((name) => /^(default|script)-src(-elem|-attr)?\W+$/i.test(name));
        if (misspelt.length) {
          return `the directive names ${misspelt.join(' and ')} are not recognised (a directive is its name, a space and its sources, with no colon), so browsers ignore them and the policy has no script-src or default-src: scripts from anywhere run`;
        }
      }
      return weakness && (sources ? `${governingDirective(policy.directives, directive)} ${sources.join(' ')}, where ${weakness}` : weakness);
    });
    if (weak.every(Boolean)) return weak[0];
  }
  // The browser check proves this where the page reflects the injection; an escaped page does not.
  const fromCdn = policies.map((policy) => publicHostAllowed(policy.directives));
  if (fromCdn.every(Boolean)) return fromCdn[0];
  if (!policies.some((policy) => blocksPlugins(policy.directives))) {
    const sources = effectiveSources(policies[0]!.directives, 'object-src');
    return sources
      ? `${governingDirective(policies[0]!.directives, 'object-src')} ${sources.join(' ')}, where an injected <object> or <embed> can still run a plugin; object-src must be 'none'`
      : "no object-src (nor default-src): an injected <object> or <embed> can run a plugin; add object-src 'none'";
  }
  const findings = policies.map((policy) => evaluatorHighFindings(policy.text));
  if (findings.every((found) => found.length)) return `a policy Google's CSP Evaluator rates high risk (${findings[0]![0]})`;
  return undefined;
}

/** Which source of this policy lets a script from a public host in (see PUBLIC_CDN_SCRIPTS), and why that matters; undefined when none does. */
function publicHostAllowed(policy: Policy): string | undefined {
  const sources = effectiveSources(policy, 'script-src-elem');
  // Browsers ignore host sources next to 'strict-dynamic' and a nonce or hash.
  if (!sources || (sources.includes("'strict-dynamic'") && hasNonceOrHash(sources))) return undefined;
  for (const script of PUBLIC_CDN_SCRIPTS) {
    const url = new URL(script);
    const source = sources.find((candidate) => !candidate.startsWith("'") && !candidate.includes('*') && !/^[a-z][a-z0-9+.-]*:$/i.test(candidate) && sourceMatchesUrl(candidate, url, PAGE_ORIGIN));
    if (source) return publicHostCause(`the source ${source} in ${governingDirective(policy, 'script-src-elem')}`, url);
  }
  // Any spelling of a host anyone can publish on (a region, a mirror), named by its host alone.
  const [url] = publishableHostScripts([policy]);
  if (url) {
    const host = new URL(url).hostname;
    const source = sources.find((candidate) => candidate.toLowerCase().replace(/^https?:\/\//, '').replace(/[:/].*$/, '') === host)!;
    return publicHostCause(`the source ${source} in ${governingDirective(policy, 'script-src-elem')}`, new URL(url));
  }
  // A folder of a public host (a source ending in /) lets in every file under it: anyone's package or repository.
  for (const source of sources) {
    const folder = source.match(/^((?:[a-z][a-z0-9+.-]*:\/\/)?[^/'*]+)(\/.*\/)$/i);
    if (!folder) continue;
    const url = PUBLIC_CDN_SCRIPTS.map((script) => new URL(script)).find((candidate) => sourceMatchesUrl(folder[1]!, candidate, PAGE_ORIGIN));
    if (url) {
      return (
        `the source ${source} in ${governingDirective(policy, 'script-src-elem')}, a folder of ${url.hostname}, which lets in every file under it, and anyone can publish there; ` +
        'allow the one file you need by its full URL'
      );
    }
  }
  return undefined;
}

/** Why a script from this public host is an attacker's: anyone publishes there, or it serves AngularJS. */
function publicHostCause(where: string, url: URL): string {
  if (ANGULAR_HOSTS.includes(url.hostname)) return `${where} lets in ${url.hostname}, which serves old AngularJS, whose templates run whatever code an attacker writes into the page`;
  if (TAG_MANAGER_HOSTS.includes(url.hostname)) {
    return `${where} lets in ${url.hostname}, a tag manager: anyone can open an account and publish a container there that runs any code, and an attacker points a <script> at theirs`;
  }
  const family = publishableHost(url.hostname);
  return `${where} lets in ${url.hostname}, which serves files anyone can publish (${family ?? 'any npm package, GitHub file or storage bucket'}): an attacker publishes one and points a <script> at it; allow the one file you need by its full URL`;
}

/** The content of a <meta http-equiv="Content-Security-Policy"> in an HTML page, if any. */
function metaPolicy(html: string): string | undefined {
  for (const [tag] of html.matchAll(/<meta\b[^>]*>/gi)) {
    if (/http-equiv\s*=\s*["']?content-security-policy["'\s>]/i.test(tag)) return tag.match(/content\s*=\s*"([^"]*)"|content\s*=\s*'([^']*)'/i)?.slice(1).find(Boolean) ?? '';
  }
  return undefined;
}

/** The address the proxy saw, which it appends to whatever X-Forwarded-For the customer sent. */
const CUSTOMER_ADDRESS = '203.0.113.7';
/** Lookups before the limiter (five a minute) must have answered 429. */
const GIFT_CARD_LOOKUPS = 7;

/**
 * What a customer writes to pass for someone new on each lookup: an X-Forwarded-For of their own (the
 * proxy appends the address it saw) and the other client-address headers, which the proxy passes on as
 * the customer wrote them; and the other headers a client writes as it likes (browser, language,
 * cookies), which say nothing about who sends them.
 */
const CLIENT_CLAIMS: [name: string, value: (lookup: number) => string][] = [
  ['X-Forwarded-For', (lookup) => `198.51.100.${lookup}, ${CUSTOMER_ADDRESS}`],
  ['X-Real-IP', (lookup) => `198.51.100.${lookup + 20}`],
  ['X-Client-IP', (lookup) => `198.51.100.${lookup + 40}`],
  ['Forwarded', (lookup) => `for=198.51.100.${lookup + 60}`],
  ['True-Client-IP', (lookup) => `198.51.100.${lookup + 80}`],
  ['CF-Connecting-IP', (lookup) => `198.51.100.${lookup + 100}`],
  ['User-Agent', (lookup) => `Mozilla/5.0 (X11; Linux x86_64) Chrome/${120 + lookup}.0.0.0`],
  ['Accept-Language', (lookup) => ['en-GB', 'de-DE', 'fr-FR', 'nl-NL', 'es-ES', 'it-IT', 'pt-PT', 'pl-PL', 'sv-SE'][lookup % 9]!],
  ['Cookie', (lookup) => `visitor=v${lookup}`],
  // The host the request names (req.hostname reads X-Forwarded-Host under trust proxy, else Host) and a
  // token nobody checks: the customer writes both.
  ['Host', (lookup) => `shop${lookup}.bookshop.example`],
  ['X-Forwarded-Host', (lookup) => `front${lookup}.bookshop.example`],
  ['Authorization', (lookup) => `Bearer guess-${lookup}`],
  ['X-Api-Key', (lookup) => `key-${lookup}`],
  ['X-Auth-Token', (lookup) => `token-${lookup}`],
];
/** A guesser tries a new code on every lookup: the code is theirs to write too. */
const guessedCode = (lookup: number) => `/api/gift-cards/GUESS-${1000 + lookup}`;
/** A crawler or an old browser, as any client can name itself. */
const BOT_AND_OLD_BROWSER_AGENTS = [
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1)',
  'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)',
  'Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)',
  'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
  'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
  'Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)',
  'kube-probe/1.29',
  'ELB-HealthChecker/2.0',
  'Mozilla/5.0 (Windows NT 10.0; Trident/7.0; rv:11.0) like Gecko',
  'Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)',
  'curl/8.5.0',
];
/**
 * What a held customer writes into one more lookup, one thing at a time: a new code, a query string or a
 * trailing slash, another host, a token nobody checked, a crawler's or monitor's name. Each must still
 * answer 429: a limiter that keys on it, skips it or raises its limit for it lets a guesser through.
 */
const HELD_VARIATIONS: { what: string; method?: 'HEAD'; path?: string; headers?: Record<string, string> }[] = [
  { what: 'a new code (GET /api/gift-cards/GUESS-2001)', path: '/api/gift-cards/GUESS-2001' },
  // Express answers HEAD with the GET route: 200 or 404 without a body still tells a valid code.
  { what: 'HEAD instead of GET (HEAD /api/gift-cards/GUESS-2002)', method: 'HEAD', path: '/api/gift-cards/GUESS-2002' },
  { what: 'a query string (?utm_source=mail&debug=1)', path: '/api/gift-cards/NOPE-0000?utm_source=mail&debug=1' },
  { what: 'a trailing slash (GET /api/gift-cards/NOPE-0000/)', path: '/api/gift-cards/NOPE-0000/' },
  { what: 'Host: gifts.bookshop.example', headers: { Host: 'gifts.bookshop.example' } },
  { what: 'X-Forwarded-Host: partner.example', headers: { 'X-Forwarded-Host': 'partner.example' } },
  { what: 'Authorization: Bearer with a token nobody checked', headers: { Authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.forged' } },
  { what: 'Authorization: Basic with made-up credentials', headers: { Authorization: 'Basic YWRtaW46YWRtaW4=' } },
  { what: 'X-Requested-With: XMLHttpRequest', headers: { 'X-Requested-With': 'XMLHttpRequest', Accept: 'application/json' } },
  // Credentials a client writes as it likes: nothing checked them before the limiter.
  { what: 'X-Api-Key: with a key nobody checked', headers: { 'X-Api-Key': 'partner-pos-terminal' } },
  { what: 'X-Auth-Token: with a token nobody checked', headers: { 'X-Auth-Token': 'staff-token' } },
  { what: 'Cookie: session=… with a session nobody checked', headers: { Cookie: 'session=admin; role=staff' } },
  ...BOT_AND_OLD_BROWSER_AGENTS.map((agent) => ({ what: `User-Agent: ${agent}`, headers: { 'User-Agent': agent } })),
];
/** Headers that carry a client address, and how a customer writes one of their choosing into each. */
const ADDRESS_CLAIMS: [name: string, value: (address: string) => string][] = [
  ['X-Forwarded-For', (address) => `${address}, ${CUSTOMER_ADDRESS}`],
  ['X-Real-IP', (address) => address],
  ['X-Client-IP', (address) => address],
  ['Forwarded', (address) => `for=${address.includes(':') ? `"[${address}]"` : address}`],
  ['True-Client-IP', (address) => address],
  ['CF-Connecting-IP', (address) => address],
];
/** Private and loopback addresses a customer writes to pass for the shop's own network. */
const INTERNAL_ADDRESSES = ['10.0.0.1', '192.168.1.1', '172.16.0.1', '127.0.0.1', '::1'];

/**
 * Fails when a customer who writes a client address of their own escapes the gift-card limiter: an
 * app that trusts more than the one proxy (trust proxy true, or 2) takes their X-Forwarded-For for
 * their address, a limiter keyed on a header the client writes (X-Real-IP, Forwarded, User-Agent…)
 * counts whatever they wrote, and one that lets requests from "inside" through believes a private or
 * loopback address the customer wrote.
 */
async function expectOneProxyTrusted(app: Client, libraryWarned: (code: string) => boolean): Promise<void> {
  const path = '/api/gift-cards/NOPE-0000';
  // The proxy appends the address it saw to X-Forwarded-For, whatever else the customer wrote.
  const asProxied = { ...THROUGH_TLS_PROXY, 'X-Forwarded-For': CUSTOMER_ADDRESS };
  const claims = (lookup: number, only?: string) => ({
    ...asProxied,
    ...Object.fromEntries(CLIENT_CLAIMS.filter(([name]) => !only || name === only).map(([name, value]) => [name, value(lookup)])),
  });
  const statuses: number[] = [];
  for (let lookup = 1; lookup <= GIFT_CARD_LOOKUPS; lookup++) {
    const reply = await app.get(guessedCode(lookup), { headers: claims(lookup) });
    if (reply.status === 429) {
      await expectHeldWhateverTheyWrite(app, path, asProxied);
      await expectNoInsideAddressSkips(app, path, asProxied);
      await expectOneHopTrusted(app, path);
      return expectIpv6ClientHeld(app, path, libraryWarned('ERR_ERL_KEY_GEN_IPV6'));
    }
    statuses.push(reply.status);
  }
  // Without a claim of their own, does the limiter limit? Then the claim is what let them through.
  const plain = [await app.get(path, { headers: asProxied })];
  for (let lookup = 1; lookup < GIFT_CARD_LOOKUPS && plain.at(-1)!.status !== 429; lookup++) plain.push(await app.get(path, { headers: asProxied }));
  if (plain.at(-1)!.status !== 429) {
    fail(`Expected GET ${path} to answer 429 after five lookups, got ${plain.at(-1)!.status} ${GIFT_CARD_LOOKUPS} times. ${whyNeverHeld(plain)}`);
  }
  // Which header: with the plain client's budget spent, one lookup with a new value of one header.
  let culprit: string | undefined;
  for (const [name] of CLIENT_CLAIMS) {
    const reply = await app.get(path, { headers: claims(GIFT_CARD_LOOKUPS + 1, name) });
    if (reply.status !== 429) {
      culprit = name;
      break;
    }
  }
  const seen =
    `Expected GET /api/gift-cards/<code> to answer 429 by the sixth lookup of one customer through the proxy, got ${[...new Set(statuses)].join(', ')} ${GIFT_CARD_LOOKUPS} times: ` +
    `the customer tried a new code and wrote new values into every lookup (${CLIENT_CLAIMS.map(([name]) => name).join(', ')}; the proxy appended the address it saw to X-Forwarded-For). ` +
    'Without those the limit held. ';
  if (culprit === undefined) {
    const code = guessedCode(GIFT_CARD_LOOKUPS + 1);
    const reply = await app.get(code, { headers: asProxied }); // the curl line
    fail(
      reply.status !== 429
        ? `${seen}A new code alone (GET ${code}) is enough: your limiter counts each code apart, and a guesser tries a new code on every lookup. ` +
            "Key on the client's address (express-rate-limit's default key), never on what the customer asks for, with app.set('trust proxy', 1)."
        : `${seen}No one of them alone let a lookup through, only all of them together: your limiter keys on (or skips for) a combination of what the customer writes. ` +
            "Key on the client's address (express-rate-limit's default key) with app.set('trust proxy', 1).",
    );
  }
  if (culprit === 'X-Forwarded-For') {
    await app.get(path, { headers: claims(GIFT_CARD_LOOKUPS + 1, culprit) }); // the curl line
    fail(
      `${seen}A new first entry in X-Forwarded-For alone (X-Forwarded-For: 198.51.100.${GIFT_CARD_LOOKUPS + 1}, ${CUSTOMER_ADDRESS}) is enough: your limiter keys on an entry the customer wrote, not on the ${CUSTOMER_ADDRESS} the proxy appended. ` +
        (libraryWarned('ERR_ERL_PERMISSIVE_TRUST_PROXY')
          ? "Your app trusts more than the one proxy in front (trust proxy true; express-rate-limit said so: ERR_ERL_PERMISSIVE_TRUST_PROXY), so req.ip is the customer's claim. "
          : 'Either your app trusts more than the one proxy in front (trust proxy true, 2, or a function or subnet that trusts every hop), so req.ip is their claim, ' +
            'or your limiter reads X-Forwarded-For itself (a keyGenerator that takes its first entry). ') +
        "Trust only the one proxy, app.set('trust proxy', 1), and key on the client's address (express-rate-limit's default key).",
    );
  }
  await app.get(path, { headers: claims(GIFT_CARD_LOOKUPS + 1, culprit) }); // the curl line
  const address = ADDRESS_CLAIMS.some(([name]) => name === culprit);
  const how =
    ['Authorization', 'X-Api-Key', 'X-Auth-Token'].includes(culprit)
      ? `your limiter keys on ${culprit}, or skips or raises its limit when it is there, and nothing checked it: the customer writes it as they like`
      : `your limiter keys on ${culprit}, a header the customer writes as they like` +
        `${address ? ' and the proxy passes on as it is (the proxy only appends to X-Forwarded-For)' : ['Host', 'X-Forwarded-Host'].includes(culprit) ? ' (req.hostname reads it), which says nothing about who sends the request' : ', which says nothing about who sends the request'}`;
  fail(`${seen}A new ${culprit} alone is enough: ${how}. Key on the client's address (express-rate-limit's default key) with app.set('trust proxy', 1).`);
}

/**
 * With the customer's budget spent, fails when one more lookup gets through because of something they
 * wrote into it (HELD_VARIATIONS): a limiter keyed on the code or the URL, the host, a token nobody
 * checked, or one that skips crawlers and monitors or gives them a higher limit.
 */
async function expectHeldWhateverTheyWrite(app: Client, path: string, asProxied: Record<string, string>): Promise<void> {
  const replies = await Promise.all(
    HELD_VARIATIONS.map((variation) => app.request(variation.method ?? 'GET', variation.path ?? path, { headers: { ...asProxied, ...variation.headers } })),
  );
  const index = replies.findIndex((reply) => reply.status !== 429);
  if (index < 0) return;
  const { what, method = 'GET', path: asked = path, headers } = HELD_VARIATIONS[index]!;
  await app.request(method, asked, { headers: { ...asProxied, ...headers } }); // the curl line
  const credential = ['Authorization', 'X-Api-Key', 'X-Auth-Token', 'Cookie'].find((name) => headers?.[name] !== undefined);
  const cause =
    method === 'HEAD'
      ? 'your limiter skips HEAD requests (or counts them apart), and Express answers HEAD /api/gift-cards/:code with the GET route: 200 or 404, even without a body, tells a guesser which code is valid'
      : credential
        ? `your limiter skips or raises its limit (or keys apart) when ${credential === 'Authorization' ? 'an Authorization header' : credential} is there, and nothing checked it: anyone can write one`
        : headers?.['User-Agent']
          ? 'your limiter skips (or keys apart, or allows more to) a client that names itself a crawler, a monitor or a particular browser, and anyone can write any User-Agent'
          : headers?.Host || headers?.['X-Forwarded-Host']
            ? 'your limiter keys on the host the request names (req.hostname reads X-Forwarded-Host under trust proxy, else Host), and the customer writes it'
            : headers
              ? 'your limiter keys apart or skips requests by a header the customer writes'
              : 'your limiter keys on the code or the URL asked for, and a guesser tries a new one on every lookup';
  fail(
    `Expected ${method} ${asked} to answer 429 once a customer had used up their lookups, got ${replies[index]!.status} when they wrote ${what}: ${cause}. ` +
      "Key on the client's address (express-rate-limit's default key), with the same limit for every method and no skip for anything the request says about itself.",
  );
}

/**
 * With the customer's budget spent, fails when a private or loopback address they write into a
 * client-address header lets a lookup through: a limiter that skips (or keys apart) requests "from
 * inside" believes a header anyone can write.
 */
async function expectNoInsideAddressSkips(app: Client, path: string, asProxied: Record<string, string>): Promise<void> {
  const claiming = (address: string, only?: string) => ({
    ...asProxied,
    ...Object.fromEntries(ADDRESS_CLAIMS.filter(([name]) => !only || name === only).map(([name, value]) => [name, value(address)])),
  });
  for (const address of INTERNAL_ADDRESSES) {
    const reply = await app.get(path, { headers: claiming(address) });
    if (reply.status === 429) continue;
    // Which header: one at a time, the same address.
    const culprit = (
      await Promise.all(ADDRESS_CLAIMS.map(async ([name]) => ((await app.get(path, { headers: claiming(address, name) })).status !== 429 ? name : undefined)))
    ).find(Boolean);
    if (culprit) await app.get(path, { headers: claiming(address, culprit) }); // the curl line
    const wrote = culprit ? `${culprit}: ${ADDRESS_CLAIMS.find(([name]) => name === culprit)![1](address)}` : `${address} in ${ADDRESS_CLAIMS.map(([name]) => name).join(', ')}`;
    fail(
      `Expected GET ${path} to answer 429 once a customer had used up their lookups, got ${reply.status} when they wrote ${wrote}: ` +
        `your limiter lets a request through (or counts it apart) when a header says it comes from a private or loopback address (${address}), and anyone can write that header; ` +
        `the proxy passes it on${culprit === 'X-Forwarded-For' ? ' with the address it saw appended' : ' as it is'}. ` +
        "Decide from req.ip alone (with app.set('trust proxy', 1) it is the address the proxy saw), never from a client-address header.",
    );
  }
}

/** A private address the proxy saw: a customer on a VPN or an office network, or a load balancer in 10/8 in front of the proxy. */
const PRIVATE_HOP = '10.0.0.9';

/**
 * Fails when the app trusts more hops than the one proxy whenever they are private (trust proxy
 * 'loopback, linklocal, uniquelocal', a subnet list, a function that trusts private addresses): a
 * customer the proxy saw at a private address writes an X-Forwarded-For entry of their own, and req.ip
 * is that entry, new on every lookup. With trust proxy 1, req.ip is the address the proxy saw.
 */
async function expectOneHopTrusted(app: Client, path: string): Promise<void> {
  const forwarded = (lookup: number) => `198.51.100.${150 + lookup}, ${PRIVATE_HOP}`;
  const statuses: number[] = [];
  for (let lookup = 1; lookup <= GIFT_CARD_LOOKUPS; lookup++) {
    const reply = await app.get(path, { headers: { ...THROUGH_TLS_PROXY, 'X-Forwarded-For': forwarded(lookup) } });
    if (reply.status === 429) return;
    statuses.push(reply.status);
  }
  fail(
    `Expected GET ${path} to answer 429 by the sixth lookup of one customer whose address the proxy saw is private (${PRIVATE_HOP}: a VPN or an office network), got ${[...new Set(statuses)].join(', ')} ${GIFT_CARD_LOOKUPS} times: ` +
      `each lookup came with X-Forwarded-For: ${forwarded(GIFT_CARD_LOOKUPS)} and the like, a first entry the customer wrote (new every time) and the ${PRIVATE_HOP} the proxy appended. ` +
      "Your app trusts more than the one proxy in front when a hop is private (trust proxy 'loopback, linklocal, uniquelocal', a list of private subnets, or a function that trusts private addresses), " +
      "so req.ip is the customer's claim. Trust only the one proxy, app.set('trust proxy', 1), and keep express-rate-limit's default key.",
  );
}

/** Addresses of one IPv6 customer: all in 2001:db8:2:7::/64, the network their router was given. */
const ipv6Address = (lookup: number) => `2001:db8:2:7:${(lookup * 0x1f3).toString(16)}::${lookup}`;

/**
 * Fails when one IPv6 customer, whose proxy-seen address changes within their /64 on every lookup, is
 * never held: a limiter keyed on the full address (a keyGenerator returning req.ip) gives each address a
 * bucket of its own, and an IPv6 client owns millions of them.
 */
async function expectIpv6ClientHeld(app: Client, path: string, libraryWarned: boolean): Promise<void> {
  const statuses: number[] = [];
  for (let lookup = 1; lookup <= GIFT_CARD_LOOKUPS; lookup++) {
    const reply = await app.get(path, { headers: { ...THROUGH_TLS_PROXY, 'X-Forwarded-For': ipv6Address(lookup) } });
    if (reply.status === 429) return;
    statuses.push(reply.status);
  }
  fail(
    `Expected GET ${path} to answer 429 by the sixth lookup of one IPv6 customer, got ${[...new Set(statuses)].join(', ')} ${GIFT_CARD_LOOKUPS} times: ` +
      `the proxy saw each lookup come from another address of one /64 network (${ipv6Address(1)}, ${ipv6Address(2)} … in 2001:db8:2:7::/64), and an IPv6 customer owns the whole network, so can change address on every lookup. ` +
      `Your limiter counts each IPv6 address apart${libraryWarned ? " (express-rate-limit said so: ERR_ERL_KEY_GEN_IPV6, a custom keyGenerator that returns req.ip)" : ', as a keyGenerator that returns req.ip does'}. ` +
      "Leave express-rate-limit's default key, or key on ipKeyGenerator(req.ip) from express-rate-limit, which counts an IPv6 client by its network.",
  );
}

/** The max-age of a Strict-Transport-Security header, if it has a valid one. */
function maxAgeOf(reply: Reply | RawReply): number | undefined {
  const found = header(reply, 'strict-transport-security')?.split(';').map((part) => part.trim().match(/^max-age\s*=\s*"?(\d+)"?$/i)).find(Boolean);
  return found ? Number(found[1]) : undefined;
}

/** How far ahead the clock of the second app host runs: a max-age counted down to any date shows. */
const LATER_DAYS = 400;
/** How far the second host's clock moves on between two of its answers: a max-age counted from the start shows. */
const JUMP_DAYS = 1;
/**
 * Loaded into the second app host (NODE_OPTIONS=--import): Date (Date.now(), new Date(), Date()) and
 * performance.timeOrigin run COURSE_DATE_AHEAD_MS ahead, from the start; Date, performance.now() and
 * process.uptime() also move on by the milliseconds written in COURSE_DATE_JUMP_FILE, when the grader
 * writes it (read on each call: one running process whose clock moves).
 */
const dateShim = `
import { readFileSync } from 'node:fs';
const ahead = Number(process.env.COURSE_DATE_AHEAD_MS);
const jumpFile = process.env.COURSE_DATE_JUMP_FILE;
if (ahead) {
  const jump = () => { try { return Number(readFileSync(jumpFile, 'utf8')) || 0; } catch { return 0; } };
  const RealDate = Date;
  const now = () => RealDate.now() + ahead + jump();
  globalThis.Date = new Proxy(RealDate, {
    construct: (target, args, newTarget) => Reflect.construct(target, args.length ? args : [now()], newTarget),
    apply: () => new RealDate(now()).toString(),
    get: (target, property, receiver) => (property === 'now' ? now : Reflect.get(target, property, receiver)),
  });
  try {
    const origin = performance.timeOrigin + ahead;
    Object.defineProperty(performance, 'timeOrigin', { get: () => origin, configurable: true });
    const perfNow = performance.now.bind(performance);
    Object.defineProperty(performance, 'now', { value: () => perfNow() + jump(), configurable: true, writable: true });
    const uptime = process.uptime.bind(process);
    process.uptime = () => uptime() + jump() / 1000;
  } catch {}
}
`;
/** The environment of the second app host: a process of its own, whose clock says LATER_DAYS later and moves on when `jumpFile` says. */
const laterHost = (jumpFile: string) => ({
  COURSE_DATE_AHEAD_MS: String(LATER_DAYS * 86_400_000),
  COURSE_DATE_JUMP_FILE: jumpFile,
  NODE_OPTIONS: `--import data:text/javascript,${encodeURIComponent(dateShim)}`,
});

/** The first answers of the second app host: GET / and the search page, one after the other on one kept-alive connection. */
interface LaterRun {
  replies: RawReply[];
  /** Whether the second request went over the first one's connection. */
  reused: boolean;
  /** GET / through the TLS proxy from the same process, once its clock has moved on JUMP_DAYS. */
  jumped: Reply;
}

/** Sends GET requests one after another over one kept-alive connection, as a browser loads pages. */
async function overOneConnection(baseUrl: string, requests: { path: string; headers: Record<string, string> }[]): Promise<Omit<LaterRun, 'jumped'>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const replies: RawReply[] = [];
  let reused = true;
  try {
    for (const [index, { path, headers }] of requests.entries()) {
      const request = { method: 'GET', path, headers };
      replies.push(
        await new Promise<RawReply>((resolve, reject) => {
          const req = http.get(new URL(path, baseUrl), { agent, headers, timeout: ANSWER_TIMEOUT_MS }, (res) => {
            if (index > 0 && !req.reusedSocket) reused = false;
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => resolve({ request, status: res.statusCode ?? 0, headers: res.headers, bytes: Buffer.concat(chunks) }));
            res.on('error', reject);
          });
          req.on('timeout', () => req.destroy(new Error(`no answer within ${ANSWER_TIMEOUT_MS / 1000} s`)));
          req.on('error', (error) => reject(new CheckFailure(`Expected an answer to GET ${path}, got ${error.message}.`)));
        }),
      );
    }
  } finally {
    agent.destroy();
  }
  return { replies, reused };
}

/** The first nonce of each policy of a reply. */
function noncesOf(reply: Reply | RawReply): string[] {
  return parsePolicies(header(reply, 'content-security-policy')).flatMap((policy) => noncesIn(policy.directives));
}

/**
 * Fails when max-age counts down to a date: it falls under six months, then to 0, without anyone
 * noticing. Compares GET / of the app with GET / of a second run of it whose clock says LATER_DAYS later.
 */
async function expectSameMaxAgeLater(app: Client, now: Reply, later: RawReply): Promise<void> {
  const before = maxAgeOf(now);
  const after = maxAgeOf(later);
  if (before === undefined || after === before) return;
  await app.get('/', { headers: THROUGH_TLS_PROXY }); // the curl line
  const then = `${LATER_DAYS} days later`;
  if (after === undefined) {
    fail(
      `Expected the same Strict-Transport-Security max-age whenever GET / is asked, got max-age=${before} now and ${header(later, 'strict-transport-security') ?? 'no header'} ` +
        `from a second run of your app whose clock said ${then}: HSTS that depends on the date ends by itself, and nobody notices. max-age is a duration from each response: send a fixed one (31536000).`,
    );
  }
  const until = new Date(Date.now() + before * 1000);
  fail(
    `Expected the same Strict-Transport-Security max-age whenever GET / is asked, got max-age=${before} now and max-age=${after} from a second run of your app whose clock said ${then}: ` +
      `${after < before ? `it counts down to about ${until.toISOString().slice(0, 10)}, falls under six months before that and to 0 after` : 'it changes with the date'}, and nobody notices. ` +
      'max-age is a duration counted from each response: send a fixed one (31536000).',
  );
}

/**
 * Fails when max-age counts down from the app's start (or any moment of its own): two GET / of the
 * second host, one process, before and after its clock moved on JUMP_DAYS, must say the same.
 */
async function expectMaxAgeHoldsInOneProcess(before: RawReply, after: Reply): Promise<void> {
  const [first, second] = [maxAgeOf(before), maxAgeOf(after)];
  if (first === second) return;
  const value = (reply: Reply | RawReply, maxAge: number | undefined) => (maxAge === undefined ? (header(reply, 'strict-transport-security') ?? 'no header') : `max-age=${maxAge}`);
  fail(
    `Expected the same Strict-Transport-Security max-age on every GET / of one running app, got ${value(before, first)} and then ${value(after, second)} from one process of your app whose clock moved on ${JUMP_DAYS} day between the two requests: ` +
      `${first !== undefined && second !== undefined && second < first ? 'it counts down from a moment of its own (its start, say), so it falls under six months and to 0 while the app runs' : 'it changes with the date'}, and nobody notices. ` +
      'max-age is a duration counted from each response: send a fixed one (31536000).',
  );
}

/**
 * Why nonces are guessable, from the nonces of successive responses (the first of each); undefined
 * when they look random. Short ones can be tried one by one; ones that change in only a few
 * characters from one response to the next come from a counter or the clock.
 */
function nonceWeakness(nonces: string[]): string | undefined {
  const use = 'Make a new one for every response from 16 random bytes: crypto.randomBytes(16).toString(\'base64\') (or crypto.randomUUID()).';
  // The characters they are made of, over every sample: one random nonce can happen to look like hex.
  const perCharacter = bitsPerCharacter(nonces.join(''));
  // Two random nonces share a beginning or an end of a character or two at most. When most of a nonce
  // stays and what changes holds little, it is a pattern: a counter or the clock.
  for (let index = 1; index < nonces.length; index++) {
    const [before, after] = [nonces[index - 1]!, nonces[index]!];
    const changed = changedCharacters(before, after);
    if (changed < Math.max(before.length, after.length) / 2 && changed * perCharacter < NONCE_MIN_BITS / 2) {
      return (
        `Expected nonces nobody can predict, got 'nonce-${before}' and then 'nonce-${after}' on the next request: only ${changed} of ${after.length} characters changed, ` +
        `as when a nonce comes from a counter or the clock, so whoever reads one page can work out the next. ${use}`
      );
    }
  }
  // What is the same in every nonce (a constant prefix or suffix) is known to everyone: only what varies counts.
  const [prefix, suffix] = nonces.length > 1 ? sharedEnds(nonces) : [0, 0];
  const varying = nonces.map((nonce) => nonce.slice(prefix, nonce.length - suffix));
  const varyingPerCharacter = bitsPerCharacter(varying.join(''));
  for (const [index, nonce] of nonces.entries()) {
    const bits = nonceBits(varying[index]!, varyingPerCharacter);
    if (bits >= NONCE_MIN_BITS) continue;
    if (prefix + suffix === 0) {
      return `Expected nonces nobody can guess, got 'nonce-${nonce}': ${nonce.length} characters hold at most ${bits} bits, few enough to try them all (the CSP specification asks for 128). ${use}`;
    }
    const fixed = [nonce.slice(0, prefix), nonce.slice(nonce.length - suffix)].filter(Boolean).map((part) => show(part));
    return (
      `Expected nonces nobody can guess, got 'nonce-${nonce}' and the like: ${fixed.join(' and ')} ${fixed.length > 1 ? 'are' : 'is'} the same in every nonce, so ${fixed.length > 1 ? 'they add' : 'it adds'} nothing an attacker does not know, ` +
      `and the ${varying[index]!.length} characters that change hold at most ${bits} bits, few enough to try them all (the CSP specification asks for 128 random bits). ${use}`
    );
  }
  return undefined;
}

/** How many characters every one of these strings shares at its beginning and at its end (not overlapping in the shortest). */
function sharedEnds(texts: string[]): [prefix: number, suffix: number] {
  const shortest = Math.min(...texts.map((text) => text.length));
  let prefix = 0;
  while (prefix < shortest && texts.every((text) => text[prefix] === texts[0]![prefix])) prefix++;
  let suffix = 0;
  while (suffix < shortest - prefix && texts.every((text) => text[text.length - 1 - suffix] === texts[0]![texts[0]!.length - 1 - suffix])) suffix++;
  return [prefix, suffix];
}

/** Prefixes that code hashing a counter or the clock into a nonce commonly puts in front of it. */
const HASHED_PREFIXES = ['', 'nonce', 'nonce-', 'nonce:', 'csp-nonce-', 'bookshop-nonce-'];
/** Counter values tried: every request the grader has sent before this one, and then some. */
const HASHED_COUNTER_LIMIT = 1_000;

/**
 * Whether the nonce is a hash (sha256, sha1, md5; hex or base64, whole or cut short) of a small counter
 * or of the clock when the response was made: random-looking and never repeating, yet anyone can compute
 * it. A hash hides nothing when what goes in is guessable.
 */
function hashedGuess(nonce: string, sentAt: number, answeredAt: number): string | undefined {
  const wanted = nonceByteReadings(nonce);
  if (!wanted.length) return undefined;
  const inputs: [string, string][] = [];
  for (let ms = sentAt - 5; ms <= answeredAt + 5; ms++) {
    inputs.push([String(ms), 'the time in milliseconds'], [new Date(ms).toISOString(), 'the time']);
  }
  for (let second = Math.floor(sentAt / 1000) - 1; second <= Math.floor(answeredAt / 1000); second++) inputs.push([String(second), 'the time in seconds']);
  for (let count = 0; count <= HASHED_COUNTER_LIMIT; count++) inputs.push([String(count), 'a counter']);
  for (const algorithm of ['sha256', 'sha1', 'md5']) {
    for (const prefix of HASHED_PREFIXES) {
      for (const [input, what] of inputs) {
        const digest = createHash(algorithm).update(prefix + input).digest();
        if (!wanted.some((bytes) => bytes.length <= digest.length && digest.subarray(0, bytes.length).equals(bytes))) continue;
        return (
          `Expected nonces nobody can predict, got 'nonce-${nonce}', which is the ${algorithm} of ${show(prefix + input)}: ${what}, hashed. ` +
          'A hash of something guessable is guessable: anyone can compute the next one. ' +
          "Make a new one for every response from 16 random bytes: crypto.randomBytes(16).toString('base64') (or crypto.randomUUID())."
        );
      }
    }
  }
  return undefined;
}

/** The bytes a nonce may encode, read as hex and as base64 (or base64url); only readings of 8 bytes or more. */
function nonceByteReadings(nonce: string): Buffer[] {
  const readings: Buffer[] = [];
  if (/^[0-9a-f]+$/i.test(nonce)) readings.push(Buffer.from(nonce.slice(0, nonce.length - (nonce.length % 2)), 'hex'));
  const text = nonce.replace(/=+$/, '');
  // Only whole bytes: the last character of a cut-short base64 holds part of one.
  if (/^[A-Za-z0-9+/_-]+$/.test(text)) readings.push(Buffer.from(text, 'base64').subarray(0, Math.floor((text.length * 6) / 8)));
  return readings.filter((bytes) => bytes.length >= 8);
}

/** Page loads sent at once: a pool of nonces, or one made from the clock, repeats among them. */
const NONCE_BURST = 40;

/**
 * Loads the search page NONCE_BURST times at once, a few of them sending back the cookies the first
 * set (as a returning visitor's browser does), and fails when any nonce comes again.
 */
async function expectFreshNonces(app: Client, seen: Set<string>): Promise<void> {
  const first = await app.get('/search?q=dune');
  const setCookie = first.headers['set-cookie'];
  const cookie = (Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []).map((line) => line.split(';')[0]!.trim()).join('; ');
  const replies = [
    first,
    ...(await Promise.all(
      Array.from({ length: NONCE_BURST }, (_, index) => app.get('/search?q=dune', { headers: cookie && index % 4 === 0 ? { Cookie: cookie } : {} })),
    )),
  ];
  for (const reply of replies) {
    for (const nonce of parsePolicies(header(reply, 'content-security-policy')).flatMap((policy) => noncesIn(policy.directives))) {
      if (seen.has(nonce)) {
        const withCookie = reply.request.headers.Cookie !== undefined;
        fail(
          `Expected a new nonce on every response, got 'nonce-${nonce}' twice among ${NONCE_BURST + 1} loads of GET /search?q=dune sent at once` +
            `${withCookie ? ', on a request that sent back the cookie your app set' : ''}: ` +
            (withCookie
              ? 'a nonce kept per visitor is known to anything that reads one of their pages, and is accepted again. '
              : 'nonces picked from a pool, or made from the clock (the same in one millisecond), repeat, and whoever reads one can inject it. ') +
            'Generate it for each response from crypto.randomBytes(16).',
        );
      }
      seen.add(nonce);
    }
  }
}

/**
 * Fails when the second app host, a fresh process, gives a nonce the first one gave (a hash or HMAC of
 * a counter under a fixed key: every start replays the same sequence), or gives one nonce to both pages
 * a browser loads one after the other over one kept-alive connection.
 */
async function expectNoncesNotReplayed(app: Client, run: LaterRun, earlier: Set<string>): Promise<void> {
  const [home, search] = run.replies.map((reply) => noncesOf(reply)[0]);
  const use = "Generate it for each response from 16 random bytes: crypto.randomBytes(16).toString('base64').";
  if (run.reused && home && home === search) {
    fail(
      `Expected a new nonce on every response, got 'nonce-${home}' on both GET / and GET /search?q=dune, sent one after the other over one kept-alive connection as a browser sends them: ` +
        `a nonce kept per connection is the same on every page one customer loads, so whoever learns it from one page can inject <script nonce="${home}"> into the next. ${use}`,
    );
  }
  const replayed = [home, search].find((nonce) => nonce !== undefined && earlier.has(nonce));
  if (replayed) {
    await app.get('/'); // the curl line
    fail(
      `Expected nonces nobody can predict, got 'nonce-${replayed}' from two separate starts of your app (the grader ran it in two processes): ` +
        'every start gives the same sequence again, as when a nonce is a hash or HMAC of a counter under a fixed key. After each deploy, restart or on every instance, ' +
        `whoever saw the first pages knows the nonces to come (and whoever reads the key in the source, all of them). ${use}`,
    );
  }
}

/** The most randomness a nonce can hold, from its length and the characters it is made of. */
function nonceBits(nonce: string, perCharacter: number): number {
  const text = nonce.replace(/=+$/, '');
  // The dashes of a UUID carry nothing.
  const characters = perCharacter === 4 ? text.replace(/-/g, '').length : text.length;
  return Math.floor(characters * perCharacter);
}

/** What one character of these nonces can carry: decimal, hexadecimal (UUIDs too), base 36 or base64. */
function bitsPerCharacter(nonces: string): number {
  const text = nonces.replace(/=/g, '');
  if (/^[0-9]+$/.test(text)) return Math.log2(10);
  if (/^[0-9a-f-]+$/i.test(text)) return 4;
  if (/^[0-9a-z]+$/.test(text) || /^[0-9A-Z]+$/.test(text)) return Math.log2(36);
  return 6;
}

/** How many characters differ between two strings, between their common beginning and common end. */
function changedCharacters(a: string, b: string): number {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
  return Math.max(a.length, b.length) - start - end;
}

/** An injected <script> of the page that carries the response's own nonce, if any. */
function injectedTagWithNonce(reply: Reply): string | undefined {
  const nonces = new Set(noncesOf(reply));
  if (!nonces.size) return undefined;
  for (const [, tag = '', rest = ''] of reply.text.matchAll(/(<script\b[^>]*>)([^<]{0,40})/gi)) {
    const nonce = tag.match(/\bnonce\s*=\s*["']?([^"'\s>]+)/i)?.[1];
    if (!nonce || !nonces.has(nonce)) continue;
    const src = tag.match(/\bsrc\s*=\s*["']?([^"'\s>]+)/i)?.[1] ?? '';
    if (rest.includes('self.__injected') || rest.includes("document.title='pwned'") || /^data:/i.test(src) || [...PUBLIC_CDN_SCRIPTS, ...ANY_SITE_SCRIPTS, PROTOCOL_RELATIVE_SCRIPT].includes(src)) return tag;
  }
  return undefined;
}

/** Why a script from `url` may run under the page's policies: the source that lets it in, or the missing policy. */
function whyScriptRan(reply: Reply, url: URL): string {
  const policies = parsePolicies(header(reply, 'content-security-policy'));
  if (!policies.length) return 'the page came without a Content-Security-Policy header';
  for (const policy of policies) {
    const source = effectiveSources(policy.directives, 'script-src-elem')?.find((candidate) => sourceMatchesUrl(candidate, url, PAGE_ORIGIN));
    if (!source) continue;
    const where = `the source ${source} in ${governingDirective(policy.directives, 'script-src-elem')}`;
    return PUBLIC_CDN_SCRIPTS.some((known) => new URL(known).hostname === url.hostname) || publishableHost(url.hostname) ? publicHostCause(where, url) : `${where} lets in ${url.hostname}`;
  }
  return `the policy ${show(header(reply, 'content-security-policy'), 160)} lets it in`;
}

/**
 * Fails naming the app's own answer that ran as a script in the search page (Chromium showed `dialogs`):
 * the one of SAME_ORIGIN_GADGETS that answers JavaScript.
 */
async function failOnGadget(app: Client, dialogs: string[]): Promise<never> {
  let gadget: Reply | undefined;
  for (const path of SAME_ORIGIN_GADGETS) {
    const reply = await app.get(path);
    if (/javascript|ecmascript/i.test(header(reply, 'content-type') ?? '') || /\balert\s*\(/.test(reply.text)) {
      gadget = reply;
      break;
    }
  }
  const which = gadget
    ? `GET ${gadget.request.path} answers ${show(header(gadget, 'content-type') ?? 'no Content-Type', 60)} with ${show(gadget.text, 80)}`
    : `one of ${SAME_ORIGIN_GADGETS.join(', ')} answers a script`;
  if (gadget) await app.get(gadget.request.path); // the curl line: the gadget itself
  fail(
    `Expected Chromium to block every script injected through GET /search?q=, got one of your own answers running as a script: ` +
      `the query held <script src="${SAME_ORIGIN_GADGETS[0]}"> and Chromium showed ${show(dialogs[0], 80)}. The cause: ${which}, ` +
      `a JSONP answer (res.jsonp(), whatever its 'jsonp callback name', or a callback parameter you honour: ${CALLBACK_PARAMETERS.join(', ')} were all tried) that calls whatever function the URL names. script-src 'self' trusts every script your origin serves, so an attacker injects it with any callback. ` +
      'Answer JSON as JSON (res.json(), Content-Type application/json, which nosniff keeps from running), never wrapped in a callback.',
  );
}

/**
 * The page's own scripts (same origin) whose URL carries a query parameter, each with every parameter
 * set to each of SCRIPT_BREAKOUTS: a script generated from the request runs what the attacker wrote.
 */
function ownScriptsWithBreakouts(page: Reply): { src: string; asked: string }[] {
  const found: { src: string; asked: string }[] = [];
  for (const [, src = ''] of page.text.matchAll(/<script\b[^>]*\bsrc\s*=\s*["']?([^"'\s>]+)/gi)) {
    const url = new URL(src.replace(/&amp;/g, '&'), PAGE_ORIGIN);
    if (url.origin !== PAGE_ORIGIN.origin || !url.search) continue;
    for (const breakout of SCRIPT_BREAKOUTS) {
      const asked = new URL(url);
      for (const name of new Set(asked.searchParams.keys())) asked.searchParams.set(name, breakout);
      found.push({ src, asked: `${asked.pathname}${asked.search}` });
    }
  }
  return found;
}

/**
 * Fails when one of the page's own scripts, asked with a query an attacker wrote, runs that query as
 * code once injected into the search page: 'self' lets it in. One more page load, only for a page that
 * loads a script of its own with a query string.
 */
async function expectOwnScriptsNotGadgets(tab: BrowserPage, app: Client, page: Reply): Promise<void> {
  const gadgets = ownScriptsWithBreakouts(page);
  if (!gadgets.length) return;
  await load(tab, app, `/search?q=${encodeURIComponent(gadgets.map(({ asked }) => `<script src="${asked}"></script>`).join(''))}`);
  if (!(await tab.evaluate<string[]>('self.__injected || []')).includes('own-script')) return;
  // Which one ran: the first whose answer holds the attacker's code.
  let gadget = gadgets[0]!;
  let reply = await app.get(gadget.asked);
  for (const candidate of gadgets.slice(1)) {
    if (reply.text.includes(mark('own-script'))) break;
    gadget = candidate;
    reply = await app.get(gadget.asked); // the last is the curl line
  }
  fail(
    `Expected Chromium to block every script injected through GET /search?q=, got one of your own scripts running the attacker's code: GET ${RESULTS_PAGE} loads <script src="${show(gadget.src, 80)}">, ` +
      `and asked as GET ${show(gadget.asked, 100)} it answers ${show(reply.text, 100)}, a script your app writes from the request. Injected into the page as a <script src>, 'self' lets it in and it runs what the URL says. ` +
      'Never generate JavaScript from the request: serve the script as a fixed file under public/ and give it the data another way (a data- attribute the template escapes, or JSON it fetches).',
  );
}

/** Loads a path in the shared Chromium; fails unless it answers 200. Returns the page's policies. */
async function load(tab: BrowserPage, app: Client, path: string): Promise<ReceivedPolicy[]> {
  const loaded = await tab.goto(new URL(path, app.baseUrl).href);
  if ('error' in loaded) fail(`Expected GET ${shorten(path)} to load in Chromium with everything on it within ${PAGE_TIMEOUT_MS / 1000} s, got ${loaded.error}.`);
  expectThat(loaded.status === 200, `Expected GET ${shorten(path)} to answer 200 in Chromium as it did before your change, got ${loaded.status}.`);
  return parsePolicies(loaded.csp);
}

/** What to do about a page that its own policy breaks: the sandbox directive, when it is there, is why. */
/** How Chromium says it refused to send a form (CSP form-action, or a sandbox without allow-forms). */
const FORM_REFUSED = /\bform (data|submission)\b/i;

function fixForPage(policies: ReceivedPolicy[], otherwise: string): string {
  const sandbox = policies.map((policy) => policy.directives.get('sandbox')).find(Boolean);
  if (!sandbox) return otherwise;
  return (
    `Your policy has ${show(`sandbox ${sandbox.join(' ')}`)}: a sandboxed page gets an opaque origin, so its own files count as another site's ` +
    "(and helmet's Cross-Origin-Resource-Policy refuses them), and without allow-forms its form cannot submit. Leave sandbox out of a page that must work as it is."
  );
}

function shorten(path: string): string {
  return path.length > 60 ? `${path.slice(0, 40)}…` : path;
}

/** What Chromium reported that explains a failure, those about `first` (a form, say) first; noise such as "Failed to load resource" left out. */
function chromiumSaid(messages: string[], first?: RegExp): string {
  const relevant = messages.filter((message) => /Content Security Policy|sandbox|MIME type|Refused|Blocked |Failed to load http|Uncaught/.test(message));
  const ordered = first ? [...relevant.filter((message) => first.test(message)), ...relevant.filter((message) => !first.test(message))] : relevant;
  return ordered.length ? ` Chromium said: ${show(ordered.slice(0, 2).join(' | '), 400)}` : '';
}

// One Chromium for every folder this file grades, started in a thread of its own while the checks
// before the browser's run, and closed after the last folder.
startBrowser();
afterAll(closeBrowser);

lesson('02-security-headers', (t) => {
  // The app's host, and a second one whose clock runs LATER_DAYS ahead (HSTS counted down to a date,
  // and nonces that a fresh start gives again).
  // The second host's clock moves on when the grader writes this file (see dateShim).
  const clockFolder = makeTempFolder('course-02-clock-');
  afterAll(() => removeTempFolder(clockFolder));
  const jumpFile = join(clockFolder, 'jump-ms');
  const LATER_HOST = laterHost(jumpFile);
  t.prestart({}, LATER_HOST);
  /** The nonces of the first app's first answers: the first check's, on a host that had served nothing. */
  let firstAppNonces: string[] = [];
  /** The second host's first answers, sent by whichever check needs them first. */
  let laterRun: Promise<LaterRun> | undefined;
  const later = () =>
    (laterRun ??= t.app({ env: LATER_HOST }).then(async (app) => {
      const run = await overOneConnection(
        app.baseUrl,
        routes.slice(0, 2).map((route) => ({ path: route.path, headers: { ...route.headers, ...THROUGH_TLS_PROXY } })),
      );
      // Then the same process, its clock JUMP_DAYS on: a max-age counted from its start moves.
      writeFileSync(jumpFile, String(JUMP_DAYS * 86_400_000));
      return { ...run, jumped: await app.get('/', { headers: { ...routes[0]!.headers, ...THROUGH_TLS_PROXY } }) };
    }));

  t.check('02.no-x-powered-by', async () => {
    const app = await t.app();
    const samples = await fetchRoutes(app);
    firstAppNonces = samples.flatMap((sample) => noncesOf(sample.reply));
    await expectOnEvery(
      app,
      samples,
      rules.noFingerprint,
      'no X-Powered-By header (and nothing else naming the framework)',
      "Remove the header rather than renaming or faking it: app.disable('x-powered-by'), or helmet(), which removes it.",
    );
  });

  t.check('02.csp-enforced-everywhere', async () => {
    const app = await t.app();
    await expectOnEvery(
      app,
      await fetchRoutes(app),
      rules.enforcedCsp,
      'an enforced Content-Security-Policy header',
      'Send Content-Security-Policy (not only the Report-Only variant) on every response, for example with helmet() registered before everything else.',
    );
  });

  t.check('02.clickjacking-blocked', async () => {
    const app = await t.app();
    await expectOnEvery(
      app,
      await fetchRoutes(app),
      rules.framing,
      "framing limited to your own site (X-Frame-Options DENY or SAMEORIGIN, or CSP frame-ancestors 'none' or 'self')",
      "Send X-Frame-Options: SAMEORIGIN (helmet's default), or frame-ancestors 'self' or 'none' with no other source.",
    );
  });

  t.check('02.content-types-not-sniffed', async () => {
    const app = await t.app();
    await expectOnEvery(
      app,
      await fetchRoutes(app),
      rules.nosniff,
      'X-Content-Type-Options: nosniff',
      'Without it a browser may guess that an uploaded text or JSON response is a script or a page. helmet() sends it.',
    );
  });

  t.check('02.referrer-policy-safe', async () => {
    const app = await t.app();
    await expectOnEvery(
      app,
      await fetchRoutes(app),
      rules.referrerPolicy,
      'a Referrer-Policy of no-referrer, same-origin, strict-origin or strict-origin-when-cross-origin',
      'Search terms are in the URL: do not hand them to other sites. helmet() sends no-referrer.',
    );
    // The page's own scripts can loosen it after it arrived (insert a <meta name="referrer">, set an
    // element's referrerPolicy): judge the page as Chromium holds it once they ran.
    const tab = await openPage();
    try {
      await load(tab, app, RESULTS_PAGE);
      const loosened = pageReferrerOverride(await tab.evaluate<string>('document.documentElement.outerHTML'));
      // What Chromium sent other hosts: an element a script never adds to the page (a new Image() pixel)
      // shows only here. The origin alone is fine, a path or query is the page's URL.
      const leaked = (await tab.crossOriginRequests()).find(({ referer }) => {
        const sent = URL.canParse(referer) ? new URL(referer) : undefined;
        return sent !== undefined && (sent.pathname !== '/' || sent.search !== '');
      });
      if (!loosened && leaked) {
        await app.get(RESULTS_PAGE); // the curl line: the page as served
        fail(
          `Expected Chromium to send other sites at most your origin as the Referer from GET ${RESULTS_PAGE}, got a request to ${show(leaked.url, 80)} with Referer: ${show(leaked.referer, 100)}. ` +
            (['fetch', 'xhr'].includes(leaked.type)
              ? "Your header is not what Chromium followed: a script of the page (public/search.js) sent a fetch() with a looser referrerPolicy option (or a referrer of its own), and the search terms went with it. " +
                'Take the referrerPolicy (and referrer) option out of that fetch() call, or give it a value as safe as the header.'
              : "Your header is not what Chromium followed: a script of the page (public/search.js) set a looser referrerPolicy on an element, one it never even added to the page (a new Image() pixel), and the search terms went with it. " +
                'Take the referrerPolicy out of the script, or give it a value as safe as the header.'),
        );
      }
      if (loosened) {
        await app.get(RESULTS_PAGE); // the curl line: the page as served, without what its scripts added
        fail(
          `Expected a safe Referrer-Policy on GET ${RESULTS_PAGE} as Chromium holds it once the page's own scripts ran, got ${loosened}. ` +
            'The page as served has none of it: one of its scripts (public/search.js) adds it at run time, and the browser then sends the full URL, search terms included, to the site a customer follows a link to. ' +
            "Take it out of the script, or give it a value as safe as the header.",
        );
      }
    } finally {
      await tab.close();
    }
  });

  t.check('02.hsts-six-months', async () => {
    const app = await t.app();
    // Browsers honour HSTS only over HTTPS: the requests come as the shop's TLS proxy forwards them.
    const samples = await fetchRoutes(app, THROUGH_TLS_PROXY);
    await expectOnEvery(
      app,
      samples.map((sample) => ({ ...sample, label: `${sample.label} through the TLS proxy (X-Forwarded-Proto: https)` })),
      rules.hsts,
      `Strict-Transport-Security with max-age of at least ${SIX_MONTHS} (180 days)`,
      "A short HSTS lets a browser forget and fall back to plain HTTP. helmet()'s default is a year. If you send it only over HTTPS (req.secure), trust the one proxy in front: app.set('trust proxy', 1).",
    );
    await expectOneProxyTrusted(app, (code) => t.outputSoFar().some(({ output }) => output.includes(code)));
    const run = await later();
    await expectSameMaxAgeLater(app, samples[0]!.reply, run.replies[0]!);
    await expectMaxAgeHoldsInOneProcess(run.replies[0]!, run.jumped);
  });

  t.check('02.legacy-xss-filter-off', async () => {
    const app = await t.app();
    await expectOnEvery(
      app,
      await fetchRoutes(app),
      rules.noXssFilter,
      'no X-XSS-Protection header, or X-XSS-Protection: 0',
      'The old XSS filter is gone from current browsers, and in the ones that had it, it could be abused to leak data. Leave it off (helmet sends 0); the CSP is what protects.',
    );
  });

  t.check('02.error-responses-hardened', async () => {
    const app = await t.app();
    const errors = await fetchErrors(app);
    const checks: [Rule, string][] = [
      [rules.noFingerprint, 'no X-Powered-By header'],
      [rules.enforcedCsp, 'an enforced Content-Security-Policy header'],
      [rules.framing, 'framing limited to your own site'],
      [rules.nosniff, 'X-Content-Type-Options: nosniff'],
      [rules.referrerPolicy, 'a safe Referrer-Policy'],
      [rules.hsts, 'Strict-Transport-Security with max-age of at least 180 days'],
      [rules.noXssFilter, 'no X-XSS-Protection header, or X-XSS-Protection: 0'],
    ];
    for (const [rule, expectation] of checks) {
      // Where the routes get it wrong too, the value is wrong, not where it is set.
      const route = rule(await app.get('/', { headers: THROUGH_TLS_PROXY }));
      await expectOnEvery(
        app,
        errors,
        rule,
        expectation,
        route === undefined
          ? 'Error answers need the same headers as your routes: set them in the first middleware, before express.json() and every other body parser, so that the parsers, the 404 handler, the error handler and the rate limiter all answer after it.'
          : `Your pages get the same (GET / has ${route}): what your app sends is wrong on routes and error answers alike, not a matter of where it is set. Fix it where you set the headers.`,
      );
    }
  });

  // The two checks that drive Chromium come last, by when it has started. The report keeps the
  // registry's order.
  t.check('02.csp-blocks-injected-script', async () => {
    const app = await t.app();
    // First what a customer's browser does: Chromium loads the search page with scripts injected
    // inline, as a handler, as a data: URL and from hosts anyone can publish on, and none may run.
    let browserNonces: string[] = [];
    const tab = await openPage();
    try {
      // Its nonce counts among the first app's, for a fresh start that gives it again.
      // The hosts anyone can publish on that the page's policy names, in whatever spelling, are tried too.
      const results = await app.get(RESULTS_PAGE);
      const published = publishableHostScripts(parsePolicies(header(results, 'content-security-policy')).map((policy) => policy.directives));
      const injection = browserInjection(published);
      browserNonces = (await load(tab, app, injection)).flatMap((policy) => noncesIn(policy.directives));
      const ranInline = await tab.evaluate<string[]>('self.__injected || []');
      const ranExternal = await tab.ranFrom();
      const dialogs = await tab.dialogs();
      if (dialogs.length && !ranInline.length && !ranExternal.length) await failOnGadget(app, dialogs);
      if (ranInline.length || ranExternal.length) {
        const reply = await app.get(injection); // the page as Chromium got it, and the curl line
        const ran = [
          ...INLINE_VECTORS.filter((vector) => ranInline.includes(vector.name)).map((vector) => vector.what),
          ...ranExternal.map((url) => `<script src="${url}">`),
        ];
        const running = `Expected Chromium to block every script injected through GET /search?q=, got ${ran.length} running: ${ran.slice(0, 3).join(', ')}${ran.length > 3 ? ` and ${ran.length - 3} more` : ''}.`;
        // The app itself may hand the attacker's tags the response's nonce (rewriting every <script>).
        const stamped = injectedTagWithNonce(reply);
        if (stamped && !injectionWeakness(reply)) {
          fail(
            `${running} The cause: your app puts the response's nonce on the attacker's tags too (the page came with ${show(stamped, 100)}), so the policy lets them in. ` +
              'Put the nonce on your own <script> tags where you write them (in the template), never by rewriting the HTML a response sends, which holds what the customer typed.',
          );
        }
        // A weakness the policy's text shows names itself; otherwise the source that let the script in.
        const cause = injectionWeakness(reply) ?? (ranExternal.length ? whyScriptRan(reply, new URL(ranExternal[0]!)) : 'the policy lets it run');
        fail(
          `${running} The cause: ${cause}. Let script-src allow only your own origin ('self') or a fresh nonce: no 'unsafe-inline', no scheme, no public CDN or tag manager.`,
        );
      }
      await expectOwnScriptsNotGadgets(tab, app, results);
    } finally {
      await tab.close();
    }

    const injected = await app.get(`/search?q=${encodeURIComponent(INJECTED)}`);
    // Chromium does enforce a policy given in a <meta> tag on the page: what is missing is the header.
    expectThat(
      header(injected, 'content-security-policy') !== undefined || metaPolicy(injected.text) === undefined,
      'Expected a Content-Security-Policy header on GET /search?q=<script>…, got only a policy in a <meta> tag of the page. Chromium enforces that one on this page, ' +
        'but a <meta> policy covers only the HTML page that carries it (not the API, static files or error answers, which browsers also render) and cannot set frame-ancestors. ' +
        'Send the policy as a header on every response, for example with helmet().',
    );
    // Scripts the attacker wrote must come back without the response's nonce, whether or not Chromium ran them.
    const stamped = injectedTagWithNonce(injected);
    if (stamped) {
      fail(
        `Expected the scripts injected through GET /search?q= to come back without the response's nonce, got ${show(stamped, 100)} ` +
          `(the query held <script>…</script>, <script src="${PROTOCOL_RELATIVE_SCRIPT}"> and ${END_TAGS}): your app puts its nonce on the attacker's tags too, so the policy lets them in. ` +
          'Put the nonce on your own <script> tags where you write them (in the template), never by rewriting the HTML a response sends, which holds what the customer typed.',
      );
    }
    // What a browser test cannot show: 'unsafe-eval', plugins, and the same policy on every response.
    const samples = [{ reply: injected, label: `GET /search?q=<script>… (the search page with a script in its query)` }, ...(await fetchRoutes(app))];
    await expectOnEvery(
      app,
      samples,
      injectionWeakness,
      'a policy that blocks injected scripts',
      "Its effective script-src needs no 'unsafe-inline' (unless with a nonce or hash), no 'unsafe-eval', no wildcard, no scheme source such as https: or data:, no public CDN, and object-src must be 'none'.",
    );

    // A nonce protects only if an attacker cannot know it. They read a page, then inject its nonce
    // into the next one: it must not be accepted again, nor be short or follow from the last.
    const sentAt = Date.now();
    let reply = await app.get('/search?q=dune');
    const answeredAt = Date.now();
    const firstNonces: string[] = [];
    const seen = new Set<string>();
    for (let sample = 1; ; sample++) {
      const nonces = parsePolicies(header(reply, 'content-security-policy')).flatMap((policy) => noncesIn(policy.directives));
      const reused = nonces.find((nonce) => seen.has(nonce));
      expectThat(
        reused === undefined,
        `Expected a new nonce on every response, got 'nonce-${reused}' again on a later request: anyone who reads it once can inject <script nonce="${reused}">. Generate it per request (crypto.randomBytes(16)).`,
      );
      if (!nonces.length) break;
      nonces.forEach((nonce) => seen.add(nonce));
      firstNonces.push(nonces[0]!);
      if (sample === NONCE_SAMPLES) break;
      reply = await app.get(`/search?q=${encodeURIComponent(`<script nonce="${nonces[0]}">document.title='pwned'</script>`)}`);
    }
    const guessable = nonceWeakness(firstNonces) ?? (firstNonces[0] && hashedGuess(firstNonces[0], sentAt, answeredAt));
    if (guessable) fail(guessable);
    if (firstNonces.length) {
      await expectFreshNonces(app, seen);
      // The first app's earliest nonces are what a fresh start gives again: those of the first check
      // (when it ran) and of this one's first pages.
      await expectNoncesNotReplayed(app, await later(), new Set([...firstAppNonces, ...browserNonces, ...noncesOf(injected), ...seen]));
    }
  });

  t.check('02.page-works-under-policy', async () => {
    const app = await t.app();
    const tab = await openPage();
    try {
      // As a customer: open the shop, type a search term into the header's form and send it.
      const policies = await load(tab, app, '/');
      await expectStyled(tab, '/', policies);
      expectThat((await tab.count('form input[name="q"]')) > 0, 'Expected the home page to show the search form, got a page without an <input name="q">.');
      await tab.fill('form input[name="q"]', 'release');
      if (!(await tab.submit('form button', /\/search\?q=release$/))) {
        // Blame the policy only when Chromium says it blocked the form: its warnings about a policy that
        // merely names form-action (directives joined without semicolons) do not stop a form.
        const messages = await tab.messages();
        const blocked = messages.some((message) => FORM_REFUSED.test(message));
        fail(
          `Expected the search form on GET / to take the customer to /search?q=release, got ${blocked ? 'no navigation: Chromium blocked the form' : `no navigation within ${PAGE_TIMEOUT_MS / 1000} s, though Chromium reported no blocked form`}.` +
            `${chromiumSaid(messages, FORM_REFUSED)} ` +
            (blocked
              ? fixForPage(policies, "Your policy must let the page's own form submit: form-action 'self' (helmet's default), or no form-action at all.")
              : 'Open the home page and send the form yourself: it must still go to /search with its term in q.'),
        );
      }

      // search.js fills in the count once the page has loaded, and app.css styles it.
      const count = await tab.textContent('#result-count');
      if (!/\bfound\b/.test(count ?? '')) {
        fail(
          `Expected /static/search.js to run on the results page and fill in "1 book found, €39 in all.", got ${show(count)}.${chromiumSaid(await tab.messages(), /search\.js/)} ` +
            fixForPage(policies, "Allow your own files with 'self' (or give the tag the response's nonce)."),
        );
      }
      await expectStyled(tab, '/search?q=release', policies);
    } finally {
      await tab.close();
    }
  });
});

/**
 * Fails unless the page is styled by the shop's stylesheet (public/app.css sets the body's max-width),
 * however it arrived: a refused stylesheet still has a sheet, an empty one.
 */
async function expectStyled(tab: BrowserPage, path: string, policies: ReceivedPolicy[]): Promise<void> {
  if (await tab.evaluate<boolean>(`getComputedStyle(document.body).maxWidth !== 'none'`)) return;
  fail(
    `Expected GET ${path} to be styled by its own /static/app.css, got an unstyled page.${chromiumSaid(await tab.messages(), /\.css/)} ` +
      fixForPage(policies, "Allow your own files with 'self' in style-src (or default-src)."),
  );
}
