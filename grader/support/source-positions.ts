// Learner apps run from a compiled copy of their folder (grader/src/build.ts), so the stack traces
// they print name the copy's .js files. Node could map them back itself (--enable-source-maps), but
// then every process reads the source maps of every package it loads too: node-redis ships hundreds,
// 0.13 s of CPU in each process that imports it. The grader maps the few positions that appear in
// the output instead, when it reads the output. The same goes for the packages the grader bundles
// (src/vendor.ts): a frame in the bundle is shown at its file in node_modules.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SourceMapConsumer } from 'source-map-js';
import { vendorCacheDir } from '../src/paths.js';

const INLINE_MAP = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/;
const LINKED_MAP = /\/\/# sourceMappingURL=([^\s]+\.map)\s*$/;
/** A bundle never changes once built (its folder is named after what went in): one map per grader. */
const vendorMaps = new Map<string, SourceMapConsumer | undefined>();

/** Rewrites positions in a compiled copy, `<copy>/src/app.js:12:5`, to the learner's `src/app.ts:15:9`. */
export class SourcePositions {
  private readonly prefixes: string[];
  private readonly pattern: RegExp;
  private readonly maps = new Map<string, SourceMapConsumer | undefined>();

  constructor(compiledDir: string) {
    this.prefixes = [compiledDir, vendorCacheDir].flatMap((dir) => [pathToFileURL(dir).href + '/', dir + path.sep]);
    const escaped = this.prefixes.map((prefix) => prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    // A stack frame has line and column; the header Node prints above an uncaught error's code, a line.
    this.pattern = new RegExp(`(${escaped.join('|')})([^\\s:()'"]+?\\.[cm]?js):(\\d+)(?::(\\d+))?`, 'g');
  }

  map(text: string): string {
    if (!this.prefixes.some((prefix) => text.includes(prefix))) return text;
    return text.replace(this.pattern, (whole, prefix: string, relative: string, line: string, column?: string) => {
      const file = prefix.startsWith('file:') ? fileURLToPath(prefix + relative) : prefix + relative;
      const consumer = this.consumer(file);
      if (!consumer) return whole;
      const at = { line: Number(line), column: column ? Number(column) - 1 : 0 };
      let original = consumer.originalPositionFor(at);
      if (original.line === null) original = consumer.originalPositionFor({ ...at, bias: SourceMapConsumer.LEAST_UPPER_BOUND });
      if (original.source === null || original.line === null) return whole;
      // A learner file's source is the absolute path it was compiled from; a bundle's, relative to the bundle.
      return `${path.resolve(path.dirname(file), original.source)}:${original.line}${column ? `:${original.column + 1}` : ''}`;
    });
  }

  private consumer(file: string): SourceMapConsumer | undefined {
    const maps = file.startsWith(vendorCacheDir + path.sep) ? vendorMaps : this.maps;
    if (!maps.has(file)) maps.set(file, readMap(file));
    return maps.get(file);
  }
}

function readMap(file: string): SourceMapConsumer | undefined {
  try {
    const code = readFileSync(file, 'utf8');
    const inline = INLINE_MAP.exec(code);
    if (inline) return new SourceMapConsumer(JSON.parse(Buffer.from(inline[1]!, 'base64').toString('utf8')));
    const linked = LINKED_MAP.exec(code);
    if (linked) return new SourceMapConsumer(JSON.parse(readFileSync(path.resolve(path.dirname(file), linked[1]!), 'utf8')));
  } catch {
    // not a compiled file, or gone: the position stays as it was printed
  }
  return undefined;
}
