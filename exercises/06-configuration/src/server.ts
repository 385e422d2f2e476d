import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { loadConfig } from './config.js';

const config = loadConfig();
const app = createApp(config);
const server = app.listen(config.port, (error) => {
  if (error) throw error; // Express 5 hands a failed listen (a port in use) to this callback
  const { port } = server.address() as AddressInfo;
  console.log(`Bookshop listening on http://localhost:${port} (database ${config.databaseUrl})`);
});

function shutdown(signal: string) {
  console.log(`${signal} received, closing the server`);
  server.close(() => process.exit(0));
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
