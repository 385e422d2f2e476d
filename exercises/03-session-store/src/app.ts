import express from 'express';
import session from 'express-session';
import { authenticate, books } from './accounts.js';

declare module 'express-session' {
  interface SessionData {
    username: string;
    name: string;
  }
}

export function createApp() {
  const app = express();
  app.use(express.json());
  app.use(
    session({
      secret: 'bookshop-secret',
      resave: false,
      saveUninitialized: true,
    }),
  );

  app.get('/health', (req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/books', (req, res) => {
    res.json(books);
  });

  app.post('/login', (req, res) => {
    const account = authenticate(req.body?.username, req.body?.password);
    if (!account) return res.status(401).json({ error: 'Invalid username or password' });
    req.session.username = account.username;
    req.session.name = account.name;
    res.json({ username: account.username, name: account.name });
  });

  app.get('/me', (req, res) => {
    if (!req.session.username) return res.status(401).json({ error: 'Not logged in' });
    res.json({ username: req.session.username, name: req.session.name });
  });

  app.post('/logout', (req, res, next) => {
    req.session.destroy((err) => {
      if (err) return next(err);
      res.clearCookie('connect.sid');
      res.status(204).end();
    });
  });

  return app;
}
