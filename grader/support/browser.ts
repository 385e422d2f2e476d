// Chromium for checks that must see what a browser does with an answer (lesson 02: does an injected
// script run, does the page still work under its policy). Debian's chromium-headless-shell or chromium,
// or an installed Chrome, driven by playwright-core: never a downloaded browser. One browser per grader thread, started by
// startBrowser() or on first use and shared by every check of every folder the thread grades
// (closeBrowser() ends it); each check opens pages of its own.
//
// playwright-core runs in a thread of its own (browser-thread.mjs): compiling it takes a few tenths
// of a second, seconds on a busy machine, and in the checks' thread that would hold up the answers
// of apps that are being timed. Chromium leaves with the grader: it quits when the pipe to it
// closes, and its profile is a temp folder the watchdog removes.
//
// Nothing leaves this machine. Every request for a host other than the loopback addresses is answered
// in that thread, before any network: a script with a marker that records that it ran (see ranFrom),
// and a refusal for anything else. Behind that, Chromium resolves no host name but localhost, and
// sends anything else to a proxy on 127.0.0.1 that does not exist.
import { existsSync, rmSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { CannotJudge } from './expect.js';
import { makeTempFolder, removeTempFolder } from './watchdog.js';

const CANDIDATES = [
  process.env.CHROMIUM_PATH,
  process.env.CHROME_PATH,
  // The same engine without the browser around it: starts with half the CPU of a full Chromium.
  '/usr/bin/chromium-headless-shell',
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

interface Reply {
  call?: number;
  value?: unknown;
  error?: string;
  launched?: boolean;
  closed?: boolean;
}

/** The thread and its Chromium. */
class BrowserThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextCall = 1;
  /** Settles once Chromium has started, or has failed to. */
  readonly launched: Promise<void>;
  private ended = false;

  constructor(
    executablePath: string,
    readonly profile: string,
  ) {
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
    this.worker = new Worker(new URL('./browser-thread.mjs', import.meta.url), {
      workerData: { executablePath, profile, args, ranFromGlobal: RAN_FROM, launchTimeoutMs: 30_000 },
      stdout: true,
      stderr: true,
    });
    this.worker.unref();
    let settle!: (error?: string) => void;
    this.launched = new Promise<void>((resolve, reject) => {
      settle = (error) =>
        error === undefined
          ? resolve()
          : reject(new CannotJudge(`Could not start ${executablePath} for this check: ${error}. Is it a working Chromium or Chrome? CHROMIUM_PATH chooses another.`));
    });
    this.launched.catch(() => {}); // the check that needs it reports it
    this.worker.on('message', (reply: Reply) => {
      if (reply.launched !== undefined) return settle(reply.launched ? undefined : reply.error);
      if (reply.closed) return this.end('Chromium closed');
      const call = this.pending.get(reply.call!);
      this.pending.delete(reply.call!);
      if (reply.error !== undefined) call?.reject(new Error(reply.error));
      else call?.resolve(reply.value);
    });
    this.worker.on('error', (error) => this.end(`the browser thread failed: ${error.message}`));
    this.worker.on('exit', () => this.end('the browser thread ended'));
    this.worker.once('exit', () => settle('the browser thread ended'));
  }

  call<T>(op: string, id?: number, args?: object): Promise<T> {
    if (this.ended) return Promise.reject(new CannotJudge('Chromium is gone: it closed or crashed during the check.'));
    const call = this.nextCall++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(call, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ call, op, id, args });
    });
  }

  /** Fails every call still waiting; the next check starts another browser. */
  private end(why: string): void {
    if (this.ended) return;
    this.ended = true;
    if (thread === this) void closeBrowser();
    for (const { reject } of this.pending.values()) reject(new CannotJudge(`Chromium stopped during the check (${why}).`));
    this.pending.clear();
  }

  /** Closes Chromium, then ends the thread. */
  async terminate(): Promise<void> {
    if (!this.ended) {
      let timer: NodeJS.Timeout | undefined;
      const shutdown = this.call('shutdown').catch(() => {});
      await Promise.race([shutdown, new Promise((resolve) => (timer = setTimeout(resolve, 5_000)))]);
      clearTimeout(timer);
    }
    this.ended = true;
    await this.worker.terminate().catch(() => {});
  }
}

