import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppProcess, baseEnv, cpuSeconds, residentMb, runQueueSeconds, starved } from './app-process.js';
import { CannotJudge, CheckFailure } from './expect.js';
import type { HostReply, HostRequest } from './host-entry.js';

/** As in host-entry.ts (not imported: the engine runs a compiled copy of that file). */
const HEARTBEAT = -1;

/** host-entry.ts as is; the engine passes a compiled copy to skip the TypeScript loader. */
const defaultHostEntry = fileURLToPath(new URL('./host-entry.ts', import.meta.url));
/** Loading TypeScript, the app's imports and createApp() together. */
const LOAD_TIMEOUT_MS = 10_000;
/** A host that does not answer this fast between checks is stuck (a synchronous loop in a handler). */
const IDLE_ANSWER_MS = 1_500;
/**
 * A host whose heartbeat stops this long while it serves apps, and that spent at least BUSY_SHARE of
 * that time on the CPU, is stuck in synchronous code (an endless loop, a heap about to run out) and
 * is stopped: the check fails fast and names the likely cause. A host that is merely starved of CPU
 * on a loaded machine is left alone (the request's own time limit still applies).
 */
const STUCK_MS = 2_000;
const BUSY_SHARE = 0.1;

type Request = { type: 'create'; args: unknown[] } | { type: 'close-all' } | { type: 'ping' };

/**
 * Failures while loading src/app (an exit, a crash or an endless loop at import time), per app file
 * and environment. Loading does not depend on createApp()'s arguments, so later checks report the
 * same failure at once instead of each waiting for it again.
 */
const loadFailures = new Map<string, string>();

/**
 * A child process that imports the learner's src/app.ts once and serves fresh apps from it. A hang,
 * a crash or an exit in learner code stays in that child.
 */
export class AppHost {
  readonly process: AppProcess;
  private nextId = 1;
  private pending = new Map<number, (reply: HostReply) => void>();
  private ready: Promise<void>;
  /** Requests whose src/app import finished (createApp() was being called). */
  private imported = new Set<number>();
  private readonly loadKey: string;
  private served = false;
  private lastBeat = Date.now();
  private cpuAtBeat: number | undefined;
  private creating = 0;

  /**
   * @param appDir the folder whose src/app is loaded: a compiled copy (src/app.js) or the lesson itself
   * @param cwd the working directory of the process: the learner's lesson folder
   */
  constructor(appDir: string, cwd: string, env: Record<string, string | undefined>, hostEntry = defaultHostEntry) {
    const compiled = path.join(appDir, 'src', 'app.js');
    const appFile = existsSync(compiled) ? compiled : path.join(appDir, 'src', 'app.ts');
    this.loadKey = `${appFile}\u0000${JSON.stringify(env)}`;
    this.process = new AppProcess({
      script: hostEntry,
      args: [appFile],
      cwd,
      env: baseEnv(env),
      ipc: true,
      compiledDir: appFile === compiled ? appDir : undefined,
    });
    let markReady!: () => void;
    this.ready = new Promise((resolve) => (markReady = resolve));
    const watch = setInterval(() => this.watchHeartbeat(), 250).unref();
    void this.process.exited.then(() => clearInterval(watch));
    this.process.child.on('message', (reply: HostReply) => {
      this.lastBeat = Date.now();
      this.cpuAtBeat = cpuSeconds(this.process.child.pid);
      if (reply.id === HEARTBEAT) return;
      if (reply.id === 0) return markReady();
      if (reply.imported) return void this.imported.add(reply.id);
      this.pending.get(reply.id)?.(reply);
      this.pending.delete(reply.id);
    });
  }

  get running(): boolean {
    return this.process.running;
  }

  /** A fresh app from createApp(...args), listening on a free port. Returns its base URL. */
  async create(args: unknown[] = []): Promise<string> {
    const createKey = `${this.loadKey}\u0000${JSON.stringify(args)}`;
    const earlier = loadFailures.get(this.loadKey) ?? loadFailures.get(createKey);
    if (earlier) {
      this.process.kill();
      throw new CheckFailure(earlier);
    }
    const id = this.nextId++;
    let reply: HostReply;
    this.creating += 1;
    try {
      reply = await this.ask(id, { type: 'create', args }, LOAD_TIMEOUT_MS);
    } catch (error) {
      if (!(error instanceof Stuck || error instanceof Exited)) throw error;
      // Once an app was served, src/app.ts has loaded: a later exit is not a loading failure.
      const loaded = this.served || this.imported.has(id);
      const waiting = error instanceof Stuck && error.waiting ? `: ${error.waiting}` : '';
      const message =
        error instanceof Stuck
          ? loaded
            ? `Your createApp() did not return within ${LOAD_TIMEOUT_MS / 1000} s${waiting || ' (an endless loop, or awaiting something that never comes?)'}. It was stopped.`
            : `Your app did not finish loading src/app.ts within ${LOAD_TIMEOUT_MS / 1000} s (an endless loop or a wait at import time?)${waiting}. It was stopped.`
          : `Your app ${this.process.describeExit()} while ${loaded ? 'running createApp()' : 'loading src/app.ts'}. Its output is below.`;
      // Only a machine too busy to run the app is the grader's trouble; what the app does is its own.
      if (error instanceof Stuck && error.starved) throw new CannotJudge(`${message} The machine was too busy to run it: it waited for a CPU for much of that time.`);
      // The same createApp() called the same way waits again: later checks report it at once.
      const repeated = `${message.replace(/ Its output is below\.$/, '')} (Seen in an earlier check; not tried again.)${lastWords(this.process.output())}`;
      if (!loaded) loadFailures.set(this.loadKey, repeated);
      else if (error instanceof Stuck) loadFailures.set(createKey, repeated);
      throw new CheckFailure(message);
    } finally {
      this.creating -= 1;
      this.lastBeat = Date.now();
    }
    if (reply.error) throw new CheckFailure(`Your app could not be started: ${firstLines(this.process.inSource(reply.error))}`);
    this.served = true;
    return `http://127.0.0.1:${reply.port}`;
  }

