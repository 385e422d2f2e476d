import http from 'node:http';

/** An answer to one GET, or what happened instead: "connection refused", "connection reset", "no answer within N s". */
export interface Answer {
  status: number | string;
  body: string;
  /** When the answer (or its failure) came, in ms since `origin`. */
  at: number;
  /** Whether it came over a connection the client had kept alive from an earlier request. */
  reused: boolean;
  /** The answer's Connection header, lower-cased ("close", "keep-alive"), when it had one. */
  connection?: string;
}

/**
 * One GET over node:http, with `agent` (a keep-alive pool) or a connection of its own, as a load balancer
 * or a probe sends it: for checks that judge refused and reset connections, which a client library hides.
 */
export function plainGet(port: number, path: string, options: { agent?: http.Agent; timeoutMs: number; origin?: number }): Promise<Answer> {
  const origin = options.origin ?? Date.now();
  return new Promise((resolve) => {
    let reused = false;
    let connection: string | undefined;
    const done = (status: number | string, body = '') => {
      clearTimeout(timer);
      resolve({ status, body, at: Date.now() - origin, reused, ...(connection === undefined ? {} : { connection }) });
    };
    const request = http.get({ host: '127.0.0.1', port, path, agent: options.agent ?? false }, (response) => {
      reused = request.reusedSocket;
      const header = response.headers.connection;
      if (typeof header === 'string') connection = header.toLowerCase();
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => done(response.statusCode ?? 0, body));
      response.on('error', () => done('reset before the whole body arrived', body));
    });
    const timer = setTimeout(() => request.destroy(new Error('timeout')), options.timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.message === 'timeout') done(`no answer within ${options.timeoutMs / 1000} s`);
      else done(error.code === 'ECONNREFUSED' ? 'connection refused' : error.code === 'ECONNRESET' ? 'connection reset' : (error.code ?? error.message));
    });
  });
}
