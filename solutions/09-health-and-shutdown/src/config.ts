// Where the bookshop runs: its port, its Redis and how long a shutdown may take.
import dotenv from 'dotenv';
import { z } from 'zod';

export interface Config {
  port: number;
  redisUrl: string;
  /** How long a graceful shutdown may take before the app exits 1 anyway. */
  shutdownTimeoutMs: number;
}

const schema = z.object({
  PORT: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0).max(65535, 'must be at most 65535').default(3000),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number({ error: 'must be a number' }).int().min(100).default(10_000),
});

export function loadConfig(): Config {
  // .env is for development only; the real environment always wins over it.
  if (process.env.NODE_ENV !== 'production') dotenv.config({ quiet: true });
  // An empty variable counts as missing.
  const set = Object.fromEntries(Object.entries(process.env).filter(([, value]) => value !== ''));
  const result = schema.safeParse(set);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${issue.path.join('.')} ${issue.message}`);
    console.error(`Invalid configuration, not starting:\n${problems.join('\n')}`);
    process.exit(1);
  }
  return { port: result.data.PORT, redisUrl: result.data.REDIS_URL, shutdownTimeoutMs: result.data.SHUTDOWN_TIMEOUT_MS };
}
