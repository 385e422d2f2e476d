import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, inject, test } from 'vitest';
import { lessonById } from '../src/registry/index.js';
import type { CheckDefinition, LessonDefinition } from '../src/registry/types.js';
import { BUILD_ERROR_FILE, LEARNER_BUILD_ERROR } from '../src/build.js';
import type { PreparedJob } from '../src/engine.js';
import { AppProcess, baseEnv, cpuSeconds, mainThreadActivity, portsListenedOnBy, runQueueSeconds, starved, type ExitInfo } from './app-process.js';
import { CannotJudge, CheckFailure } from './expect.js';
import { busyMachine } from './machine.js';
import { AppHost } from './host.js';
import { Client, loadClientSoon, toCurl, type SentRequest } from './http.js';
import { listenerIsOwn, pickPort } from './ports.js';
import { makeTempFolder, removeTempFolder } from './watchdog.js';

declare module 'vitest' {
  interface ProvidedContext {
    courseJobs: PreparedJob[];
    courseHostEntry: string;
    courseSideBySide: boolean;
  }
  interface TaskMeta {
    course?: CheckMeta;
  }
}

/**
 * What a failure is about, set as `about` on the error a check throws: the output it was seen in and
 * the request that showed it (none for output written at startup or shutdown).
 */
export interface FailureAbout {
  output: string;
  request?: SentRequest;
}

/** What a check leaves for the reporters beside its error message. */
export interface CheckMeta {
  curl?: string;
  output: string;
  /**
   * Where the report's "Look at" line is looked for, when not in `output`: a failure whose fault is not
   * where the output's stacks were thrown (what is logged, what an answer says) sets it on its error as
   * `locateIn`, the text that shows the code at fault, or '' for none.
   */
  locateIn?: string;
  cannotJudge: boolean;
}

/** What the results keep of an app's output per check: the end, where the failure is. */
const OUTPUT_KEPT = 16 * 1024;
/** How long one check may run, within the lesson's own limit. */
const CHECK_LIMIT_MS = 20_000;
const STARTUP_LIMIT_MS = 10_000;
/** Starts of a server whose port another process took first before the grader reports what it sees. */
const PORT_ATTEMPTS = 3;

type Env = Record<string, string | undefined>;

export interface AppOptions {
  /** Variables for the process that hosts the app (NODE_ENV unset unless given). */
  env?: Env;
  /** Arguments for createApp(). */
  args?: unknown[];
}

export interface ServerOptions {
  env?: Env;
  /** Working directory of the process; the lesson folder unless given. */
  cwd?: string;
}

/** src/server.ts running in its own process, ready (GET /health answered 200). */
export interface RunningServer {
  client: Client;
  port: number;
  process: AppProcess;
  /** Sends SIGTERM and waits for the exit (SIGKILL after a grace period). */
  stop(): Promise<ExitInfo>;
}

/** A start that ended before the app was ready: how the process ended and what it printed. */
export interface StartupExit {
  exit: ExitInfo;
  /** "exited with code 1", "was killed by SIGSEGV", … */
  description: string;
  output: string;
  /** What it wrote on stdout alone (as much as was kept), for checks that judge a refusal's stdout. */
  stdout?: string;
}

export interface StartupOptions extends ServerOptions {
  /** Also watch every port the process itself listens on, not only the PORT it was given (Linux only). */
  anyPort?: boolean;
}

export interface Startup {
  /** How the process ended, or undefined if it was still running when the wait ended. */
  exit: ExitInfo | undefined;
  /** Whether anything accepted a TCP connection on the app's port meanwhile. */
  acceptedConnection: boolean;
  /** With `anyPort`: the ports the process was seen listening on; undefined where the system does not tell. */
  listenedOn?: number[];
  output: string;
  /** What it wrote on stdout alone (as much as was kept). */
  stdout?: string;
}

