// Where the bookshop runs: its port, the secret that signs session cookies and the session folder.
import dotenv from 'dotenv';
import { z } from 'zod';

export interface Config {
  port: number;
  sessionSecret: string;
  /** The embedded session store's folder, shared by every process on this machine. */
  sessionDir: string;
}

const schema = z.object({
  SESSION_SECRET: z.string({ error: 'is missing' }).min(32, 'must be at least 32 characters long'),
  PORT: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0).max(65535, 'must be at most 65535').default(3000),
  SESSION_DIR: z.string().default('.sessions'),
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
  return { port: result.data.PORT, sessionSecret: result.data.SESSION_SECRET, sessionDir: result.data.SESSION_DIR };
}
