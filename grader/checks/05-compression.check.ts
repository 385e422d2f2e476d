import { createHash } from 'node:crypto';
import type { Client, RawReply } from '../support/http.js';
import { byteCount, contentCodings, decodedBody } from '../support/encoding.js';
import { CheckFailure, expectThat, fail, show } from '../support/expect.js';
import { expectJsonType, expectStatus, header } from '../support/http.js';
import { lesson } from '../support/lesson.js';

/** The data-heavy route: the whole catalogue as JSON, about 330 KB. */
const CATALOGUE = '/books';
const CATALOGUE_SIZE = 1000;
const BROWSER = 'gzip, deflate, br, zstd';

/** A raw request (bytes as they crossed the wire) with an optional Accept-Encoding. */
function fetchRaw(app: Client, path: string, acceptEncoding?: string, method = 'GET'): Promise<RawReply> {
  return explainHang(app, app.raw(method, path, { headers: acceptEncoding === undefined ? {} : { 'Accept-Encoding': acceptEncoding } }));
}

/**
 * A request that got no answer in time: either nothing answers (app.use(compression) without the call is
 * a middleware that never calls next()), or this route is slow, which /health, answered at once, shows.
 */
async function explainHang<T>(app: Client, request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (error) {
    if (!(error instanceof CheckFailure && /got none within/.test(error.message))) throw error;
    const said = error.message.replace(/ Some code path.*$/, '');
    // A short look: an app that hangs every request must not cost each check another full timeout.
    const health = await Promise.race([app.raw('GET', '/health').catch(() => undefined), new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 800))]);
    if (health?.status === 200) {
      fail(
        `${said} The app is not stuck (GET /health answered at once): this answer is slow. Compressing it takes milliseconds at compression()'s ` +
          'defaults; the highest settings (Brotli quality 11, gzip level 9) cost far more CPU on every response. Keep the defaults unless you have measured.',
      );
    }
    fail(`${said} If every request hangs since you added compression, look for app.use(compression): it must be app.use(compression()).`);
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
const PICKY_CLIENTS = ['gzip;q=0', 'gzip; q=0', 'gzip;q=0.0', 'deflate', 'br;q=0, gzip ;q=0, identity', 'identity, *;q=0'];

/** The large answers of every kind: JSON, HTML, a static file. */
const LARGE_ANSWERS = [CATALOGUE, '/catalogue', '/storefront.css'];

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
  const vary = header(encoded, 'vary') ?? '';
  expectThat(
    /(^|,)\s*(accept-encoding|\*)\s*(,|$)/i.test(vary),
    `Expected the compressed answer to GET ${path} to carry Vary: Accept-Encoding, got ${vary ? `Vary: ${vary}` : 'no Vary header'}. Without it a cache may hand ${used[0]} bytes to a client that cannot read them.`,
  );
  return { coding: used[0]!, plainBytes: original.length, wireBytes: encoded.bytes.length };
}

