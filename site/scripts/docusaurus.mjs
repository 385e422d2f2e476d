#!/usr/bin/env node
// Runs the Docusaurus CLI the way this site needs it, from wherever it is called: inside site/ and with
// NO_UPDATE_NOTIFIER=1 (the notifier would reach for the network and nag about v4, which wants Node 24).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const siteDir = fileURLToPath(new URL('../', import.meta.url));
const cli = path.join(siteDir, 'node_modules', '@docusaurus', 'core', 'bin', 'docusaurus.mjs');
const child = spawn(process.execPath, [cli, ...process.argv.slice(2)], {
  cwd: siteDir,
  stdio: 'inherit',
  env: { ...process.env, NO_UPDATE_NOTIFIER: '1' },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
