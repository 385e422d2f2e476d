import {
  allowsElement,
  blocksPlugins,
  effectiveSources,
  evaluatorHighFindings,
  governingDirective,
  noncesIn,
  parsePolicies,
  scriptSourceWeaknesses,
  type ReceivedPolicy,
} from '../support/csp.js';
import { expectThat, fail, show } from '../support/expect.js';
import { type Client, header, type Reply } from '../support/http.js';
import { lesson } from '../support/lesson.js';

/** Real routes of every kind, each answering 2xx. A check on a 404 alone is fooled by late middleware. */
const routes: Route[] = [
  { kind: 'HTML page', method: 'GET', path: '/' },
  { kind: 'HTML page', method: 'GET', path: '/search?q=dune' },
  { kind: 'JSON API', method: 'GET', path: '/api/books' },
  { kind: 'JSON API', method: 'GET', path: '/api/books/1' },
  { kind: 'static file', method: 'GET', path: '/static/app.css' },
  { kind: 'static file', method: 'GET', path: '/static/search.js' },
  { kind: 'JSON API', method: 'POST', path: '/api/orders', body: { bookId: 1, quantity: 2 } },
];

const PAGES = ['/', '/search?q=dune'];
const INJECTED = `<script>document.title='pwned'</script>`;
const SIX_MONTHS = 15_552_000;

interface Route {
  kind: string;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
}

interface Sample {
  reply: Reply;
  /** How the message names it: "GET /static/app.css (static file)". */
  label: string;
}

/** A header rule: undefined when the reply is fine, else what was got instead. */
type Rule = (reply: Reply) => string | undefined;

async function fetchRoutes(app: Client): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (const route of routes) {
    const reply = await app.request(route.method, route.path, { body: route.body });
    expectThat(
      reply.status >= 200 && reply.status < 300,
      `Expected ${route.method} ${route.path} to answer 2xx as it did before your change, got ${reply.status} (body ${show(reply.text, 60)}).`,
    );
    samples.push({ reply, label: `${route.method} ${route.path} (${route.kind})` });
  }
  return samples;
}

