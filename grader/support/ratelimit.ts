// Reading rate-limit responses: whatever header format a limiter speaks, what it says about time.
//
//   Retry-After: 899                                   (seconds, or an HTTP date)
//   RateLimit-Limit: 100 / -Remaining: 0 / -Reset: 899 (draft 6: Reset is seconds from now)
//   RateLimit: limit=100, remaining=0, reset=899       (draft 7)
//   RateLimit: "api"; r=0; t=899                       (draft 8; one item per limiter)
//   RateLimit-Policy: 100;w=900  or  "api"; q=100; w=900
//   X-RateLimit-Reset: 1767225600                      (legacy: usually a Unix time, sometimes seconds or a date)
import type { Client, RawReply, Reply, RequestOptions } from './http.js';
import { header } from './http.js';
import { fail } from './expect.js';

export interface TimeStatement {
  /** The header, lower case, as it came. */
  header: string;
  value: string;
  /** Seconds: until the limit resets ('wait') or the length of the window ('window'). */
  seconds: number;
  meaning: 'wait' | 'window';
}

/**
 * The forms of an HTTP-date (RFC 9110, 5.6.7): IMF-fixdate, and the two obsolete ones a recipient must
 * accept (RFC 850, asctime). Date.parse() reads much more (ISO 8601, for one), which HTTP clients ignore.
 */
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const HTTP_DATE = new RegExp(
  `^(?:${DAY}, \\d{2} ${MONTH} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT|${LONG_DAY}, \\d{2}-${MONTH}-\\d{2} \\d{2}:\\d{2}:\\d{2} GMT|${DAY} ${MONTH} [ \\d]\\d \\d{2}:\\d{2}:\\d{2} \\d{4})$`,
);

/** Whether a Retry-After value has one of the header's two forms: delay-seconds or an HTTP-date. */
export const retryAfterReadable = (value: string) => /^\d+$/.test(value.trim()) || HTTP_DATE.test(value.trim());

/** Retry-After in seconds from now, or undefined when absent or not in either of its forms (seconds, HTTP-date). */
export function retryAfterSeconds(reply: Reply | RawReply, now = replyTime(reply)): number | undefined {
  const value = header(reply, 'retry-after')?.trim();
  if (!value || !retryAfterReadable(value)) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  // RFC 850's two-digit year: Date.parse reads 26 as 2026 (RFC 9110 says: within 50 years ahead).
  const date = Date.parse(value.includes('-') ? value.replace(/^\w+, /, '').replace(/-/g, ' ') : `${value.replace(/^\w+ /, '')}`.replace(/^(\w+) +(\d+) (\S+) (\d{4})$/, '$1 $2 $4 $3 GMT'));
  return Number.isNaN(date) ? undefined : Math.round((date - now) / 1000);
}

/** Everything the reply says about time, in any known format. Retry-After comes first. */
export function timeStatements(reply: Reply | RawReply, now = replyTime(reply)): TimeStatement[] {
  const found: TimeStatement[] = [];
  const add = (name: string, seconds: number | undefined, meaning: TimeStatement['meaning']) => {
    const value = header(reply, name);
    if (value !== undefined && seconds !== undefined && Number.isFinite(seconds)) found.push({ header: name, value, seconds, meaning });
  };

  add('retry-after', retryAfterSeconds(reply, now), 'wait');
  add('ratelimit-reset', resetSeconds(header(reply, 'ratelimit-reset'), now), 'wait');
  add('x-ratelimit-reset', resetSeconds(header(reply, 'x-ratelimit-reset'), now), 'wait');
  for (const seconds of parameters(header(reply, 'ratelimit'), ['reset', 't'])) add('ratelimit', seconds, 'wait');
  for (const seconds of parameters(header(reply, 'ratelimit-policy'), ['w'])) add('ratelimit-policy', seconds, 'window');
  for (const seconds of parameters(header(reply, 'x-ratelimit-policy'), ['w'])) add('x-ratelimit-policy', seconds, 'window');
  return found;
}

/** The same statements as one readable phrase, e.g. `Retry-After: 15, RateLimit-Policy: 5;w=15`. */
export function describeTimes(statements: readonly TimeStatement[]): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const { header: name, value } of statements) {
    if (seen.has(name)) continue;
    seen.add(name);
    parts.push(`${name.replace(/(^|-)(\w)/g, (_, dash: string, letter: string) => dash + letter.toUpperCase()).replace('Ratelimit', 'RateLimit')}: ${value}`);
  }
  return parts.join(', ');
}

/** Values of `name=<integer>` parameters in a structured header (draft 7 or draft 8, one or more items). */
function parameters(value: string | undefined, names: string[]): number[] {
  if (!value) return [];
  const pattern = new RegExp(`(?:^|[;,\\s])(?:${names.join('|')})\\s*=\\s*(\\d+)`, 'gi');
  return [...value.matchAll(pattern)].map((match) => Number(match[1]));
}

/** A reset header as seconds from now: a delta, a Unix time in seconds or milliseconds, or a date. */
function resetSeconds(value: string | undefined, now: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) {
    const number = Number(text);
    if (number > 1e12) return Math.round((number - now) / 1000);
    if (number > 1e9) return Math.round(number - now / 1000);
    return number;
  }
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.round((date - now) / 1000);
}

// The app runs on this machine: our clock is its clock, and finer than the Date header's seconds.
function replyTime(_reply: Reply | RawReply): number {
  return Date.now();
}

export interface SentSpec {
  method: string;
  path: string;
  options?: RequestOptions;
}

/**
 * Sends `count` requests, in small parallel batches over keep-alive connections, and returns every
 * reply in order. Within a batch the requests are independent; batches run one after another, so a
 * later batch is counted after an earlier one.
 */
export async function burst(client: Client, count: number, spec: (index: number) => SentSpec, batch = 10): Promise<RawReply[]> {
  const replies: RawReply[] = [];
  for (let start = 0; start < count; start += batch) {
    const size = Math.min(batch, count - start);
    const sent = Array.from({ length: size }, (_, offset) => {
      const { method, path, options } = spec(start + offset);
      return client.raw(method, path, options);
    });
    replies.push(...(await Promise.all(sent)));
  }
  return replies;
}

/**
 * Fails on the first reply whose status is not `expected`, saying which one of how many it was.
 * `tooStrict` is added when that reply was a 429: a limit that bites too early.
 */
export function expectAll(replies: readonly RawReply[], expected: number, what: string, tooStrict = ''): void {
  const index = replies.findIndex((reply) => reply.status !== expected);
  if (index < 0) return;
  const reply = replies[index]!;
  const which = `${reply.request.method} ${reply.request.path}`;
  const advice = reply.status === 429 && tooStrict ? ` ${tooStrict}` : '';
  fail(`Expected ${what} to answer ${expected}, got ${reply.status} on request ${index + 1} of ${replies.length} (${which}).${advice}`);
}
