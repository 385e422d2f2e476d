import { STATUS_CODES } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import express, { type NextFunction, type Request, type Response } from 'express';
import { books, salesReport } from './catalog.js';
import { accessLog, logger } from './logger.js';

/** What the app uses of its node-redis client. */
export interface Redis {
  readonly isReady: boolean;
  ping(): Promise<unknown>;
  incr(key: string): Promise<number>;
}

/** What src/server.ts knows about the process that the app's answers depend on. */
export interface Lifecycle {
  /** Set when a SIGTERM or SIGINT arrives. */
  shuttingDown: boolean;
}

/** How long readiness waits for Redis to answer a PING before it says "not ready". */
const READINESS_PING_MS = 500;

export function createApp({ redis, lifecycle }: { redis: Redis; lifecycle: Lifecycle }) {
  const app = express();
  app.use(accessLog);

  // Liveness: the process is alive and its event loop turns. It asks no dependency: a Redis outage must
  // not make the platform restart every instance at once.
  app.get('/health', (req, res) => {
    res.json({ status: 'ok' });
  });

  // Readiness: whether this instance should get traffic now. Not before Redis is connected, not while
  // Redis does not answer, and never again once shutdown has begun.
  app.get('/ready', async (req, res) => {
    const ready = !lifecycle.shuttingDown && redis.isReady && (await answersWithin(redis.ping(), READINESS_PING_MS));
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready' });
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

/** Whether `command` succeeds within `ms`: a dependency that does not answer is not waited for. */
async function answersWithin(command: Promise<unknown>, ms: number): Promise<boolean> {
  const answered = command.then(
    () => true,
    () => false,
  );
  return Promise.race([answered, sleep(ms).then(() => false)]);
}
