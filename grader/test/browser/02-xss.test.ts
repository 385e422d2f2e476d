// Lesson 02 in a real browser: a script injected through the search page's ?q= runs against the flawed
// exercise, the solution's policy blocks it, and the solution's page still runs its own script and
// stylesheet. Debian's Chromium through playwright-core; never a downloaded browser, never a silent skip.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { AppProcess, baseEnv } from '../../support/app-process.js';
import { pickPort } from '../../support/ports.js';
import { exercisesDir, graderDir, solutionsDir } from '../../src/paths.js';

const LESSON = '02-security-headers';
const resultsDir = path.join(graderDir, 'test-results');
/** Leaves a marker the test reads and turns the page red for the screenshot; a working CSP never lets it run. */
const INJECTED = `<script>document.documentElement.dataset.injected = 'ran'; document.body.style.background = 'crimson'</script>`;

function chromiumPath(): string {
  const candidate = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (existsSync(candidate)) return candidate;
  if (process.env.CI) throw new Error(`Chromium is required in CI and was not found at ${candidate}: install it in the CI image (apt-get install -y chromium) or set CHROMIUM_PATH.`);
  throw new Error(`The lesson 02 browser test needs Chromium, not found at ${candidate}. Install it: sudo apt-get install -y chromium (or set CHROMIUM_PATH to a Chromium binary).`);
}

interface RunningApp {
  base: string;
  process: AppProcess;
}

/** Runs a lesson folder's src/server.ts the way the grader does and waits for GET /health. */
async function startServer(dir: string): Promise<RunningApp> {
  const port = await pickPort();
  const child = new AppProcess({ script: path.join(dir, 'src', 'server.ts'), cwd: dir, env: baseEnv({ PORT: String(port) }) });
  const base = `http://127.0.0.1:${port}`;
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    if (!child.running) throw new Error(`${dir}/src/server.ts exited during startup:\n${child.output()}`);
    const healthy = await fetch(`${base}/health`, { signal: AbortSignal.timeout(1000) }).then(
      (response) => response.status === 200,
      () => false,
    );
    if (healthy) return { base, process: child };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await child.stop(500);
  throw new Error(`${dir}/src/server.ts did not answer GET /health within 15 s:\n${child.output()}`);
}

let context: BrowserContext;
let userDataDir: string;
const apps: RunningApp[] = [];

beforeAll(async () => {
  const executablePath = chromiumPath();
  mkdirSync(resultsDir, { recursive: true });
  userDataDir = mkdtempSync(path.join(os.tmpdir(), 'course-02-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
});

afterAll(async () => {
  await context?.close();
  await Promise.all(apps.map((app) => app.process.stop(1000)));
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

interface Visit {
  page: Page;
  injectedRan: boolean;
  violations: string[];
}

/** Opens a page, records what Chromium reports about the CSP, and saves a screenshot. */
async function visit(app: RunningApp, pathAndQuery: string, screenshot: string): Promise<Visit> {
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  const response = await page.goto(`${app.base}${pathAndQuery}`, { waitUntil: 'load' });
  expect(response?.status()).toBe(200);
  // Deferred scripts run before DOMContentLoaded, which 'load' follows.
  // Code for the page goes as a string: the grader is compiled without the DOM's types.
  const injectedRan = (await page.evaluate('document.documentElement.dataset.injected')) === 'ran';
  await page.screenshot({ path: path.join(resultsDir, `02-xss-${screenshot}.png`), fullPage: true });
  return { page, injectedRan, violations };
}

const injectedSearch = `/search?q=${encodeURIComponent(INJECTED)}`;

test('the script injected through ?q= runs against the flawed exercise', async () => {
  const app = await startServer(path.join(exercisesDir, LESSON));
  apps.push(app);
  const { page, injectedRan } = await visit(app, injectedSearch, 'exercise-injected');
  expect(injectedRan, 'the injected <script> should run on the flawed exercise, which sends no CSP').toBe(true);
  await page.close();
}, 60_000);

test("the solution's policy blocks the injected script", async () => {
  const app = await startServer(path.join(solutionsDir, LESSON));
  apps.push(app);
  const { page, injectedRan, violations } = await visit(app, injectedSearch, 'solution-injected');
  expect(injectedRan, "the solution's CSP should block the injected <script>").toBe(false);
  expect(violations.join('\n'), 'Chromium should report the blocked inline script').toMatch(/inline script/i);
  await page.close();
}, 60_000);

test("the solution's search page still runs its own script and stylesheet", async () => {
  const app = apps.at(-1) ?? (await startServer(path.join(solutionsDir, LESSON)));
  const { page, violations } = await visit(app, '/search?q=dune', 'solution-search');
  // search.js fills in the count and app.css colours it: both are the page's own files under /static.
  await expect.poll(() => page.textContent('#result-count')).toBe('2 books found, €23 in all.');
  const colour = await page.evaluate(`getComputedStyle(document.getElementById('result-count')).color`);
  expect(colour, 'app.css should style the result count').toBe('rgb(0, 95, 115)');
  expect(violations, 'the page should load without any CSP violation').toEqual([]);
  await page.close();
}, 60_000);
