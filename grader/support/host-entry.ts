// Runs inside a child process: loads the learner's src/app.ts and serves a fresh app on a free
// port each time the grader asks. The grader's own process never runs learner code.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

export type HostRequest = { id: number; type: 'create'; args: unknown[] } | { id: number; type: 'close-all' } | { id: number; type: 'ping' };
/** `imported` is a progress note for a create request: src/app loaded, createApp() is being called. */
export type HostReply = { id: number; port?: number; error?: string; imported?: boolean };

/** The id of the host's heartbeat messages, sent every HEARTBEAT_MS while its event loop runs. */
export const HEARTBEAT = -1;
export const HEARTBEAT_MS = 250;

const appFile = process.argv[2]!;
const servers = new Set<http.Server>();
/** An error's text as the grader shows it: long enough for a stack trace, never megabytes. */
const ERROR_LIMIT = 8_000;

// Loading starts as soon as the host is up, so that a host started ahead of its first check is warm
// by then. Its outcome, an error included, is the first create request's to report.
const loading = new Promise((resolve) => setImmediate(resolve)).then(() => import(pathToFileURL(appFile).href) as Promise<Record<string, unknown>>);
loading.catch(() => {});

async function create(id: number, args: unknown[]): Promise<number> {
  const module = await loading;
  reply({ id, imported: true });
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
  if (value instanceof http.Server) return 'an http.Server (what app.listen() returns): return the app itself and let src/server.ts listen';
  if (typeof value === 'object') {
    const name = value.constructor?.name;
    const kind = name && name !== 'Object' ? `a ${name}` : 'an object';
    return `${kind} with keys ${Object.keys(value).slice(0, 5).join(', ') || '(none)'}`;
  }
  return `a ${typeof value}`;
}

function errorText(error: unknown): string {
  let text: string;
  try {
    text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  } catch {
    text = 'an error that cannot be turned into text';
  }
  return text.length > ERROR_LIMIT ? `${text.slice(0, ERROR_LIMIT)}\n[… ${text.length - ERROR_LIMIT} more characters]` : text;
}

function reply(message: HostReply): void {
  // The channel may be gone (the grader stopped waiting); nothing to tell anyone then.
  if (process.connected) process.send?.(message, undefined, {}, () => {});
}

process.on('message', (request: HostRequest) => {
  if (request.type === 'ping') return reply({ id: request.id });
  if (request.type === 'close-all') {
    for (const server of servers) server.closeAllConnections(), server.close();
    servers.clear();
    reply({ id: request.id });
    return;
  }
  create(request.id, request.args).then(
    (port) => reply({ id: request.id, port }),
    (error: unknown) => reply({ id: request.id, error: errorText(error) }),
  );
});
// The grader is gone: nobody will ever ask for or close an app again.
process.once('disconnect', () => process.exit(0));
// A heartbeat, so that the grader can tell a busy event loop (a synchronous endless loop in a
// handler) from a handler that merely never answers.
setInterval(() => reply({ id: HEARTBEAT }), HEARTBEAT_MS).unref();
process.send?.({ id: 0 });
