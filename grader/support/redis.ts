import type { RedisClientType } from 'redis';
import { inject } from 'vitest';
import { installRedis, type RedisService, startRedis } from '../src/redis-server.js';
import { CannotJudge } from './expect.js';

export { installRedis };

declare module 'vitest' {
  interface ProvidedContext {
    /** Set by the grading engine: the run's one Redis, or why there is none. */
    courseRedis?: RedisService;
  }
}

/** The Redis of this grading run, for the checks that need one. */
export interface RedisServer {
  /** Base URL without a database number, e.g. redis://127.0.0.1:6390 */
  url: string;
  /** A URL on a database of its own, flushed, so that two checks (or two grader runs) never share keys. */
  isolatedUrl(): Promise<string>;
}

let shared: Promise<RedisServer> | undefined;

/**
 * The engine starts Redis once per run (REDIS_URL, else redis-server from PATH) and provides it;
 * outside the engine, a Redis is provisioned the same way for this worker. Without one, the check
 * cannot be judged and says how to install Redis.
 */
export function redis(): Promise<RedisServer> {
  shared ??= (async () => {
    const service = inject('courseRedis') ?? (await startRedis()).service;
    if ('error' in service) throw new CannotJudge(service.error);
    return server(service.url, service.databases);
  })();
  return shared;
}

function server(url: string, databases: number): RedisServer {
  return {
    url,
    async isolatedUrl() {
      // Databases other than 0 in turn, counted in Redis itself: every worker of this run, and every
      // other grader run on the same Redis, gets the next one, so no two checks running at once share
      // (and flush) a database. Each is flushed before use.
      const db = 1 + ((await twice(() => withClient(`${url}/0`, (client) => client.incr(ALLOCATOR_KEY)))) % (databases - 1));
      const target = `${url}/${db}`;
      await twice(() => withClient(target, (client) => client.flushDb()));
      return target;
    },
  };
}

/** The key in database 0 counting the databases handed out. */
const ALLOCATOR_KEY = 'course-grader:databases-handed-out';

/**
 * Tries once more when Redis did not answer in time: under the heaviest load seen (two self-checks at
 * once on 2 cores) a command once waited over 5 s. Both are harmless to repeat: a second INCR only
 * skips a database, a second FLUSHDB empties it again.
 */
async function twice<T>(attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch {
    return attempt();
  }
}

/** How long the grader waits for its own Redis commands (connecting included) before it gives up. */
const REDIS_ANSWER_MS = 5_000;

async function withClient<T>(url: string, use: (client: RedisClientType) => Promise<T>): Promise<T> {
  const { createClient } = await import('redis');
  // No reconnecting: a Redis that is not there is reported at once, not retried until the check's limit.
  const client = createClient({ url, socket: { connectTimeout: REDIS_ANSWER_MS, reconnectStrategy: false } }) as RedisClientType;
  client.on('error', () => {});
  let step = 'connecting';
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${REDIS_ANSWER_MS / 1000} s while ${step}`)), REDIS_ANSWER_MS);
  });
  try {
    return await Promise.race([
      (async () => {
        await client.connect();
        step = 'waiting for a command';
        return use(client);
      })(),
      timeout,
    ]);
  } catch (error) {
    throw new CannotJudge(`Could not reach Redis at ${url}: ${(error as Error).message}\n${installRedis}`);
  } finally {
    clearTimeout(timer);
    client.destroy();
  }
}
