// Content codings on the wire: what a raw reply says it is and what its bytes decode to.
import zlib from 'node:zlib';
import { fail } from './expect.js';
import { header, type RawReply } from './http.js';

const decoders: Record<string, (bytes: Buffer) => Buffer> = {
  gzip: (bytes) => zlib.gunzipSync(bytes),
  'x-gzip': (bytes) => zlib.gunzipSync(bytes),
  deflate: (bytes) => zlib.inflateSync(bytes),
  br: (bytes) => zlib.brotliDecompressSync(bytes),
};

/** The codings named in Content-Encoding, in the order they were applied; [] when there is none. */
export function contentCodings(reply: RawReply): string[] {
  return (header(reply, 'content-encoding') ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding && coding !== 'identity');
}

/** The body as the application sent it: the wire bytes decoded as Content-Encoding says. Fails when they do not decode. */
export function decodedBody(reply: RawReply): Buffer {
  let bytes = reply.bytes;
  const what = `${reply.request.method} ${reply.request.path}`;
  for (const coding of contentCodings(reply).reverse()) {
    const decode = decoders[coding];
    if (!decode) fail(`Expected ${what} to use a content coding a client understands (gzip, deflate or br), got Content-Encoding: ${coding}.`);
    try {
      bytes = decode(bytes);
    } catch (error) {
      if (coding === 'deflate' && inflatesRaw(bytes)) {
        fail(
          `Expected the body of ${what} to be deflate data as HTTP means it, zlib-wrapped (RFC 9110 8.4.1.2), got ${byteCount(reply.bytes.length)} of raw DEFLATE without the wrapper: ` +
            'zlib.deflateRawSync writes that, and many clients cannot read it. Use zlib.deflateSync, or let compression() encode.',
        );
      }
      fail(
        `Expected the body of ${what} to be ${coding} data, as its Content-Encoding header says, got ${byteCount(reply.bytes.length)} that do not decode (${(error as Error).message}). ` +
          'Setting the header does not compress anything: let compression() do both.',
      );
    }
  }
  return bytes;
}

function inflatesRaw(bytes: Buffer): boolean {
  try {
    zlib.inflateRawSync(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * "12,345 bytes". Grouped by hand: the first toLocaleString() in a worker loads ICU's locale data,
 * which cost the compression checks 20 ms on a quiet machine and 150 ms on a busy one.
 */
export function byteCount(count: number): string {
  return `${String(count).replace(/\B(?=(\d{3})+$)/g, ',')} bytes`;
}
