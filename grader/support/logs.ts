// Structured log lines as the grader reads them. Any JSON logger is accepted: field names are
// normalised across winston ({ level: 'info', message, timestamp }), pino ({ level: 30, msg, time: epoch ms})
// and bunyan ({ level: 30, msg, time: ISO }), and access lines may use the names of pino-http,
// express-winston, morgan-through-a-logger or a hand-written middleware.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export type LevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** One line of output, parsed. */
export interface LogEntry {
  /** The line as written. */
  line: string;
  /** The parsed object, or undefined when the line is not a JSON object. */
  fields: Record<string, unknown> | undefined;
  /** Severity on the pino/bunyan scale: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal. */
  rank: number | undefined;
  level: LevelName | undefined;
  message: string | undefined;
  time: Date | undefined;
  /** How finely the timestamp was written, in ms: 1 for epoch ms or ISO with milliseconds, 1000 for whole seconds. */
  timePrecisionMs?: number;
}

/** What an access line says about its request. */
export interface AccessFields {
  method?: string;
  path?: string;
  status?: number;
  durationMs?: number;
  /** The duration as the line wrote it, for messages: `durationMs: 1824`, `"1.482 ms" in the message`. */
  duration?: string;
}

const LEVEL_RANKS: Record<string, number> = {
  trace: 10, silly: 10, debug: 20, verbose: 20, http: 25, info: 30, information: 30, notice: 35,
  warn: 40, warning: 40, error: 50, err: 50, crit: 60, critical: 60, alert: 60, emerg: 60, fatal: 60, panic: 60,
};
const LEVEL_NAMES: [number, LevelName][] = [[60, 'fatal'], [50, 'error'], [40, 'warn'], [30, 'info'], [20, 'debug'], [0, 'trace']];
const LEVEL_KEYS = ['level', 'severity', 'lvl', 'log.level'];
const MESSAGE_KEYS = ['message', 'msg'];
const TIME_KEYS = ['timestamp', 'time', '@timestamp', 'ts', 'date', 'datetime'];
const HTTP_METHODS = /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|TRACE|CONNECT)$/i;
const PATH_KEYS = new Set(['url', 'path', 'originalurl', 'uri', 'requesturl', 'request_url', 'requesturi', 'request_uri', 'target', 'url.path', 'url.original']);
const STATUS_KEYS = new Set(['status', 'statuscode', 'status_code']);
const DURATION_KEYS = new Set([
  'duration', 'durationms', 'duration_ms', 'responsetime', 'response_time', 'responsetimems', 'response_time_ms',
  'ms', 'elapsed', 'elapsedms', 'elapsed_ms', 'latency', 'latencyms', 'latency_ms', 'took', 'timems', 'time_ms',
]);
/** Duration keys in another unit than ms, with the milliseconds in one of it (ECS's event.duration is in ns). */
const DURATION_UNITS: Record<string, number> = {
  'event.duration': 1e-6, durationns: 1e-6, duration_ns: 1e-6, durationus: 1e-3, duration_us: 1e-3,
  duration_s: 1000, durationsec: 1000, duration_sec: 1000, durationseconds: 1000, duration_seconds: 1000,
  responsetimeseconds: 1000, response_time_seconds: 1000, elapsed_s: 1000, elapsedseconds: 1000,
};

/** A timestamp more than this far from now is a number that only looks like one. */
const PLAUSIBLE_MS = 24 * 60 * 60 * 1000;

/** The complete, non-blank lines of a stream (a trailing line still being written is left out). */
export function completeLines(text: string): string[] {
  const lines = text.split('\n');
  lines.pop();
  return lines.map((line) => line.replace(/\r$/, '')).filter((line) => line.trim() !== '');
}

