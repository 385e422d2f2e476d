// Runs inside a child process: loads the learner's src/app.ts and serves a fresh app on a free
// port each time the grader asks. The grader's own process never runs learner code.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

export type HostRequest = { id: number; type: 'create'; args: unknown[] } | { id: number; type: 'close-all' };
export type HostReply = { id: number; port?: number; error?: string };

const appFile = process.argv[2]!;
const servers = new Set<http.Server>();

async function create(args: unknown[]): Promise<number> {
  const module: Record<string, unknown> = await import(pathToFileURL(appFile).href);
  if (typeof module.createApp !== 'function') {
    throw new Error(`src/app.ts must export a function named createApp (it exports: ${Object.keys(module).join(', ') || 'nothing'}).`);
  }
  const app: unknown = await module.createApp(...args);
  if (typeof app !== 'function' || typeof (app as { handle?: unknown }).handle !== 'function') {
    throw new Error(`createApp() must return an Express app, but it returned ${describe(app)}.`);
  }
  const server = http.createServer(app as http.RequestListener);
  servers.add(server);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return `an object with keys ${Object.keys(value).slice(0, 5).join(', ') || '(none)'}`;
  return `a ${typeof value}`;
}

function reply(message: HostReply): void {
  process.send?.(message);
}

process.on('message', (request: HostRequest) => {
  if (request.type === 'close-all') {
    for (const server of servers) server.closeAllConnections(), server.close();
    servers.clear();
    reply({ id: request.id });
    return;
  }
  create(request.args).then(
    (port) => reply({ id: request.id, port }),
    (error: unknown) => reply({ id: request.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
process.send?.({ id: 0 });
