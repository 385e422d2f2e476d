import { RedisStore } from 'connect-redis';
import session from 'express-session';
import { createClient } from 'redis';
import sessionFileStore from 'session-file-store';

export interface StoreLocation {
  /** Production: one Redis shared by every instance on every host. */
  redisUrl?: string;
  /** Without Redis: a folder that every process on this machine shares and that survives restarts. */
  sessionDir?: string;
}

export async function createSessionStore({ redisUrl, sessionDir }: StoreLocation): Promise<session.Store> {
  if (redisUrl) {
    // While Redis is down, fail each command at once (a 500) instead of queueing it until Redis is back.
    const client = createClient({ url: redisUrl, disableOfflineQueue: true });
    // Without a listener, a dropped connection is an unhandled 'error' event that kills the process.
    client.on('error', (err) => console.error('Redis client error:', err.message));
    await client.connect();
    // connect-redis sets each key's TTL from the cookie's maxAge.
    return new RedisStore({ client, prefix: 'bookshop:sess:' });
  }
  const FileStore = sessionFileStore(session);
  // The defaults retry a missing file five times and log each try: a logged-out or unknown session
  // id should be a quiet miss (401). Expired files are deleted by the store's hourly reaper.
  return new FileStore({ path: sessionDir ?? '.sessions', retries: 0, logFn: () => {} });
}
