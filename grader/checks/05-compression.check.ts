import { createHash } from 'node:crypto';
import net from 'node:net';
import type { Client, RawReply, SentRequest } from '../support/http.js';
import { byteCount, contentCodings, decodedBody } from '../support/encoding.js';
import { CheckFailure, expectThat, fail, show } from '../support/expect.js';
import { ANSWER_DEADLINE_MS, expectJsonType, expectStatus, header } from '../support/http.js';
import { lesson } from '../support/lesson.js';

/** The data-heavy route: the whole catalogue as JSON, about 330 KB. */
const CATALOGUE = '/books';
const CATALOGUE_SIZE = 1000;
const BROWSER = 'gzip, deflate, br, zstd';

/** A raw request (bytes as they crossed the wire) with an optional Accept-Encoding. */
function fetchRaw(app: Client, path: string, acceptEncoding?: string, method = 'GET', extra: Record<string, string> = {}): Promise<RawReply> {
  const headers: Record<string, string> = { ...(acceptEncoding === undefined ? {} : { 'Accept-Encoding': acceptEncoding }), ...extra };
  return explainHang(app, app.raw(method, path, { headers }), { method, path, headers });
}

/**
 * How production traffic arrives: through a TLS-terminating proxy or CDN. Compressing it is the point
 * of the lesson (the catalogue is public; BREACH concerns answers holding a secret, not all of HTTPS).
 */
const PROXIED: Record<string, string> = { Via: '1.1 cdn.example', 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.7' };

/** The client that sent `reply`'s request, as a failure message names it. */
function who(reply: RawReply): string {
  const asked = reply.request.headers['Accept-Encoding'];
  const proxied = reply.request.headers['X-Forwarded-Proto'] ? ' through a TLS proxy (X-Forwarded-Proto: https, X-Forwarded-For, Via)' : '';
  return `${asked === undefined ? 'without Accept-Encoding' : `with Accept-Encoding: ${asked}`}${proxied}`;
}

/** The decoded body, or undefined when the bytes do not decode as Content-Encoding says. */
function tryDecoded(reply: RawReply): Buffer | undefined {
  try {
    return decodedBody(reply);
  } catch (error) {
    if (error instanceof CheckFailure) return undefined;
    throw error;
  }
}

/**
 * The same request asked again answers as the first time: the same status, coding and Content-Type,
 * Vary, and a body that decodes to `original`. An app that keeps answers (a cache) must replay all of them.
 */
function expectAnsweredAlike(first: RawReply, again: RawReply, original: Buffer): void {
  const codings = [first, again].map((reply) => contentCodings(reply).join(', ') || 'none');
  const body = tryDecoded(again);
  const seen: string[] = [];
  const causes: string[] = [];
  if (again.status !== first.status) seen.push(`status ${again.status} instead of ${first.status}`);
  if (codings[1] !== codings[0]) seen.push(`Content-Encoding: ${codings[1]} instead of ${codings[0]}`);
  if (mediaType(again) !== mediaType(first)) seen.push(`Content-Type: ${header(again, 'content-type') ?? '(none)'} instead of ${header(first, 'content-type') ?? '(none)'}`);
  if (body === undefined || !body.equals(original)) {
    seen.push(body === undefined ? `${byteCount(again.bytes.length)} that do not decode as ${codings[1]}` : `a body that decodes to ${byteCount(body.length)} instead of ${byteCount(original.length)}`);
    causes.push('keep every byte of it (compression() writes the encoded body through res.write() and ends with an empty res.end())');
  }
  if (variesOnCoding(first) && !variesOnCoding(again)) {
    seen.push(`${header(again, 'vary') ? `Vary: ${header(again, 'vary')}` : 'no Vary header'} where the first answer had Vary: ${header(first, 'vary')}`);
    causes.push('replay every header with it, Vary: Accept-Encoding included (without it a cache between you and the client stores this version for everyone)');
  }
  if (seen.length === 0) return;
  expectThat(
    false,
    `Expected GET ${again.request.path} ${who(again)}, asked a second time, to answer as the first time (${first.status}, Content-Encoding: ${codings[0]}, ` +
      `${byteCount(original.length)} once decoded${variesOnCoding(first) ? ', Vary: Accept-Encoding' : ''}), got ${seen.join('; ')}. Something keeps answers and replays them: ` +
      `${causes.length ? causes.join(', and ') : 'replay the status and headers it had'}, or leave caching to a CDN.`,
  );
}

/**
 * The curl line of each app's check: several folders may be graded by one worker, each with its own
 * kit, so the kit is found from the app it started.
 */
const reproducers = new WeakMap<Client, (request: SentRequest) => void>();
const reproduce = (app: Client, request: SentRequest) => reproducers.get(app)?.(request);

/** Resolves to undefined when `request` has not answered within `ms`, or failed. */
function within<T>(request: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([request.catch(() => undefined), new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms))]);
}

