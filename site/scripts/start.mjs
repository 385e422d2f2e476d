#!/usr/bin/env node
// `npm start`: the grader's watch loop and the site's dev server together, in one terminal.
// - The grader re-grades the lesson you are editing on every save and writes .course/progress.json;
//   the open page follows it within a second (the site polls the dev server, which reads that file).
// - In a terminal the grader owns the screen and its keys (h hint, l list, r re-grade, q quit); the
//   site's few lines are prefixed [site]. Without a terminal both are prefixed, [grader] and [site].
// - Ctrl-C (or q) stops both. The browser opens on your current lesson: the first one not passed.
// Environment: COURSE_SITE_PORT (default 3210, the next free one if taken), COURSE_NO_OPEN=1.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { currentLessonId, loadRegistry, readProgress, repoRoot, siteDir } from '../plugins/course/data.mjs';
import { ensureSiteInstalled } from './install.mjs';

const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
const color = interactive && !process.env.NO_COLOR;
const tag = (name, code) => (color ? `\u001b[${code}m[${name}]\u001b[0m ` : `[${name}] `);
const SITE = tag('site', '36');
const GRADER = tag('grader', '35');

const children = new Set();
let stopping = false;

function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const child of children) kill(child);
  if (interactive) process.stdout.write('\u001b[?25h'); // the dev server's progress bar hides the cursor
  // Give the children a moment to clean up (the grader stops its apps), then leave.
  setTimeout(() => process.exit(code), 1500).unref();
}

function kill(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    // Detached children lead their own process group: signal the whole group.
    if (child.detached) process.kill(-child.pid, 'SIGTERM');
    else child.kill('SIGTERM');
  } catch {
    child.kill('SIGTERM');
  }
}

function prefixLines(stream, prefix, filter = () => true) {
  readline.createInterface({ input: stream }).on('line', (line) => {
    if (filter(line)) process.stdout.write(`${prefix}${line}\n`);
  });
}

function freePort(from) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(freePort(from + 1)));
    server.listen(from, 'localhost', () => server.close(() => resolve(from)));
  });
}

async function waitForHttp(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stopping) {
    try {
      const response = await fetch(url);
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

function openBrowser(url) {
  if (process.env.COURSE_NO_OPEN === '1' || process.env.CI) return false;
  const headlessLinux = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
  if (headlessLinux) return false;
  const [command, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  const opener = spawn(command, args, { stdio: 'ignore', detached: true });
  opener.on('error', () => console.log(`${SITE}Open ${url} in your browser.`));
  opener.unref();
  return true;
}

ensureSiteInstalled({ strict: true });

const port = await freePort(Number(process.env.COURSE_SITE_PORT ?? 3210));
const lessons = await loadRegistry();
const current = currentLessonId(lessons, readProgress());
const siteUrl = `http://localhost:${port}/`;
const lessonUrl = current ? `${siteUrl}lessons/${current}` : siteUrl;

// The grader: in a terminal it keeps stdin/stdout (its keys, its screen); otherwise prefixed.
const grader = spawn(process.execPath, [path.join(repoRoot, 'grader', 'bin', 'course.js'), 'watch'], {
  cwd: repoRoot,
  stdio: interactive ? 'inherit' : ['ignore', 'pipe', 'pipe'],
});
children.add(grader);
if (!interactive) {
  prefixLines(grader.stdout, GRADER);
  prefixLines(grader.stderr, GRADER);
}

function siteEnv() {
  const env = { ...process.env, NO_UPDATE_NOTIFIER: '1', BROWSER: 'none' };
  if (color) env.FORCE_COLOR = '1';
  else {
    delete env.FORCE_COLOR; // any value, even 0, turns colours on in Docusaurus's logger
    env.NO_COLOR = '1';
  }
  return env;
}

// The dev server, in its own process group so that a terminal Ctrl-C reaches it only through stop().
const docusaurus = path.join(siteDir, 'node_modules', '@docusaurus', 'core', 'bin', 'docusaurus.mjs');
const site = spawn(process.execPath, [docusaurus, 'start', '--no-open', '--host', 'localhost', '--port', String(port)], {
  cwd: siteDir,
  env: siteEnv(),
  stdio: ['ignore', 'pipe', 'pipe'],
  detached: process.platform !== 'win32',
});
children.add(site);
// Keep what a learner needs from Docusaurus: the address, compile results and errors.
const quiet = (line) => line.trim() !== '' && !/update available|npm i @docusaurus|^\s*│|^\s*[╭╰]/.test(line);
prefixLines(site.stdout, SITE, quiet);
prefixLines(site.stderr, SITE, quiet);

for (const [name, child] of [
  ['grader', grader],
  ['site', site],
]) {
  child.on('exit', (code, signal) => {
    if (stopping) return;
    if (name === 'grader' && (code === 0 || signal)) return stop(0); // q or Ctrl-C in the grader
    console.error(`${name === 'site' ? SITE : GRADER}stopped (${signal ?? `exit code ${code}`}); stopping the other one too.`);
    stop(code || 1);
  });
}

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
process.on('SIGHUP', () => stop(0));

if (await waitForHttp(siteUrl, 180_000)) {
  const opened = openBrowser(lessonUrl);
  process.stdout.write(`${SITE}${opened ? 'Opened' : 'Open'} ${lessonUrl}${opened ? '' : ' in your browser'}\n`);
}
