import { STATUS_CODES } from 'node:http';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { books, findBook, giftCardBalance, recommendationsFor, searchBooks } from './catalog.js';
import { homePage, searchPage } from './pages.js';

const publicDir = fileURLToPath(new URL('../public', import.meta.url));

export function createApp() {
  const app = express();
  // First, so every response gets the headers: pages, API, static files, 404, 500 and 429. Its default
  // CSP (script-src 'self', object-src 'none') blocks injected scripts but not the files in /static.
  app.use(helmet());
  app.use(express.json());
  app.use('/static', express.static(publicDir));

  app.get('/health', (req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/', (req, res) => {
    res.send(homePage());
  });

  app.get('/search', (req, res) => {
    const term = String(req.query.q ?? '');
    res.send(searchPage(term, searchBooks(term)));
  });

  app.get('/api/books', (req, res) => {
    res.json(books);
  });

  app.get('/api/books/:id', (req, res) => {
    const book = findBook(Number(req.params.id));
    if (!book) return res.status(404).json({ error: 'Book not found' });
    res.json(book);
  });

  app.get('/api/books/:id/recommendations', async (req, res) => {
    res.json(await recommendationsFor(Number(req.params.id)));
  });

  app.post('/api/orders', (req, res) => {
    const { bookId, quantity = 1 } = req.body ?? {};
    const book = findBook(Number(bookId));
    if (!book) return res.status(400).json({ error: 'Unknown book' });
    res.status(201).json({ id: crypto.randomUUID(), bookId: book.id, quantity, total: book.price * quantity });
  });

  // Gift card codes are short: a few guesses per minute is all a customer needs.
  const giftCardLimit = rateLimit({ windowMs: 60_000, limit: 5, message: { error: 'Too many gift card lookups, try again in a minute' } });
  app.get('/api/gift-cards/:code', giftCardLimit, (req, res) => {
    const balance = giftCardBalance(String(req.params.code));
    if (balance === undefined) return res.status(404).json({ error: 'Gift card not found' });
    res.json({ balance, currency: 'EUR' });
  });

  app.use((req, res) => {
    res.status(404).json({ error: 'Not Found' });
  });

  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    const status = clientErrorStatus(err) ?? 500;
    if (status >= 500) console.error(err);
    res.status(status).json({ error: STATUS_CODES[status] });
  });

  return app;
}

function clientErrorStatus(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return Number.isInteger(status) && Number(status) >= 400 && Number(status) < 500 ? Number(status) : undefined;
}