/**
 * A request that got no answer in time: either nothing answers (app.use(compression) without the call is
 * a middleware that never calls next()), or only this method or this route hangs (GET answered where HEAD
 * did not; the route unencoded did not either), or this route is slow to encode.
 */
async function explainHang<T>(app: Client, request: Promise<T>, asked: SentRequest): Promise<T> {
  try {
    return await request;
  } catch (error) {
    if (!(error instanceof CheckFailure && /got none within/.test(error.message))) throw error;
    const said = error.message.replace(/ Some code path.*$/, '');
    try {
      // Short looks: an app that hangs every request must not cost each check another full timeout.
      const health = await within(app.raw('GET', '/health'), 800);
      if (health?.status !== 200) {
        fail(`${said} If every request hangs since you added compression, look for app.use(compression): it must be app.use(compression()).`);
      }
      if (asked.method !== 'GET') {
        const get = await within(app.raw('GET', asked.path, { headers: asked.headers }), 2000);
        if (get) {
          fail(
            `${said} GET ${asked.path} answered at once (status ${get.status}): only ${asked.method} hangs. A middleware of yours ends ${asked.method} requests ` +
              'without answering them or calling next() (a bare return): call next() for the requests it leaves alone.',
          );
        }
      }
      const plain = await within(app.raw('GET', asked.path, { headers: { 'Accept-Encoding': 'identity' } }), 2000);
      if (!plain) {
        fail(
          `${said} GET /health answered at once, ${asked.path} did not answer even unencoded (Accept-Encoding: identity): a middleware or route on its way ` +
            'never answers it nor calls next().',
        );
      }
      fail(
        `${said} The app is not stuck (GET /health and the unencoded ${asked.path} answered at once): encoding this answer is slow. Compressing it takes ` +
          "milliseconds at compression()'s defaults; the highest settings (Brotli quality 11, gzip level 9) cost far more CPU on every response. " +
          'Keep the defaults unless you have measured.',
      );
    } finally {
      reproduce(app, asked);
    }
  }
}

/**
 * Whether a client sending `acceptEncoding` accepts `coding` (RFC 9110 12.5.3): named with a q above 0,
 * or covered by a `*` above 0; identity is acceptable unless it or `*` is refused with q=0.
 */
function accepts(acceptEncoding: string, coding: string): boolean {
  const weights = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [name = '', ...params] = part.split(';').map((piece) => piece.trim().toLowerCase());
    if (!name) continue;
    const q = params.find((param) => param.startsWith('q='));
    weights.set(name, q ? Number(q.slice(2)) : 1);
  }
  const weight = weights.get(coding) ?? weights.get('*');
  if (weight === undefined) return coding === 'identity';
  return weight > 0;
}

/** Accept-Encoding values that leave gzip out or refuse it, each with what a correct app may answer. */
const PICKY_CLIENTS = ['gzip;q=0', 'gzip; q=0', 'gzip;q=0.0', 'gzip;q=0, *', 'deflate', 'br;q=0, gzip ;q=0, identity', '*, br;q=0', 'identity, *;q=0'];

/** The large answers of every kind: JSON (both lists), HTML, a static file. */
const REPLAYED_ANSWERS = [CATALOGUE, '/authors', '/catalogue', '/storefront.css'];

/**
 * The plain bodies the exercise serves (its catalogue is generated from a fixed seed, so every run
 * serves the same bytes): compression changes the bytes on the wire, never what they decode to.
 * Update these when the exercise's data changes; the self-check fails on the solution until then.
 */
const PLAIN_BODIES: Record<string, { sha256: string; bytes: number }> = {
  [CATALOGUE]: { sha256: '7dc33468ae9813ba1bfe2e02147124a2bfd90747e44b5f631198853ec6e0e9a7', bytes: 333_017 },
  '/authors': { sha256: '9416b22e48104949181b3aa26ceae28b45a6e12c22dc42801ebfd7d72b58321b', bytes: 21_371 },
  '/catalogue': { sha256: '8b498645ee420fc2562b89263521271442160a5366bb3bb11906ceb54620d01b', bytes: 311_164 },
  '/storefront.css': { sha256: '6e660704c715556b6655a5eeb1bc59e570d1ac26e1f8095e3b6333ba5732f076', bytes: 4_599 },
};

/** Every field a book of the catalogue has: a smaller answer must not come from leaving some out. */
const BOOK_FIELDS = ['author', 'currency', 'genre', 'id', 'inStock', 'isbn', 'pages', 'price', 'rating', 'summary', 'title', 'year'];

/**
 * Why a response that should be encoded went out plain, from what its headers show: a no-transform
 * directive, which compression honours; compression's own Vary without an encoding (it looked and left
 * the body alone: a threshold); or neither, when nothing that compresses saw the response (its order).
 */