/** Declares a lesson's checks, once per folder being graded. */
export function lesson(id: string, body: (kit: LessonKit) => void): void {
  const definition = lessonById(id);
  const kits = inject('courseJobs')
    .filter((job) => job.lesson === id)
    .map((job) => new LessonKit(definition, job));
  // In a run of several lessons from one check file (checks/side-by-side.check.ts), each lesson's
  // suite runs alongside the others', as many at once as the project's maxConcurrency.
  const suite = inject('courseSideBySide') ? describe.concurrent : describe;
  kits.forEach((kit, index) => {
    suite(kit.label, () => {
      // While one folder is graded, the app hosts of the next one start: never all folders' at once.
      beforeAll(() => kits[index + 1]?.warmUp());
      afterAll(() => kit.dispose());
      body(kit);
    });
  });
  kits[0]?.warmUp();
}

/** What one running check has started and sent, for its messages and its clean-up. */
interface CheckState {
  /** App hosts by environment: the lesson's shared ones, or the check's own when it runs concurrently. */
  hosts: Map<string, AppHost>;
  servers: Set<AppProcess>;
  sent: SentRequest[];
  /** Where each process's output stood when the check began: its output since is the check's. */
  marks: Map<AppProcess, number>;
  concurrent: boolean;
  /** Set once the check has ended: a body still running after its time limit may start nothing more. */
  over?: boolean;
}

/** Everything a check needs: its app, its server processes, and the check() declaration itself. */
export class LessonKit {
  /** App hosts shared by the checks that run one after another. */
  private hosts = new Map<string, AppHost>();
  /** Hosts some check has used: output from a host's start belongs to the first check that uses it. */
  private claimed = new WeakSet<AppHost>();
  private running = new Set<CheckState>();
  /** Runs several checks judge, by key: see shared(). */
  private sharedRuns = new Map<string, { state: CheckState; result: Promise<unknown> }>();
  private folders: string[] = [];
  private current = new AsyncLocalStorage<CheckState>();
  private declaringConcurrent = false;
  private deadline = 0;
  /** Every process this folder's checks started, with the environment the grader gave it. */
  private started: { env: Env; process: AppProcess }[] = [];

  /** Environments of the app hosts to start ahead, and whether it is time to start them. */
  private ahead: (Env | (() => Promise<Env>))[] = [];
  private warm = false;
  private disposed = false;

  /** The lesson folder being graded (the learner's; the apps run from a compiled copy). */
  readonly dir: string;
  /** The compiled copy of the folder the apps run from (TypeScript beside its JavaScript, node_modules above it). */
  get runDir(): string {
    return this.job.runDir;
  }
  readonly label: string;

  constructor(
    readonly definition: LessonDefinition,
    private readonly job: PreparedJob,
  ) {
    this.dir = job.dir;
    this.label = job.label;
  }

  /** Whether this run includes the check `id` (a run of some checks includes only those: see GradeJob). */
  readonly runs = (id: string): boolean => !this.job.checks || this.job.checks.includes(id);

