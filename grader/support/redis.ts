import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CannotJudge } from './expect.js';
import { delay, freePort } from './lesson.js';

/**
 * A Redis for the checks that need one, found in this order: REDIS_URL from the grader's
 * environment; a redis-server binary on PATH, started on a free port with no persistence and
 * stopped when the grader's worker exits; otherwise the check cannot be judged, and says how to
 * install Redis.
 */
export interface RedisServer {
  /** Base URL without a database number, e.g. redis://127.0.0.1:6390 */
  url: string;
  /** A URL on a database of its own, so that two checks (or two grader runs) never share keys. */
  isolatedUrl(): Promise<string>;
}

export const installRedis = [
  'These checks need Redis. Install it, or set REDIS_URL to a server you have:',
  '  Debian/Ubuntu: sudo apt-get install -y redis-server',
  '  macOS:         brew install redis',
  '  Docker:        docker run -d -p 6379:6379 redis:7  then  export REDIS_URL=redis://localhost:6379',
].join('\n');

let shared: Promise<RedisServer> | undefined;
let started: ChildProcess | undefined;
process.once('exit', () => started?.kill('SIGKILL'));

export function redis(): Promise<RedisServer> {
  shared ??= provision();
  return shared;
}

async function provision(): Promise<RedisServer> {
  const given = process.env.REDIS_URL;
  if (given) return server(given.replace(/\/\d*$/, ''), 16); // a stock server has 16 databases
  const binary = onPath('redis-server');
  if (!binary) throw new CannotJudge(installRedis);
  const port = await freePort();
  started = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--databases', '256'], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  const until = Date.now() + 5000;
  while (!(await ping(port))) {
    if (Date.now() > until || started.exitCode !== null) throw new CannotJudge(`redis-server did not start on port ${port}.\n${installRedis}`);
    await delay(20);
  }
  return server(url, 256);
}

function server(url: string, databases: number): RedisServer {
  let next = 1 + Math.floor(Math.random() * (databases - 1));
  return {
    url,
    // Databases other than 0 in turn, starting at random so that concurrent grader runs rarely
    // collide; each database is flushed before use.
    async isolatedUrl() {
      const db = next;
      next = (next % (databases - 1)) + 1;
      const target = `${url}/${db}`;
      await flush(target);
      return target;
    },
  };
}

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, command);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

async function ping(port: number): Promise<boolean> {
  const { createConnection } = await import('node:net');
  return new Promise((resolve) => {
    const socket = createConnection(port, '127.0.0.1');
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => (socket.destroy(), resolve(data.toString().startsWith('+PONG'))));
    socket.once('error', () => resolve(false));
  });
}

async function flush(url: string): Promise<void> {
  const { createClient } = await import('redis');
  const client = createClient({ url });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.flushDb();
  } catch (error) {
    throw new CannotJudge(`Could not reach Redis at ${url}: ${(error as Error).message}\n${installRedis}`);
  } finally {
    await client.close().catch(() => {});
  }
}
