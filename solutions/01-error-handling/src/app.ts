import { STATUS_CODES } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { books, findBook, salesReport, shops, stockLevel } from './catalog.js';

declare global {
  namespace Express {
    interface Request {
      currency: string;
    }
  }
}

export function createApp() {
  const app = express();
  app.use(express.json());

  app.get('/health', (req, res) => {
    res.json({ status: 'ok' });
  });

  // Every shop prices in its own currency; the shop comes from a header set by the storefront.
  app.use((req, res, next) => {
    const shop = shops.get(req.get('x-shop') ?? 'main');
    req.currency = shop!.currency.toUpperCase();
    next();
  });

  app.get('/books', (req, res) => {
    res.json(books.map(({ id, title, author, price }) => ({ id, title, author, price, currency: req.currency })));
  });

  app.post('/books', (req, res) => {
    const { title, author, price } = req.body;
    const book = { id: books.length + 1, title, author, price, coverMeta: '{}' };
    books.push(book);
    res.status(201).json(book);
  });

  app.get('/books/:id/cover', (req, res) => {
    const book = findBook(Number(req.params.id));
    if (!book) return res.status(404).json({ error: 'Book not found' });
    res.json(JSON.parse(book.coverMeta));
  });

  app.get('/books/:id/stock', (req, res, next) => {
    const book = findBook(Number(req.params.id));
    if (!book) return res.status(404).json({ error: 'Book not found' });
    stockLevel(book, (err, count) => {
      // A throw here would crash the process: Express only sees errors passed to next().
      if (err) return next(err);
      res.json({ id: book.id, inStock: count });
    });
  });

  app.get('/reports/sales', async (req, res) => {
    res.json(await salesReport());
  });

  // No route matched: answer in the API's format instead of Express's "Cannot GET" page.
  app.use((req, res) => {
    res.status(404).json({ error: 'Not Found' });
  });

  // Four parameters make this an error handler; registered last, it sees every error above.
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    // An answer already under way cannot change its status: only Express can end it (it closes the connection).
    if (res.headersSent) return next(err);
    const status = clientErrorStatus(err) ?? 500;
    if (status >= 500) console.error(err);
    // The client learns the status, never the details.
    res.status(status).json({ error: STATUS_CODES[status] });
  });

  return app;
}

/** Errors such as express.json()'s parse error carry a 4xx status that the client should see. */
function clientErrorStatus(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return Number.isInteger(status) && Number(status) >= 400 && Number(status) < 500 ? Number(status) : undefined;
}
