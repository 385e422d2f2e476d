import type { AddressInfo } from 'node:net';
import { createClient } from 'redis';
import { createApp } from './app.js';

// With REDIS_URL set, every instance of the shop counts requests in the same place.
// disableOfflineQueue: while Redis is down, commands fail at once instead of waiting in a queue for the
// reconnection, so a limited route answers at once (500: passOnStoreError is false) instead of hanging.
const redis = process.env.REDIS_URL ? await createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true }).connect() : undefined;
// A dropped connection is an 'error' event: without a listener it would end the process; the client reconnects on its own.
redis?.on('error', (error: Error) => console.error(`Redis: ${error.message}`));

const app = createApp({ redis });
const server = app.listen(Number(process.env.PORT ?? 3000), (error) => {
  if (error) throw error; // Express 5 hands a failed listen (a port in use) to this callback
  console.log(`Bookshop listening on http://localhost:${(server.address() as AddressInfo).port}`);
});

function shutdown(signal: string) {
  console.log(`${signal} received, closing the server`);
  server.close(async () => {
    await redis?.close();
    process.exit(0);
  });
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
