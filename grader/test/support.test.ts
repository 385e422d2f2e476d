import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { describe, expect, test } from 'vitest';
import { effectiveSources, parsePolicies, scriptSourceWeaknesses } from '../support/csp.js';
import { accessFields, parseLine } from '../support/logs.js';
import { byteCount } from '../support/encoding.js';
import { CheckFailure, expectThat } from '../support/expect.js';
import http from 'node:http';
import { ANSWER_DEADLINE_MS, Client, type RawReply } from '../support/http.js';
import { timeStatements } from '../support/ratelimit.js';
import { listenerIsOwn, pickPort } from '../support/ports.js';
import { SourcePositions } from '../support/source-positions.js';
import { buildLesson } from '../src/build.js';
import { mainThreadActivity, portsListenedOnBy, runQueueSeconds, unreachableInOutput } from '../support/app-process.js';
import { ended, eventually, hasProc } from './processes.js';

// The parsers the checks lean on, fed the formats real libraries emit.

function reply(headers: Record<string, string>): RawReply {
  return { request: { method: 'GET', path: '/', headers: {} }, status: 429, headers: { date: new Date(0).toUTCString(), ...headers }, bytes: Buffer.alloc(0) };
}

describe('RateLimit headers', () => {
  test.each([
    ['Retry-After seconds', { 'retry-after': '900' }, 900],
    ['draft-6 RateLimit-Reset', { 'ratelimit-reset': '899' }, 899],
    ['draft-8 RateLimit', { ratelimit: '"15-in-15min"; r=0; t=898' }, 898],
    ['legacy X-RateLimit-Reset as a Unix time', { 'x-ratelimit-reset': '897' }, 897],
  ])('%s is read as seconds to wait', (_name, headers, seconds) => {
    expect(timeStatements(reply(headers)).map((statement) => statement.seconds)).toContain(seconds);
  });

  test('Retry-After is read in its two forms only: seconds, or an HTTP-date (IMF-fixdate, RFC 850, asctime)', () => {
    const at = Date.parse('2026-12-07T03:04:06Z');
    for (const value of ['900', 'Mon, 07 Dec 2026 03:19:06 GMT', 'Monday, 07-Dec-26 03:19:06 GMT', 'Mon Dec  7 03:19:06 2026']) {
      expect(timeStatements(reply({ 'retry-after': value }), at).map((statement) => statement.seconds)).toEqual([900]);
    }
    for (const value of ['2026-12-07T03:19:06.959Z', 'Mon, 07 Dec 2026 03:19:06 +0000', '15 minutes']) expect(timeStatements(reply({ 'retry-after': value }), at)).toEqual([]);
  });

  test('a RateLimit-Policy window is read as the window, not a wait', () => {
    const [statement] = timeStatements(reply({ 'ratelimit-policy': '100;w=900' }));
    expect(statement).toMatchObject({ seconds: 900, meaning: 'window' });
  });
});

describe('messages', () => {
  test('byte counts are grouped by thousands, as en-US writes them', () => {
    for (const count of [0, 7, 999, 1000, 12_345, 333_071, 1_234_567]) expect(byteCount(count)).toBe(`${count.toLocaleString('en-US')} bytes`);
  });

  test('a message given as a function is written only when the expectation fails', () => {
    let written = 0;
    const message = () => (written++, 'Expected the body to match, got another.');
    expectThat(true, message);
    expect(written).toBe(0);
    expect(() => expectThat(false, message)).toThrow(new CheckFailure('Expected the body to match, got another.'));
    expect(written).toBe(1);
  });
});

describe('Content-Security-Policy', () => {
  test('script-src falls back to default-src, and toothless sources are named', () => {
    const [policy] = parsePolicies("default-src 'self' 'unsafe-inline' https:; object-src 'none'");
    const sources = effectiveSources(policy!.directives, 'script-src');
    expect(sources).toEqual(["'self'", "'unsafe-inline'", 'https:']);
    expect(scriptSourceWeaknesses(sources).length).toBeGreaterThanOrEqual(2);
  });

  test("'unsafe-inline' in script-src-attr lets event handlers run, not <script> elements", () => {
    const [policy] = parsePolicies("script-src 'self' https:; script-src-attr 'unsafe-inline'");
    expect(scriptSourceWeaknesses(effectiveSources(policy!.directives, 'script-src-attr'), 'script-src-attr')).toEqual([
      '\'unsafe-inline\' lets inline event handlers written into the page run, such as <img src=x onerror="…">',
    ]);
    expect(scriptSourceWeaknesses(effectiveSources(policy!.directives, 'script-src-elem'), 'script-src-elem')).toEqual(['the scheme source https: allows any script from any https: URL']);
  });

  test("a strict policy has no weakness", () => {
    const [policy] = parsePolicies("default-src 'self'; script-src 'self'; object-src 'none'");
    expect(scriptSourceWeaknesses(effectiveSources(policy!.directives, 'script-src'))).toEqual([]);
  });
});

