import { STATUS_CODES } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { accountFor, signIn } from './accounts.js';
import { books, findBook, ordersFor, salesReport } from './catalog.js';
import { logger } from './logger.js';

export function createApp() {
  const app = express();
  // First, so every request gets one access line, whoever answers it (a route, the 404, the error handler).
  app.use((req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      logger.info('request', {
        method: req.method,
        url: req.originalUrl,
        status: res.statusCode,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
      });
    });
    next();
  });
  app.use(express.json());

  app.get('/health', (req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/books', (req, res) => {
    res.json(books);
  });

  app.get('/books/:id', (req, res) => {
    const book = findBook(Number(req.params.id));
    if (!book) return res.status(404).json({ error: 'Book not found' });
    res.json(book);
  });

  app.post('/login', (req, res) => {
    const token = signIn(req.body?.email, req.body?.password);
    if (!token) return res.status(401).json({ error: 'Wrong email or password' });
    res.json({ token });
  });

  app.get('/orders', (req, res) => {
    const email = accountFor(req.get('authorization'));
    if (!email) return res.status(401).json({ error: 'Sign in first' });
    res.json(ordersFor(email));
  });

  app.get('/reports/sales', async (req, res) => {
    res.json(await salesReport());
  });

  app.use((req, res) => {
    res.status(404).json({ error: 'Not Found' });
  });

  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    const status = clientErrorStatus(err) ?? 500;
    // The error object itself, so the log keeps its message and stack.
    if (status >= 500) logger.error(err);
    res.status(status).json({ error: STATUS_CODES[status] });
  });

  return app;
}

/** Errors such as express.json()'s parse error carry a 4xx status that the client should see. */
function clientErrorStatus(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return Number.isInteger(status) && Number(status) >= 400 && Number(status) < 500 ? Number(status) : undefined;
}