function whyNotEncoded(reply: RawReply, plainBytes: number): string {
  const cacheControl = header(reply, 'cache-control') ?? '';
  if (/(^|,)\s*no-transform\s*(,|$)/i.test(cacheControl)) {
    return (
      ` Its answer carries Cache-Control: ${cacheControl}. no-transform asks everything between the route and the client, compression() included, ` +
      'to leave the bytes as they are, so it is sent unencoded wherever compression() is registered. Keep the caching directives and drop no-transform.'
    );
  }
  if (/(^|,)\s*accept-encoding\s*(,|$)/i.test(header(reply, 'vary') ?? '')) {
    return (
      ` Something negotiated it (Vary: Accept-Encoding is there) and left it as it is: with compression(), is its threshold above this response's ${byteCount(plainBytes)}? ` +
      'A compressor of your own must also see answers written in pieces, as express.static streams its files.'
    );
  }
  const type = (header(reply, 'content-type') ?? 'this content type').split(';')[0];
  return (
    ' Nothing negotiated it either (no Vary: Accept-Encoding): compression() never saw this response, or a filter turned it away. It sees only the requests ' +
    `that reach it, so register it once, before express.static and every route, not after them or on one route; a filter of your own must let ${type} through.`
  );
}

/** Sync-flush points in deflate data: the empty stored block (00 00 FF FF) that every flush leaves. */
function flushPoints(bytes: Buffer): number {
  let count = 0;
  for (let at = bytes.indexOf(SYNC_FLUSH); at !== -1; at = bytes.indexOf(SYNC_FLUSH, at + SYNC_FLUSH.length)) count++;
  return count;
}
const SYNC_FLUSH = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** Whether gzip data begins with a stored (uncompressed) deflate block, as level 0 writes them. */
function startsStored(bytes: Buffer): boolean {
  // The 10-byte gzip header Node writes (no optional fields), then the first block's 3 header bits.
  return bytes.length > 10 && bytes[0] === 0x1f && bytes[1] === 0x8b && bytes[3] === 0 && ((bytes[10]! >> 1) & 0b11) === 0;
}

/** What a gzip answer that saves too little shows about why. */
function whySoLittleSaved(reply: RawReply, plainBytes: number): string {
  if (contentCodings(reply).length === 0) return ` It was not encoded at all (no Content-Encoding).${whyNotEncoded(reply, plainBytes)}`;
  const flushes = flushPoints(reply.bytes);
  if (flushes >= 10) {
    return (
      ` The gzip stream holds ${flushes} flush points, one every ${byteCount(Math.round(plainBytes / flushes))} of the body: the route flushes after every small write ` +
      '(res.flush() after each res.write()), so each piece is compressed on its own and the repetition between pieces is never used. ' +
      'Send the body in one go (res.json), or flush only where a client must see data at once.'
    );
  }
  if (startsStored(reply.bytes)) return ' Its deflate blocks are stored, not compressed: that is what level: 0 does. Leave the level at its default, or choose one from 1 to 9.';
  return '';
}

function describeRequest(path: string, acceptEncoding: string): string {
  return `GET ${path} with Accept-Encoding: ${acceptEncoding}`;
}

interface Compressed {
  coding: string;
  /** Size of the response before encoding. */
  plainBytes: number;
  /** Size on the wire. */
  wireBytes: number;
}

/**
 * Asks for `path` plainly and with `acceptEncoding`; expects one of `codings` on the second, a body
 * that decodes to exactly the plain one, and Vary: Accept-Encoding.
 */
