import express from 'express';
import { findAccount, sendResetLink, verifyPassword } from './accounts.js';
import { books, findBook } from './catalog.js';

export function createApp() {
  const app = express();
  app.use(express.json());

  app.get('/health', (req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/api/books', (req, res) => {
    res.json(books);
  });

  app.get('/api/books/:id', (req, res) => {
    const book = findBook(Number(req.params.id));
    if (!book) return res.status(404).json({ error: 'Book not found' });
    res.json(book);
  });

  app.post('/login', async (req, res) => {
    const { email, password } = req.body ?? {};
    const account = findAccount(email);
    if (!account || !(await verifyPassword(account, password))) {
      return res.status(401).json({ error: 'Wrong email or password' });
    }
    res.json({ email: account.email, name: account.name });
  });

  // The same answer whether or not the address has an account, so nobody can probe for accounts.
  app.post('/password-reset', async (req, res) => {
    const account = findAccount(req.body?.email);
    if (account) await sendResetLink(account);
    res.json({ message: 'If that address has an account, a reset link is on its way.' });
  });

  return app;
}