  check(id: string, body: () => Promise<void>): void {
    const definition = this.checkDefinition(id);
    if (!this.runs(id)) return;
    const concurrent = this.declaringConcurrent;
    const run = async ({ task }: { task: { meta: { course?: CheckMeta } } }) => {
      this.deadline ||= Date.now() + this.definition.timeLimitMs;
      const hosts = concurrent ? new Map<string, AppHost>() : this.hosts;
      const marks = new Map([...hosts.values()].filter((host) => this.claimed.has(host)).map((host) => [host.process, host.process.mark]));
      const state: CheckState = { hosts, servers: new Set(), sent: [], marks, concurrent };
      this.running.add(state);
      try {
        await this.current.run(state, async () => {
          const buildError = path.join(this.job.runDir, BUILD_ERROR_FILE);
          if (existsSync(buildError)) {
            const message = readFileSync(buildError, 'utf8');
            throw message.startsWith(LEARNER_BUILD_ERROR) ? new CheckFailure(message) : new CannotJudge(message);
          }
          await this.withinLimits(body);
        });
      } catch (error) {
        await delay(50); // let the app's last words (often the stack trace) arrive
        // A request that got no answer says why when the host knows: an exit, a blocked event loop.
        const why = error instanceof CheckFailure ? diagnose(state) : undefined;
        if (why) (error as Error).message += ` ${why}`;
        // The request that got no answer when that is the failure (a check's concurrent requests would
        // otherwise give another as the curl line), else the one the check chose or sent last.
        // A failure may name what it is about (FailureAbout): one run's output among the many a check
        // read, and the request that showed it or none. The report's output, curl line and location
        // then come from those alone, not from another run's stack or the last request sent.
        const about = (error as { about?: FailureAbout }).about;
        const last = about ? about.request : ((error as { request?: SentRequest }).request ?? state.sent.at(-1));
        const locateIn = (error as { locateIn?: string }).locateIn;
        task.meta.course = {
          curl: last && toCurl(last),
          output: tail(about ? about.output : outputSince(state.marks), OUTPUT_KEPT),
          ...(locateIn === undefined ? {} : { locateIn: tail(locateIn, OUTPUT_KEPT) }),
          cannotJudge: error instanceof CannotJudge,
        };
        if (error instanceof CheckFailure || error instanceof CannotJudge) {
          // The message is the whole verdict. A stack would cost vitest's main thread a file read and a
          // source-map lookup per frame: about 0.6 s of CPU in a grade of the seven exercises.
          error.stack = `${error.name}: ${error.message}`;
        }
        throw error instanceof Error ? error : new CheckFailure(String(error));
      } finally {
        state.over = true;
        await this.afterCheck(state);
        this.running.delete(state);
      }
    };
    const timeout = this.definition.timeLimitMs + 5_000;
    // Sequential by name: inside a lesson suite that runs side by side with others, a plain test()
    // would run concurrently too.
    if (concurrent) test.concurrent(definition.id, run, timeout);
    else test.sequential(definition.id, run, timeout);
  }

  /**
   * Checks declared in `declare` run at the same time as each other (after the checks before them,
   * before the checks after them). Each must share nothing: its servers are its own, and so is the
   * app host of any t.app() it calls, so its output is its own too.
   */
  concurrently(declare: () => void): void {
    this.declaringConcurrent = true;
    try {
      declare();
    } finally {
      this.declaringConcurrent = false;
    }
  }

  /** A fresh app from the learner's createApp(), served by a child process. */
  async app(options: AppOptions = {}): Promise<Client> {
    const state = this.liveState();
    const env = options.env ?? {};
    let host = state.hosts.get(hostKey(env));
    if (!host?.running) state.hosts.set(hostKey(env), (host = this.startHost(env)));
    if (!this.claimed.has(host)) {
      this.claimed.add(host);
      state.marks.set(host.process, 0);
    }
    return new Client(await host.create(options.args), state.sent);
  }

  /**
   * Starts the app hosts of these environments ahead, while vitest is still collecting the checks (or,
   * when several folders are graded, while the one before is), so that they have loaded src/app.ts,
   * side by side, by the time the checks' t.app() calls need them. An environment that takes work to
   * make (a Redis database, say) is given as a function, called when the hosts start. For checks that
   * run one after another.
   */
  prestart(...envs: (Env | (() => Promise<Env>))[]): void {
    if (this.job.checks) return; // a run of some checks starts the hosts they use, and no others
    this.ahead.push(...envs);
    if (this.warm) this.startAhead();
  }

  /** Time to start the hosts asked for ahead. */
  warmUp(): void {
    this.warm = true;
    this.startAhead();
  }

  private startAhead(): void {
    if (existsSync(path.join(this.job.runDir, BUILD_ERROR_FILE))) return;
    for (const env of this.ahead.splice(0)) {
      if (typeof env !== 'function') {
        this.hosts.set(hostKey(env), this.startHost(env));
        continue;
      }
      // A check that needed the host before its environment was ready has started one itself.
      env().then(
        (ready) => this.disposed || this.hosts.has(hostKey(ready)) || this.hosts.set(hostKey(ready), this.startHost(ready)),
        () => {}, // the check that uses it reports the same error
      );
    }
  }

  private startHost(env: Env): AppHost {
    const host = new AppHost(this.job.runDir, this.dir, env, inject('courseHostEntry'));
    this.started.push({ env, process: host.process });
    loadClientSoon();
    return host;
  }