async function expectCompressed(app: Client, path: string, acceptEncoding: string, codings: string[]): Promise<Compressed> {
  const plain = await fetchRaw(app, path, 'identity');
  expectStatus(plain, 200);
  const original = decodedBody(plain);
  const encoded = await fetchRaw(app, path, acceptEncoding);
  expectStatus(encoded, 200);
  const used = contentCodings(encoded);
  expectThat(
    used.length === 1 && codings.includes(used[0]!),
    () =>
      `Expected ${describeRequest(path, acceptEncoding)} to answer Content-Encoding: ${codings.join(' or ')}, got ${used.length ? used.join(', ') : 'none'}` +
      (used.length ? '.' : `: all ${byteCount(encoded.bytes.length)} went out uncompressed.${whyNotEncoded(encoded, original.length)}`),
  );
  const decoded = decodedBody(encoded);
  expectThat(
    decoded.equals(original),
    () => `Expected the ${used[0]} body of GET ${path} to decode to exactly the plain response (${byteCount(original.length)}), got ${byteCount(decoded.length)} that differ: ${show(decoded.toString('utf8'), 60)}.`,
  );
  expectSameType(plain, encoded);
  const vary = header(encoded, 'vary') ?? '';
  expectThat(
    variesOnCoding(encoded),
    `Expected the compressed answer to GET ${path} to carry Vary: Accept-Encoding, got ${vary ? `Vary: ${vary}` : 'no Vary header'}. Without it a cache may hand ${used[0]} bytes to a client that cannot read them.`,
  );
  // The same request again (whatever the app keeps between requests answers it), then the same client
  // through a TLS-terminating proxy, as production traffic arrives.
  const again = await fetchRaw(app, path, acceptEncoding);
  reproduce(app, again.request);
  expectAnsweredAlike(encoded, again, original);
  const proxied = await fetchRaw(app, path, acceptEncoding, 'GET', PROXIED);
  reproduce(app, proxied.request);
  const proxiedCodings = contentCodings(proxied);
  expectThat(
    proxiedCodings.length === 1 && codings.includes(proxiedCodings[0]!),
    () =>
      `Expected GET ${path} ${who(proxied)} to answer Content-Encoding: ${codings.join(' or ')} as it does without them, got ${proxiedCodings.join(', ') || 'none'}` +
      `${variesOnCoding(proxied) ? '' : ' and no Vary: Accept-Encoding'}. In production every request comes that way (a CDN or load balancer ends TLS): compress whatever the ` +
      'client accepts, whoever forwarded it. BREACH is a reason to leave out an answer that holds a secret next to input the client chose, not all HTTPS traffic; this URL is public.',
  );
  expectAnsweredAlike(encoded, proxied, original);
  // The plain answers of this URL are one of its versions too (RFC 9110 12.5.5): without Vary, a cache
  // that stores one first hands the plain bytes to every later client, browsers included. Each asked
  // twice (the second through a proxy), so that a replayed one is seen too.
  const plainAgain = await fetchRaw(app, path, 'identity');
  const plainReplies = [plain, await fetchRaw(app, path), plainAgain, await fetchRaw(app, path, undefined, 'GET', PROXIED)];
  for (const [at, reply] of plainReplies.entries()) {
    reproduce(app, reply.request);
    const replayed = plainReplies.slice(0, at).some(variesOnCoding);
    expectThat(
      variesOnCoding(reply),
      () =>
        `Expected the plain answer to GET ${path} ${who(reply)} to carry Vary: Accept-Encoding as well, got ` +
        `${header(reply, 'vary') ? `Vary: ${header(reply, 'vary')}` : 'no Vary header'}. Its bytes depend on Accept-Encoding whichever coding was chosen, none included: ` +
        'a cache that stores this plain version without Vary serves it to every later client. Add Vary to every answer of a route you negotiate (compression() does)' +
        `${replayed ? '. A plain answer asked before it had Vary: something keeps plain answers and replays them without it; replay every header' : ''}.`,
    );
  }
  reproduce(app, plainAgain.request);
  expectAnsweredAlike(plain, plainAgain, original);
  return { coding: used[0]!, plainBytes: original.length, wireBytes: encoded.bytes.length };
}

/** Whether a reply says its bytes depend on Accept-Encoding (or on anything: Vary: *). */
function variesOnCoding(reply: RawReply): boolean {
  return /(^|,)\s*(accept-encoding|\*)\s*(,|$)/i.test(header(reply, 'vary') ?? '');
}

/** A Content-Type compared as a client reads it: case and spaces do not matter. */
function mediaType(reply: RawReply): string {
  return (header(reply, 'content-type') ?? '').toLowerCase().replace(/\s+/g, '');
}

/** An encoded answer is the same resource as the plain one: same Content-Type, or clients misread it. */
function expectSameType(plain: RawReply, other: RawReply): void {
  const coding = contentCodings(other).join(', ') || 'no coding';
  expectThat(
    mediaType(other) === mediaType(plain),
    () =>
      `Expected ${other.request.method} ${other.request.path} with Accept-Encoding: ${other.request.headers['Accept-Encoding'] ?? '(none)'} (answered with ${coding}) to keep the ` +
      `Content-Type of the plain answer, ${show(header(plain, 'content-type'))}, got ${show(header(other, 'content-type'))}. Content-Encoding says how the bytes are packed, ` +
      'Content-Type what they are: a browser refuses a stylesheet that is not text/css, and a client picks its parser by type. Encode the response the route sends ' +
      "(compression() keeps its headers); a pre-compressed file or buffer needs the original's type set by hand.",
  );
}

/**
 * Every answer of the given clients, one after another, is in a coding that client accepts, reads as
 * `plain`, and answers a client that asks again as it answered it the first time (its Vary included).
 */
