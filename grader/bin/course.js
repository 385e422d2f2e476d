#!/usr/bin/env node
// The `course` command. The CLI is TypeScript that contributors never build: a start bundles src/
// into one module with esbuild (~70 ms) and runs that, or runs the bundle an earlier start made when
// none of the files in it has changed since. Running it through a TypeScript loader hook instead
// would send every import, vitest's and vite's included, through the hook: a second more per
// command. Where the bundle cannot be written, the hook is the fallback.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const entry = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
// Inside the grader package, so that the bundle resolves its packages as src/ does.
const graderDir = fileURLToPath(new URL('..', import.meta.url));
const cacheDir = path.join(graderDir, '.cache/');
/** The newest bundle and the size and time of change of every file in it, as they were bundled. */
const inputsFile = `${cacheDir}bundle-inputs.json`;

const stamp = (file) => {
  const { size, mtimeMs } = statSync(file);
  return `${size}:${mtimeMs}`;
};

/** The newest bundle, if none of its files has changed since it was made. */
function unchangedBundle() {
  try {
    const { bundle, inputs } = JSON.parse(readFileSync(inputsFile, 'utf8'));
    if (Object.entries(inputs).some(([file, was]) => stamp(file) !== was)) return undefined;
    statSync(bundle);
    return bundle;
  } catch {
    return undefined; // none yet, or a file of it is gone
  }
}

async function bundle() {
  const started = Date.now();
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    write: false,
    metafile: true,
    absWorkingDir: graderDir, // metafile paths are relative to it
    outdir: cacheDir,
    logLevel: 'silent',
    // Each file keeps its own import.meta.url, so paths computed from it are the same as unbundled.
    plugins: [
      {
        name: 'keep-import-meta-url',
        setup(build) {
          build.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => ({
            contents: readFileSync(args.path, 'utf8').replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
            loader: /\.[cm]?ts$/.test(args.path) ? 'ts' : 'js',
          }));
        },
      },
    ],
  });
  const code = result.outputFiles[0].contents;
  const file = `${cacheDir}cli-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`;
  mkdirSync(cacheDir, { recursive: true });
  try {
    statSync(file);
  } catch {
    writeWhole(file, code);
    pruneOldBundles(file);
  }
  const files = Object.keys(result.metafile.inputs).map((input) => path.resolve(graderDir, input));
  // A file saved while esbuild read it may be in the bundle as it was before: the next start bundles again.
  if (files.every((input) => statSync(input).mtimeMs < started)) {
    writeWhole(inputsFile, JSON.stringify({ bundle: file, inputs: Object.fromEntries(files.map((input) => [input, stamp(input)])) }));
  }
  return file;
}

/** Another course command may be writing the same file: each writes its own copy, then renames it. */
function writeWhole(file, contents) {
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, contents);
  renameSync(partial, file);
}

/** Bundles of an earlier src/, left over after a contributor's edit, once no command can still be loading them. */
function pruneOldBundles(current) {
  const hourAgo = Date.now() - 3_600_000;
  for (const name of readdirSync(cacheDir)) {
    const file = cacheDir + name;
    const modified = statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? Date.now(); // another command may have removed it
    if (file !== current && name.startsWith('cli-') && modified < hourAgo) rmSync(file, { force: true });
  }
}

// Node 22.1 and later keep what V8 compiled for the grader's modules (vitest and vite are megabytes of
// JavaScript) from one run to the next; vitest's worker threads take the setting from the environment.
// Node 20 has no such cache and compiles them each time.
const compileCache = module.enableCompileCache?.(`${cacheDir}node-compile`);
if (compileCache?.directory) process.env.NODE_COMPILE_CACHE = compileCache.directory;

let bundled;
try {
  bundled = unchangedBundle() ?? (await bundle());
} catch {
  // A read-only checkout, or a build error: tsx runs the sources and reports any error in them.
}
// A grader that cannot load or run its own code (a source file saved half-edited, a TransformError) has
// judged nothing: exit 2, "could not judge", never 1, which a learner reads as a fail.
try {
  if (bundled) {
    process.setSourceMapsEnabled(true);
    await import(pathToFileURL(bundled).href);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import('../src/cli.ts');
  }
} catch (error) {
  console.error(error);
  console.error('The grader could not run (its own error, not your app\'s): exit 2, could not judge.');
  process.exitCode = 2;
}
