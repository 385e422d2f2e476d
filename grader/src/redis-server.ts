import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { listenerIsOwn, pickPort } from '../support/ports.js';
import { spawnWatched, unwatch } from '../support/watchdog.js';

/** How a grading run reaches Redis: a URL and how many databases it has, or why there is none. */
export type RedisService = { url: string; databases: number } | { error: string };

export const installRedis = [
  'These checks need Redis. Install it, or set REDIS_URL to a server you have:',
  '  Debian/Ubuntu: sudo apt-get install -y redis-server',
  '  macOS:         brew install redis',
  '  Docker:        docker run -d -p 6379:6379 redis:7  then  export REDIS_URL=redis://localhost:6379',
].join('\n');

/**
 * REDIS_URL from the grader's environment; else a redis-server from PATH, started on a free port with
 * no persistence (the engine starts one per lesson and run); else an error that says how to install Redis.
 */
export async function startRedis(): Promise<{ service: RedisService; stop: () => void }> {
  const given = process.env.REDIS_URL;
  if (given) return { service: { url: given.replace(/\/\d*$/, ''), databases: 16 }, stop: () => {} };
  const binary = (process.env.PATH ?? '')
    .split(path.delimiter)
    .map((dir) => path.join(dir, 'redis-server'))
    .find((candidate) => existsSync(candidate));
  if (!binary) return { service: { error: installRedis }, stop: () => {} };
  let error = '';
  // A port chosen free may be taken before redis-server binds it: then it tries another.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await pickPort();
    // A group of its own, known to the watchdog: a grader that is killed leaves no Redis behind.
    const child = spawnWatched(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--databases', '256'], {
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    const stop = () => {
      child.kill('SIGKILL');
      unwatch(child.pid);
    };
    process.once('exit', stop);
    const until = Date.now() + 5000;
    while (child.exitCode === null && Date.now() < until) {
      if (await ping(port)) {
        if (listenerIsOwn(port, child.pid ?? 0) === false) break; // another grader's Redis answered
        return { service: { url: `redis://127.0.0.1:${port}`, databases: 256 }, stop };
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    stop();
    process.off('exit', stop);
    error = `redis-server did not start on port ${port}.\n${installRedis}`;
  }
  return { service: { error }, stop: () => {} };
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.createConnection(port, '127.0.0.1');
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => (socket.destroy(), resolve(data.toString().startsWith('+PONG'))));
    socket.once('error', () => resolve(false));
  });
}
