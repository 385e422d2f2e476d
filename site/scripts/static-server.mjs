// A tiny static file server for a built site, resolving URLs the way static hosts do
// (`/progress` → progress.html, `/` → index.html, anything else → 404.html) and gzipping text for the
// clients that accept it, as every static host does: an audit of uncompressed files measures a site
// nobody is served.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.xml': 'application/xml',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

export async function serveStatic(root, { port = 0, host = '127.0.0.1' } = {}) {
  const server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const base = path.join(root, path.normalize(pathname).replace(/^(\.\.[/\\])+/, ''));
    const file = [base, `${base}.html`, path.join(base, 'index.html')].find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
    const served = file ?? path.join(root, '404.html');
    const type = TYPES[path.extname(served)] ?? 'application/octet-stream';
    // Hashed assets can be cached for good; pages must be revalidated (what a static host does).
    const cache = /\/assets\//.test(served) ? 'public, max-age=31536000, immutable' : 'no-cache';
    const headers = { 'Content-Type': type, 'Cache-Control': cache, Vary: 'Accept-Encoding' };
    const gzip = /^(text\/|application\/(json|xml)|image\/svg)/.test(type) && /\bgzip\b/.test(String(req.headers['accept-encoding']));
    const body = gzip ? gzipped(served) : readFileSync(served);
    res.writeHead(file ? 200 : 404, gzip ? { ...headers, 'Content-Encoding': 'gzip' } : headers);
    res.end(body);
  });
  const compressed = new Map();
  const gzipped = (file) => {
    if (!compressed.has(file)) compressed.set(file, gzipSync(readFileSync(file)));
    return compressed.get(file);
  };
  await new Promise((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  return { url: `http://${host}:${address.port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}
