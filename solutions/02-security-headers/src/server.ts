import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';

const app = createApp();
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
