#!/usr/bin/env node
// Lighthouse on the built site: the home page and a lesson page, mobile and desktop presets.
// Prints performance, accessibility, best-practices and SEO; targets: performance 90, accessibility 95.
//   npm --prefix site run audit              audits site/build (builds it first when missing)
//   node site/scripts/audit.mjs --build      rebuild first      --strict   exit 1 below the targets
// Uses Debian's Chromium (CHROME_PATH, else /usr/bin/chromium); never downloads a browser.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';
import { serveStatic } from './static-server.mjs';

const TARGETS = { performance: 90, accessibility: 95 };
const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];
const siteDir = fileURLToPath(new URL('../', import.meta.url));
const buildDir = path.join(siteDir, 'build');
const args = new Set(process.argv.slice(2));

const chromePath = [process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((file) => file && existsSync(file));
if (!chromePath) {
  console.error('No Chromium found. Install it (sudo apt-get install -y chromium) or set CHROME_PATH.');
  process.exit(2);
}

if (args.has('--build') || !existsSync(path.join(buildDir, 'index.html'))) {
  const docusaurus = path.join(siteDir, 'node_modules', '@docusaurus', 'core', 'bin', 'docusaurus.mjs');
  const build = spawnSync(process.execPath, [docusaurus, 'build'], { cwd: siteDir, stdio: 'inherit', env: { ...process.env, NO_UPDATE_NOTIFIER: '1' } });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const lessonPages = existsSync(path.join(buildDir, 'lessons'))
  ? readdirSync(path.join(buildDir, 'lessons')).filter((file) => /^\d\d-.*\.html$/.test(file)).sort()
  : [];
const routes = ['/', ...(lessonPages[0] ? [`/lessons/${lessonPages[0].replace(/\.html$/, '')}`] : [])];

const server = await serveStatic(buildDir);
const chrome = await chromeLauncher.launch({
  chromePath,
  chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
});

const rows = [];
// Lighthouse's mobile preset multiplies measured CPU time by 4: on a busy machine performance reads low.
const load = (await import('node:os')).loadavg()[0];
console.log(`Load average ${load.toFixed(1)} on ${(await import('node:os')).availableParallelism()} cores${load > 2 ? ': performance scores will read lower than on an idle machine' : ''}.`);
try {
  for (const [preset, config] of [
    ['mobile', undefined],
    ['desktop', desktopConfig],
  ]) {
    for (const route of routes) {
      const result = await lighthouse(`${server.url}${route}`, { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: CATEGORIES }, config);
      const scores = Object.fromEntries(CATEGORIES.map((id) => [id, Math.round((result.lhr.categories[id]?.score ?? 0) * 100)]));
      rows.push({ preset, route, ...scores });
      const failing = Object.values(result.lhr.audits).filter(
        (audit) => audit.score !== null && audit.score < 1 && audit.scoreDisplayMode === 'binary' && result.lhr.categories.accessibility.auditRefs.some((ref) => ref.id === audit.id),
      );
      for (const audit of failing) {
        console.log(`  ${preset} ${route}: accessibility: ${audit.title}`);
        for (const item of (audit.details?.items ?? []).slice(0, 4)) console.log(`      ${item.node?.snippet ?? ''} ${item.node?.explanation?.split('\n').at(-1) ?? ''}`);
      }
      const metric = (id) => result.lhr.audits[id]?.displayValue ?? '?';
      const lcp = result.lhr.audits['largest-contentful-paint-element']?.details?.items?.[0]?.items?.[0]?.node?.snippet;
      if (lcp) console.log(`  ${preset} ${route}: largest contentful paint: ${lcp.slice(0, 120)}`);
      rows.at(-1).metrics = `FCP ${metric('first-contentful-paint')}, LCP ${metric('largest-contentful-paint')}, TBT ${metric('total-blocking-time')}, CLS ${metric('cumulative-layout-shift')}`;
    }
  }
} finally {
  await chrome.kill();
  await server.close();
}

console.log('\npreset   page                          perf  a11y  best  seo');
for (const row of rows) {
  console.log(
    `${row.preset.padEnd(8)} ${row.route.padEnd(29)} ${String(row.performance).padStart(4)}  ${String(row.accessibility).padStart(4)}  ${String(row['best-practices']).padStart(4)}  ${String(row.seo).padStart(4)}   ${row.metrics}`,
  );
}
const below = rows.filter((row) => row.performance < TARGETS.performance || row.accessibility < TARGETS.accessibility);
console.log(
  below.length === 0
    ? `\nEvery page meets the targets (performance ≥ ${TARGETS.performance}, accessibility ≥ ${TARGETS.accessibility}).`
    : `\nBelow target (performance ≥ ${TARGETS.performance}, accessibility ≥ ${TARGETS.accessibility}): ${below.map((row) => `${row.preset} ${row.route}`).join(', ')}.`,
);
if (below.length > 0 && args.has('--strict')) process.exitCode = 1;
