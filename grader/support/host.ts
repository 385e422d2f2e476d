import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppProcess, baseEnv } from './app-process.js';
import { CannotJudge, CheckFailure } from './expect.js';
import type { HostReply, HostRequest } from './host-entry.js';

const hostEntry = fileURLToPath(new URL('./host-entry.ts', import.meta.url));
/** Loading TypeScript, the app's imports and createApp() together. */
const LOAD_TIMEOUT_MS = 10_000;

/**
 * A child process that imports the learner's src/app.ts once and serves fresh apps from it. A hang,
 * a crash or an exit in learner code stays in that child.
 */
export class AppHost {
  readonly process: AppProcess;
  private nextId = 1;
  private pending = new Map<number, (reply: HostReply) => void>();
  private ready: Promise<void>;

  constructor(lessonDir: string, env: Record<string, string | undefined>) {
    this.process = new AppProcess({
      script: hostEntry,
      args: [path.join(lessonDir, 'src', 'app.ts')],
      cwd: lessonDir,
      env: baseEnv(env),
      ipc: true,
    });
    let markReady!: () => void;
    this.ready = new Promise((resolve) => (markReady = resolve));
    this.process.child.on('message', (reply: HostReply) => {
      if (reply.id === 0) return markReady();
      this.pending.get(reply.id)?.(reply);
      this.pending.delete(reply.id);
    });
  }

  get running(): boolean {
    return this.process.running;
  }

  /** A fresh app from createApp(...args), listening on a free port. Returns its base URL. */
  async create(args: unknown[] = []): Promise<string> {
    const reply = await this.ask({ type: 'create', args }, 'loading src/app.ts and calling createApp()');
    if (reply.error) throw new CannotJudge(`Your app could not be started: ${firstLines(reply.error)}`);
    return `http://127.0.0.1:${reply.port}`;
  }

  async closeAll(): Promise<void> {
    if (this.running) await this.ask({ type: 'close-all' }, 'closing apps').catch(() => this.process.kill());
  }

  private async ask(request: { type: 'create'; args: unknown[] } | { type: 'close-all' }, doing: string): Promise<HostReply> {
    const id = this.nextId++;
    const answered = new Promise<HostReply>((resolve) => this.pending.set(id, resolve));
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      this.ready.then(() => {
        this.process.child.send({ ...request, id } as HostRequest);
        return answered;
      }),
      this.process.exited.then((exit) => exit),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), LOAD_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.process.kill();
      throw new CannotJudge(
        `Your app did not finish ${doing} within ${LOAD_TIMEOUT_MS / 1000} s (an endless loop or a wait at import time?). It was stopped.`,
      );
    }
    if ('code' in outcome) {
      const how = outcome.signal ? `was killed by ${outcome.signal}` : `exited with code ${outcome.code}`;
      throw new CannotJudge(`Your app ${how} while ${doing}. Its output is below.`);
    }
    return outcome;
  }
}

function firstLines(text: string, count = 6): string {
  return text.split('\n').slice(0, count).join('\n');
}

export { CheckFailure };
