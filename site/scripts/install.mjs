#!/usr/bin/env node
// Installs the site's own dependencies (site/package-lock.json) when they are missing or stale.
//   node site/scripts/install.mjs            from the root postinstall: never fails the root install
//   node site/scripts/install.mjs --strict   fail when the install fails (npm start, site:build)
// A learner or CI job that only grades sets COURSE_SKIP_SITE=1 and never downloads the site's packages.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const siteDir = fileURLToPath(new URL('../', import.meta.url));
const lockFile = path.join(siteDir, 'package-lock.json');
const stampFile = path.join(siteDir, 'node_modules', '.course-install-stamp');

// Variables npm sets for the root install (workspace, omit, global…) must not steer the site's own.
const KEEP_NPM = /^npm_config_(registry|cache|userconfig|globalconfig|proxy|https_proxy|noproxy|strict_ssl|cafile|offline|prefer_offline|prefer_online|fetch_retries)$/i;

function lockHash() {
  return createHash('sha256').update(readFileSync(lockFile)).digest('hex');
}

export function siteInstalled() {
  return existsSync(stampFile) && existsSync(path.join(siteDir, 'node_modules', '@docusaurus', 'core')) && readFileSync(stampFile, 'utf8').trim() === lockHash();
}

/** Runs `npm ci` in site/ unless it is up to date. Returns true when the site is ready. */
export function ensureSiteInstalled({ strict = false, quiet = false } = {}) {
  if (siteInstalled()) return true;
  const log = (text) => quiet || console.log(text);
  log('Installing the course website (site/, about 1500 packages, once; set COURSE_SKIP_SITE=1 to skip)…');
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) || KEEP_NPM.test(key)));
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = spawnSync(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: siteDir,
    env: { ...env, NO_UPDATE_NOTIFIER: '1' },
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (run.status === 0) {
    writeFileSync(stampFile, `${lockHash()}\n`);
    return true;
  }
  const message = `Could not install the website's packages (npm ci in site/ exited with ${run.status ?? run.signal}). Grading works without them; run \`npm --prefix site ci\` to retry.`;
  if (strict) throw new Error(message);
  console.warn(message);
  return false;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.env.COURSE_SKIP_SITE === '1' || process.env.COURSE_SKIP_SITE === 'true') {
    console.log('COURSE_SKIP_SITE is set: not installing the course website (site/).');
  } else {
    try {
      ensureSiteInstalled({ strict: process.argv.includes('--strict') });
    } catch (error) {
      console.error(error.message);
      process.exitCode = 1;
    }
  }
}