  /** Starts src/server.ts on a free port and waits until GET /health answers 200. */
  async server(options: ServerOptions = {}): Promise<RunningServer> {
    const started = await this.serverOrExit(options);
    if ('client' in started) return started;
    throw new CheckFailure(`Expected src/server.ts to keep running, but it ${started.description} during startup. Its output is below.`);
  }

  /**
   * Like server(), for a start the app may rightly refuse (a setting it rejects): the running server,
   * or how the process ended before it was ready.
   */
  async serverOrExit(options: ServerOptions = {}): Promise<RunningServer | StartupExit> {
    const until = Date.now() + STARTUP_LIMIT_MS;
    for (let attempt = 1; ; attempt++) {
      const port = await pickPort();
      const process = this.launch(port, options);
      let last: Awaited<ReturnType<typeof health>> = 'refused';
      let healthyNow = false;
      while (process.running && Date.now() < until && !(healthyNow = (last = await health(port)) === 200)) await delay(50);
      if ((healthyNow || !process.running) && attempt < PORT_ATTEMPTS && this.lostPort(port, process)) continue;
      if (healthyNow) return { client: new Client(`http://127.0.0.1:${port}`, this.state().sent), port, process, stop: () => process.stop() };
      if (!process.running) return { exit: process.exit!, description: process.describeExit()!, output: process.output(), stdout: process.streamOutput('stdout') };
      // What it did meanwhile tells a stuck app (busy, or waiting for something) from a starved machine.
      const pid = process.child.pid;
      const [cpu, queued, activity, waiting] = [cpuSeconds(pid), runQueueSeconds(pid), mainThreadActivity(pid), process.waitingOn()];
      process.kill();
      const seen = last === 'refused' ? `nothing accepted connections on 127.0.0.1:${port} (the PORT it was given)` : last === 'no answer' ? 'GET /health got no answer' : `GET /health answered ${last}`;
      const doing = [
        cpu === undefined ? '' : `the process used ${cpu.toFixed(1)} s of CPU meanwhile`,
        queued === undefined || queued < 1 ? '' : `waited ${queued.toFixed(1)} s for a CPU (a busy machine)`,
        activity === undefined ? '' : `and its main thread was ${activity}`,
      ].filter(Boolean);
      const what = `${seen}${doing.length ? `; ${doing.join(', ')}` : ''}${waiting ? `; ${waiting}` : ''}`;
      // Only a machine too busy to run the app is the grader's trouble; an app that waits on something
      // of its own (a server it hard-coded, a promise that never settles, a port it chose) fails.
      // A port that accepts the connection and sends nothing within a second, on a machine with several
      // times more work than CPUs, may be the grader's own requests starved (red team 06 r2: apps that
      // had printed "listening" and were idle).
      const busy = last === 'no answer' ? busyMachine() : undefined;
      if (starved(queued, STARTUP_LIMIT_MS) || busy) {
        throw new CannotJudge(`src/server.ts did not answer GET /health with 200 within ${STARTUP_LIMIT_MS / 1000} s of starting, on a machine too busy to run it: ${what}${busy ? `; ${busy}` : ''}. Its output is below.`);
      }
      throw new CheckFailure(`Expected src/server.ts to answer GET /health with 200 within ${STARTUP_LIMIT_MS / 1000} s of starting, but ${what}. Its output is below.`);
    }
  }

  /**
   * Starts src/server.ts and watches it for up to `waitMs`: whether it exits, and whether its port
   * ever accepts a connection. For lessons about what happens at startup.
   */
  async startup(options: StartupOptions, waitMs: number, stopWhenListening = false): Promise<Startup> {
    for (let attempt = 1; ; attempt++) {
      const port = await pickPort();
      const process = this.launch(port, options);
      let acceptedConnection = false;
      let listenedOn: Set<number> | undefined;
      const until = Date.now() + waitMs;
      while (process.running && Date.now() < until) {
        acceptedConnection ||= await accepts(port);
        const ports = options.anyPort ? portsListenedOnBy(process.child.pid ?? 0) : undefined;
        if (ports) listenedOn = new Set([...(listenedOn ?? []), ...ports]);
        // For checks where listening is already the wrong answer: no need to wait out the window.
        if ((acceptedConnection || listenedOn?.size) && stopWhenListening) break;
        await Promise.race([delay(50), process.exited]);
      }
      if ((acceptedConnection || !process.running) && attempt < PORT_ATTEMPTS && this.lostPort(port, process)) continue;
      const exit = process.exit;
      await process.stop();
      // How it ended is what the check judges: no "exited before the check ended" beside its message.
      this.state().servers.delete(process);
      return { exit, acceptedConnection, listenedOn: listenedOn && [...listenedOn], output: process.output(), stdout: process.streamOutput('stdout') };
    }
  }

