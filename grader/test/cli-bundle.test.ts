// bin/course.js runs src/ from a bundle it makes with esbuild, and reuses that bundle while none of
// its files has changed: a contributor's edit must show in the very next command.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { graderDir, repoRoot } from '../src/paths.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'course-cli-bundle-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

test('the course command runs src/ as it is now, and bundles again only after an edit', () => {
  // A checkout of the grader of its own (the bundle goes into its .cache), using the course's packages.
  const grader = path.join(work, 'grader');
  for (const part of ['bin', 'src', 'support', 'package.json']) cpSync(path.join(graderDir, part), path.join(grader, part), { recursive: true });
  cpSync(path.join(repoRoot, 'package.json'), path.join(work, 'package.json'));
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(work, 'node_modules'), 'junction');
  const help = () => {
    const run = spawnSync(process.execPath, [path.join(grader, 'bin', 'course.js'), '--help'], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    return run.stdout;
  };
  const bundles = () => readdirSync(path.join(grader, '.cache')).filter((name) => /^cli-.*\.mjs$/.test(name));
  const inputs = path.join(grader, '.cache', 'bundle-inputs.json');
  const cli = path.join(grader, 'src', 'cli.ts');
  const description = 'grade lessons (all by default)';

  expect(help()).toContain(description);
  const first = { bundles: bundles(), written: statSync(inputs).mtimeMs };
  expect(first.bundles).toHaveLength(1);
  expect(Object.keys(JSON.parse(readFileSync(inputs, 'utf8')).inputs)).toContain(cli);

  expect(help()).toContain(description);
  expect({ bundles: bundles(), written: statSync(inputs).mtimeMs }).toEqual(first);

  // An edit that keeps the file's size, then one that does not.
  writeFileSync(cli, readFileSync(cli, 'utf8').replace(description, description.toUpperCase()));
  expect(help()).toContain(description.toUpperCase());
  writeFileSync(cli, readFileSync(cli, 'utf8').replace(description.toUpperCase(), 'grade some lessons, edited'));
  expect(help()).toContain('grade some lessons, edited');
  expect(bundles()).toHaveLength(3);
}, 60_000);
