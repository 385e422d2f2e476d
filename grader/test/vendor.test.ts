import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { lessons } from '../src/registry/index.js';
import { APP_NODE_FLAGS, repoRoot } from '../src/paths.js';
import { lessonPackages, lessonVendor, linkVendor } from '../src/vendor.js';
import { SourceMapConsumer } from 'source-map-js';
import { readLineIndex, SourcePositions } from '../support/source-positions.js';

// The bundled packages (src/vendor.ts) must look to an app exactly like the packages in node_modules.

/** What `import * as ns from <specifier>` gives in a Node process started in the course's root. */
function namespaceShape(specifier: string): Record<string, string> {
  const script = `
    const ns = await import(${JSON.stringify(specifier)});
    const shape = {};
    for (const key of Object.keys(ns).sort()) shape[key] = typeof ns[key];
    process.stdout.write(JSON.stringify(shape));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '--eval', script], { cwd: repoRoot, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as Record<string, string>;
}

describe.each(lessons.map((lesson) => lesson.id))('%s bundle', (lesson) => {
  test('exports what each package exports from node_modules, name for name', async () => {
    const vendor = await lessonVendor(lesson);
    expect(vendor, 'the bundle could not be built').toBeDefined();
    const packages = lessonPackages(lesson);
    expect(packages).toContain('express');
    for (const name of packages) {
      const shim = pathToFileURL(path.join(vendor!, 'node_modules', name, 'index.js')).href;
      expect({ name, ...namespaceShape(shim) }).toEqual({ name, ...namespaceShape(name) });
    }
    // An app started as the grader starts apps runs on the code V8 compiled when the bundle was built.
    const loader = pathToFileURL(path.join(vendor!, '.vendor-loader.mjs')).href;
    const script = `const loader = await import(${JSON.stringify(loader)}); await loader.packages.p0(); process.stdout.write(String(loader.usedCompiledCode));`;
    const run = spawnSync(process.execPath, [...APP_NODE_FLAGS, '--input-type=module', '--eval', script], { encoding: 'utf8' });
    expect(run.stdout).toBe('true');
    // Read as Latin-1 by every app: a byte past ASCII would reach it as the wrong character.
    const bundle = readFileSync(path.join(vendor!, '.vendor.cjs'));
    expect(bundle.findIndex((byte) => byte > 0x7f), 'a byte past ASCII in the bundle').toBe(-1);
  }, 180_000); // the first test of an install builds the bundle
});

describe('which folders get the bundle', () => {
  // Made in beforeAll, not while collecting: a run whose filter skips these tests skips afterAll too.
  let root = '';
  beforeAll(() => void (root = mkdtempSync(path.join(os.tmpdir(), 'course-vendor-test-'))));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  async function linked(name: string, code: string): Promise<boolean> {
    const runDir = path.join(root, name, 'lesson');
    mkdirSync(path.join(runDir, 'src'), { recursive: true });
    writeFileSync(path.join(runDir, 'src', 'app.js'), code);
    writeFileSync(path.join(runDir, 'src', 'app.ts'), "import pino from 'pino';\n"); // sources are not read, only what runs
    const vendor = await lessonVendor('07-logging');
    const uses = await linkVendor(runDir, vendor);
    expect(existsSync(path.join(root, name, 'node_modules'))).toBe(uses);
    return uses;
  }

  test('a folder importing only the lesson’s packages, Node’s and its own files', async () => {
    const code = "import express from 'express';\nimport winston from 'winston';\nimport { readFile } from 'node:fs/promises';\nimport http from 'http';\nimport { x } from './x.js';\nconsole.log(import.meta.url);\n";
    expect(await linked('plain', code)).toBe(true);
  });

  test.each([
    ['a package the bundle lacks', "import pino from 'pino';\n"],
    ['a file inside a bundled package', "import Router from 'express/lib/router/index.js';\n"],
    ['import() of a computed name', "const name = 'express';\nawait import(name);\n"],
    ['require() through createRequire', "import { createRequire } from 'node:module';\nconst express = createRequire(import.meta.url)('express');\n"],
    ['require() in CommonJS', "module.exports = require('express');\n"],
  ])('not a folder with %s', async (_what, code) => {
    expect(await linked(_what.replace(/\W+/g, '-'), code)).toBe(false);
  });

  test('a folder that stops qualifying loses the bundle on the next build', async () => {
    expect(await linked('changes', "import express from 'express';\n")).toBe(true);
    expect(await linked('changes', "import pino from 'pino';\n")).toBe(false);
  });
});

test('the line index maps a position in the bundle where its whole source map does', async () => {
  const bundle = path.join((await lessonVendor('03-session-store'))!, '.vendor.cjs');
  const consumer = new SourceMapConsumer(JSON.parse(readFileSync(`${bundle}.map`, 'utf8')));
  const mapping = readLineIndex(bundle)!;
  const lines = readFileSync(bundle, 'latin1').split('\n');
  let compared = 0;
  // Every 13th line, at its start, at its first code, in its middle and past its end.
  for (let line = 1; line <= lines.length; line += 13) {
    const text = lines[line - 1]!;
    for (const column of new Set([0, text.search(/\S|$/), text.length >> 1, text.length + 5])) {
      let expected = consumer.originalPositionFor({ line, column });
      if (expected.line === null) expected = consumer.originalPositionFor({ line, column, bias: SourceMapConsumer.LEAST_UPPER_BOUND });
      const actual = mapping(line, column);
      if (expected.source === null || expected.line === null) expect(actual, `line ${line} column ${column}`).toBeUndefined();
      else expect(actual, `line ${line} column ${column}`).toEqual({ source: path.resolve(path.dirname(bundle), expected.source), line: expected.line, column: expected.column });
      compared++;
    }
  }
  expect(compared).toBeGreaterThan(10_000);
}, 120_000);

test('a stack frame inside the bundle is shown at its file in node_modules', async () => {
  const runDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'course-vendor-frames-')), 'lesson');
  try {
    mkdirSync(path.join(runDir, 'src'), { recursive: true });
    // serve-static throws from its own code when it is given no folder; a route's error passes through the router.
    writeFileSync(
      path.join(runDir, 'src', 'app.js'),
      [
        "import express from 'express';",
        "import { inspect } from 'node:util';",
        'try { express.static(); } catch (error) { console.error(error.stack); }',
        'const app = express();',
        "app.get('/', () => { throw new Error('from the route'); });",
        // Coloured as on a terminal: Node 20 loops forever on a frame of a file directly in node_modules.
        "app.use((error, req, res, next) => { console.error(error.stack); console.error(inspect(error, { colors: true })); console.error('inspected'); res.end(); server.close(); });",
        "const server = app.listen(0, () => fetch(`http://127.0.0.1:${server.address().port}/`));",
      ].join('\n'),
    );
    const vendor = await lessonVendor('01-error-handling');
    expect(await linkVendor(runDir, vendor)).toBe(true);
    // Started in a folder of its own, as the grader starts an app in the learner's folder, not the compiled copy's.
    const cwd = path.join(path.dirname(runDir), 'learner');
    mkdirSync(cwd);
    const { stderr } = spawnSync(process.execPath, [...APP_NODE_FLAGS, path.join(runDir, 'src', 'app.js')], { cwd, encoding: 'utf8', timeout: 30_000 });
    // Frames name the bundle where it is, on the code V8 compiled for it (which keeps the name it was compiled under).
    const frames = [...stderr.matchAll(/\(([^()\s]+\.vendor\.cjs):\d+:\d+\)/g)].map((match) => match[1]);
    expect(frames.length).toBeGreaterThan(2);
    expect(stderr).toContain('inspected');
    expect(new Set(frames)).toEqual(new Set([path.join(vendor!, '.vendor.cjs')]));
    const mapped = new SourcePositions(runDir).map(stderr);
    expect(mapped).toContain(`${path.join(repoRoot, 'node_modules', 'serve-static', 'index.js')}:`);
    expect(mapped).not.toMatch(/\.vendor\.cjs/);
  } finally {
    rmSync(path.dirname(runDir), { recursive: true, force: true });
  }
});