  /**
   * Whether another process listens on the port given to `process` (which then talked to the grader,
   * or made the app fail to listen): if so the process is dropped from the check, to start again.
   */
  private lostPort(port: number, process: AppProcess): boolean {
    if (listenerIsOwn(port, process.child.pid ?? 0) !== false) return false;
    process.kill();
    const state = this.state();
    state.servers.delete(process);
    state.marks.delete(process);
    return true;
  }

  /** The running check's state, for starting a process: none once the check is over. */
  private liveState(): CheckState {
    const state = this.state();
    if (state.over) throw new CannotJudge('The check was already stopped (its time limit passed): nothing more is started for it.');
    return state;
  }

  /**
   * A run of the app that several checks judge (one server per environment instead of one per
   * check): `make` runs once per folder, for whichever check asks first, and every check that asks
   * gets its result and shows, in its own report, the output of the processes it started and the
   * requests it sent. `make` stops what it starts; what it leaves running is stopped with the folder.
   */
  async shared<T>(key: string, make: () => Promise<T>): Promise<T> {
    const state = this.liveState();
    const run = this.sharedRun(key, make);
    try {
      return (await run.result) as T;
    } catch (error) {
      // A copy for each check, whose report adds to its message.
      if (error instanceof CheckFailure) throw new CheckFailure([error.message, diagnose(run.state)].filter(Boolean).join(' '));
      throw error instanceof CannotJudge ? new CannotJudge(error.message) : error;
    } finally {
      for (const [process, mark] of run.state.marks) if (!state.marks.has(process)) state.marks.set(process, mark);
      state.sent.push(...run.state.sent);
    }
  }

  /**
   * Starts the shared run of `key` unless a check has already (see shared()), without waiting for it or
   * showing it in this check's report: for runs that checks queued behind this one will ask for.
   */
  startShared<T>(key: string, make: () => Promise<T>): void {
    this.sharedRun(key, make);
  }

  private sharedRun<T>(key: string, make: () => Promise<T>): { state: CheckState; result: Promise<unknown> } {
    let run = this.sharedRuns.get(key);
    if (!run) {
      const own: CheckState = { hosts: new Map(), servers: new Set(), sent: [], marks: new Map(), concurrent: true };
      this.running.add(own);
      run = { state: own, result: this.current.run(own, make) };
      run.result.catch(() => {}); // reported by each check that asks
      this.sharedRuns.set(key, run);
    }
    return run;
  }

  /** Makes `request` the one this check's report gives as a curl command (else the last one sent). */
  reproduce(request: SentRequest): void {
    this.state().sent.push(request);
  }

  /** Everything the apps printed during the current check. */
  checkOutput(): string {
    return outputSince(this.state().marks);
  }

  /**
   * Everything printed so far by each app process this folder's checks started (app hosts and
   * servers, stopped ones included), from its start, with the environment the grader gave it: for a
   * check about the whole run's output, such as a library's warnings printed once as an app is built.
   */
  outputSoFar(): { env: Env; output: string }[] {
    return this.started.map(({ env, process }) => ({ env, output: process.output() }));
  }

  /**
   * A new empty temp folder (a session store, a log folder, a working directory) for this folder's
   * checks, removed once its apps have stopped, or by the watchdog if the grader is killed first.
   */
  tempDir(prefix: string): string {
    const folder = makeTempFolder(prefix);
    this.folders.push(folder);
    return folder;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const states = [...this.running];
    for (const state of states) state.over = true; // a shared run still going starts nothing more
    const hosts = [...this.hosts.values(), ...states.flatMap((state) => [...state.hosts.values()])];
    await Promise.all(hosts.map((host) => host.process.stop(500)));
    await Promise.all(states.flatMap((state) => [...state.servers].map((server) => server.stop(500))));
    for (const folder of this.folders.splice(0)) removeTempFolder(folder);
  }