export function parseLine(line: string): LogEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { line, fields: undefined, rank: undefined, level: undefined, message: undefined, time: undefined };
  }
  const fields = parsed as Record<string, unknown>;
  const rank = levelRank(first(fields, LEVEL_KEYS));
  const message = first(fields, MESSAGE_KEYS);
  return {
    line,
    fields,
    rank,
    level: rank === undefined ? undefined : LEVEL_NAMES.find(([floor]) => rank >= floor)![1],
    message: typeof message === 'string' ? message : undefined,
    time: parseTime(first(fields, TIME_KEYS)),
    timePrecisionMs: timePrecision(first(fields, TIME_KEYS)),
  };
}

export function parseLines(text: string): LogEntry[] {
  return completeLines(text).map(parseLine);
}

/** What keeps a line from being a structured log entry, or undefined when it is one. */
export function structureProblem(entry: LogEntry): string | undefined {
  if (!entry.fields) return 'is not a JSON object';
  const missing = [
    entry.rank === undefined && 'a level',
    entry.message === undefined && 'a message',
    entry.time === undefined && 'a parseable timestamp',
  ].filter(Boolean);
  return missing.length ? `lacks ${missing.join(' and ')}` : undefined;
}

/** Numbers 10..60 (pino, bunyan) or names (winston, syslog, upper or lower case). */
export function levelRank(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') return LEVEL_RANKS[value.trim().toLowerCase()];
  return undefined;
}

/** ISO strings and other Date.parse-able text, epoch milliseconds or epoch seconds; near now. */
export function parseTime(value: unknown): Date | undefined {
  let ms: number | undefined;
  if (typeof value === 'number' && Number.isFinite(value)) ms = value > 1e11 ? value : value * 1000;
  else if (typeof value === 'string' && /\d/.test(value)) ms = Date.parse(value);
  if (ms === undefined || Number.isNaN(ms) || Math.abs(ms - Date.now()) > PLAUSIBLE_MS) return undefined;
  return new Date(ms);
}

/**
 * Method, path, status and duration of an access line, wherever the logger put them: top level,
 * nested (req.method, res.statusCode, meta.req.url) or, for morgan-style lines, in the message
 * ("GET /books 200 12 - 1.234 ms").
 */
export function accessFields(entry: LogEntry): AccessFields {
  const found: AccessFields = {};
  if (!entry.fields) return found;
  // Shallow fields first, so `status` wins over some nested `status` in a body. Access fields are
  // never inside arrays: a line that also logs a list of a thousand records is read in the time of a
  // small one.
  for (const [keyPath, value] of leaves(entry.fields, false).sort((a, b) => a[0].length - b[0].length)) {
    const key = keyPath.at(-1)!.toLowerCase();
    const dotted = keyPath.slice(-2).join('.').toLowerCase();
    if (found.method === undefined && key === 'method' && typeof value === 'string' && HTTP_METHODS.test(value)) {
      found.method = value.toUpperCase();
    } else if (found.path === undefined && (PATH_KEYS.has(key) || PATH_KEYS.has(dotted)) && typeof value === 'string') {
      found.path = pathOf(value);
    } else if (found.status === undefined && STATUS_KEYS.has(key)) {
      const status = Number(value);
      if (Number.isInteger(status) && status >= 100 && status <= 599) found.status = status;
    } else if (found.durationMs === undefined && (DURATION_KEYS.has(key) || DURATION_UNITS[dotted] || DURATION_UNITS[key])) {
      const ms = durationOf(value, DURATION_UNITS[dotted] ?? DURATION_UNITS[key] ?? 1);
      if (ms !== undefined) [found.durationMs, found.duration] = [ms, `${keyPath.join('.')}: ${JSON.stringify(value)}`];
    }
  }
  const text = entry.message?.match(/\b(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)\s+(\S+)(?:\s+HTTP\/[\d.]+"?)?\s+(\d{3})\b(?:.*?(\d+(?:\.\d+)?)\s*ms\b)?/);
  if (text) {
    found.method ??= text[1];
    found.path ??= pathOf(text[2]!);
    found.status ??= Number(text[3]);
    if (text[4] !== undefined && found.durationMs === undefined) [found.durationMs, found.duration] = [Number(text[4]), `"${text[4]} ms" in the message`];
  }
  return found;
}

/** Every string anywhere in the entry (messages, stacks, nested error objects). */
export function stringsOf(entry: LogEntry): string[] {
  return entry.fields ? leaves(entry.fields).map(([, value]) => value).filter((value): value is string => typeof value === 'string') : [entry.line];
}

/** A V8 stack frame, as in "    at salesReport (/app/src/catalog.ts:35:9)". */
export const STACK_FRAME = /\n\s+at .+:\d+(:\d+)?\)?/;

export interface LogFile {
  name: string;
  text: string;
}

/** Every file directly in `dir` whose name ends in .log, read as text. */
export async function readLogFiles(dir: string): Promise<LogFile[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith('.log')).sort();
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(path.join(dir, name), 'utf8').catch(() => '') })));
}