async function expectOnlyAccepted(app: Client, path: string, plain: RawReply, clients: (string | undefined)[]): Promise<void> {
  const original = decodedBody(plain);
  const answered: RawReply[] = [];
  for (const asked of clients) {
    const reply = await fetchRaw(app, path, asked);
    reproduce(app, reply.request);
    expectStatus(reply, 200);
    expectAccepted(reply, answered);
    const first = answered.find((earlier) => earlier.request.headers['Accept-Encoding'] === asked);
    if (first) expectAnsweredAlike(first, reply, original);
    expectThat(
      decodedBody(reply).equals(original),
      () => `Expected GET ${path} ${who(reply)} to decode to the same body as the plain answer (${byteCount(original.length)}), got ${byteCount(decodedBody(reply).length)}.`,
    );
    expectSameType(plain, reply);
    answered.push(reply);
  }
}

/**
 * `reply` is in a coding its client accepts. When it is not, the message names the cause the answers
 * show: an earlier client answered in that coding (a kept answer replayed), or none (a coding chosen
 * without reading this client's Accept-Encoding).
 */
function expectAccepted(reply: RawReply, earlier: RawReply[], together?: string): void {
  const asked = reply.request.headers['Accept-Encoding'];
  const refused = contentCodings(reply).find((coding) => !accepts(asked ?? '', coding));
  if (refused === undefined) return;
  const source = earlier.findLast((other) => contentCodings(other).includes(refused));
  const sourceAsked = source?.request.headers['Accept-Encoding'];
  const cause = together
    ? `${together} Sent one after another, every client got its own coding: the coding chosen for one request is kept where a request arriving at the same time overwrites it ` +
      '(app.locals, a variable of the module or of createApp()). Keep it per response (res.locals, a variable of the middleware call) or let compression() decide.'
    : source
      ? `A client before it that sent ${sourceAsked === undefined ? 'no Accept-Encoding' : `Accept-Encoding: ${sourceAsked}`} was answered in ${refused}: an answer kept for one client ` +
        'must never be replayed to another that does not accept its coding. Key what you keep by the coding chosen (or the exact Accept-Encoding), or keep nothing.'
      : `No client before it was answered in ${refused}, so nothing was replayed: the coding is chosen without reading this client's Accept-Encoding ` +
        '(a pre-compressed file served to everyone, or a wrapper that always encodes). A client lists the codings it reads, with q=0 for the ones it refuses ' +
        '(spaces allowed around the ;, and * for any other): match them properly (compression() does), do not look for the word gzip.';
  expectThat(false, `Expected GET ${reply.request.path} ${who(reply)} to answer a coding that client accepts, got Content-Encoding: ${refused}. ${cause}`);
}

/**
 * GET `path` once per client, written together on one connection (HTTP/1.1 pipelining): the app reads
 * every request, and runs its middleware for each, before it answers the first. Answers in order.
 */
function pipelined(app: Client, path: string, requests: SentRequest[]): Promise<RawReply[]> {
  const { hostname, port } = new URL(app.baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const deadline = setTimeout(() => {
      socket.destroy();
      reject(new CheckFailure(`Expected ${requests.length} GET ${path} sent together on one connection to be answered within ${ANSWER_DEADLINE_MS / 1000} s, got ${readReplies(Buffer.concat(chunks), requests).length} answers.`));
    }, ANSWER_DEADLINE_MS);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => (clearTimeout(deadline), resolve(readReplies(Buffer.concat(chunks), requests))));
    const head = (request: SentRequest, last: boolean) =>
      `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n${Object.entries(request.headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')}${last ? 'Connection: close\r\n' : ''}\r\n`;
    // write, not end: a server that reads the end of the request stream may close before it answers.
    socket.write(requests.map((request, at) => head(request, at === requests.length - 1)).join(''));
  });
}

/** The answers in `data`, one per request, as far as they are whole (Content-Length or chunked bodies). */
function readReplies(data: Buffer, requests: SentRequest[]): RawReply[] {
  const replies: RawReply[] = [];
  let at = 0;
  for (const request of requests) {
    const headEnd = data.indexOf('\r\n\r\n', at);
    if (headEnd < 0) break;
    const [statusLine = '', ...lines] = data.subarray(at, headEnd).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    at = headEnd + 4;
    let bytes: Buffer;
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = data.indexOf('\r\n', at);
        const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
        if (lineEnd < 0 || Number.isNaN(size)) return replies;
        at = lineEnd + 2;
        if (size === 0) break;
        parts.push(data.subarray(at, at + size));
        at += size + 2;
      }
      // Trailers, if any, then the empty line.
      while (at < data.length && data.indexOf('\r\n', at) !== at) at = data.indexOf('\r\n', at) + 2;
      at += 2;
      bytes = Buffer.concat(parts);
    } else {
      const length = headers['content-length'] === undefined ? data.length - at : Number(headers['content-length']);
      bytes = data.subarray(at, at + length);
      at += length;
    }
    replies.push({ request, status: Number(statusLine.split(' ')[1]), headers, bytes });
  }
  return replies;
}

