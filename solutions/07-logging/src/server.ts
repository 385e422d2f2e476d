import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { logger } from './logger.js';

const app = createApp();
const server = app.listen(Number(process.env.PORT ?? 3000), (error) => {
  if (error) throw error; // Express 5 hands a failed listen (a port in use) to this callback
  // Through the logger: a plain line would be the one entry on stdout that is not JSON.
  logger.info('Bookshop listening', { port: (server.address() as AddressInfo).port });
});

function shutdown(signal: string) {
  logger.info('Closing the server', { signal });
  server.close(() => process.exit(0));
  // close() waits for requests in flight, and a slow client may never finish its own: exit within 5 s anyway.
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
