import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { loadConfig } from './config.js';
import { logger } from './logger.js';

const config = loadConfig();
const app = createApp(config);
const server = app.listen(config.port, (error) => {
  if (error) throw error; // Express 5 hands a failed listen (a port in use) to this callback
  logger.info('Bookshop listening', { port: (server.address() as AddressInfo).port });
});

function shutdown(signal: string) {
  logger.info('Closing the server', { signal });
  server.close(() => process.exit(0));
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
