import http from 'node:http';
import { CheckFailure, expectThat, show } from './expect.js';

export interface SentRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** The HTTP version it was sent with, when not 1.1 (a raw socket's request). */
  version?: string;
}

export interface Reply {
  request: SentRequest;
  status: number;
  /** The reason phrase of the status line ("Internal Server Error"), as the app sent it. */
  statusMessage?: string;
  /** Lower-case header names, as Node gives them. */
  headers: http.IncomingHttpHeaders;
  /** HTTP trailers sent after a chunked body (lower-case names), when there were any. */
  trailers?: NodeJS.Dict<string>;
  /** The decoded body as text. */
  text: string;
  /** The parsed body when the response is JSON, else undefined. */
  json: unknown;
}

export interface RawReply {
  request: SentRequest;
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Exactly the bytes that crossed the wire, still encoded. */
  bytes: Buffer;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string is sent as is (with the content type you set). */
  body?: unknown;
  /**
   * How long this request may wait for its first byte before the app is said not to answer
   * (ANSWER_TIMEOUT_MS unless given; the whole answer may take twice as long). For a check that proves
   * no speed, on a loaded machine where one slow answer must not read as a hang.
   */
  timeoutMs?: number;
}

/** How long one request may take before the app is said not to answer. */
export const ANSWER_TIMEOUT_MS = 2500;
/** How long a whole answer, its body to the last byte, may take: a body that never ends fails here. */
export const ANSWER_DEADLINE_MS = ANSWER_TIMEOUT_MS * 2;

/**
 * supertest, with superagent and its form, cookie and HTTP/2 modules: loaded once the worker has
 * started its first apps (loadClientSoon), instead of with the check files, so that those apps are not
 * kept waiting for it to start, nor their first request for it to load (about 0.1 s).
 */
const importSupertest = () => import('supertest');
let loadingSupertest: ReturnType<typeof importSupertest> | undefined;

/**
 * Loads the HTTP client as soon as the thread is free: call it after starting an app, whose start
 * in a process of its own leaves the worker waiting anyway. A failure is the first request's to report.
 */
export function loadClientSoon(): void {
  if (!loadingSupertest) setImmediate(() => void (loadingSupertest ??= importSupertest()).catch(() => {}));
}

/** An HTTP client bound to one running app that remembers what it sent, for the curl line. */
export class Client {
  constructor(
    readonly baseUrl: string,
    private readonly sent: SentRequest[],
  ) {}

  get(path: string, options?: RequestOptions) {
    return this.request('GET', path, options);
  }

  post(path: string, options?: RequestOptions) {
    return this.request('POST', path, options);
  }

  head(path: string, options?: RequestOptions) {
    return this.request('HEAD', path, options);
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
    const request = describeRequest(method, path, options);
    this.sent.push(request);
    const { default: supertest } = await (loadingSupertest ??= importSupertest());
    const agent = supertest(this.baseUrl);
    const limit = options.timeoutMs ?? ANSWER_TIMEOUT_MS;
    let test = agent[method.toLowerCase() as 'get'](path).timeout({ response: limit, deadline: limit * 2 });
    for (const [name, value] of Object.entries(request.headers)) test = test.set(name, value);
    if (request.body !== undefined) test = test.send(request.body);
    try {
      const response = await test.ok(() => true).buffer(true);
      const json = /\bjson\b/.test(String(response.headers['content-type'])) ? tryParse(response.text) : undefined;
      const { statusMessage, trailers } = (response as { res?: { statusMessage?: string; trailers?: NodeJS.Dict<string> } }).res ?? {};
      const sent = trailers && Object.keys(trailers).length ? { trailers } : {};
      return { request, status: response.status, statusMessage, headers: response.headers, ...sent, text: response.text ?? '', json };
    } catch (error) {
      throw noAnswer(request, error, limit);
    }
  }

  /** Sends one request with node:http and returns the body undecoded: bytes on the wire. */
  raw(method: string, path: string, options: RequestOptions = {}): Promise<RawReply> {
    const request = describeRequest(method, path, options);
    this.sent.push(request);
    const limit = options.timeoutMs ?? ANSWER_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      let received = 0;
      /** Content-Length of an answer whose headers arrived: a body that stops short of it never ends. */
      let announced: number | undefined;
      const req = http.request(new URL(path, this.baseUrl), { method, headers: request.headers, timeout: limit }, (res) => {
        const chunks: Buffer[] = [];
        const length = Number(res.headers['content-length']);
        if (res.headers['content-length'] !== undefined && Number.isInteger(length)) announced = length;
        res.on('data', (chunk: Buffer) => (chunks.push(chunk), (received += chunk.length)));
        res.on('end', () => (clearTimeout(deadline), resolve({ request, status: res.statusCode ?? 0, headers: res.headers, bytes: Buffer.concat(chunks) })));
        res.on('error', (error) => reject(noAnswer(request, error, limit)));
      });
      const shortBody = () => (announced !== undefined && received < announced ? { announced, received } : {});
      // The socket's timeout only notices silence: a body that keeps coming and never ends meets this.
      const deadline = setTimeout(() => (reject(noAnswer(request, { deadline: true, received, ...shortBody() }, limit)), req.destroy()), limit * 2);
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { timeout: true, ...shortBody() })));
      req.on('error', (error) => (clearTimeout(deadline), reject(noAnswer(request, Object.assign(error, shortBody()), limit))));
      req.end(request.body);
    });
  }
}

