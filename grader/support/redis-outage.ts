import net from 'node:net';

/**
 * A Redis outage the grader controls, for checks that stop "the app's Redis" mid-run without stopping
 * the Redis other checks share (or one the learner gave in REDIS_URL, which the grader may not stop).
 * Give the app `url` instead of the Redis URL: the same scheme, credentials and database, on a port of a
 * relay that passes bytes both ways to the real server.
 *
 * `down()` does what a Redis that stopped does to its clients: every open connection is closed and new
 * ones are refused (the port stops listening). `up()` listens on the same port again, so a client that
 * reconnects finds Redis back; the keys are still there, as after a restart with persistence.
 * `stall()` does what a Redis that hangs does (a server stopped by a debugger, a failover in progress):
 * connections stay open and commands go in, but no reply comes back until `resume()`.
 * `sentBytes` counts the bytes the app has sent to Redis so far, `commands` the names of its commands in
 * order (upper case): whether the app talks to Redis again after an outage, beyond reconnecting (HELLO,
 * CLIENT, SELECT, AUTH, PING). `calls` holds the same commands with their arguments (latin1 text):
 * which key a command named, for a check that asks whether a command from the outage reached Redis later.
 */
export interface RedisOutage {
  url: string;
  readonly sentBytes: number;
  readonly commands: readonly string[];
  readonly calls: readonly (readonly string[])[];
  down(): Promise<void>;
  up(): Promise<void>;
  stall(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function redisOutage(redisUrl: string): Promise<RedisOutage> {
  const target = new URL(redisUrl);
  const upstream = { host: target.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(target.port || 6379) };
  const sockets = new Set<net.Socket>();
  /** Each relayed connection's two ends: the replies of a stalled Redis are held in `redis`. */
  const pairs = new Set<{ client: net.Socket; redis: net.Socket }>();
  let stalled = false;
  let sentBytes = 0;
  const commands: string[] = [];
  const calls: string[][] = [];
  let server: net.Server | undefined;

  const listen = (port: number) =>
    new Promise<net.Server>((resolve, reject) => {
      const relay = net.createServer((client) => {
        const redis = net.connect(upstream);
        for (const socket of [client, redis]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => {}); // a reset while down is the point, not a fault
        }
        let pending: Buffer = Buffer.alloc(0);
        client.on('data', (chunk: Buffer) => {
          sentBytes += chunk.length;
          pending = readCommands(Buffer.concat([pending, chunk]), commands, calls);
        });
        client.pipe(redis).on('close', () => client.destroy());
        const pair = { client, redis };
        pairs.add(pair);
        if (stalled) redis.pause();
        else redis.pipe(client);
        client.on('close', () => (redis.destroy(), pairs.delete(pair)));
        redis.on('close', () => client.destroy());
      });
      relay.once('error', reject);
      relay.listen(port, '127.0.0.1', () => resolve(relay));
    });

  server = await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  const relayed = new URL(redisUrl);
  relayed.hostname = '127.0.0.1';
  relayed.port = String(port);

  const stop = async () => {
    const closing = server && new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    for (const socket of sockets) socket.destroy();
    await closing;
  };

  return {
    url: relayed.toString().replace(/\/$/, ''),
    get sentBytes() {
      return sentBytes;
    },
    commands,
    calls,
    down: stop,
    async up() {
      if (server) return;
      // The port was ours a moment ago; another process may take it in between, rarely: try again briefly.
      for (let attempt = 0; ; attempt++) {
        try {
          server = await listen(port);
          return;
        } catch (error) {
          if (attempt >= 20) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    },
    stall() {
      stalled = true;
      for (const { client, redis } of pairs) redis.unpipe(client), redis.pause();
    },
    resume() {
      if (!stalled) return;
      stalled = false;
      for (const { client, redis } of pairs) redis.pipe(client);
    },
    close: stop,
  };
}

/** Appends the name of every whole command in `buffer` (RESP arrays, or inline commands) to `names`, and the whole command to `calls`; returns the rest. */
function readCommands(buffer: Buffer, names: string[], calls: string[][]): Buffer {
  let at = 0;
  for (;;) {
    const end = buffer.indexOf('\r\n', at);
    if (end === -1) return buffer.subarray(at);
    if (buffer[at] !== 0x2a /* '*' */) {
      const words = buffer.toString('latin1', at, end).trim().split(/\s+/);
      names.push(words[0]!.toUpperCase());
      calls.push(words);
      at = end + 2;
      continue;
    }
    let next = end + 2;
    let name: string | undefined;
    const args: string[] = [];
    for (let index = Number(buffer.toString('latin1', at + 1, end)); index > 0; index--) {
      const line = buffer.indexOf('\r\n', next);
      if (line === -1) return buffer.subarray(at);
      const length = Number(buffer.toString('latin1', next + 1, line));
      if (buffer.length < line + 2 + length + 2) return buffer.subarray(at);
      args.push(buffer.toString('latin1', line + 2, line + 2 + length));
      name ??= args[0]!.toUpperCase();
      next = line + 2 + length + 2;
    }
    if (name) names.push(name), calls.push(args);
    at = next;
  }
}
