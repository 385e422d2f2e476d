import { STATUS_CODES } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { books, salesReport } from './catalog.js';
import { accessLog, logger } from './logger.js';

/** What the app uses of its node-redis client. */
export interface Redis {
  readonly isReady: boolean;
  ping(): Promise<unknown>;
  incr(key: string): Promise<number>;
}

export function createApp({ redis }: { redis: Redis }) {
  const app = express();
  app.use(accessLog);

  app.get('/health', (req, res) => {
    res.json({ status: 'ok' });
  });

  // Whether this instance can take traffic: Redis answers.
  app.get('/ready', async (req, res) => {
    await redis.ping();
    res.json({ status: 'ready' });
  });

  app.get('/api/books', async (req, res) => {
    const views = await redis.incr('bookshop:views:books');
    res.json({ books, views });
  });

  app.get('/api/books/:id', (req, res) => {
    const book = books.find((candidate) => candidate.id === Number(req.params.id));
    if (!book) return res.status(404).json({ error: 'Not Found' });
    res.json(book);
  });

  app.get('/api/reports/sales', async (req, res) => {
    res.json(await salesReport());
  });

  app.use((req, res) => {
    res.status(404).json({ error: 'Not Found' });
  });

  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    logger.error(err);
    if (res.headersSent) return next(err);
    res.status(500).json({ error: STATUS_CODES[500] });
  });

  return app;
}