/** The app's own 404, a 500 from its error handler, and a 429 from the gift-card limiter. */
async function fetchErrors(app: Client): Promise<Sample[]> {
  const notFound = await app.get('/no-such-page');
  expectStatusFor(notFound, 404);
  const serverError = await app.get('/api/books/1/recommendations');
  expectStatusFor(serverError, 500);
  let limited = await app.get('/api/gift-cards/NOPE-0000');
  for (let attempt = 1; attempt < 10 && limited.status !== 429; attempt++) limited = await app.get('/api/gift-cards/NOPE-0000');
  expectThat(
    limited.status === 429,
    `Expected GET /api/gift-cards/NOPE-0000 to answer 429 after five lookups, got ${limited.status} ten times. Keep the gift-card limiter in place.`,
  );
  return [
    { reply: notFound, label: 'GET /no-such-page (404 from your not-found handler)' },
    { reply: serverError, label: 'GET /api/books/1/recommendations (500 from your error handler)' },
    { reply: limited, label: 'GET /api/gift-cards/NOPE-0000 (429 from the rate limiter)' },
  ];
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
  const names = others.map((other) => other.label.replace(/ \(.*/, ''));
  const also = others.length ? `; the same on ${names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ')}` : '';
  let next = advice;
  if (failures.some((failure) => failure.reply.status < 300) && rule(await app.get('/no-such-page')) === undefined) {
    next = 'Your 404 has it but these responses do not: the headers are added after whatever answered them. Register them first, before express.static and every route.';
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
    return leak ? `Referrer-Policy: ${value}, which ${leak}` : undefined;
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
    if (header(reply, 'content-security-policy-report-only') !== undefined) {
      return 'only Content-Security-Policy-Report-Only, which reports violations and blocks nothing';
    }
    return 'no Content-Security-Policy header';
  }) satisfies Rule,

  framing: ((reply) => {
    const ancestors = parsePolicies(header(reply, 'content-security-policy'))
      .map((policy) => policy.directives.get('frame-ancestors'))
      .filter((sources) => sources !== undefined);
    // When a policy names frame-ancestors, browsers ignore X-Frame-Options.
    if (ancestors.length) {
      const sameSiteOnly = ancestors.some((sources) => sources.every((source) => ["'none'", "'self'"].includes(source.toLowerCase())));
      return sameSiteOnly ? undefined : `frame-ancestors ${ancestors[0]!.join(' ')}, which lets other sites frame it (browsers then ignore X-Frame-Options)`;
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

/** What would let an injected script (or plugin) run despite this response's policies; undefined when nothing. */
function injectionWeakness(policies: ReceivedPolicy[]): string | undefined {
  if (!policies.length) return 'no enforced Content-Security-Policy, so the injected script runs';
  // Every policy is enforced, so one strict policy is enough to block.
  for (const directive of ['script-src-elem', 'script-src-attr']) {
    const weak = policies.map((policy) => {
      const sources = effectiveSources(policy.directives, directive);
      const [weakness] = scriptSourceWeaknesses(sources);
      return weakness && `${sources ? `${governingDirective(policy.directives, directive)} ${sources.join(' ')}` : 'a policy'}: ${weakness}`;
    });
    if (weak.every(Boolean)) return weak[0];
  }
  if (!policies.some((policy) => blocksPlugins(policy.directives))) {
    const sources = effectiveSources(policies[0]!.directives, 'object-src');
    return sources
      ? `${governingDirective(policies[0]!.directives, 'object-src')} ${sources.join(' ')}: an injected <object> or <embed> can still run a plugin; object-src must be 'none'`
      : "no object-src (nor default-src): an injected <object> or <embed> can run a plugin; add object-src 'none'";
  }
  const findings = policies.map((policy) => evaluatorHighFindings(policy.text));
  if (findings.every((found) => found.length)) return `a policy Google's CSP Evaluator rates high risk (${findings[0]![0]})`;
  return undefined;
}

interface PageElement {
  kind: 'script' | 'style';
  /** How the message names it: "/static/search.js" or "an inline <script>". */
  name: string;
  src?: string;
  nonce?: string;
  inline?: string;
}

function attributes(tag: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const [, name, ...values] of tag.matchAll(/([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g)) {
    found.set(name!.toLowerCase(), values.find((value) => value !== undefined) ?? '');
  }
  return found;
}

/** The scripts and styles a page loads: external files and inline blocks. */
function pageElements(html: string): PageElement[] {
  const elements: PageElement[] = [];
  for (const [, attrText, content] of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    const attrs = attributes(attrText!);
    const src = attrs.get('src');
    elements.push(src ? { kind: 'script', name: src, src, nonce: attrs.get('nonce') } : { kind: 'script', name: 'an inline <script>', nonce: attrs.get('nonce'), inline: content });
  }
  for (const [, attrText] of html.matchAll(/<link\b([^>]*)>/gi)) {
    const attrs = attributes(attrText!);
    const href = attrs.get('href');
    if (href && /(^|\s)stylesheet(\s|$)/i.test(attrs.get('rel') ?? '')) elements.push({ kind: 'style', name: href, src: href, nonce: attrs.get('nonce') });
  }
  for (const [, attrText, content] of html.matchAll(/<style\b([^>]*)>([\s\S]*?)<\/style\s*>/gi)) {
    elements.push({ kind: 'style', name: 'an inline <style>', nonce: attributes(attrText!).get('nonce'), inline: content });
  }
  return elements;
}

lesson('02-security-headers', (t) => {
  t.prestart({});

  t.check('02.no-x-powered-by', async () => {
    const app = await t.app();
    await expectOnEvery(
      app,
      await fetchRoutes(app),
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

  t.check('02.csp-blocks-injected-script', async () => {
    const app = await t.app();
    const injected = await app.get(`/search?q=${encodeURIComponent(INJECTED)}`);
    const samples = [{ reply: injected, label: `GET /search?q=<script>… (the search page with a script in its query)` }, ...(await fetchRoutes(app))];
    await expectOnEvery(
      app,
      samples,
      (reply) => injectionWeakness(parsePolicies(header(reply, 'content-security-policy'))),
      'a policy that blocks injected scripts',
      "Its effective script-src needs no 'unsafe-inline' (unless with a nonce or hash), no 'unsafe-eval', no wildcard or scheme source such as https: or data:, and object-src must be 'none'.",
    );

    // A nonce only protects if an attacker cannot know it: it must change on every response.
    const first = await app.get('/search?q=dune');
    const nonces = parsePolicies(header(first, 'content-security-policy')).flatMap((policy) => noncesIn(policy.directives));
    for (const nonce of nonces) {
      const replay = await app.get(`/search?q=${encodeURIComponent(`<script nonce="${nonce}">document.title='pwned'</script>`)}`);
      const reused = parsePolicies(header(replay, 'content-security-policy')).some((policy) => noncesIn(policy.directives).includes(nonce));
      expectThat(
        !reused,
        `Expected a new nonce on every response, got 'nonce-${nonce}' again on a second request: anyone who reads it once can inject <script nonce="${nonce}">. Generate it per request (crypto.randomBytes(16)).`,
      );
    }
  });

  t.check('02.clickjacking-blocked', async () => {
    const app = await t.app();
    await expectOnEvery(
      app,
      await fetchRoutes(app),
      rules.framing,
      "framing limited to your own site (X-Frame-Options DENY or SAMEORIGIN, or CSP frame-ancestors 'none' or 'self')",
      "Send X-Frame-Options: SAMEORIGIN (helmet's default) or add frame-ancestors 'self' to your policy.",
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
  });

  t.check('02.hsts-six-months', async () => {
    const app = await t.app();
    await expectOnEvery(
      app,
      await fetchRoutes(app),
      rules.hsts,
      `Strict-Transport-Security with max-age of at least ${SIX_MONTHS} (180 days)`,
      "A short HSTS lets a browser forget and fall back to plain HTTP. helmet()'s default is a year.",
    );
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
      [rules.nosniff, 'X-Content-Type-Options: nosniff'],
      [rules.referrerPolicy, 'a safe Referrer-Policy'],
      [rules.hsts, 'Strict-Transport-Security with max-age of at least 180 days'],
      [rules.noXssFilter, 'no X-XSS-Protection header, or X-XSS-Protection: 0'],
    ];
    for (const [rule, expectation] of checks) {
      await expectOnEvery(
        app,
        errors,
        rule,
        expectation,
        'Error responses need the same headers as your routes: set them in the first middleware, so that the 404 handler, the error handler and the rate limiter all answer after it.',
      );
    }
  });

  t.check('02.page-works-under-policy', async () => {
    const app = await t.app();
    const origin = new URL(app.baseUrl);
    for (const path of PAGES) {
      const page = await app.get(path);
      expectStatusFor(page, 200);
      const policies = parsePolicies(header(page, 'content-security-policy'));
      const sandboxed = policies.find((policy) => policy.directives.get('sandbox')?.every((flag) => flag.toLowerCase() !== 'allow-scripts'));
      expectThat(!sandboxed, `Expected the scripts of GET ${path} to run, got a policy with ${show(`sandbox ${sandboxed?.directives.get('sandbox')?.join(' ')}`)}, which stops every script on the page.`);
      const elements = pageElements(page.text);
      expectThat(elements.some((element) => element.kind === 'script'), `Expected GET ${path} to load its script /static/search.js, got a page without any <script>.`);

      for (const element of elements) {
        const directive = element.kind === 'script' ? 'script-src-elem' : 'style-src-elem';
        const url = element.src === undefined ? undefined : new URL(element.src, new URL(path, origin));
        const blocking = policies.find((policy) => !allowsElement(effectiveSources(policy.directives, directive), { url, nonce: element.nonce, inline: element.inline }, origin, element.kind));
        if (blocking) {
          const sources = effectiveSources(blocking.directives, directive)!;
          fail(
            `Expected the policy of GET ${path} to allow the page's own ${element.kind === 'script' ? 'script' : 'stylesheet'} ${element.name}, got ${governingDirective(blocking.directives, directive)} ${sources.join(' ') || "(empty, i.e. 'none')"}, which blocks it. ` +
              (element.src ? "Allow your own files with 'self' (or give the tag the response's nonce)." : 'Move inline code to a file under public/, or give the tag the nonce of the response.'),
          );
        }
        if (url && url.origin === origin.origin) {
          const file = await app.get(url.pathname + url.search);
          const type = header(file, 'content-type') ?? '';
          const expected = element.kind === 'script' ? /javascript|ecmascript/i : /^text\/css\b/i;
          expectThat(
            file.status === 200 && expected.test(type),
            `Expected ${url.pathname}, which GET ${path} loads, to answer 200 as ${element.kind === 'script' ? 'JavaScript' : 'text/css'}, got ${file.status} ${show(type)}: with nosniff, browsers refuse a file of the wrong type.`,
          );
        }
      }
    }
  });
});
