// Every app the grader starts loads the course's packages (express, node-redis, winston…) from
// node_modules: lesson 03's solution imports some 900 files, which each process finds, reads and
// compiles, and a lesson starts up to fifteen processes. Per lesson, the packages its solution uses
// are bundled into one file instead, once per install, with the code V8 compiled for them saved
// beside it (support/vendor-loader.mjs); the apps reach them through small packages of the same
// names placed between the app's folder and the course's node_modules.
//
// The learner's own files are never bundled: they run as compiled, module by module, so paths,
// import.meta.url and module order are exactly as in `npm run dev`. A folder is given the bundle
// only when everything it imports by name is a package of the bundle; anything else (a package the
// learner installed, a deep import, a computed import()) and the folder loads from node_modules as
// any Node app does. COURSE_BUNDLE_PACKAGES=0 turns the bundles off.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { decode } from '@jridgewell/sourcemap-codec';
import { build, version as esbuildVersion } from 'esbuild';
import { init as initLexer, parse as parseImports } from 'es-module-lexer';
import { APP_NODE_FLAGS, repoRoot, solutionsDir, vendorCacheDir } from './paths.js';
import { LINE_INDEX, type LineIndex } from '../support/source-positions.js';

/** Raised when the shape of what is built changes, so that old bundles are not used. */
const FORMAT = 6;
// Beside node_modules, not in it: Node 20's util.inspect(err, { colors: true }) loops forever on a
// stack frame of a file directly inside a node_modules folder (it looks for the package folder after
// it), so an app that logged errors that way hung whenever a frame was in the bundle (format 5).
const BUNDLE = '.vendor.cjs';
const LOADER = '.vendor-loader.mjs';
/** What the bundle's code is written between: a function of what Node gives a CommonJS module. */
const WRAPPER = ['(function (exports, require, module, __filename, __dirname) {', '})'] as const;
const vendorLoader = fileURLToPath(new URL('../support/vendor-loader.mjs', import.meta.url));
const courseManifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
/** The packages the course gives every app (the solutions use no others). */
const coursePackages = new Set(Object.keys(courseManifest.dependencies ?? {}));

/** The course's packages that a lesson's solution imports, sorted. */
export function lessonPackages(lesson: string): string[] {
  const found = new Set<string>();
  for (const file of sourceFiles(path.join(solutionsDir, lesson, 'src'), /\.ts$/)) {
    for (const [, name] of readFileSync(file, 'utf8').matchAll(/\bfrom\s+'([^'.][^']*)'/g)) {
      if (coursePackages.has(name!)) found.add(name!);
    }
  }
  return [...found].sort();
}

function sourceFiles(dir: string, pattern: RegExp): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => pattern.test(name) && !name.split(path.sep).includes('node_modules'))
    .map((name) => path.join(dir, name));
}

/**
 * The folder whose node_modules holds a lesson's bundle, built now when this install has none yet
 * (a few seconds, once). Undefined when the lesson uses no course package or the bundle cannot be
 * built: the apps then load from node_modules, as without it.
 */
export async function lessonVendor(lesson: string): Promise<string | undefined> {
  const packages = lessonPackages(lesson);
  if (packages.length === 0 || process.env.COURSE_BUNDLE_PACKAGES === '0') return undefined;
  const key = createHash('sha256')
    .update(JSON.stringify([FORMAT, esbuildVersion, process.version, packages, APP_NODE_FLAGS]))
    .update(readFileSync(vendorLoader))
    .update(readInstallState())
    .digest('hex')
    .slice(0, 16);
  // V8 takes compiled code only from its own version: each Node major keeps its own bundles.
  const dir = path.join(vendorCacheDir, `${lesson}-node${process.versions.node.split('.')[0]}-${key}`);
  const failed = `${dir}.failed`;
  if (existsSync(path.join(dir, BUNDLE))) return dir;
  if (existsSync(failed)) return undefined;
  try {
    await buildVendor(packages, dir);
    return dir;
  } catch (error) {
    // Tried once per install: the reason stays beside the bundles for whoever wonders why there is none.
    mkdirSync(vendorCacheDir, { recursive: true });
    writeFileSync(failed, `${(error as Error).stack ?? error}\n`);
    return undefined;
  }
}

/** What npm installed: any install, update or removal changes it. */
function readInstallState(): string {
  try {
    return readFileSync(path.join(repoRoot, 'node_modules', '.package-lock.json'), 'utf8');
  } catch {
    return readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8');
  }
}

