// Chromium for checks that must see what a browser does with an answer (lesson 02: does an injected
// script run, does the page still work under its policy). Debian's chromium or an installed Chrome,
// driven by playwright-core: never a downloaded browser. One browser per grader thread, started on
// first use and shared by every check of every folder the thread grades (closeBrowser() ends it);
// each check opens pages of its own. Chromium leaves with the grader: it quits when the pipe to it
// closes, and its profile is a temp folder the watchdog removes.
//
// Nothing leaves this machine. Every request for a host other than the loopback addresses is answered
// here, before any network: a script with a marker that records that it ran (see ranFrom), and a refusal
// for anything else. Behind that, Chromium resolves no host name but localhost, and sends anything else
// to a proxy on 127.0.0.1 that does not exist.
import { existsSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { CannotJudge } from './expect.js';
import { makeTempFolder, removeTempFolder } from './watchdog.js';

const CANDIDATES = [
  process.env.CHROMIUM_PATH,
  process.env.CHROME_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/snap/bin/chromium',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
  'C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe',
];

/** A port on 127.0.0.1 where nothing listens: the proxy for any request that is not for this machine. */
const NO_PROXY_PORT = 9;
/** How long a page may take to load with everything on it: the app answers a request within 2.5 s or fails anyway. */
export const PAGE_TIMEOUT_MS = 8_000;
/** The global that a script from another host pushes its URL to when it runs. */
const RAN_FROM = '__courseScriptsRanFrom';

export function chromiumExecutable(): string | undefined {
  return CANDIDATES.find((candidate) => candidate && existsSync(candidate));
}

interface Shared {
  context: Promise<BrowserContext>;
  profile: string;
}
let shared: Shared | undefined;

function browserContext(): Promise<BrowserContext> {
  if (shared) return shared.context;
  const executablePath = chromiumExecutable();
  if (!executablePath) {
    return Promise.reject(
      new CannotJudge(
        'This check drives a real browser and found neither Chromium nor Chrome (looked at /usr/bin/chromium, /usr/bin/google-chrome and the usual places). ' +
          'Install one: sudo apt-get install -y chromium (Debian, Ubuntu), or Google Chrome; or set CHROMIUM_PATH to its executable.',
      ),
    );
  }
  const profile = makeTempFolder('course-chromium-');
  const context = launch(executablePath, profile);
  const started = (shared = { context, profile });
  // A browser that failed to start, crashed or was closed is started again by the next check.
  context.then(
    (ready) => ready.on('close', () => shared === started && void closeBrowser()),
    () => shared === started && void closeBrowser(),
  );
  return context;
}

async function launch(executablePath: string, profile: string): Promise<BrowserContext> {
  const { chromium } = await import('playwright-core');
  const args = [
    '--disable-gpu',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-extensions',
    '--disable-default-apps',
    '--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
    `--proxy-server=http://127.0.0.1:${NO_PROXY_PORT}`,
  ];
  // Chromium's sandbox refuses to start as root (containers, CI); the pages it loads are the learner's own app.
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args, serviceWorkers: 'block', timeout: 15_000 });
  } catch (error) {
    throw new CannotJudge(`Could not start ${executablePath} for this check: ${String((error as Error).message).split('\n')[0]}`);
  }
  await context.route(
    (url) => !isLoopback(url),
    (route) => {
      const request = route.request();
      if (request.resourceType() !== 'script') return route.abort('blockedbyclient');
      return route.fulfill({
        status: 200,
        contentType: 'text/javascript',
        headers: { 'access-control-allow-origin': '*' },
        body: `(self.${RAN_FROM} = self.${RAN_FROM} || []).push(${JSON.stringify(request.url())});`,
      });
    },
  );
  return context;
}

function isLoopback(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) || url.protocol === 'data:' || url.protocol === 'blob:';
}

/** A page open in the shared browser, with what Chromium said on its console (CSP violations among it). */
export interface BrowserPage {
  page: Page;
  /** Console errors and warnings and failed requests, in order: "Loading the script '…' violates …". */
  messages: string[];
  close(): Promise<void>;
}

export async function openPage(): Promise<BrowserPage> {
  const context = await browserContext();
  const page = await context.newPage().catch((error: Error) => {
    void closeBrowser();
    throw new CannotJudge(`Chromium could not open a page: ${error.message.split('\n')[0]}`);
  });
  page.setDefaultTimeout(PAGE_TIMEOUT_MS);
  const messages: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') messages.push(message.text());
  });
  page.on('pageerror', (error) => messages.push(`Uncaught ${error.name}: ${error.message}`));
  // The console says "Failed to load resource" without naming it: this names it.
  page.on('requestfailed', (request) => messages.push(`Failed to load ${request.url()}: ${request.failure()?.errorText ?? 'no answer'}`));
  return { page, messages, close: () => page.close().catch(() => {}) };
}

/** The URLs of the scripts from other hosts that ran in the page (each answered with a marker script). */
export async function ranFrom(page: Page): Promise<string[]> {
  return ((await page.evaluate(`self.${RAN_FROM} || []`)) as string[]) ?? [];
}

export async function closeBrowser(): Promise<void> {
  const closing = shared;
  shared = undefined;
  if (!closing) return;
  await closing.context.then((context) => context.close()).catch(() => {});
  removeTempFolder(closing.profile);
}
