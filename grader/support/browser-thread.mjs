// The thread that drives Chromium for support/browser.ts. playwright-core is 12 MB of JavaScript:
// loaded here, its compiling and its work never block the thread that runs the checks, where a
// request waiting on a blocked event loop would be reported as an app that does not answer.
// Plain JavaScript: a thread started by a check file does not go through vitest's TypeScript transform.
import { parentPort, workerData } from 'node:worker_threads';

const { executablePath, profile, args, ranFromGlobal, launchTimeoutMs } = workerData;
const loopback = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** How Chromium says it refused to send a form (CSP form-action, or a sandbox without allow-forms); older versions said "Refused to send form data". */
const FORM_REFUSED = /\bform (data|submission)\b/i;

const ready = (async () => {
  const { chromium } = await import('playwright-core');
  const context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args, serviceWorkers: 'block', timeout: launchTimeoutMs });
  // Every request for another host is answered here, before any network: scripts with a marker that
  // records that they ran, anything else refused.
  await context.route(
    (url) => !loopback.has(url.hostname),
    async (route) => {
      const request = route.request();
      // What the page told the other host about itself: the Referer it sent (a script's detached
      // new Image() with referrerPolicy 'unsafe-url' shows only here, never in the document).
      const state = stateOf(request);
      if (state) state.crossOrigin.push({ url: request.url(), referer: (await request.allHeaders().catch(() => request.headers())).referer ?? '', type: request.resourceType() });
      if (request.resourceType() !== 'script') return route.abort('blockedbyclient');
      return route.fulfill({
        status: 200,
        contentType: 'text/javascript',
        headers: { 'access-control-allow-origin': '*' },
        body: `(self.${ranFromGlobal} = self.${ranFromGlobal} || []).push(${JSON.stringify(request.url())});`,
      });
    },
  );
  context.on('close', () => parentPort.postMessage({ closed: true }));
  return context;
})();
ready.then(
  () => parentPort.postMessage({ launched: true }),
  (error) => parentPort.postMessage({ launched: false, error: firstLine(error) }),
);

/** Open pages by id, each with what Chromium said about it. */
const pages = new Map();

/** The open page's state that a request was made for, if any (a service worker's has none). */
function stateOf(request) {
  try {
    const page = request.frame().page();
    return [...pages.values()].find((state) => state.page === page);
  } catch {
    return undefined;
  }
}
let nextPage = 1;

const operations = {
  async open() {
    const context = await ready;
    const page = await context.newPage();
    const state = { page, messages: [], listeners: new Set(), crossOrigin: [], dialogs: [] };
    const say = (text) => {
      state.messages.push(text);
      for (const listener of state.listeners) listener();
    };
    page.on('console', (message) => (message.type() === 'error' || message.type() === 'warning') && say(message.text()));
    page.on('pageerror', (error) => say(`Uncaught ${error.name}: ${error.message}`));
    // A script that calls alert(), confirm() or prompt() ran: recorded, then dismissed.
    page.on('dialog', (dialog) => {
      state.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      dialog.dismiss().catch(() => {});
    });
    // The console says "Failed to load resource" without naming it: this names it.
    page.on('requestfailed', (request) => say(`Failed to load ${request.url()}: ${request.failure()?.errorText ?? 'no answer'}`));
    const id = nextPage++;
    pages.set(id, state);
    return id;
  },
  async goto({ page }, { url, timeoutMs }) {
    try {
      const response = await page.goto(url, { waitUntil: 'load', timeout: timeoutMs });
      return { status: response?.status() ?? 0, csp: response?.headers()['content-security-policy'] };
    } catch (error) {
      return { error: firstLine(error) };
    }
  },
  evaluate: ({ page }, { expression }) => page.evaluate(expression),
  count: ({ page }, { selector }) => page.locator(selector).count(),
  fill: ({ page }, { selector, value }) => page.locator(selector).first().fill(value),
  textContent: ({ page }, { selector }) => page.locator(selector).first().textContent(),
  messages: ({ messages }) => messages,
  crossOrigin: ({ crossOrigin }) => crossOrigin,
  dialogs: ({ dialogs }) => dialogs,
  /** Clicks, and resolves to whether the page went to a URL matching `url`; false as soon as Chromium refuses a form. */
  async submit(state, { selector, url, timeoutMs }) {
    const { page } = state;
    const submitted = page.waitForURL(new RegExp(url), { timeout: timeoutMs, waitUntil: 'load' }).then(() => true);
    // Only Chromium's refusal of a form after the click counts ("Sending form data to … violates …
    // form-action", "Blocked form submission … sandboxed"): a warning that merely names form-action
    // (a policy missing its semicolons) comes with every page, the next one included.
    const before = state.messages.length;
    const refused = new Promise((resolve) => state.listeners.add(() => state.messages.slice(before).some((message) => FORM_REFUSED.test(message)) && resolve(false)));
    // Not awaited alone: a click waits for the navigation it starts, and a refused form starts none.
    const clicked = page.locator(selector).first().click({ timeout: timeoutMs }).then(() => true, () => false);
    return Promise.race([submitted, refused, clicked.then((ok) => (ok ? submitted : false))]).catch(() => false);
  },
  async close(state, _, id) {
    pages.delete(id);
    await state.page.close().catch(() => {});
  },
  /** Closes Chromium (a persistent context is the browser): ending this thread alone would leave it running. */
  async shutdown() {
    const context = await ready.catch(() => undefined);
    await context?.close().catch(() => {});
  },
};

parentPort.on('message', async ({ call, op, id, args }) => {
  try {
    const state = id === undefined ? undefined : pages.get(id);
    if (id !== undefined && !state) throw new Error(`no page ${id}`);
    parentPort.postMessage({ call, value: await operations[op](state, args ?? {}, id) });
  } catch (error) {
    parentPort.postMessage({ call, error: firstLine(error) });
  }
});

function firstLine(error) {
  return String(error?.message ?? error).split('\n')[0];
}