/** Every file under `dir`, at any depth, read as text: for looking for things that must not be there. */
export async function readAllFiles(dir: string): Promise<LogFile[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
  return Promise.all(files.map(async (file) => ({ name: path.relative(dir, file), text: await readFile(file, 'utf8').catch(() => '') })));
}

/**
 * Polls until `read()` returns something truthy or `ms` pass; returns the last value. Log writes are
 * asynchronous (winston's File transport, pino's destinations), so a check never reads only once.
 */
export async function pollFor<T>(read: () => T | Promise<T>, ms = 2000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (value || Date.now() >= until) return value;
    await delay(40);
  }
}

/** Waits until `size()` has not changed for `quietMs` (at most `ms`): the app has finished writing. */
export async function settle(size: () => number | Promise<number>, quietMs = 250, ms = 1500): Promise<void> {
  const until = Date.now() + ms;
  let last = await size();
  let since = Date.now();
  while (Date.now() < until && Date.now() - since < quietMs) {
    await delay(40);
    const now = await size();
    if (now !== last) [last, since] = [now, Date.now()];
  }
}

function first(fields: Record<string, unknown>, keys: string[]): unknown {
  for (const key of keys) {
    if (fields[key] !== undefined) return fields[key];
    const [outer, inner] = key.split('.');
    if (inner) {
      const nested = fields[outer!];
      if (nested && typeof nested === 'object' && (nested as Record<string, unknown>)[inner] !== undefined) return (nested as Record<string, unknown>)[inner];
    }
  }
  return undefined;
}

/** Every value under `value` that is not an object, with its key path, five levels deep at most. */
function leaves(value: unknown, arrays = true, keyPath: string[] = []): [string[], unknown][] {
  if (value && typeof value === 'object' && keyPath.length < 5) {
    if (!arrays && Array.isArray(value)) return [];
    return Object.entries(value).flatMap(([key, inner]) => leaves(inner, arrays, [...keyPath, key]));
  }
  return keyPath.length ? [[keyPath, value]] : [];
}

function pathOf(url: string): string {
  try {
    return new URL(url, 'http://localhost').pathname;
  } catch {
    return url.split('?')[0]!;
  }
}

/** A duration in ms: a number in `unit` (ms in one unit of the field), or text such as "3.1ms" or "0.003 s". */
function durationOf(value: unknown, unit = 1): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * unit : undefined;
  if (typeof value !== 'string') return undefined;
  const match = value.trim().match(/^(\d+(?:\.\d+)?)\s*(ms|s)?$/i);
  if (!match) return undefined;
  return Number(match[1]) * (match[2] ? (match[2].toLowerCase() === 's' ? 1000 : 1) : unit);
}

/** How finely a timestamp was written, in ms: from its fraction of a second (none: whole seconds). */
function timePrecision(value: unknown): number | undefined {
  if (parseTime(value) === undefined) return undefined;
  const seconds = typeof value === 'number' && value <= 1e11;
  const text = String(value);
  const fraction = typeof value === 'number' ? text.split('.')[1] : text.match(/\d:\d\d[.,](\d+)/)?.[1];
  if (typeof value === 'number' && !seconds) return 1;
  return fraction ? Math.max(1, 1000 / 10 ** fraction.length) : 1000;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
