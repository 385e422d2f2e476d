import { fileURLToPath } from 'node:url';
import compression from 'compression';
import express from 'express';
import { authors, books, findBook } from './catalog.js';
import { cataloguePage } from './pages.js';

const publicDir = fileURLToPath(new URL('../public', import.meta.url));

export function createApp() {
  const app = express();
  // First, so every response after it (JSON, HTML, static files, errors) is gzip- or br-encoded
  // for clients that ask in Accept-Encoding; small ones (under 1 kB) go out as they are.
  app.use(compression());

  app.get('/health', (req, res) => {
    res.json({ status: 'ok' });
  });

  app.use(express.static(publicDir, { maxAge: '1h' }));

  // The storefront and the partner feed download the whole catalogue in one go.
  app.get('/books', (req, res) => {
    res.json(books);
  });

  app.get('/books/:id', (req, res) => {
    const book = findBook(Number(req.params.id));
    if (!book) return res.status(404).json({ error: `Book ${req.params.id} not found` });
    res.json(book);
  });

  app.get('/authors', (req, res) => {
    res.json(authors);
  });

  app.get('/catalogue', (req, res) => {
    res.type('html').send(cataloguePage(books));
  });

  app.use((req, res) => {
    res.status(404).json({ error: 'Not found' });
  });

  return app;
}
