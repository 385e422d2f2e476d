// Where the bookshop runs: its port, its database and the secret that signs session cookies.
import dotenv from 'dotenv';
import { z } from 'zod';

export interface Config {
  port: number;
  databaseUrl: string;
  sessionSecret: string;
}

const missingOr = (problem: string) => (issue: { input: unknown }) => (issue.input === undefined ? 'is missing' : problem);

// Required values have no defaults: a server without its database or secret must not start.
const schema = z.object({
  // postgres:///bookshop parses as a URL, but names no server: the host is required too.
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, hostname: /./, error: missingOr('must be a postgres:// URL with a host') }),
  SESSION_SECRET: z.string({ error: missingOr('must be a string') }).min(32, 'must be at least 32 characters long'),
  PORT: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0).max(65535, 'must be at most 65535').default(3000),
});

export function loadConfig(): Config {
  // .env is a convenience for development; production sets real variables. dotenv never overrides
  // a variable that is already set, so the real environment wins, and a missing file is not an error.
  if (process.env.NODE_ENV !== 'production') dotenv.config({ quiet: true });

  // An empty variable counts as missing: `DATABASE_URL=` is refused, and `PORT=` gets its default
  // (z.coerce would turn '' into 0, a port the system picks at random). A blank one (`PORT=' '`) is
  // empty too: z.coerce turns ' ' into 0 as well.
  const set = Object.fromEntries(Object.entries(process.env).filter(([, value]) => value?.trim()));
  const result = schema.safeParse(set);
  if (!result.success) {
    // Every problem at once, by name only: the values may be secrets.
    const problems = result.error.issues.map((issue) => `  ${issue.path.join('.')} ${issue.message}`);
    console.error(`Invalid configuration, not starting:\n${problems.join('\n')}`);
    process.exit(1);
  }
  const env = result.data;
  return { port: env.PORT, databaseUrl: env.DATABASE_URL, sessionSecret: env.SESSION_SECRET };
}
