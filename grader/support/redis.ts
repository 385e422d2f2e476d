import net from 'node:net';
import tls from 'node:tls';
import { inject } from 'vitest';
import { installRedis, type RedisService, startRedis } from '../src/redis-server.js';
import { CannotJudge } from './expect.js';

export { installRedis };

declare module 'vitest' {
  interface ProvidedContext {
    /** Set by the grading engine: each lesson's Redis, or why there is none. */
    courseRedis?: Record<string, RedisService>;
  }
}

/** The Redis of this grading run, for the checks that need one. */
export interface RedisServer {
  /** Base URL without a database number, e.g. redis://127.0.0.1:6390 */
  url: string;
  /** A URL on a database of its own, flushed, so that two checks (or two grader runs) never share keys. */
  isolatedUrl(): Promise<string>;
}

const servers = new Map<string, Promise<RedisServer>>();

/**
 * The lesson's Redis. The engine starts one per lesson and run (a redis-server from PATH, so that an
 * app that shuts its Redis down, pauses it or sets a password harms its own lesson only), or passes
 * on REDIS_URL to all of them; outside the engine, one is provisioned the same way for this worker.
 * Without one, the check cannot be judged and says how to install Redis.
 */
export function redis(lesson: string): Promise<RedisServer> {
  let found = servers.get(lesson);
  if (!found) {
    found = (async () => {
      const service = inject('courseRedis')?.[lesson] ?? (await startRedis()).service;
      if ('error' in service) throw new CannotJudge(service.error);
      return server(service.url, service.databases);
    })();
    servers.set(lesson, found);
  }
  return found;
}

function server(url: string, databases: number): RedisServer {
  return {
    url,
    async isolatedUrl() {
      // Databases other than 0 in turn, counted in Redis itself: every worker of this run, and every
      // other grader run on the same Redis, gets the next one, so no two checks running at once share
      // (and flush) a database. Each is flushed before use.
      const db = 1 + (Number(await twice(() => withConnection(`${url}/0`, (connection) => connection.command('INCR', ALLOCATOR_KEY)))) % (databases - 1));
      const target = `${url}/${db}`;
      await twice(() => withConnection(target, (connection) => connection.command('FLUSHDB')));
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

/** A reply as RESP gives it: a status or bulk string, an integer, nil, or an array of replies. */
export type RedisReply = string | number | null | RedisReply[];

/**
 * One connection speaking RESP, for the few commands the grader sends (INCR, FLUSHDB, KEYS, TTL).
 * Written here rather than taken from the `redis` package, which the apps use: loading that client
 * cost each grader thread about 0.25 s of CPU, and creating one about 0.07 s more, for six commands.
 */
export class RedisConnection {
  private readonly socket: net.Socket;
  private buffer = Buffer.alloc(0);
  private readonly waiting: { resolve: (reply: RedisReply) => void; reject: (error: Error) => void }[] = [];
  private failure: Error | undefined;
  private readonly ready: Promise<unknown>;

  /** Connects to `url` (redis:// or rediss://, with the user, password and database it names). */
  constructor(url: string) {
    const { protocol, hostname, port, username, password, pathname } = new URL(url);
    const host = hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
    const options = { host, port: Number(port || 6379) };
    this.socket = protocol === 'rediss:' ? tls.connect({ ...options, servername: host }) : net.connect(options);
    this.socket.on('data', (chunk: Buffer) => this.receive(chunk));
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('close', () => this.fail(new Error('the connection closed')));
    // Sent as soon as the socket connects; every command waits for them, so none reaches another database.
    const user = username ? [decodeURIComponent(username)] : [];
    this.ready = Promise.all([password && this.send(['AUTH', ...user, decodeURIComponent(password)]), pathname.length > 1 && this.send(['SELECT', pathname.slice(1)])]);
    this.ready.catch(() => {}); // reported by the commands that wait for it
  }

  get connecting(): boolean {
    return this.socket.connecting;
  }

  /** Sends one command; its reply, or an error with what Redis said. */
  async command(...args: string[]): Promise<RedisReply> {
    await this.ready;
    return this.send(args);
  }

  private send(args: string[]): Promise<RedisReply> {
    if (this.failure) return Promise.reject(this.failure);
    const body = args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('');
    this.socket.write(`*${args.length}\r\n${body}`);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (let parsed = parseReply(this.buffer, 0); parsed; parsed = parseReply(this.buffer, 0)) {
      this.buffer = this.buffer.subarray(parsed.next);
      const waiter = this.waiting.shift();
      if (parsed.value instanceof Error) waiter?.reject(parsed.value);
      else waiter?.resolve(parsed.value);
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
  }
}

/** The reply that starts at `at`, and where the next one starts; undefined until all of it arrived. */
function parseReply(buffer: Buffer, at: number): { value: RedisReply | Error; next: number } | undefined {
  const end = buffer.indexOf('\r\n', at);
  if (end === -1) return undefined;
  const line = buffer.toString('utf8', at + 1, end);
  const next = end + 2;
  switch (String.fromCharCode(buffer[at]!)) {
    case '+':
      return { value: line, next };
    case '-':
      return { value: new Error(line), next };
    case ':':
      return { value: Number(line), next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.toString('utf8', next, next + length), next: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next };
      // An error inside an array (a transaction's) fails the whole reply, once all of it is read.
      const items: RedisReply[] = [];
      let error: Error | undefined;
      let from = next;
      for (let index = 0; index < count; index++) {
        const item = parseReply(buffer, from);
        if (!item) return undefined;
        if (item.value instanceof Error) error ??= item.value;
        else items.push(item.value);
        from = item.next;
      }
      return { value: error ?? items, next: from };
    }
    default:
      return { value: new Error(`not a RESP reply: ${line.slice(0, 40)}`), next: buffer.length };
  }
}

/** Runs `use` on a connection to `url`, within REDIS_ANSWER_MS; an unreachable Redis cannot be judged. */
export async function withConnection<T>(url: string, use: (connection: RedisConnection) => Promise<T>): Promise<T> {
  let connection: RedisConnection | undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${REDIS_ANSWER_MS / 1000} s while ${connection?.connecting ? 'connecting' : 'waiting for a command'}`)),
      REDIS_ANSWER_MS,
    );
  });
  try {
    connection = new RedisConnection(url);
    return await Promise.race([use(connection), timeout]);
  } catch (error) {
    throw new CannotJudge(`Could not reach Redis at ${url}: ${(error as Error).message}\n${installRedis}`);
  } finally {
    clearTimeout(timer);
    connection?.close();
  }
}