function describeRequest(method: string, path: string, options: RequestOptions): SentRequest {
  const headers = { ...options.headers };
  let body: string | undefined;
  if (typeof options.body === 'string') body = options.body;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  return { method, path, headers, body };
}

function tryParse(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
}

/** Why `request` got no answer, carrying the request so that the report's curl line is that one. */
function noAnswer(request: SentRequest, error: unknown, limit: number): CheckFailure {
  return Object.assign(whyNoAnswer(request, error, limit), { request });
}

function whyNoAnswer(request: SentRequest, error: unknown, limit: number): CheckFailure {
  const { code, timeout, deadline, received, message, rawResponse, statusCode, announced } = error as {
    announced?: number;
    code?: string;
    timeout?: unknown;
    deadline?: boolean;
    received?: number;
    message?: string;
    rawResponse?: string | null;
    statusCode?: number;
  };
  const what = `${request.method} ${request.path}`;
  if (announced !== undefined) {
    return new CheckFailure(
      `Expected the answer to ${what} to send the ${announced} bytes its Content-Length announced, got ${received ?? 0} and then nothing more. ` +
        'A body changed after its headers were set (encoded, trimmed) needs its Content-Length removed or set again, or the client waits for bytes that never come.',
    );
  }
  // superagent parses a body sent as JSON, and rejects one that does not parse with the text it got.
  if (rawResponse !== undefined && statusCode !== undefined) {
    return new CheckFailure(
      `Expected ${what} to answer with a body that is what its Content-Type says (JSON), got status ${statusCode} and a body that does not parse as JSON ` +
        `(${message}): ${show((rawResponse ?? '').slice(0, 200), 80)}. res.json() always writes valid JSON; res.type('json').send(text) sends the text as it is.`,
    );
  }
  // superagent says "Timeout of 5000ms exceeded" when its deadline passes, "Response timeout…" otherwise.
  if (deadline || /^Timeout of \d+ms exceeded/.test(message ?? '')) {
    return new CheckFailure(
      `Expected the answer to ${what} to end within ${(limit * 2) / 1000} s, but it was still coming${received ? ` (${received} bytes so far)` : ''}. ` +
        'A response that writes and never calls res.end() (res.send and res.json call it) keeps the client waiting forever.',
    );
  }
  if (timeout || code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
    return new CheckFailure(
      `Expected an answer to ${what}, got none within ${limit / 1000} s. Some code path never calls res.send/res.json or next(), or is stuck in a loop.`,
    );
  }
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'socket hang up') {
    return new CheckFailure(`Expected an answer to ${what}, but the connection was cut (${code}): your app crashed or closed it. Read its output below.`);
  }
  return new CheckFailure(`Expected an answer to ${what}, got a network error: ${message}`);
}

/** The shell command that sends the same request to the learner's own dev server. */
export function toCurl(request: SentRequest, base = 'http://localhost:3000'): string {
  const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
  const parts = ['curl -i'];
  if (request.version === '1.0') parts.push('--http1.0');
  if (request.method === 'HEAD') parts.push('--head');
  else if (request.method !== 'GET') parts.push(`-X ${request.method}`);
  for (const [name, value] of Object.entries(request.headers)) parts.push(`-H ${quote(`${name}: ${value}`)}`);
  if (request.body !== undefined) parts.push(`--data ${quote(request.body)}`);
  // A path sent as it was spelled (a doubled slash, a dot segment) goes to curl as it is: a URL would read
  // '//x' as a host and resolve the dots, and curl resolves them too unless told not to.
  const spelled = /^\/\/|\/\.\.?(\/|$|\?)/.test(request.path);
  if (spelled) parts.push('--path-as-is');
  parts.push(quote(spelled ? new URL(base).origin + request.path : new URL(request.path, base).href));
  return parts.join(' ');
}

/** The header as one string (joined when Node gave a list), or undefined. */
export function header(reply: Reply | RawReply, name: string): string | undefined {
  const value = reply.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

export function expectStatus(reply: Reply | RawReply, expected: number): void {
  expectThat(
    reply.status === expected,
    `Expected ${reply.request.method} ${reply.request.path} to answer ${expected}, got ${reply.status}.`,
  );
}

export function expectJsonType(reply: Reply): void {
  const type = header(reply, 'content-type');
  expectThat(
    /^application\/([\w.+-]+\+)?json\b/i.test(type ?? ''),
    `Expected ${reply.request.method} ${reply.request.path} to answer with a JSON content type, got ${show(type)} (body ${show(reply.text, 60)}).`,
  );
}