describe('log lines', () => {
  const now = Date.now();
  test.each([
    ['winston', `{"level":"info","message":"GET /books 200","timestamp":"${new Date(now).toISOString()}","method":"GET","url":"/books","status":200,"durationMs":3}`],
    ['pino', `{"level":30,"time":${now},"msg":"request completed","req":{"method":"GET","url":"/books"},"res":{"statusCode":200},"responseTime":3}`],
  ])('%s lines give level, message, time and access fields', (_name, line) => {
    const entry = parseLine(line);
    expect(entry.level).toBe('info');
    expect(entry.message).toBeTruthy();
    expect(entry.time?.getTime()).toBe(now);
    expect(accessFields(entry)).toMatchObject({ method: 'GET', path: '/books', status: 200, durationMs: 3 });
  });

  test('a plain console.log line is not structured', () => {
    expect(parseLine('GET /books').fields).toBeUndefined();
  });

  test.each([
    [{ durationMs: 3 }, 3],
    [{ duration: '0.004 s' }, 4],
    [{ duration_seconds: 0.25 }, 250],
    [{ event: { duration: 3_000_000 } }, 3], // ECS writes nanoseconds
  ])('durations are read in ms whatever unit the field is in: %j', (fields, ms) => {
    const entry = parseLine(JSON.stringify({ level: 'info', message: 'GET /books 200', time: now, method: 'GET', url: '/books', status: 200, ...fields }));
    expect(accessFields(entry).durationMs).toBeCloseTo(ms);
  });

  test.each([
    [new Date(now).toISOString(), 1],
    [new Date(now).toISOString().replace(/\.\d+Z$/, 'Z'), 1000],
    [now, 1],
    [Math.floor(now / 1000), 1000],
  ])('a timestamp says how finely it was written: %j', (time, precision) => {
    expect(parseLine(JSON.stringify({ level: 'info', message: 'm', time })).timePrecisionMs).toBe(precision);
  });
});

describe('answers that never end', () => {
  // Headers at once, then a chunk every 100 ms: the socket is never silent long enough to time out.
  test('fail both clients at the deadline, saying the body kept coming', async () => {
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' }).write('[');
      const timer = setInterval(() => res.write('{"id":1},'), 100);
      res.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new Client(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, []);
    await import('supertest'); // loaded by the client's first request: not part of the time measured
    try {
      for (const send of [() => client.raw('GET', '/books'), () => client.get('/books')]) {
        const started = Date.now();
        await expect(send()).rejects.toThrow(/Expected the answer to GET \/books to end within 5 s, but it was still coming/);
        // Stopped by the deadline, not by this test's own time limit: with margin for a busy machine
        // (7.1 s was seen with two self-checks running beside it).
        expect(Date.now() - started).toBeLessThan(ANSWER_DEADLINE_MS * 2);
      }
    } finally {
      server.closeAllConnections();
      server.close();
    }
  }, 30_000);
});

describe('an answer that is not what its Content-Type says', () => {
  test('is reported as a body that does not parse as JSON, with its status and text', async () => {
    const server = http.createServer((req, res) => res.writeHead(500, { 'Content-Type': 'application/json' }).end('Something broke!'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new Client(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, []);
    try {
      await expect(client.get('/books')).rejects.toThrow(/^Expected GET \/books to answer .*got status 500 and a body that does not parse as JSON \(.+\): "Something broke!"\./);
    } finally {
      server.close();
    }
  });
});

describe('ports for learner servers', () => {
  test('are free, and below the range the system hands out by itself', async () => {
    const port = await pickPort();
    expect(port).toBeGreaterThan(10_080); // the highest port fetch() refuses
    const ephemeral = process.platform === 'linux' ? Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) : 49_152;
    expect(port).toBeLessThan(ephemeral);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(port, resolve));
    server.close();
  });

  // The grader tells its own server from another process that took the port first (Linux).
  test.runIf(process.platform === 'linux')('are known to be held by the process that listens, and by no other', async () => {
    const port = await pickPort();
    expect(listenerIsOwn(port, process.pid)).toBeUndefined(); // no one listens yet
    const other = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${port}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise((resolve) => other.stdout.once('data', resolve));
      expect(listenerIsOwn(port, other.pid!)).toBe(true);
      expect(listenerIsOwn(port, process.pid)).toBe(false);
      expect(portsListenedOnBy(other.pid!)).toEqual([port]);
      expect(portsListenedOnBy(process.pid)).not.toContain(port);
    } finally {
      other.kill();
    }
  });
});