async function buildVendor(packages: string[], dir: string): Promise<void> {
  // Built aside and renamed into place: a grader running at the same time sees all of it or none.
  const scratch = path.join(vendorCacheDir, `.building-${process.pid}-${randomBytes(4).toString('hex')}`);
  const modules = path.join(scratch, 'node_modules');
  mkdirSync(modules, { recursive: true });
  try {
    // import() keeps each package's code unevaluated until an app imports that package.
    const entry = packages.map((name, index) => `export const p${index} = () => import(${JSON.stringify(name)});`).join('\n');
    await build({
      stdin: { contents: entry, resolveDir: repoRoot, sourcefile: 'vendor-entry.mjs', loader: 'js' },
      outfile: path.join(scratch, BUNDLE),
      bundle: true,
      platform: 'node',
      // CommonJS, which V8 can run from the code it compiled before (support/vendor-loader.mjs). The
      // file holds its own wrapper, the function Node wraps a CommonJS file in, so that each app
      // compiles the string it read: wrapping it at run time made V8 copy the 2-3 MB once more in every
      // app (540 of the 6,460 page faults of a lesson 06 app that refuses to start). The source map
      // counts the wrapper's line.
      format: 'cjs',
      banner: { js: WRAPPER[0] },
      footer: { js: WRAPPER[1] },
      target: 'node20',
      logLevel: 'silent',
      // Indexed by line below (writeLineIndex), so that a stack frame in the bundle names its package's file.
      sourcemap: 'linked',
    });
    asciiOnly(path.join(scratch, BUNDLE));
    writeLineIndex(path.join(scratch, BUNDLE));
    copyFileSync(vendorLoader, path.join(scratch, LOADER));
    const names = exportNames(packages);
    for (const [index, name] of packages.entries()) {
      const exported = names[name]!;
      const bindings = exported.named.map((binding, at) => [binding, `_${at}`] as const);
      mkdirSync(path.join(modules, name), { recursive: true });
      writeFileSync(path.join(modules, name, 'package.json'), JSON.stringify({ name, private: true, type: 'module', exports: './index.js' }));
      writeFileSync(
        path.join(modules, name, 'index.js'),
        [
          `// ${name} as bundled by the grader (grader/src/vendor.ts), with the exports Node gives it.`,
          `import { packages } from '${path.relative(path.join(modules, name), path.join(scratch, LOADER)).split(path.sep).join('/')}';`,
          `const ns = await packages.p${index}();`,
          exported.hasDefault ? 'export default ns.default;' : '',
          exported.hasModuleExports ? 'const moduleExports = ns.default;\nexport { moduleExports as "module.exports" };' : '',
          bindings.length ? `const { ${bindings.map(([binding, local]) => `${JSON.stringify(binding)}: ${local}`).join(', ')} } = ns;` : '',
          bindings.length ? `export { ${bindings.map(([binding, local]) => `${local} as ${JSON.stringify(binding)}`).join(', ')} };` : '',
        ]
          .filter(Boolean)
          .join('\n') + '\n',
      );
    }
    try {
      renameSync(scratch, dir);
    } catch (error) {
      if (!existsSync(path.join(dir, BUNDLE))) throw error;
      return; // another grader's build won, and makes the compiled code
    }
    // Made in place: V8 keeps the file name the code was compiled under, and stack frames show it.
    saveCompiledCode(dir, packages.length);
    pruneOthers(dir);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Makes the bundle pure ASCII, so that every app reads it as Latin-1 into a one-byte string: a 3 MB
 * bundle decoded as UTF-8 cost each app about 10 ms, as Latin-1 about 2 ms. esbuild already escapes
 * non-ASCII characters in strings, templates, regular expressions and names (its default charset), so
 * what is left is in comments; each UTF-16 unit there becomes a '?', which keeps every position that
 * the source map and stack traces point at.
 */
function asciiOnly(file: string): void {
  writeFileSync(file, readFileSync(file, 'utf8').replace(/[^\x00-\x7f]/g, '?'));
}

/**
 * Writes, beside the bundle, where each of its lines starts in its source map's mappings and the
 * source position in force there, so that the grader maps a stack frame in the bundle by decoding
 * that one line (support/source-positions.ts). Reading the whole map instead cost 0.4 to 0.6 s of
 * CPU per bundle, the first time an app's output showed a frame in it.
 */
function writeLineIndex(bundle: string): void {
  const map = JSON.parse(readFileSync(`${bundle}.map`, 'utf8')) as { sources: string[]; sourceRoot?: string; mappings: string };
  const lines = map.mappings.split(';');
  const index: LineIndex = {
    sources: map.sources.map((source) => path.join(map.sourceRoot ?? '', source)),
    mappings: map.mappings,
    lines: [],
  };
  // Source, line and column carry over from one line's segments to the next (generated columns do not).
  let [source, line, column] = [0, 0, 0];
  let start = 0;
  for (const [at, segments] of decode(map.mappings).entries()) {
    index.lines.push(start, source, line, column);
    start += lines[at]!.length + 1;
    const last = segments.findLast((segment) => segment.length >= 4);
    if (last) [, source, line, column] = last as [number, number, number, number];
  }
  writeFileSync(`${bundle}${LINE_INDEX}`, JSON.stringify(index));
}

/**
 * Evaluates every package of the bundle in a process started as the grader starts apps (V8 only
 * takes compiled code made under the same flags), and saves the code V8 compiled meanwhile.
 */
function saveCompiledCode(dir: string, count: number): void {
  const script = `
    const loader = await import(${JSON.stringify(pathToFileURL(path.join(dir, LOADER)).href)});
    for (let index = 0; index < ${count}; index++) await loader.packages['p' + index]();
    loader.saveCompiledCode();`;
  runInCourse(script, APP_NODE_FLAGS, 'could not evaluate the bundle');
}

interface PackageExports {
  named: string[];
  hasDefault: boolean;
  /** Node 23 and later also give a CommonJS package's exports object under the name "module.exports". */
  hasModuleExports: boolean;
}

/**
 * The names each package exports when an app imports it, as Node itself sees them (for a CommonJS
 * package, the names its static analysis finds): asked of a Node process in the course's root, so
 * that packages resolve as they do for the apps and their code never runs in the grader.
 */
function exportNames(packages: string[]): Record<string, PackageExports> {
  const script = `
    const names = {};
    for (const name of ${JSON.stringify(packages)}) {
      const ns = await import(name);
      names[name] = { named: Object.keys(ns).filter((key) => key !== 'default' && key !== 'module.exports'), hasDefault: 'default' in ns, hasModuleExports: 'module.exports' in ns };
    }
    process.stdout.write(JSON.stringify(names));`;
  return JSON.parse(runInCourse(script, [], "could not list the packages' exports")) as Record<string, PackageExports>;
}

/** Runs an ES module script in a Node process in the course's root; returns what it printed. Slow on a busy machine: two minutes. */
function runInCourse(script: string, flags: string[], failure: string): string {
  const run = spawnSync(process.execPath, [...flags, '--input-type=module', '--eval', script], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) throw new Error(`${failure}: ${run.stderr || run.error?.message || `exit ${run.status ?? run.signal}`}`);
  return run.stdout;
}

/** Removes the bundles of earlier installs for the same lesson and Node major. */
function pruneOthers(dir: string): void {
  const kind = path.basename(dir).replace(/-[0-9a-f]{16}$/, '');
  for (const name of readdirSync(vendorCacheDir)) {
    if (name !== path.basename(dir) && name.replace(/-[0-9a-f]{16}(\.failed)?$/, '') === kind) rmSync(path.join(vendorCacheDir, name), { recursive: true, force: true });
  }
}

/**
 * Gives the compiled folder `runDir` the lesson's bundle, or takes it away, by placing or removing
 * `node_modules` in the folder above it (Node looks there after the folder's own node_modules, a
 * learner's installs, and before the course's). Returns whether the folder uses the bundle.
 */
export async function linkVendor(runDir: string, vendor: string | undefined): Promise<boolean> {
  const link = path.join(path.dirname(runDir), 'node_modules');
  rmSync(link, { force: true });
  if (!vendor || !(await importsOnly(runDir, new Set(readdirSync(path.join(vendor, 'node_modules')).filter((name) => !name.startsWith('.')))))) return false;
  symlinkSync(path.join(vendor, 'node_modules'), link, 'junction');
  return true;
}

/** Whether every module the folder's compiled JavaScript imports by name is one of `packages` or built into Node. */
async function importsOnly(runDir: string, packages: Set<string>): Promise<boolean> {
  await initLexer;
  for (const file of sourceFiles(runDir, /\.[cm]?js$/)) {
    const code = readFileSync(file, 'utf8');
    // require() (through createRequire, or in a CommonJS file) would load a second copy of a bundled package.
    if (/\brequire\s*\(|createRequire/.test(code)) return false;
    let imports;
    try {
      [imports] = parseImports(code);
    } catch {
      return false;
    }
    for (const { n: name, d: dynamic } of imports) {
      if (dynamic === -2) continue; // import.meta
      if (name === undefined) return false; // import() of a computed name
      if (name.startsWith('.') || name.startsWith('/') || name.startsWith('node:') || name.startsWith('file:')) continue;
      if (!packages.has(name) && !isBuiltin(name)) return false;
    }
  }
  return true;
}
