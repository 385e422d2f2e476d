// Measures what compression saves on the catalogue of lesson 05, for the figures quoted in the lesson.
//   npx tsx grader/bench/compression.ts [lesson folder, default solutions/05-compression]
import path from 'node:path';
import { AppProcess, baseEnv } from '../support/app-process.js';
import { Client, type SentRequest } from '../support/http.js';
import { delay } from '../support/lesson.js';
import { pickPort } from '../support/ports.js';
import { solutionsDir } from '../src/paths.js';

const dir = path.resolve(process.argv[2] ?? path.join(solutionsDir, '05-compression'));
const route = '/books';
const port = await pickPort();
const server = new AppProcess({ script: path.join(dir, 'src', 'server.ts'), cwd: dir, env: baseEnv({ PORT: String(port) }) });
const client = new Client(`http://127.0.0.1:${port}`, [] as SentRequest[]);

try {
  for (let tries = 0; ; tries++) {
    const ready = await client.raw('GET', '/health').then((reply) => reply.status === 200, () => false);
    if (ready) break;
    if (tries > 200 || !server.running) throw new Error(`src/server.ts did not become ready:\n${server.output()}`);
    await delay(50);
  }
  const sizes: Record<string, number> = {};
  for (const coding of ['identity', 'gzip', 'br']) {
    const reply = await client.raw('GET', route, { headers: { 'Accept-Encoding': coding } });
    const used = reply.headers['content-encoding'] ?? 'identity';
    if (used !== coding) throw new Error(`Asked for ${coding}, got Content-Encoding: ${used}`);
    sizes[coding] = reply.bytes.length;
  }
  const plain = sizes.identity!;
  const saved = (bytes: number) => `${((1 - bytes / plain) * 100).toFixed(1)}% smaller`;
  console.log(`GET ${route} from ${path.relative(process.cwd(), dir) || '.'}`);
  console.log(`identity  ${plain.toLocaleString('en-US').padStart(9)} bytes`);
  console.log(`gzip      ${sizes.gzip!.toLocaleString('en-US').padStart(9)} bytes  ${saved(sizes.gzip!)}`);
  console.log(`br        ${sizes.br!.toLocaleString('en-US').padStart(9)} bytes  ${saved(sizes.br!)}`);
} finally {
  await server.stop();
}