describe('stack traces of a compiled app', () => {
  test("name the learner's .ts file and line, not the compiled copy's", async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'course-positions-test-'));
    try {
      const lesson = path.join(work, 'lesson');
      mkdirSync(path.join(lesson, 'src'), { recursive: true });
      // Types and blank lines that the compiled file loses, so its lines differ from the source's.
      const source = ['interface Book {', '  title: string;', '}', '', 'type Shelf = Book[];', '', 'export function fail(shelf: Shelf): never {', "  throw new Error(`no ${shelf.length} books`);", '}', '', 'fail([]);', ''];
      writeFileSync(path.join(lesson, 'src', 'app.ts'), source.join('\n'));
      writeFileSync(path.join(lesson, 'package.json'), '{ "type": "module" }');
      const copy = path.join(work, 'copy');
      expect(await buildLesson(lesson, copy)).toBeUndefined();
      const { stderr } = spawnSync(process.execPath, [path.join(copy, 'src', 'app.js')], { encoding: 'utf8' });
      expect(stderr).toContain(path.join('copy', 'src', 'app.js'));
      const mapped = new SourcePositions(copy).map(stderr);
      const appTs = path.join(lesson, 'src', 'app.ts');
      expect(mapped).toContain(`at fail (${appTs}:8:9)`); // the throw, on line 8 of the source
      expect(mapped).toContain(`${appTs}:11:1`); // the call
      expect(mapped).not.toContain(path.join('copy', 'src', 'app.js:'));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe("the grader's Redis connection", () => {
  // A server that answers each command with the next scripted reply, one byte per write, so that
  // every reply arrives in pieces; it records what it was sent.
  async function scriptedRedis(replies: string[]): Promise<{ url: string; received: () => string; close: () => void }> {
    let received = '';
    const server = net.createServer((socket) => {
      let writing = Promise.resolve(); // replies go out in order, however the commands arrived
      socket.on('data', (data) => {
        received += data.toString();
        const commands = data.toString().match(/^\*\d+\r\n/gm)?.length ?? 0;
        for (let index = 0; index < commands; index++) {
          const reply = Buffer.from(replies.shift() ?? '-ERR no more replies\r\n');
          writing = writing.then(async () => {
            for (const byte of reply) {
              socket.write(Buffer.from([byte]));
              await new Promise((resolve) => setImmediate(resolve));
            }
          });
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    return { url: `redis://grader:p%40ss@127.0.0.1:${port}/7`, received: () => received, close: () => server.close() };
  }

  test('logs in and selects the database before any command, and reads replies that arrive in pieces', async () => {
    const { RedisConnection } = await import('../support/redis.js');
    const fake = await scriptedRedis(['+OK\r\n', '+OK\r\n', '*3\r\n$4\r\nsess\r\n$-1\r\n:42\r\n', ':-2\r\n', '$4\r\nh\u00e9!\r\n']);
    const connection = new RedisConnection(fake.url);
    try {
      expect(await connection.command('KEYS', '*')).toEqual(['sess', null, 42]);
      expect(await connection.command('TTL', 'gone')).toBe(-2);
      expect(await connection.command('GET', 'k')).toBe('hé!');
      const sent = fake.received();
      expect(sent.startsWith('*3\r\n$4\r\nAUTH\r\n$6\r\ngrader\r\n$4\r\np@ss\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n7\r\n*2\r\n$4\r\nKEYS\r\n')).toBe(true);
    } finally {
      connection.close();
      fake.close();
    }
  });

  test("rejects with Redis's own words, and never runs a command when it could not select the database", async () => {
    const { RedisConnection } = await import('../support/redis.js');
    const fake = await scriptedRedis(['+OK\r\n', '-ERR DB index is out of range\r\n', ':1\r\n']);
    const connection = new RedisConnection(fake.url);
    try {
      await expect(connection.command('FLUSHDB')).rejects.toThrow('ERR DB index is out of range');
      expect(fake.received()).not.toContain('FLUSHDB');
    } finally {
      connection.close();
      fake.close();
    }
  });

  test('an error inside an array fails that reply only, and the next reply is still read', async () => {
    const { RedisConnection } = await import('../support/redis.js');
    const fake = await scriptedRedis(['+OK\r\n', '+OK\r\n', '*3\r\n:1\r\n-WRONGTYPE not a list\r\n$2\r\nok\r\n', ':7\r\n']);
    const connection = new RedisConnection(fake.url);
    try {
      const exec = connection.command('EXEC');
      const incr = connection.command('INCR', 'n'); // sent before the first reply arrives
      await expect(exec).rejects.toThrow('WRONGTYPE not a list');
      expect(await incr).toBe(7);
    } finally {
      connection.close();
      fake.close();
    }
  });

  test('speaks to a real Redis: counts, lists keys with their time to live, and empties a database', async () => {
    const { startRedis } = await import('../src/redis-server.js');
    const { RedisConnection, withConnection } = await import('../support/redis.js');
    const { service, stop } = await startRedis();
    try {
      if ('error' in service) throw new Error(service.error); // CI installs redis-server: missing is a failure
      const url = `${service.url}/3`;
      await withConnection(url, async (redis) => {
        expect(await redis.command('FLUSHDB')).toBe('OK');
        expect(await redis.command('INCR', 'counter')).toBe(1);
        expect(await redis.command('SET', 'session', 'x', 'EX', '60')).toBe('OK');
        expect(((await redis.command('KEYS', '*')) as string[]).sort()).toEqual(['counter', 'session']);
        expect(await redis.command('TTL', 'session')).toBeGreaterThan(50);
        expect(await redis.command('FLUSHDB')).toBe('OK');
        expect(await redis.command('KEYS', '*')).toEqual([]);
      });
      const other = new RedisConnection(`${service.url}/4`);
      try {
        expect(await other.command('DBSIZE')).toBe(0);
      } finally {
        other.close();
      }
      const closed = await pickPort();
      await expect(withConnection(`redis://127.0.0.1:${closed}/1`, (redis) => redis.command('PING'))).rejects.toThrow(/Could not reach Redis at .*ECONNREFUSED/);
    } finally {
      stop();
    }
  });
});

describe.skipIf(!hasProc)('what a process that does not answer is doing', () => {
  // The three ways an app's main thread fails to listen: busy, waiting for something, stuck writing.
  test.each([
    ['busy in a loop', 'while (true) {}', /^running JavaScript$/],
    ['waiting for a promise', 'setInterval(() => {}, 60_000); await new Promise(() => {});', /^idle in its event loop/],
    ['writing to a pipe nobody reads', "require('node:fs').writeSync(1, 'x'.repeat(1 << 20));", /^blocked writing its output$/],
  ])('%s', async (_, code, expected) => {
    const child = spawn(process.execPath, [code.includes('await') ? '--input-type=module' : '--input-type=commonjs', '-e', code], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      // Looked at until it gets there: a loaded machine may take a while to start it.
      await eventually(() => expected.test(mainThreadActivity(child.pid) ?? ''), 15_000);
      expect(mainThreadActivity(child.pid)).toMatch(expected);
      expect(runQueueSeconds(child.pid)).toBeGreaterThanOrEqual(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);
});

describe('what a process that waits on a server of its own is waiting for', () => {
  test('names the address it keeps failing to reach, beside the addresses the grader gave it', async () => {
    const { AppProcess, baseEnv } = await import('../support/app-process.js');
    const closed = await pickPort(); // nothing listens there
    const dir = mkdtempSync(path.join(os.tmpdir(), 'course-waiting-'));
    const script = path.join(dir, 'app.mjs');
    // As a Redis client does with a listener for its errors: connect, print the error, try again.
    writeFileSync(script, `import net from 'node:net';\nconst tryAgain = () => net.connect(${closed}, '127.0.0.1').on('error', (error) => { console.error('client error:', error.message); setTimeout(tryAgain, 20); });\ntryAgain();\n`);
    const app = new AppProcess({ script, cwd: dir, env: baseEnv({ REDIS_URL: 'redis://127.0.0.1:1234/5' }) });
    try {
      await eventually(() => (app.output().match(/ECONNREFUSED/g) ?? []).length >= 3, 15_000);
      expect(app.waitingOn()).toMatch(new RegExp(`^it kept trying to reach 127\\.0\\.0\\.1:${closed} \\(ECONNREFUSED, \\d+ times in its output\\), while the addresses the grader gave it are REDIS_URL=redis://127\\.0\\.0\\.1:1234/5$`));
    } finally {
      app.kill();
      await app.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  test.skipIf(!hasProc)('tells the servers a process is connected to from the clients connected to it', async () => {
    const { connectedTo } = await import('../support/app-process.js');
    const server = net.createServer((socket) => socket.on('error', () => {}));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    // The child listens itself, is connected to by a client, and connects out to the server above.
    const code = `const net = require('node:net'); const own = net.createServer().listen(0, '127.0.0.1', () => { net.connect(own.address().port, '127.0.0.1'); net.connect(${port}, '127.0.0.1'); });`;
    const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
    try {
      await eventually(() => connectedTo(child.pid).length >= 2, 15_000);
      const found = connectedTo(child.pid);
      expect(found).toContain(`127.0.0.1:${port}`);
      // Its connection to itself is both outgoing (kept) and incoming (left out): one entry, to its own port.
      expect(found.length).toBe(2);
    } finally {
      child.kill('SIGKILL');
      server.close();
    }
  }, 30_000);

  test('reads the ways Node words a server it could not reach', () => {
    const output = 'Redis client error: connect ECONNREFUSED 127.0.0.1:6379\nError: getaddrinfo ENOTFOUND redis\nconnect ECONNREFUSED ::1:6379\nconnect ETIMEDOUT 10.0.0.7:5432\nconnect ECONNREFUSED 127.0.0.1:6379\n';
    expect(unreachableInOutput(output)).toEqual([
      { target: '127.0.0.1:6379', code: 'ECONNREFUSED', count: 2 },
      { target: 'redis', code: 'ENOTFOUND', count: 1 },
      { target: '::1:6379', code: 'ECONNREFUSED', count: 1 },
      { target: '10.0.0.7:5432', code: 'ETIMEDOUT', count: 1 },
    ]);
    expect(unreachableInOutput('Bookshop listening on http://localhost:3000\n')).toEqual([]);
  });
});

describe.skipIf(!hasProc)('the watchdog', () => {
  // A grader thread that dies at once, without cleaning up anything itself.
  test('kills the watched groups and removes the watched folders when its grader dies, and only those', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'course-watchdog-test-'));
    const script = `
      import { mkdirSync } from 'node:fs';
      import { makeTempFolder, removeTempFolder, spawnWatched } from ${JSON.stringify(path.join(import.meta.dirname, '..', 'support', 'watchdog.ts'))};
      const folders = ['plain-', 'with space-', 'removed-', 'it\\'s "quoted" * ?-'].map((prefix) => makeTempFolder(prefix, process.env.ROOT));
      removeTempFolder(folders[2]);
      mkdirSync(folders[2]); // made again by someone else: no longer the grader's to remove
      const sleeper = spawnWatched('sleep', ['300'], { stdio: ['ignore', 'ignore', 'ignore'] });
      setTimeout(() => { console.log(JSON.stringify({ folders, sleeper: sleeper.pid })); process.kill(process.pid, 'SIGKILL'); }, 300);
    `;
    try {
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], {
        env: { ...process.env, ROOT: root },
        encoding: 'utf8',
      });
      expect(child.signal, child.stderr).toBe('SIGKILL');
      const { folders, sleeper } = JSON.parse(child.stdout) as { folders: string[]; sleeper: number };
      const left = () => folders.map((folder) => existsSync(folder));
      await eventually(() => ended(sleeper) && left().filter(Boolean).length === 1);
      expect(ended(sleeper), `sleep ${sleeper} still runs`).toBe(true);
      expect(left()).toEqual([false, false, true, false]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
