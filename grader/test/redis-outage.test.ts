import net from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { redisOutage, type RedisOutage } from '../support/redis-outage.js';

/** A stand-in for Redis: keeps every byte it receives, answers nothing. */
async function upstream(): Promise<{ url: string; received: () => string; close: () => void }> {
  let received = '';
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { url: `redis://127.0.0.1:${port}/4`, received: () => received, close: () => (sockets.forEach((socket) => socket.destroy()), server.close()) };
}

const resp = (...args: string[]) => `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;

/** A raw client of the relay: sends `bytes`, gives what came back once `until` matches it (or after a while). */
async function exchange(url: string, bytes: string, until: RegExp): Promise<string> {
  const { hostname, port } = new URL(url);
  const socket = net.connect({ host: hostname, port: Number(port) });
  let answer = '';
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 300);
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (until.test(answer)) clearTimeout(timer), resolve();
    });
    socket.on('error', resolve);
    socket.write(bytes);
  });
  socket.destroy();
  return answer;
}

const waitFor = async (condition: () => boolean) => {
  for (const until = Date.now() + 1_000; !condition() && Date.now() < until; ) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe('the Redis relay with a password', () => {
  let relay: RedisOutage | undefined;
  let redis: Awaited<ReturnType<typeof upstream>> | undefined;
  afterEach(async () => {
    await relay?.close();
    redis?.close();
  });

  test('carries the password in its URL and answers NOAUTH to commands sent without it, passing none on', async () => {
    redis = await upstream();
    relay = await redisOutage(redis.url, { password: 's3cret' });
    expect(relay.url).toMatch(/^redis:\/\/:s3cret@127\.0\.0\.1:\d+\/4$/);
    expect(await exchange(relay.url, resp('SELECT', '4') + resp('PING'), /(NOAUTH[^\n]*\n){2}/)).toBe('-NOAUTH Authentication required.\r\n'.repeat(2));
    expect(await exchange(relay.url, resp('HELLO', '3'), /\n/)).toMatch(/^-NOAUTH HELLO must be called/);
    expect(await exchange(relay.url, resp('AUTH', 'wrong'), /\n/)).toMatch(/^-WRONGPASS/);
    expect(relay.refused).toBe(4);
    expect(redis.received()).toBe('');
  });

  test('answers AUTH itself and passes on what follows it; a HELLO goes on without its AUTH part', async () => {
    redis = await upstream();
    relay = await redisOutage(redis.url, { password: 's3cret' });
    expect(await exchange(relay.url, resp('AUTH', 's3cret') + resp('SELECT', '4'), /\n/)).toBe('+OK\r\n');
    await waitFor(() => redis!.received().length > 0);
    expect(redis.received()).toBe(resp('SELECT', '4'));
    await exchange(relay.url, resp('HELLO', '3', 'AUTH', 'default', 's3cret', 'SETNAME', 'app') + resp('PING'), /never/);
    expect(redis.received()).toBe(resp('SELECT', '4') + resp('HELLO', '3', 'SETNAME', 'app') + resp('PING'));
    expect(relay.refused).toBe(0);
  });

  test('without a password, or when the URL has one of its own, passes every byte on', async () => {
    redis = await upstream();
    relay = await redisOutage(redis.url.replace('redis://', 'redis://:own@'), { password: 's3cret' });
    expect(relay.url).toMatch(/^redis:\/\/:own@/);
    await exchange(relay.url, resp('AUTH', 'own') + resp('PING'), /never/);
    expect(redis.received()).toBe(resp('AUTH', 'own') + resp('PING'));
  });
});