  /** Closes every app; a host too busy to answer (a synchronous loop in a handler) is killed instead. */
  async closeAll(): Promise<void> {
    if (!this.running) return;
    try {
      if (Date.now() - this.lastBeat > IDLE_ANSWER_MS) throw new Stuck();
      await this.ask(this.nextId++, { type: 'close-all' }, IDLE_ANSWER_MS);
    } catch {
      this.process.kill();
      await this.process.exited; // so that `running` is false and the next check starts a new host
    }
  }

  /** Whether the host's event loop answers within `ms` (false when it is stuck in a loop or gone). */
  async responsive(ms = IDLE_ANSWER_MS): Promise<boolean> {
    if (!this.running) return false;
    try {
      await this.ask(this.nextId++, { type: 'ping' }, ms);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Why the host may not have answered, when it is visibly stuck: its event loop has not turned for
   * over a second. For a check whose request timed out, to say more than "no answer". Instant.
   */
  diagnose(): string | undefined {
    if (!this.served || this.creating > 0) return undefined;
    if (!this.running) return this.process.describeExit() && `Your app ${this.process.describeExit()}.`;
    const silent = Date.now() - this.lastBeat;
    if (silent < 1_000) return undefined;
    const mb = residentMb(this.process.child.pid ?? 0);
    return `Your app's event loop has been blocked for ${(silent / 1000).toFixed(1)} s${mb !== undefined && mb > 300 ? `, using ${Math.round(mb)} MB of memory` : ''}: an endless loop or heavy synchronous work in a handler?`;
  }

  /** Stops a host that serves apps but whose event loop stopped turning: the next check starts a new one. */
  private watchHeartbeat(): void {
    if (!this.served || this.creating > 0 || !this.running) return;
    const silent = Date.now() - this.lastBeat;
    if (silent < STUCK_MS) return;
    const cpu = cpuSeconds(this.process.child.pid);
    const busy = cpu === undefined || this.cpuAtBeat === undefined ? silent >= STUCK_MS * 1.5 : cpu - this.cpuAtBeat >= (silent / 1000) * BUSY_SHARE;
    if (!busy) return;
    const mb = residentMb(this.process.child.pid ?? 0);
    // Said as such wherever the exit is described ("was stopped by the grader: …"), not as a bare SIGKILL.
    this.process.killFor(`its event loop was blocked for ${(silent / 1000).toFixed(1)} s`);
    this.process.note(
      `Stopped your app: its event loop was blocked for ${(silent / 1000).toFixed(1)} s` +
        (mb !== undefined && mb > 300
          ? ` while its memory grew to ${Math.round(mb)} MB (something keeps allocating, and the JavaScript heap is capped at 512 MB).`
          : ' (a synchronous endless loop, or very heavy work in a handler?).'),
    );
  }

  private async ask(id: number, request: Request, timeoutMs: number): Promise<HostReply> {
    const answered = new Promise<HostReply>((resolve) => this.pending.set(id, resolve));
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      this.ready.then(() => {
        if (this.process.child.connected) this.process.child.send({ ...request, id } as HostRequest, undefined, {}, () => {});
        return answered;
      }),
      this.process.exited.then((exit) => exit),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
    ]);
    clearTimeout(timer);
    this.pending.delete(id);
    if (outcome === 'timeout') {
      const stuck = new Stuck(this.process.waitingOn(), starved(runQueueSeconds(this.process.child.pid), timeoutMs));
      this.process.kill();
      throw stuck;
    }
    if ('code' in outcome) throw new Exited();
    return outcome;
  }
}

class Stuck extends Error {
  constructor(
    /** What the host seemed to wait for (AppProcess.waitingOn), when it could tell. */
    readonly waiting?: string,
    /** Whether it spent much of the wait without a CPU: the machine's trouble, not the app's. */
    readonly starved = false,
  ) {
    super();
  }
}

class Exited extends Error {}

function firstLines(text: string, count = 6): string {
  return text.split('\n').slice(0, count).join('\n');
}

/** The last few lines the app printed, for a message that is repeated without the output. */
function lastWords(output: string, count = 4): string {
  const lines = output.split('\n').filter((line) => line.trim() && !line.startsWith('[grader]')).slice(-count).map((line) => (line.length > 200 ? `${line.slice(0, 200)}…` : line));
  return lines.length ? ` Its output ended with:\n${lines.join('\n')}\n` : '';
}

export { CheckFailure };