/**
 * Clients asking at the same time each get what they get alone (a coding they accept, gzip or br
 * when they ask for gzip and the app encodes it alone, the plain body decoded, Vary when encoded). Rounds
 * pipelined on one connection (the app reads them all before it answers one: what a request keeps in
 * state shared by requests is overwritten by the last to arrive, for certain) in both orders, then one
 * round on as many connections. A coding kept in state shared by requests reaches the wrong client.
 */
async function expectParallelClients(app: Client, path: string, original: Buffer, rounds: number): Promise<void> {
  // Whether a gzip client asking alone gets an encoded answer: then it does among others too.
  const encodesAlone = contentCodings(await fetchRaw(app, path, 'gzip')).length > 0;
  const mixed = [undefined, 'gzip', 'identity', 'gzip', undefined, 'br', 'gzip;q=0', 'gzip'];
  for (let round = 0; round < rounds; round++) {
    // A round ends with a gzip client, the next with a plain one, so that either side is overwritten.
    const clients = round % 2 ? [...mixed].reverse() : mixed;
    // Half of them through a TLS proxy: production's clients arrive together and that way.
    const requests = clients.map((asked, at): SentRequest => ({
      method: 'GET',
      path,
      headers: { ...(asked === undefined ? {} : { 'Accept-Encoding': asked }), ...(at % 2 ? PROXIED : {}) },
    }));
    const onOneConnection = round < 2;
    const together =
      `It was one of ${clients.length} clients asking for ${path} at the same time (${clients.map((asked) => asked ?? 'no Accept-Encoding').join(' | ')}` +
      `${onOneConnection ? ', pipelined on one connection' : ''}).`;
    const replies = onOneConnection
      ? await pipelined(app, path, requests)
      : await Promise.all(requests.map((request) => fetchRaw(app, path, request.headers['Accept-Encoding'], 'GET', request.headers['Via'] ? PROXIED : {})));
    expectThat(replies.length === requests.length, `Expected ${requests.length} answers to GET ${path} sent together on one connection, got ${replies.length}.`);
    for (const reply of replies) {
      reproduce(app, reply.request);
      expectStatus(reply, 200);
      expectAccepted(reply, [], together);
      // A gzip client gets an encoded answer (a coding it accepts: expectAccepted saw to that); a
      // Brotli-only one may get plain bytes from an app that speaks only gzip.
      const used = contentCodings(reply);
      expectThat(
        !encodesAlone || !accepts(reply.request.headers['Accept-Encoding'] ?? '', 'gzip') || used.length > 0,
        () => `Expected GET ${path} ${who(reply)} to answer an encoded body, got no Content-Encoding. ${together} Asked alone it is encoded: the coding ` +
          'chosen for one request is kept where a request arriving at the same time overwrites it (app.locals, a variable of the module or of createApp()). Keep it per response.',
      );
      const body = tryDecoded(reply);
      expectThat(
        body?.equals(original) === true,
        () => `Expected GET ${path} ${who(reply)} to decode to the plain body (${byteCount(original.length)}), got ${body ? byteCount(body.length) : `${byteCount(reply.bytes.length)} that do not decode as ${used.join(', ') || 'none'}`}. ${together} Keep what one request chooses apart from the others.`,
      );
      expectThat(
        used.length === 0 || variesOnCoding(reply),
        () => `Expected GET ${path} ${who(reply)} (answered with ${used.join(', ')}) to carry Vary: Accept-Encoding, got ${header(reply, 'vary') ? `Vary: ${header(reply, 'vary')}` : 'no Vary header'}. ${together}`,
      );
    }
  }
}

