import express from 'express';
import session from 'express-session';
import { authenticate, books } from './accounts.js';
import { createSessionStore, type StoreLocation } from './session-store.js';

declare module 'express-session' {
  interface SessionData {
    username: string;
    name: string;
    /** When the password was checked (ms since the epoch): the start of the login's 8 hours. */
    loggedInAt: number;
  }
}

/** The longest a login lasts, idle or not. */
const SESSION_MAX_AGE_MS = 8 * 60 * 60 * 1000;

export interface SessionSettings extends StoreLocation {
  /** Signs the session cookie: the same value on every process, from the environment. */
  secret: string;
}

export async function createApp({ secret, ...location }: SessionSettings) {
  // Sessions live outside the process, so every instance and every restart sees them.
  const store = await createSessionStore(location);
  const app = express();
  // One reverse proxy terminates TLS in front of us; trust its X-Forwarded-Proto so the Secure cookie is sent.
  app.set('trust proxy', 1);
  app.use(express.json());
  app.use(
    session({
      secret,
      store,
      resave: false,
      // No session (and no cookie) until somebody logs in.
      saveUninitialized: false,
      cookie: { httpOnly: true, secure: true, sameSite: 'lax', maxAge: SESSION_MAX_AGE_MS },
    }),
  );
  // Every request renews the session's expiry (an idle timeout): the login time bounds it however busy it is.
  // An older login is destroyed and the request goes on signed out.
  app.use((req, res, next) => {
    const { loggedInAt } = req.session;
    if (loggedInAt === undefined || Date.now() - loggedInAt < SESSION_MAX_AGE_MS) return next();
    req.session.regenerate(next);
  });

  app.get('/health', (req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/books', (req, res) => {
    res.json(books);
  });

  app.post('/login', (req, res, next) => {
    const account = authenticate(req.body?.username, req.body?.password);
    if (!account) return res.status(401).json({ error: 'Invalid username or password' });
    // A new session id at login, so an id somebody planted or saw before is worth nothing after it.
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.username = account.username;
      req.session.name = account.name;
      req.session.loggedInAt = Date.now();
      res.json({ username: account.username, name: account.name });
    });
  });

  app.get('/me', (req, res) => {
    if (!req.session.username) return res.status(401).json({ error: 'Not logged in' });
    res.json({ username: req.session.username, name: req.session.name });
  });

  app.post('/logout', (req, res, next) => {
    req.session.destroy((err) => {
      if (err) return next(err);
      res.clearCookie('connect.sid', { httpOnly: true, secure: true, sameSite: 'lax' });
      res.status(204).end();
    });
  });

  return app;
}
