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
  /** With `password`: the commands answered NOAUTH or WRONGPASS because the app had not sent that password. */
  readonly refused: number;
  down(): Promise<void>;
  up(): Promise<void>;
  stall(): void;
  resume(): void;
  close(): Promise<void>;
}

/**
 * `password`: a password the relay demands, as a Redis started with --requirepass does, when the Redis
 * behind it has none (the grader's Redis, shared by every check): `url` carries it (redis://:<password>@…),
 * and a connection must send it (AUTH, or HELLO … AUTH) before any other command; until then each command
 * is answered NOAUTH (counted in `refused`), and nothing reaches the Redis. The AUTH itself is answered by
 * the relay (the Redis behind it would reject a password it has no use for). Ignored when `redisUrl`
 * already carries a password: that Redis demands one itself.
 */
export async function redisOutage(redisUrl: string, { password }: { password?: string } = {}): Promise<RedisOutage> {
  const target = new URL(redisUrl);
  const upstream = { host: target.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(target.port || 6379) };
  const sockets = new Set<net.Socket>();
  /** Each relayed connection's two ends: the replies of a stalled Redis are held in `redis`. */
  const pairs = new Set<{ client: net.Socket; redis: net.Socket }>();
  let stalled = false;
  let sentBytes = 0;
  const commands: string[] = [];
  const calls: string[][] = [];
  let refused = 0;
  let server: net.Server | undefined;
  const demanded = password && !new URL(redisUrl).password ? password : undefined;

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
        if (demanded === undefined) client.pipe(redis).on('close', () => client.destroy());
        else {
          let held: Buffer | undefined = Buffer.alloc(0);
          client.on('data', (chunk: Buffer) => {
            if (!held) return void redis.write(chunk);
            let waiting: Buffer = Buffer.concat([held, chunk]);
            held = waiting;
            const answer = (reply: string) => client.write(reply);
            for (let command = nextCommand(waiting, 0); command; command = nextCommand(waiting, 0)) {
              const rest: Buffer = waiting.subarray(command.next);
              const args = command.args;
              const name = args[0]?.toUpperCase();
              const given = name === 'AUTH' ? (args.length === 2 || (args.length === 3 && ['', 'default'].includes(args[1]!)) ? args.at(-1) : undefined) : undefined;
              const helloAuth = name === 'HELLO' ? args.findIndex((arg, index) => index > 0 && arg.toUpperCase() === 'AUTH') : -1;
              if (given === demanded || (helloAuth > 0 && args[helloAuth + 2] === demanded && ['', 'default'].includes(args[helloAuth + 1]!))) {
                // Authenticated: from here on every byte goes to the Redis (a HELLO without its AUTH part).
                held = undefined;
                if (name === 'AUTH') answer('+OK\r\n');
                else redis.write(serialize(args.filter((_arg, index) => index < helloAuth || index > helloAuth + 2)));
                if (rest.length) redis.write(rest);
                return;
              }
              refused++;
              answer(
                name === 'AUTH' || helloAuth > 0
                  ? '-WRONGPASS invalid username-password pair or user is disabled.\r\n'
                  : name === 'HELLO'
                    ? '-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n'
                    : '-NOAUTH Authentication required.\r\n',
              );
              held = waiting = rest;
            }
          });
        }
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
  if (demanded !== undefined) relayed.password = demanded;

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
    get refused() {
      return refused;
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
  for (let command = nextCommand(buffer, at); command; command = nextCommand(buffer, at)) {
    const [name] = command.args;
    if (name) names.push(name.toUpperCase()), calls.push(command.args);
    at = command.next;
  }
  return buffer.subarray(at);
}

/** The command that starts at `at` in `buffer` (a RESP array, or an inline command) and where the next starts; undefined until all of it arrived. */
function nextCommand(buffer: Buffer, at: number): { args: string[]; next: number } | undefined {
  const end = buffer.indexOf('\r\n', at);
  if (end === -1) return undefined;
  if (buffer[at] !== 0x2a /* '*' */) return { args: buffer.toString('latin1', at, end).trim().split(/\s+/), next: end + 2 };
  let next = end + 2;
  const args: string[] = [];
  for (let index = Number(buffer.toString('latin1', at + 1, end)); index > 0; index--) {
    const line = buffer.indexOf('\r\n', next);
    if (line === -1) return undefined;
    const length = Number(buffer.toString('latin1', next + 1, line));
    if (buffer.length < line + 2 + length + 2) return undefined;
    args.push(buffer.toString('latin1', line + 2, line + 2 + length));
    next = line + 2 + length + 2;
  }
  return { args, next };
}

/** A command as RESP sends it. */
function serialize(args: string[]): Buffer {
  return Buffer.concat([Buffer.from(`*${args.length}\r\n`), ...args.map((arg) => Buffer.from(`$${Buffer.byteLength(arg, 'latin1')}\r\n${arg}\r\n`, 'latin1'))]);
}
