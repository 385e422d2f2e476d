import { STATUS_CODES } from 'node:http';
import { fileURLToPath } from 'node:url';
import compression from 'compression';
import express, { type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import session from 'express-session';
import helmet from 'helmet';
import { authenticate } from './accounts.js';
import { books, findBook, ordersFor, placeOrder, salesReport } from './catalog.js';
import type { Config } from './config.js';
import { accessLog, logger } from './logger.js';
import { createSessionStore, type Metrics } from './session-store.js';

declare module 'express-session' {
  interface SessionData {
    email: string;
  }
}

const publicDir = fileURLToPath(new URL('../public', import.meta.url));
const FIFTEEN_MINUTES = 15 * 60 * 1000;

export function createApp(config: Pick<Config, 'sessionSecret' | 'sessionDir'>) {
  const app = express();
  const metrics: Metrics = { sessionStoreReads: 0 };
  // One reverse proxy terminates TLS in front of the shop (lessons 03 and 04).
  app.set('trust proxy', 1);

  // First, so every request gets one access line, whoever answers it: a static file, a 429, a 404, an error.
  app.use(accessLog);
  // Before anything that can answer, static files and errors included, so every answer carries the headers.
  app.use(helmet());
  // Before the static files, or they go out uncompressed.
  app.use(compression());
  app.use('/static', express.static(publicDir, { maxAge: '1h' }));

  app.get('/health', (req, res) => {
    res.json({ status: 'ok' });
  });

  // For the operators' dashboard: how hard the session store is worked.
  app.get('/metrics', (req, res) => {
    res.json(metrics);
  });

  // Before the body parser and the session: a refused request costs no parse and no store round trip.
  app.use(
    '/api',
    rateLimit({
      windowMs: FIFTEEN_MINUTES,
      limit: 100,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      message: { error: 'Too many requests, please try again later.' },
    }),
  );

  app.use(express.json());
  app.use(
    session({
      secret: config.sessionSecret,
      store: createSessionStore(config.sessionDir, metrics),
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, secure: true, sameSite: 'lax', maxAge: 8 * 60 * 60 * 1000 },
    }),
  );

  app.get('/api/books', (req, res) => {
    res.json(books);
  });

  app.get('/api/books/:id', (req, res) => {
    const book = findBook(Number(req.params.id));
    if (!book) return res.status(404).json({ error: 'Book not found' });
    res.json(book);
  });

  app.post('/api/login', (req, res, next) => {
    const email = authenticate(req.body?.email, req.body?.password);
    if (!email) return res.status(401).json({ error: 'Wrong email or password' });
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.email = email;
      res.json({ email });
    });
  });

  // Everything under /api/orders is for signed-in customers only: the guard comes before all of its routes.
  app.use('/api/orders', requireSignIn);

  app.get('/api/orders/export', (req, res) => {
    const rows = ordersFor(req.session.email ?? '').map((order) => `${order.id},${order.bookId},${order.quantity}`);
    res.type('text/csv').send(['id,bookId,quantity', ...rows].join('\n'));
  });

  app.get('/api/orders', (req, res) => {
    res.json(ordersFor(req.session.email!));
  });

  app.post('/api/orders', (req, res) => {
    const book = findBook(Number(req.body?.bookId));
    if (!book) return res.status(400).json({ error: 'Unknown book' });
    res.status(201).json(placeOrder(req.session.email!, book.id, Number(req.body?.quantity ?? 1)));
  });

  app.get('/api/reports/sales', async (req, res) => {
    res.json(await salesReport());
  });

  app.use((req, res) => {
    res.status(404).json({ error: 'Not Found' });
  });

  // Last, after every route and the 404: an error can only reach a handler registered after where it was raised.
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    const status = clientErrorStatus(err) ?? 500;
    if (status >= 500) logger.error(err);
    if (res.headersSent) return next(err);
    res.status(status).json({ error: STATUS_CODES[status] });
  });

  return app;
}

function requireSignIn(req: Request, res: Response, next: NextFunction) {
  if (!req.session.email) return res.status(401).json({ error: 'Sign in first' });
  next();
}

/** Errors such as express.json()'s parse error carry a 4xx status that the client should see. */
function clientErrorStatus(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return Number.isInteger(status) && Number(status) >= 400 && Number(status) < 500 ? Number(status) : undefined;
}