lesson('05-compression', (t) => {
  t.prestart({});

  t.check('05.catalogue-gzipped-for-gzip-clients', async () => {
    const app = await t.app();
    await expectCompressed(app, CATALOGUE, 'gzip', ['gzip']);
    // Behind a CDN or proxy (a Via header) the client still asked for gzip: the answer is still gzip.
    const proxied = await app.raw('GET', CATALOGUE, { headers: { 'Accept-Encoding': 'gzip', Via: '1.1 cdn.example' } });
    expectThat(
      contentCodings(proxied).join() === 'gzip',
      `Expected GET ${CATALOGUE} with Accept-Encoding: gzip and Via: 1.1 cdn.example to answer gzip, got ${contentCodings(proxied).join() || 'no Content-Encoding'}. ` +
        "Requests that come through a proxy or CDN are most of production's traffic: compress whatever the client accepts, whoever forwarded it.",
    );
  });

  t.check('05.catalogue-70-percent-smaller-on-the-wire', async () => {
    const app = await t.app();
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
    const app = await t.app();
    await expectCompressed(app, CATALOGUE, BROWSER, ['br', 'gzip', 'deflate']);
  });

  t.check('05.catalogue-page-compressed', async () => {
    const app = await t.app();
    await expectCompressed(app, '/catalogue', 'gzip', ['gzip']);
  });

  t.check('05.authors-list-compressed', async () => {
    const app = await t.app();
    await expectCompressed(app, '/authors', 'gzip', ['gzip']);
  });

  t.check('05.static-stylesheet-compressed', async () => {
    const app = await t.app();
    await expectCompressed(app, '/storefront.css', 'gzip', ['gzip']);
  });

  t.check('05.plain-clients-get-plain-bytes', async () => {
    const app = await t.app();
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
    // Clients that name what they refuse, on every kind of large answer, each after a gzip client asked
    // for it (an answer kept from one client must not reach another): only a coding they accept.
    for (const path of LARGE_ANSWERS) {
      const plain = decodedBody(await fetchRaw(app, path, 'identity'));
      await fetchRaw(app, path, 'gzip');
      const after = await fetchRaw(app, path);
      t.reproduce(after.request);
      expectThat(
        contentCodings(after).length === 0,
        `Expected GET ${path} without Accept-Encoding, asked right after a gzip client, to answer plain bytes, got Content-Encoding: ${contentCodings(after).join(', ')}. ` +
          'An answer encoded for one client must never be replayed to another: a cache keeps each coding apart (and Vary says so).',
      );
      for (const asked of PICKY_CLIENTS) {
        const reply = await fetchRaw(app, path, asked);
        t.reproduce(reply.request);
        expectStatus(reply, 200);
        const refused = contentCodings(reply).find((coding) => !accepts(asked, coding));
        expectThat(
          refused === undefined,
          `Expected GET ${path} with Accept-Encoding: ${asked} to answer a coding that client accepts, got Content-Encoding: ${refused}. ` +
            'A client lists the codings it reads, with q=0 for the ones it refuses (spaces allowed around the ;): match them properly (compression() does), ' +
            'do not look for the word gzip, and never replay an answer encoded for another client.',
        );
        expectThat(
          decodedBody(reply).equals(plain),
          `Expected GET ${path} with Accept-Encoding: ${asked} to decode to the same body as the plain answer (${byteCount(plain.length)}), got ${byteCount(decodedBody(reply).length)}.`,
        );
      }
    }
  });

  t.check('05.catalogue-still-lists-every-book', async () => {
    const app = await t.app();
    // What supertest sends anyway, named so that the curl line in a report sends it too.
    const reply = await explainHang(app, app.get(CATALOGUE, { headers: { 'Accept-Encoding': 'gzip, deflate' } }));
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
    const page = await explainHang(app, app.get('/catalogue', { headers: { 'Accept-Encoding': 'gzip, deflate' } }));
    expectStatus(page, 200);
    const rows = page.text.match(/<tr\b/gi)?.length ?? 0;
    expectThat(
      rows > CATALOGUE_SIZE,
      `Expected GET /catalogue to print the whole catalogue (a row for each of the ${CATALOGUE_SIZE} books), got ${rows} table rows. Make the bytes smaller, not the page.`,
    );
  });

  t.check('05.head-answers-headers-only', async () => {
    const app = await t.app();
    const reply = await fetchRaw(app, CATALOGUE, 'gzip', 'HEAD');
    expectStatus(reply, 200);
    expectThat(reply.bytes.length === 0, `Expected HEAD ${CATALOGUE} to answer no body, got ${byteCount(reply.bytes.length)}.`);
    const type = header(reply, 'content-type') ?? '';
    expectThat(/json/i.test(type), `Expected HEAD ${CATALOGUE} to announce the JSON content type of GET, got ${show(type || undefined)}.`);
    // HEAD announces no length that no GET sends: GET's with the same coding (compression() leaves HEAD
    // unencoded, so the plain length is right too). Encoding HEAD's empty body gives a length of ~20 bytes.
    const length = header(reply, 'content-length');
    if (length !== undefined) {
      const coding = contentCodings(reply).join();
      const get = await fetchRaw(app, CATALOGUE, coding || 'identity');
      expectThat(
        Number(length) === get.bytes.length,
        `Expected HEAD ${CATALOGUE} with Accept-Encoding: gzip to announce the length GET sends with ${coding ? `Content-Encoding: ${coding}` : 'no coding'} (${byteCount(get.bytes.length)}), ` +
          `got Content-Length: ${length}. HEAD answers the headers GET would send; encoding its empty body gives a length that belongs to no answer.`,
      );
    }
  });

  t.check('05.error-response-decodes', async () => {
    const app = await t.app();
    const path = `${CATALOGUE}/99999`;
    const plain = await fetchRaw(app, path, 'identity');
    const encoded = await fetchRaw(app, path, BROWSER);
    expectStatus(plain, 404);
    expectStatus(encoded, 404);
    const body = decodedBody(encoded);
    expectThat(
      body.equals(decodedBody(plain)),
      `Expected the 404 body of GET ${path} to read the same with and without compression, got ${show(body.toString('utf8'), 60)} and ${show(decodedBody(plain).toString('utf8'), 60)}.`,
    );
  });
});
