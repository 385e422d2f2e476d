// Learner apps run from a compiled copy of their folder (grader/src/build.ts), so the stack traces
// they print name the copy's .js files. Node could map them back itself (--enable-source-maps), but
// then every process reads the source maps of every package it loads too: node-redis ships hundreds,
// 0.13 s of CPU in each process that imports it. The grader maps the few positions that appear in
// the output instead, when it reads the output. The same goes for the packages the grader bundles
// (src/vendor.ts): a frame in the bundle is shown at its file in node_modules.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { decode } from '@jridgewell/sourcemap-codec';
import { SourceMapConsumer } from 'source-map-js';
import { vendorCacheDir } from '../src/paths.js';

const INLINE_MAP = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/;
/** Beside a bundle: its line index (written by src/vendor.ts), read instead of its 3 to 5 MB source map. */
export const LINE_INDEX = '.lines.json';

export interface LineIndex {
  /** The bundled files, relative to the bundle's folder. */
  sources: string[];
  /** The source map's mappings. */
  mappings: string;
  /** Per generated line, four numbers: where it starts in `mappings`, then the source, line and column in force there. */
  lines: number[];
}

/** Where a position in compiled code comes from: a file, a line from 1, a column from 0. */
interface Original {
  source: string;
  line: number;
  column: number;
}
type Mapping = (line: number, column: number) => Original | undefined;

/** A bundle never changes once built (its folder is named after what went in): one index per grader. */
const vendorMappings = new Map<string, Mapping | undefined>();

/** Rewrites positions in a compiled copy, `<copy>/src/app.js:12:5`, to the learner's `src/app.ts:15:9`. */
export class SourcePositions {
  private readonly prefixes: string[];
  private readonly pattern: RegExp;
  private readonly mappings = new Map<string, Mapping | undefined>();

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
      const original = this.mapping(file)?.(Number(line), column ? Number(column) - 1 : 0);
      if (!original) return whole;
      return `${original.source}:${original.line}${column ? `:${original.column + 1}` : ''}`;
    });
  }

  private mapping(file: string): Mapping | undefined {
    const [mappings, read] = file.startsWith(vendorCacheDir + path.sep) ? [vendorMappings, readLineIndex] : [this.mappings, readInlineMap];
    if (!mappings.has(file)) mappings.set(file, read(file));
    return mappings.get(file);
  }
}

/** A learner's compiled file: its source map is inline, and small. */
function readInlineMap(file: string): Mapping | undefined {
  try {
    const inline = INLINE_MAP.exec(readFileSync(file, 'utf8'));
    if (!inline) return undefined;
    const consumer = new SourceMapConsumer(JSON.parse(Buffer.from(inline[1]!, 'base64').toString('utf8')));
    return (line, column) => {
      let original = consumer.originalPositionFor({ line, column });
      if (original.line === null) original = consumer.originalPositionFor({ line, column, bias: SourceMapConsumer.LEAST_UPPER_BOUND });
      if (original.source === null || original.line === null) return undefined;
      // The source is the absolute path the file was compiled from.
      return { source: path.resolve(path.dirname(file), original.source), line: original.line, column: original.column };
    };
  } catch {
    return undefined; // not a compiled file, or gone: the position stays as it was printed
  }
}

/**
 * A bundle of packages: only the frame's line of the mappings is decoded, from the position in force
 * where it starts. As source-map-js does: the segment at or before the column, else the first after it.
 */
export function readLineIndex(file: string): Mapping | undefined {
  let index: LineIndex;
  try {
    index = JSON.parse(readFileSync(`${file}${LINE_INDEX}`, 'utf8')) as LineIndex;
  } catch {
    return undefined; // gone: the position stays as it was printed
  }
  return (line, column) => {
    const at = (line - 1) * 4;
    if (line < 1 || at >= index.lines.length) return undefined;
    const [start, source, sourceLine, sourceColumn] = index.lines.slice(at, at + 4) as [number, number, number, number];
    const end = index.mappings.indexOf(';', start);
    const segments = decode(index.mappings.slice(start, end === -1 ? undefined : end))[0]!;
    const segment = segments.findLast((candidate) => candidate[0] <= column) ?? segments.find((candidate) => candidate[0] >= column);
    if (!segment || segment.length < 4) return undefined;
    // Decoded from the line alone, source, line and column count from zero: add what was in force.
    const bundled = index.sources[source + segment[1]!];
    if (bundled === undefined) return undefined;
    return { source: path.resolve(path.dirname(file), bundled), line: sourceLine + segment[2]! + 1, column: sourceColumn + segment[3]! };
  };
}
