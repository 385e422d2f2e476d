import setCookieParser from 'set-cookie-parser';
import { header, type RawReply, type Reply } from './http.js';

/** One Set-Cookie header, parsed. */
export type SetCookie = setCookieParser.Cookie;

/** Every Set-Cookie header of a reply, parsed (values left as sent, not URL-decoded). */
export function setCookies(reply: Reply | RawReply): SetCookie[] {
  const raw = reply.headers['set-cookie'];
  if (!raw) return [];
  return setCookieParser.parse(raw, { decodeValues: false });
}

/** The raw Set-Cookie header lines of a reply, for messages. */
export function setCookieLines(reply: Reply | RawReply): string[] {
  const raw = reply.headers['set-cookie'];
  return raw ? [raw].flat() : [];
}

/** True when this Set-Cookie removes the cookie (Max-Age <= 0 or an Expires in the past). */
export function isDeletion(cookie: SetCookie, now = Date.now()): boolean {
  if (cookie.maxAge !== undefined) return cookie.maxAge <= 0;
  return cookie.expires !== undefined && cookie.expires.getTime() <= now;
}

/**
 * How long the cookie lives, in seconds, from the reply's own clock (its Date header) when it has
 * one. Max-Age wins over Expires, as in browsers. Undefined for a cookie that lasts until the
 * browser closes (which in practice can be weeks: browsers restore sessions).
 */
export function lifetimeSeconds(cookie: SetCookie, reply?: Reply | RawReply): number | undefined {
  if (cookie.maxAge !== undefined) return cookie.maxAge;
  if (!cookie.expires) return undefined;
  const date = reply && header(reply, 'date');
  const now = date ? Date.parse(date) : Date.now();
  return Math.round((cookie.expires.getTime() - (Number.isNaN(now) ? Date.now() : now)) / 1000);
}

/** The attributes of a Set-Cookie as one short line, for messages: `sid (HttpOnly; SameSite=Lax)`. */
export function describeCookie(cookie: SetCookie): string {
  const flags = [
    cookie.httpOnly && 'HttpOnly',
    cookie.secure && 'Secure',
    cookie.sameSite && `SameSite=${cookie.sameSite}`,
    cookie.maxAge !== undefined && `Max-Age=${cookie.maxAge}`,
    cookie.expires && `Expires=${cookie.expires.toUTCString()}`,
    cookie.path && `Path=${cookie.path}`,
  ].filter(Boolean);
  return `${cookie.name} (${flags.length ? flags.join('; ') : 'no attributes'})`;
}

/**
 * A browser's cookie store, reduced to what checks need: one host, no paths or domains. Feed it
 * every reply; it sends back what it holds, and forgets cookies the app deletes.
 */
export class CookieJar {
  private cookies = new Map<string, string>();

  constructor(initial?: Record<string, string>) {
    for (const [name, value] of Object.entries(initial ?? {})) this.cookies.set(name, value);
  }

  /** Remembers the reply's Set-Cookie headers. Returns them, parsed. */
  update(reply: Reply | RawReply): SetCookie[] {
    const parsed = setCookies(reply);
    for (const cookie of parsed) {
      if (isDeletion(cookie)) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    return parsed;
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  set(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  get size(): number {
    return this.cookies.size;
  }

  /** The Cookie request header this jar would send, or undefined when it is empty. */
  header(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** Headers to spread into a request: `{ Cookie: … }`, or nothing when the jar is empty. */
  headers(): Record<string, string> {
    const cookie = this.header();
    return cookie ? { Cookie: cookie } : {};
  }

  /** A copy that evolves separately: another browser that stole or kept these cookies. */
  clone(): CookieJar {
    return new CookieJar(Object.fromEntries(this.cookies));
  }

  toObject(): Record<string, string> {
    return Object.fromEntries(this.cookies);
  }
}