  private launch(port: number, options: ServerOptions): AppProcess {
    const state = this.liveState();
    const process = new AppProcess({
      script: path.join(this.job.runDir, 'src', 'server.js'),
      cwd: options.cwd ?? this.dir,
      env: baseEnv({ PORT: String(port), ...options.env }),
      compiledDir: this.job.runDir,
    });
    state.servers.add(process);
    state.marks.set(process, 0);
    this.started.push({ env: options.env ?? {}, process });
    loadClientSoon();
    return process;
  }

  private checkDefinition(id: string): CheckDefinition {
    const found = this.definition.checks.find((check) => check.id === id);
    if (!found) throw new Error(`Check ${id} is not in the registry of lesson ${this.definition.id}.`);
    return found;
  }

  private async withinLimits(body: () => Promise<void>): Promise<void> {
    const remaining = this.deadline - Date.now();
    if (remaining <= 0) {
      const busy = busyMachine();
      throw new CannotJudge(`Not run: the lesson's time limit of ${this.definition.timeLimitMs / 1000} s was used up by earlier checks${busy ? `: ${busy}. Grade again when it is quieter` : ''}.`);
    }
    const limit = Math.min(remaining, this.definition.checkTimeLimitMs ?? CHECK_LIMIT_MS);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const busy = busyMachine();
        const why = busy ? `: ${busy}. Grade again when it is quieter.` : '. Your app may be stuck; its output is below.';
        reject(new CannotJudge(`The check did not finish within ${limit / 1000} s and was stopped${why}`));
      }, limit);
    });
    try {
      await Promise.race([body(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The check running in this async context. */
  private state(): CheckState {
    const state = this.current.getStore();
    if (!state) throw new Error('LessonKit used outside a check: call t.app(), t.server() and t.startup() inside t.check().');
    return state;
  }

  private async afterCheck(state: CheckState): Promise<void> {
    await Promise.all([...state.servers].map((server) => server.stop(1000)));
    if (state.concurrent) {
      await Promise.all([...state.hosts.values()].map((host) => host.process.stop(500)));
      return;
    }
    for (const [key, host] of state.hosts) {
      if (!this.claimed.has(host)) continue; // started ahead, perhaps still loading: no apps to close
      if (host.running) await host.closeAll();
      else state.hosts.delete(key);
    }
  }
}

/** Why a check's request may have gone unanswered: a host's exit or blocked loop, or a server that ended. */
function diagnose(state: CheckState): string | undefined {
  const fromHost = [...state.hosts.values()].map((host) => host.diagnose()).find(Boolean);
  if (fromHost) return fromHost;
  const ended = [...state.servers].find((server) => !server.running && !server.stopping);
  return ended && `src/server.ts ${ended.describeExit()} before the check ended.`;
}

function hostKey(env: Env): string {
  return JSON.stringify(env);
}

function outputSince(marks: Map<AppProcess, number>): string {
  return [...marks].map(([process, mark]) => process.output(mark)).join('');
}

function tail(text: string, max: number): string {
  return text.length <= max ? text : `[… ${text.length - max} earlier characters not kept]\n${text.slice(-max)}`;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/**
 * GET /health on the port: its status, or what went wrong instead, within a second. With node:http on
 * a connection of its own: fetch() costs a worker tens of milliseconds of CPU to load, and this runs
 * every 50 ms while an app starts.
 */
function health(port: number): Promise<number | 'refused' | 'no answer'> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/health', agent: false }, (response) => {
      clearTimeout(timer);
      response.resume();
      resolve(response.statusCode ?? 'no answer');
    });
    const timer = setTimeout(() => request.destroy(new Error('no answer within 1 s')), 1000);
    request.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code === 'ECONNREFUSED' ? 'refused' : 'no answer');
    });
  });
}
