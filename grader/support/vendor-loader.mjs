// Copied beside each lesson's bundle of packages (grader/src/vendor.ts) as .vendor-loader.mjs, and
// imported by the packages' stand-ins there. It runs the bundle with the code V8 compiled for it when
// the bundle was built, so that an app the grader starts skips most of the parsing and compiling of
// its packages. Without that code (another Node version, a file gone) V8 compiles as usual.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const file = fileURLToPath(new URL('./.vendor.cjs', import.meta.url));
const compiledFile = `${file}.v8`;
let cachedData;
try {
  cachedData = readFileSync(compiledFile);
} catch {
  // not made yet (the build makes it), or not readable: compile from source
}
// The bundle is CommonJS, written inside the function wrapper Node would add (grader/src/vendor.ts),
// so that it is compiled as read and positions in its stack frames are the file's own. It is pure
// ASCII: read as Latin-1, it needs no UTF-8 decoding.
const script = new vm.Script(readFileSync(file, 'latin1'), {
  filename: file,
  cachedData,
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(file), module, file, path.dirname(file));

/** One function per package, `p0`, `p1`…, that evaluates the package and resolves to its exports. */
export const packages = module.exports;
/** Whether this process ran on the compiled code saved with the bundle. */
export const usedCompiledCode = cachedData !== undefined && !script.cachedDataRejected;

/** For the build: saves what V8 compiled so far, once every package has been evaluated. */
export function saveCompiledCode() {
  // Renamed into place: an app starting meanwhile reads all of it or none.
  writeFileSync(`${compiledFile}.${process.pid}`, script.createCachedData());
  renameSync(`${compiledFile}.${process.pid}`, compiledFile);
}
