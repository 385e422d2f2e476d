import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from 'redis';
import { createApp, type Lifecycle } from './app.js';
import { loadConfig } from './config.js';
import { logger } from './logger.js';

const config = loadConfig();
const lifecycle: Lifecycle = { shuttingDown: false };
const redis = createClient({ url: config.redisUrl });
// Without a listener, a lost connection would crash the process; node-redis reconnects on its own.
redis.on('error', (error: Error) => logger.warn('Redis connection error', { message: error.message }));

const app = createApp({ redis, lifecycle });
// Listen at once: /health and /ready answer while Redis connects (/ready says 503 until it has).
const server = app.listen(config.port, (error) => {
  if (error) throw error; // Express 5 hands a failed listen (a port in use) to this callback
  logger.info('Bookshop listening', { port: (server.address() as AddressInfo).port });
});

// Responses in flight, so that shutdown can tell each one to close its connection once it is sent.
const inFlight = new Set<ServerResponse>();
server.prependListener('request', (req, res: ServerResponse) => {
  // A request that arrives on a kept-alive connection during shutdown is the last on it.
  if (lifecycle.shuttingDown) res.setHeader('Connection', 'close');
  inFlight.add(res);
  res.on('close', () => inFlight.delete(res));
});

redis.connect().then(
  // Ready only now: PM2 (wait_ready) keeps the old worker until this message arrives.
  () => process.send?.('ready'),
  (error: Error) => logger.error('Could not connect to Redis', { message: error.message }),
);

async function shutdown(signal: NodeJS.Signals) {
  if (lifecycle.shuttingDown) {
    // A second signal: whoever sent it will not wait any longer.
    logger.error('Second signal during shutdown, exiting now', { signal });
    process.exit(1);
  }
  lifecycle.shuttingDown = true; // /ready answers 503 from now on
  logger.info('Shutting down', { signal, inFlight: inFlight.size });
  // The deadline: whatever is still open then is dropped. unref() so it never holds the process itself.
  setTimeout(() => {
    logger.error('Shutdown deadline passed, exiting now', { timeoutMs: config.shutdownTimeoutMs, inFlight: inFlight.size });
    process.exit(1);
  }, config.shutdownTimeoutMs).unref();

  // Stop accepting connections; close the idle kept-alive ones now and the busy ones after their response.
  const closed = new Promise((resolve) => server.close(resolve));
  server.closeIdleConnections();
  for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
  await closed;
  // Then the Redis connection and the logger: nothing is left to hold the process open.
  await redis.close().catch(() => redis.destroy());
  logger.info('Shutdown complete', { signal });
  // Exit once the logger has written everything: under PM2 its IPC channel alone keeps the process alive.
  logger.on('finish', () => process.exit(0));
  logger.end();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