lesson('05-compression', (t) => {
  t.prestart({});
  /** A fresh app whose requests the helpers above can name as this check's curl line. */
  const freshApp = async () => {
    const app = await t.app();
    reproducers.set(app, (request) => t.reproduce(request));
    return app;
  };

  t.check('05.catalogue-gzipped-for-gzip-clients', async () => {
    const app = await freshApp();
    await expectCompressed(app, CATALOGUE, 'gzip', ['gzip']);
  });

  t.check('05.catalogue-70-percent-smaller-on-the-wire', async () => {
    const app = await freshApp();
    const plain = await fetchRaw(app, CATALOGUE, 'identity');
    expectStatus(plain, 200);
    const plainBytes = decodedBody(plain).length;
    const gzipped = await fetchRaw(app, CATALOGUE, 'gzip');
    expectStatus(gzipped, 200);
    const saved = 1 - gzipped.bytes.length / plainBytes;
    expectThat(
      saved >= 0.7,
      () =>
        `Expected GET ${CATALOGUE} with Accept-Encoding: gzip to cross the wire at least 70% smaller than the plain ${byteCount(plainBytes)}, got ${byteCount(gzipped.bytes.length)} (${Math.max(0, Math.round(saved * 100))}% smaller).` +
        whySoLittleSaved(gzipped, plainBytes),
    );
  });

  t.check('05.browser-gets-compressed-catalogue', async () => {
    const app = await freshApp();
    await expectCompressed(app, CATALOGUE, BROWSER, ['br', 'gzip', 'deflate']);
  });

  t.check('05.catalogue-page-compressed', async () => {
    const app = await freshApp();
    await expectCompressed(app, '/catalogue', 'gzip', ['gzip']);
  });

  t.check('05.authors-list-compressed', async () => {
    const app = await freshApp();
    await expectCompressed(app, '/authors', 'gzip', ['gzip']);
  });

  t.check('05.static-stylesheet-compressed', async () => {
    const app = await freshApp();
    await expectCompressed(app, '/storefront.css', 'gzip', ['gzip']);
  });

  t.check('05.plain-clients-get-plain-bytes', async () => {
    const app = await freshApp();
    const replies = [await fetchRaw(app, CATALOGUE), await fetchRaw(app, CATALOGUE, 'identity')];
    for (const reply of replies) {
      t.reproduce(reply.request);
      expectStatus(reply, 200);
      const asked = reply.request.headers['Accept-Encoding'];
      const codings = contentCodings(reply);
      expectThat(
        codings.length === 0,
        `Expected GET ${CATALOGUE} ${asked ? `with Accept-Encoding: ${asked}` : 'without Accept-Encoding'} to answer plain bytes, got Content-Encoding: ${codings.join(', ')}. Encode only what the client says it accepts.`,
      );
    }
    const [none, identity] = replies as [RawReply, RawReply];
    expectThat(
      none.bytes.equals(identity.bytes),
      `Expected GET ${CATALOGUE} to answer the same body with and without Accept-Encoding: identity, got ${byteCount(none.bytes.length)} and ${byteCount(identity.bytes.length)}.`,
    );
    // Clients that name what they refuse, on every large answer, each after clients that accept other
    // codings asked for it (an answer kept from one client must not reach another): only a coding they
    // accept, the same body and the same Content-Type. Two fresh apps, so that whatever an app keeps is
    // first filled once by a plain client and once by a Brotli one.
    const brFirst = await freshApp();
    for (const path of REPLAYED_ANSWERS) {
      const plain = await fetchRaw(app, path, 'identity');
      reproduce(app, plain.request);
      expectStatus(plain, 200);
      expectAccepted(plain, []);
      // Brotli asked again at the end, after everything before it filled whatever the app keeps (the
      // compression checks ask gzip and plain twice).
      await expectOnlyAccepted(app, path, plain, ['gzip', undefined, 'br', ...PICKY_CLIENTS, 'br']);
      await expectOnlyAccepted(brFirst, path, plain, ['br', 'gzip', undefined, 'gzip, deflate', 'deflate']);
    }
    // At the same time: the static file (read from disk, so requests overlap) and a route (the smaller list).
    const css = decodedBody(await fetchRaw(app, '/storefront.css', 'identity'));
    const authors = decodedBody(await fetchRaw(brFirst, '/authors', 'identity'));
    await Promise.all([expectParallelClients(app, '/storefront.css', css, 3), expectParallelClients(brFirst, '/authors', authors, 2)]);
  });

  t.check('05.catalogue-still-lists-every-book', async () => {
    const app = await freshApp();
    // What supertest sends anyway, named so that the curl line in a report sends it too.
    const reply = await explainHang(app, app.get(CATALOGUE, { headers: { 'Accept-Encoding': 'gzip, deflate' } }), { method: 'GET', path: CATALOGUE, headers: { 'Accept-Encoding': 'gzip, deflate' } });
    expectStatus(reply, 200);
    expectJsonType(reply);
    const count = Array.isArray(reply.json) ? reply.json.length : undefined;
    expectThat(
      count === CATALOGUE_SIZE,
      `Expected GET ${CATALOGUE} to list the whole catalogue (${CATALOGUE_SIZE} books), got ${count === undefined ? show(reply.text, 60) : `${count}`}. ` +
        'Clients rely on the full list: make the bytes smaller, not the data.',
    );
    const trimmed = (reply.json as Record<string, unknown>[]).find((book) => Object.keys(book ?? {}).sort().join() !== BOOK_FIELDS.join());
    expectThat(
      trimmed === undefined,
      () =>
        `Expected every book of GET ${CATALOGUE} to keep its fields (${BOOK_FIELDS.join(', ')}), got ${show(JSON.stringify(trimmed), 80)}. ` +
        'Clients rely on the whole record: make the bytes smaller, not the data.',
    );
    for (const [path, expected] of Object.entries(PLAIN_BODIES)) {
      const plain = await fetchRaw(app, path, 'identity');
      const digest = createHash('sha256').update(decodedBody(plain)).digest('hex');
      expectThat(
        digest === expected.sha256,
        `Expected GET ${path} to hold exactly the data the exercise serves (${byteCount(expected.bytes)} plain), got ${byteCount(decodedBody(plain).length)} that differ. ` +
          'Compression changes the bytes on the wire, never what they decode to: leave the data, its fields and its markup as they were.',
      );
    }
    // Counted in the decoded bytes, whatever the Content-Type says (other checks judge the type).
    const page = await fetchRaw(app, '/catalogue', 'gzip, deflate');
    reproduce(app, page.request);
    expectStatus(page, 200);
    const rows = decodedBody(page).toString('utf8').match(/<tr\b/gi)?.length ?? 0;
    expectThat(
      rows > CATALOGUE_SIZE,
      `Expected GET /catalogue to print the whole catalogue (a row for each of the ${CATALOGUE_SIZE} books), got ${rows} table rows. Make the bytes smaller, not the page.`,
    );
  });

  t.check('05.head-answers-headers-only', async () => {
    const app = await freshApp();
    const reply = await fetchRaw(app, CATALOGUE, 'gzip', 'HEAD');
    expectStatus(reply, 200);
    expectThat(reply.bytes.length === 0, `Expected HEAD ${CATALOGUE} to answer no body, got ${byteCount(reply.bytes.length)}.`);
    const type = header(reply, 'content-type') ?? '';
    expectThat(/json/i.test(type), `Expected HEAD ${CATALOGUE} to announce the JSON content type of GET, got ${show(type || undefined)}.`);
    // A cache stores HEAD's headers as those of the GET it describes: when GET's bytes vary, HEAD says so.
    expectThat(
      variesOnCoding(reply) || !variesOnCoding(await fetchRaw(app, CATALOGUE, 'gzip')),
      `Expected HEAD ${CATALOGUE} to carry Vary: Accept-Encoding like GET, got ${header(reply, 'vary') ? `Vary: ${header(reply, 'vary')}` : 'no Vary header'}. ` +
        'HEAD answers the headers GET would send; a negotiation that skips HEAD (compression() set up for GET only) leaves a cache without the Vary it needs.',
    );
    // HEAD announces no length that no GET sends: GET's with the same coding (compression() leaves HEAD
    // unencoded, so the plain length is right too). Encoding HEAD's empty body gives a length of ~20 bytes.
    const length = header(reply, 'content-length');
    if (length !== undefined) {
      const coding = contentCodings(reply).join();
      const get = await fetchRaw(app, CATALOGUE, coding || 'identity');
      const plainLength = Number(length) === PLAIN_BODIES[CATALOGUE]!.bytes && coding !== '';
      expectThat(
        Number(length) === get.bytes.length,
        `Expected HEAD ${CATALOGUE} with Accept-Encoding: gzip to announce the length GET sends with ${coding ? `Content-Encoding: ${coding}` : 'no coding'} (${byteCount(get.bytes.length)}), ` +
          `got Content-Length: ${length}. HEAD answers the headers GET would send; ` +
          (plainLength
            ? `that is the plain answer's length next to Content-Encoding: ${coding}, a pair no GET sends. Leave HEAD unencoded (no Content-Encoding, as compression() does) or announce the encoded length.`
            : 'encoding its empty body gives a length that belongs to no answer.'),
      );
    }
  });

  t.check('05.error-response-decodes', async () => {
    const app = await freshApp();
    // The app's own 404, and an error that Express's final handler answers (a path that does not
    // decode: 400, text/html). That handler removes Content-Encoding, so a body encoded by a hand-made
    // wrapper set up before the answer was known reaches the client as unlabelled gzip.
    for (const [path, status] of [[`${CATALOGUE}/99999`, 404], [`${CATALOGUE}/%zz`, 400]] as const) {
      const plain = await fetchRaw(app, path, 'identity');
      expectStatus(plain, status);
      for (const asked of [BROWSER, 'gzip']) {
        const encoded = await fetchRaw(app, path, asked);
        t.reproduce(encoded.request);
        expectStatus(encoded, status);
        const body = decodedBody(encoded);
        const coding = contentCodings(encoded).join(', ');
        expectThat(
          body.equals(decodedBody(plain)),
          () =>
            `Expected the ${status} body of GET ${path} with Accept-Encoding: ${asked} to read the same as without compression, got ${coding ? `${coding} that decodes to ` : 'no Content-Encoding and '}` +
            `${show(body.toString('utf8'), 60)} instead of ${show(decodedBody(plain).toString('utf8'), 60)}.` +
            (coding || !(body[0] === 0x1f && body[1] === 0x8b) ? '' : ' Those bytes are gzip without the header that says so: Express\'s error handler removes Content-Encoding from the answers it writes. Encode the body only once the response is being written (compression() does), never from a header set on arrival.'),
        );
      }
    }
  });
});
