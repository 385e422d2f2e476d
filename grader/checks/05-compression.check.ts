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
  return explainHang(app.raw(method, path, { headers: acceptEncoding === undefined ? {} : { 'Accept-Encoding': acceptEncoding } }));
}

/** app.use(compression) without the call is a middleware that never calls next(): every request hangs. */
async function explainHang<T>(request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (error) {
    if (error instanceof CheckFailure && /got none within/.test(error.message)) {
      fail(`${error.message.replace(/ Some code path.*$/, '')} If every request hangs since you added compression, look for app.use(compression): it must be app.use(compression()).`);
    }
    throw error;
  }
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
    `Expected ${describeRequest(path, acceptEncoding)} to answer Content-Encoding: ${codings.join(' or ')}, got ${used.length ? used.join(', ') : 'none'}` +
      (used.length ? '.' : `: all ${byteCount(encoded.bytes.length)} went out uncompressed.`),
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
      `Expected GET ${CATALOGUE} with Accept-Encoding: gzip to cross the wire at least 70% smaller than the plain ${byteCount(plainBytes)}, got ${byteCount(gzipped.bytes.length)} (${Math.max(0, Math.round(saved * 100))}% smaller).`,
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
  });

  t.check('05.catalogue-still-lists-every-book', async () => {
    const app = await t.app();
    const reply = await explainHang(app.get(CATALOGUE));
    expectStatus(reply, 200);
    expectJsonType(reply);
    const count = Array.isArray(reply.json) ? reply.json.length : undefined;
    expectThat(
      count === CATALOGUE_SIZE,
      `Expected GET ${CATALOGUE} to list the whole catalogue (${CATALOGUE_SIZE} books), got ${count === undefined ? show(reply.text, 60) : `${count}`}. ` +
        'Clients rely on the full list: make the bytes smaller, not the data.',
    );
  });

  t.check('05.head-answers-headers-only', async () => {
    const app = await t.app();
    const reply = await fetchRaw(app, CATALOGUE, 'gzip', 'HEAD');
    expectStatus(reply, 200);
    expectThat(reply.bytes.length === 0, `Expected HEAD ${CATALOGUE} to answer no body, got ${byteCount(reply.bytes.length)}.`);
    const type = header(reply, 'content-type') ?? '';
    expectThat(/json/i.test(type), `Expected HEAD ${CATALOGUE} to announce the JSON content type of GET, got ${show(type || undefined)}.`);
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
