import { createHmac } from 'node:crypto';
import express from 'express';
import type { Config } from './config.js';
import { Database } from './database.js';

export function createApp(config: Config) {
  const app = express();
  const db = new Database(config.databaseUrl);

  // The value is signed so a customer cannot edit the cookie to become someone else.
  const sign = (value: string) => `${value}.${createHmac('sha256', config.sessionSecret).update(value).digest('base64url')}`;

  app.get('/health', (req, res) => {
    res.json({ status: 'ok', database: db.host });
  });

  app.get('/books', async (req, res) => {
    res.json(await db.books());
  });

  app.post('/session', express.json(), (req, res) => {
    const customer = String(req.body?.customer ?? 'guest');
    res.cookie('sid', sign(customer), { httpOnly: true, sameSite: 'lax' });
    res.status(201).json({ customer });
  });

  return app;
}
