import type { AddressInfo } from 'node:net';
import { createClient } from 'redis';
import { createApp } from './app.js';
import { loadConfig } from './config.js';
import { logger } from './logger.js';

const config = loadConfig();
const redis = createClient({ url: config.redisUrl });
// Without a listener, a lost connection would crash the process; node-redis reconnects on its own.
redis.on('error', (error: Error) => logger.warn('Redis connection error', { message: error.message }));

const app = createApp({ redis });
const server = app.listen(config.port, (error) => {
  if (error) throw error; // Express 5 hands a failed listen (a port in use) to this callback
  logger.info('Bookshop listening', { port: (server.address() as AddressInfo).port });
});

redis.connect().catch((error: Error) => logger.error('Could not connect to Redis', { message: error.message }));

function shutdown(signal: NodeJS.Signals) {
  logger.info('Closing the server', { signal });
  server.close();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
