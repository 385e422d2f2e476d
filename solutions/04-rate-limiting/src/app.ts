import express from 'express';
import { rateLimit } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import type { RedisClientType } from 'redis';
import { findAccount, sendResetLink, verifyPassword } from './accounts.js';
import { books, findBook } from './catalog.js';

export interface AppOptions {
  /** A connected Redis client: every process that shares it shares the limits too. */
  redis?: RedisClientType;
}

// windowMs is in milliseconds.
const FIFTEEN_MINUTES = 15 * 60 * 1000;

export function createApp({ redis }: AppOptions = {}) {
  const app = express();
  // Exactly one proxy (the load balancer) sits in front of the shop, so req.ip is the right-most
  // X-Forwarded-For address, the one the proxy saw; anything left of it is whatever the client wrote.
  app.set('trust proxy', 1);
  app.use(express.json());

  // Before any limiter: the load balancer's health probe must never be refused.
  app.get('/health', (req, res) => {
    res.json({ status: 'ok' });
  });

  const limiter = (limit: number, prefix: string) =>
    rateLimit({
      windowMs: FIFTEEN_MINUTES,
      limit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      message: { error: 'Too many requests, please try again later.' },
      // In memory unless Redis is given; each limiter needs a store (and a key prefix) of its own.
      store: redis && new RedisStore({ prefix, sendCommand: (...args: string[]) => redis.sendCommand(args) }),
    });
  const apiLimit = limiter(100, 'rate-limit:api:');
  // Login and password reset share one small budget: together they are what a brute force hammers.
  const authLimit = limiter(5, 'rate-limit:auth:');

  // Mounted, not compared by hand: /API/books and /api/books/ are the same route to Express.
  app.use('/api', apiLimit);

  app.get('/api/books', (req, res) => {
    res.json(books);
  });

  app.get('/api/books/:id', (req, res) => {
    const book = findBook(Number(req.params.id));
    if (!book) return res.status(404).json({ error: 'Book not found' });
    res.json(book);
  });

  app.post('/login', authLimit, async (req, res) => {
    const { email, password } = req.body ?? {};
    const account = findAccount(email);
    if (!account || !(await verifyPassword(account, password))) {
      return res.status(401).json({ error: 'Wrong email or password' });
    }
    res.json({ email: account.email, name: account.name });
  });

  // The same answer whether or not the address has an account, so nobody can probe for accounts.
  app.post('/password-reset', authLimit, async (req, res) => {
    const account = findAccount(req.body?.email);
    if (account) await sendResetLink(account);
    res.json({ message: 'If that address has an account, a reset link is on its way.' });
  });

  return app;
}