let thread: BrowserThread | undefined;

/**
 * Starts Chromium now, in its own thread, so that it is ready by the time a check needs it: for a
 * check file to call as it is collected. Does nothing where there is no browser (the first check
 * that needs one says so).
 */
export function startBrowser(): void {
  const executablePath = chromiumExecutable();
  if (!thread && executablePath) thread = new BrowserThread(executablePath, makeTempFolder('course-chromium-'));
}

async function browserThread(): Promise<BrowserThread> {
  startBrowser();
  if (!thread) {
    throw new CannotJudge(
      'This check drives a real browser and found neither Chromium nor Chrome (looked at /usr/bin/chromium-headless-shell, /usr/bin/chromium, /usr/bin/google-chrome and the usual places). ' +
        'Install one: sudo apt-get install -y chromium-headless-shell (Debian, Ubuntu: the lightest), chromium, or Google Chrome; or set CHROMIUM_PATH to its executable.',
    );
  }
  const current = thread;
  await current.launched.catch((error: unknown) => {
    if (thread === current) void closeBrowser(); // the next check tries again
    throw error;
  });
  return current;
}

/** A page open in the shared browser. Its methods time out within PAGE_TIMEOUT_MS. */
export class BrowserPage {
  private constructor(
    private readonly browser: BrowserThread,
    private readonly id: number,
  ) {}

  static async open(): Promise<BrowserPage> {
    const browser = await browserThread();
    const id = await browser.call<number>('open').catch((error: Error) => {
      throw error instanceof CannotJudge ? error : new CannotJudge(`Chromium could not open a page: ${error.message}`);
    });
    return new BrowserPage(browser, id);
  }

  /** Loads a URL and everything on it: its status and policy header, or why it did not load. */
  goto(url: string): Promise<{ status: number; csp?: string } | { error: string }> {
    return this.browser.call('goto', this.id, { url, timeoutMs: PAGE_TIMEOUT_MS });
  }

  /** Evaluates an expression in the page (code goes as a string: the grader is compiled without the DOM's types). */
  evaluate<T>(expression: string): Promise<T> {
    return this.browser.call('evaluate', this.id, { expression });
  }

  count(selector: string): Promise<number> {
    return this.browser.call('count', this.id, { selector });
  }

  fill(selector: string, value: string): Promise<void> {
    return this.browser.call('fill', this.id, { selector, value });
  }

  textContent(selector: string): Promise<string | null> {
    return this.browser.call('textContent', this.id, { selector });
  }

  /** Clicks the first match of `selector`: whether the page then went to a URL matching `url` (false once Chromium refuses a form). */
  submit(selector: string, url: RegExp): Promise<boolean> {
    return this.browser.call('submit', this.id, { selector, url: url.source, timeoutMs: PAGE_TIMEOUT_MS });
  }

  /** Console errors and warnings and failed requests, in order: "Loading the script '…' violates …". */
  messages(): Promise<string[]> {
    return this.browser.call('messages', this.id);
  }

  /** Every request the page made to another host, with the Referer Chromium sent ('' for none) and what asked for it (Chromium's resource type: 'image', 'fetch', 'xhr', 'script'…). */
  crossOriginRequests(): Promise<{ url: string; referer: string; type: string }[]> {
    return this.browser.call('crossOrigin', this.id);
  }

  /** The alert(), confirm() and prompt() dialogs the page's scripts opened ("alert: …"), each dismissed. */
  dialogs(): Promise<string[]> {
    return this.browser.call('dialogs', this.id);
  }

  /** The URLs of the scripts from other hosts that ran in the page (each answered with a marker script). */
  ranFrom(): Promise<string[]> {
    return this.evaluate<string[]>(`self.${RAN_FROM} || []`);
  }

  close(): Promise<void> {
    return this.browser.call<void>('close', this.id).catch(() => {});
  }
}

export function openPage(): Promise<BrowserPage> {
  return BrowserPage.open();
}

export async function closeBrowser(): Promise<void> {
  const closing = thread;
  thread = undefined;
  if (!closing) return;
  await closing.terminate();
  try {
    // Chromium's last processes may still be writing to the profile for a moment after it closed.
    rmSync(closing.profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    removeTempFolder(closing.profile);
  } catch {
    // left to the watchdog, which removes it when this thread ends
  }
}
