import session from 'express-session';
import sessionFileStore from 'session-file-store';

/** What GET /metrics reports. */
export interface Metrics {
  /** Session lookups: each is a round trip to the store (a file here, Redis in production). */
  sessionStoreReads: number;
}

/** The embedded store of lesson 03 (files in `dir`, shared by the processes of one machine), its reads counted. */
export function createSessionStore(dir: string, metrics: Metrics): session.Store {
  const FileStore = sessionFileStore(session);
  // No retries and no log for a missing file: an unknown or logged-out session id is a quiet miss.
  const store = new FileStore({ path: dir, retries: 0, logFn: () => {} });
  const lookup = store.get.bind(store);
  store.get = (sid, callback) => {
    metrics.sessionStoreReads++;
    lookup(sid, callback);
  };
  return store;
}
