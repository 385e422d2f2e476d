// Helpers for the site's browser tests: build the site against a given progress file, serve the build
// with a tiny static server, drive Debian's Chromium through playwright-core (never a downloaded browser).
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { graderDir, repoRoot } from '../../src/paths.js';

export const siteDir = path.join(repoRoot, 'site');
export const artifactsDir = path.join(graderDir, 'test-results', 'site');

const CHROMIUM_CANDIDATES = [process.env.CHROMIUM_PATH, process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** Debian's Chromium, or an error that says how to install it: the browser tests never skip silently. */
export function chromiumPath(): string {
  const found = CHROMIUM_CANDIDATES.find((candidate): candidate is string => Boolean(candidate && existsSync(candidate)));
  if (!found) {
    throw new Error(
      'The site tests need Chromium and found none at /usr/bin/chromium. Install it: sudo apt-get install -y chromium (or set CHROMIUM_PATH).',
    );
  }
  return found;
}

/** The site's own dependencies, or an error that says how to install them. */
export function assertSiteInstalled(): void {
  if (!existsSync(path.join(siteDir, 'node_modules', '@docusaurus', 'core'))) {
    throw new Error('The site is not installed: run `npm --prefix site ci` (or `node site/scripts/install.mjs`).');
  }
}

let offline: boolean | undefined;
/** Whether builds can run in a network namespace of their own (no network at all). */
export function canIsolateNetwork(): boolean {
  offline ??= process.platform === 'linux' && spawnSync('unshare', ['-rn', 'true']).status === 0;
  return offline;
}

/**
 * `docusaurus build` into outDir, showing progressFile. Runs without network: in an empty network
 * namespace where the kernel allows one, else with every proxy variable pointing at a closed port.
 */
export async function buildSite(outDir: string, progressFile: string): Promise<{ output: string; isolated: boolean }> {
  const docusaurus = path.join(siteDir, 'node_modules', '@docusaurus', 'core', 'bin', 'docusaurus.mjs');
  const command = [process.execPath, docusaurus, 'build', '--out-dir', outDir];
  const isolated = canIsolateNetwork();
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.homedir(),
    TMPDIR: os.tmpdir(),
    LANG: process.env.LANG ?? 'C.UTF-8',
    NO_UPDATE_NOTIFIER: '1',
    COURSE_PROGRESS_FILE: progressFile,
    ...(isolated ? {} : { HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '' }),
  };
  const [file, ...args] = isolated ? ['unshare', '-rn', ...command] : command;
  return new Promise((resolve, reject) => {
    const child = spawn(file!, args, { cwd: siteDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve({ output, isolated });
      else reject(new Error(`docusaurus build exited with ${code}:\n${output.slice(-4000)}`));
    });
  });
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.xml': 'application/xml',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Serves a static build the way a static host does (`/progress` → progress.html). */
export async function serveStatic(root: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const base = path.join(root, path.normalize(pathname).replace(/^(\.\.[/\\])+/, ''));
    const file = [base, `${base}.html`, path.join(base, 'index.html')].find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
    const status = file ? 200 : 404;
    const served = file ?? path.join(root, '404.html');
    res.writeHead(status, { 'Content-Type': TYPES[path.extname(served)] ?? 'application/octet-stream' });
    createReadStream(served).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Chromium with a fresh profile inside `parent` (the test's folder, removed after it closes Chromium), no background traffic, no sandbox (containers). */
export function launchBrowser(parent: string, options: { colorScheme?: 'light' | 'dark' } = {}): Promise<BrowserContext> {
  return chromium.launchPersistentContext(mkdtempSync(path.join(parent, 'chromium-')), {
    executablePath: chromiumPath(),
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
    colorScheme: options.colorScheme ?? 'light',
  });
}

export function artifact(name: string): string {
  mkdirSync(artifactsDir, { recursive: true });
  return path.join(artifactsDir, name);
}
