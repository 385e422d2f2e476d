import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';

// Every process must sign cookies with the same secret, and it must not live in the code.
const secret = process.env.SESSION_SECRET;
if (!secret) {
  console.error('SESSION_SECRET is not set. Start the server with SESSION_SECRET=<a long random string>.');
  process.exit(1);
}

const app = await createApp({ secret, redisUrl: process.env.REDIS_URL, sessionDir: process.env.SESSION_DIR });
const server = app.listen(Number(process.env.PORT ?? 3000), (error) => {
  if (error) throw error; // Express 5 hands a failed listen (a port in use) to this callback
  console.log(`Bookshop listening on http://localhost:${(server.address() as AddressInfo).port}`);
});

function shutdown(signal: string) {
  console.log(`${signal} received, closing the server`);
  server.close(() => process.exit(0));
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
