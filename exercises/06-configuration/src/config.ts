// Where the bookshop runs: its port, its database and the secret that signs session cookies.

export interface Config {
  port: number;
  databaseUrl: string;
  sessionSecret: string;
}

export function loadConfig(): Config {
  return {
    port: Number(process.env.PORT ?? 3000),
    databaseUrl: process.env.DATABASE_URL ?? 'postgres://bookshop:Sh3lf-Life-2019@db.bookshop.internal:5432/bookshop',
    sessionSecret: process.env.SESSION_SECRET!,
  };
}
