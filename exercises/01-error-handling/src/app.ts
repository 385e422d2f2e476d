import express from 'express';
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

  app.get('/books/:id/stock', (req, res) => {
    const book = findBook(Number(req.params.id));
    if (!book) return res.status(404).json({ error: 'Book not found' });
    stockLevel(book, (err, count) => {
      if (err) throw err;
      res.json({ id: book.id, inStock: count });
    });
  });

  app.get('/reports/sales', async (req, res) => {
    res.json(await salesReport());
  });

  return app;
}
