import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { APP_NODE_FLAGS, loaderFor } from '../src/paths.js';
import { listeners } from './ports.js';
import { SourcePositions } from './source-positions.js';
import { hasWatchdog, makeTempFolder, removeTempFolder, spawnWatched, unwatch } from './watchdog.js';

/**
 * How much of a learner's output the grader keeps: the last 4 MB (the rest is counted). Enough for
 * structured logs with large lines (a logged request body of 200 KB per request still fits a check);
 * a flood of output keeps only its end.
 */
export const OUTPUT_LIMIT = 4 * 1024 * 1024;
/**
 * How fast the grader reads a process's output once a burst has gone past twice what it keeps: a
 * flood (megabytes of debug lines a second) then waits on its own full pipe, where writing costs it no
 * CPU, instead of taking the machine's CPUs from the checks of the lessons graded beside it. An app that
 * prints less than OUTPUT_BURST at once, or less than OUTPUT_RATE characters a second, is never slowed.
 */
const OUTPUT_BURST = 2 * OUTPUT_LIMIT;
const OUTPUT_RATE = 4 * 1024 * 1024;
/**
 * Added to every learner process's environment on Linux: glibc's malloc asks for transparent huge
 * pages, so that the megabytes an app allocates as it starts (its packages read into memory, then
 * copied into a string) are mapped 2 MB at a time instead of 4 KB. Each app is a fresh Node whose
 * start is largely page faults: on the course's 2-core virtual machine, where a fault costs 13 µs,
 * grading the seven solutions made 9% fewer faults and used 5% less CPU. Where huge pages are off, or
 * the C library is not glibc, nothing changes.
 */
export const APP_MALLOC_TUNING: Record<string, string> = process.platform === 'linux' ? { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' } : {};
/** Resident memory at which a learner's process is stopped: the V8 heap is capped at 512 MB, buffers are not. */
export const MEMORY_LIMIT_MB = 1024;
const MEMORY_POLL_MS = 100;
const live = new Set<AppProcess>();
const graderTmp = os.tmpdir();
/** Preloaded into learner processes where there is no POSIX shell for the watchdog (Windows). */
const orphanGuard = fileURLToPath(new URL('./orphan-guard.js', import.meta.url));

// Whatever happens to the grader, no learner process outlives it.
process.once('exit', () => {
  for (const app of live) app.kill();
});
// A signal ends the grader without 'exit' (Ctrl-C in watch mode, a CI cancel, vitest stopping a
// worker), and learner processes run in process groups of their own, out of reach of the terminal's
// Ctrl-C: kill them, then let the signal do what it would have done.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    for (const app of live) app.kill();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

/** Resident memory of a process in MB (Linux), or undefined where /proc is not available. */
export function residentMb(pid: number): number | undefined {
  try {
    const pages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    return (pages * 4096) / 1024 / 1024;
  } catch {
    return undefined;
  }
}

/**
 * Whether a process has a handler for `signal`, from /proc/<pid>/status (Linux): Node installs one only for a
 * signal the program listens to. Undefined where /proc is not available.
 */
export function catchesSignal(pid: number | undefined, signal: NodeJS.Signals): boolean | undefined {
  try {
    const caught = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return caught === undefined ? undefined : (BigInt(`0x${caught}`) >> BigInt(os.constants.signals[signal] - 1)) % 2n === 1n;
  } catch {
    return undefined;
  }
}

/** The fields of /proc/<pid>/stat after the command name (Linux), or undefined. */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU time a process used so far, in seconds (Linux), or undefined where /proc is not available. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  const fields = pid === undefined ? undefined : procStat(pid);
  // utime + stime, in clock ticks (100 per second on Linux)
  return fields && (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Seconds the process's main thread has spent ready to run but waiting for a CPU (Linux), or undefined. */
export function runQueueSeconds(pid: number | undefined): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
  } catch {
    return undefined;
  }
}

/**
 * Whether a process spent at least half of `windowMs` waiting for a CPU: then a wait that ran out
 * says more about the machine than about the app (the grader cannot judge it).
 */
export function starved(queuedSeconds: number | undefined, windowMs: number): boolean {
  return queuedSeconds !== undefined && queuedSeconds * 1000 >= windowMs / 2;
}

/** What the process's main thread is doing right now, in words for a message (Linux), or undefined. */
export function mainThreadActivity(pid: number | undefined): string | undefined {
  const state = pid === undefined ? undefined : procStat(pid)?.[0];
  if (state === undefined) return undefined;
  if (state === 'R') return 'running JavaScript';
  if (state === 'D') return 'waiting for the disk';
  let blockedIn = '';
  try {
    blockedIn = readFileSync(`/proc/${pid}/wchan`, 'utf8');
  } catch {
    // not ours to read: the state alone says it is asleep
  }
  if (/epoll/.test(blockedIn)) return 'idle in its event loop, waiting for something that never came (a promise, a connection, a timer)';
  // Its stdout and stderr are socket pairs (as Node makes them for 'pipe'), or pipes from a shell.
  if (/pipe_write|sock_alloc_send|unix_stream_sendmsg|sk_stream_wait/.test(blockedIn)) return 'blocked writing its output';
  if (/futex/.test(blockedIn)) return 'waiting for another of its threads';
  return 'asleep';
}

/** One TCP socket of a process, from /proc (Linux): its state ("01" established, "02" connecting, "0A" listening) and addresses. */
export interface TcpSocket {
  state: string;
  local: string;
  remote: string;
}

/** The `socket:[inode]` names of the sockets a process holds (Linux; none elsewhere). */
function socketNames(pid: number): Set<string> {
  const names = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const name = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (name.startsWith('socket:[')) names.add(name);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // gone, or not ours to read
  }
  return names;
}

/**
 * The TCP sockets a process holds (Linux; none elsewhere). The tables list every socket of the machine,
 * thousands in TIME_WAIT while a self-check runs: only the lines of the process's own sockets are parsed.
 */
export function tcpSockets(pid: number | undefined): TcpSocket[] {
  if (pid === undefined) return [];
  const inodes = [...socketNames(pid)].map((name) => name.slice('socket:['.length, -1));
  if (inodes.length === 0) return [];
  const found: TcpSocket[] = [];
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'latin1');
    } catch {
      continue;
    }
    for (const inode of inodes) {
      // The inode is the tenth field, between spaces; a line is found by it, then parsed alone.
      for (let at = text.indexOf(` ${inode} `); at !== -1; at = text.indexOf(` ${inode} `, at + 1)) {
        const line = text.slice(text.lastIndexOf('\n', at) + 1, text.indexOf('\n', at) === -1 ? undefined : text.indexOf('\n', at));
        const fields = line.trim().split(/\s+/);
        if (fields[9] === inode) found.push({ state: fields[3]!, local: procAddress(fields[1]!), remote: procAddress(fields[2]!) });
      }
    }
  }
  return found;
}

/**
 * The TCP connections a process has begun and not completed (SYN sent, no answer yet), as
 * "host:port" (Linux; none elsewhere): what an app that waits on a server of its own is waiting for.
 */
export function connectingTo(pid: number | undefined): string[] {
  return [...new Set(tcpSockets(pid).filter((socket) => socket.state === '02').map((socket) => socket.remote))];
}

/**
 * The ports the process `pid` itself listens on, or undefined where the system does not tell (anything
 * but Linux): for an app that may listen somewhere other than the PORT it was given.
 */
export function portsListenedOnBy(pid: number | undefined): number[] | undefined {
  if (process.platform !== 'linux') return undefined;
  // Asked every 50 ms while an app starts: the listening sockets come first in the tables, and are read
  // alone (ports.ts), only once the process holds a socket at all.
  const own = pid === undefined ? new Set<string>() : socketNames(pid);
  if (own.size === 0) return [];
  return [...new Set([...(listeners() ?? [])].filter(([name]) => own.has(name)).map(([, port]) => port))];
}

/** The servers a process is connected to right now (not the clients connected to it), as "host:port" (Linux; none elsewhere). */
export function connectedTo(pid: number | undefined): string[] {
  const sockets = tcpSockets(pid);
  const port = (address: string) => address.slice(address.lastIndexOf(':') + 1);
  const listening = new Set(sockets.filter((socket) => socket.state === '0A').map((socket) => port(socket.local)));
  return [...new Set(sockets.filter((socket) => socket.state === '01' && !listening.has(port(socket.local))).map((socket) => socket.remote))];
}

/** "0100007F:18EB" (or its 32-digit IPv6 form) from /proc/net/tcp as "127.0.0.1:6379". */
function procAddress(hex: string): string {
  const [ip, port] = hex.split(':') as [string, string];
  // Each 32-bit word is in the machine's byte order (little-endian on every Linux the course runs on).
  const words = ip.match(/.{8}/g)!.map((word) => word.match(/../g)!.reverse().join(''));
  const bytes = words.join('').match(/../g)!.map((byte) => parseInt(byte, 16));
  const v4 = bytes.length === 4 ? bytes : bytes.slice(0, 12).every((byte, i) => byte === (i < 10 ? 0 : 255)) ? bytes.slice(12) : undefined;
  const host = v4 ? v4.join('.') : `[${words.join('').match(/.{4}/g)!.map((group) => group.replace(/^0+(?=.)/, '')).join(':')}]`;
  return `${host}:${parseInt(port, 16)}`;
}

/**
 * The addresses an app's output says it could not reach, most often named first: "connect
 * ECONNREFUSED 127.0.0.1:6379", "getaddrinfo ENOTFOUND redis", as Node words its network errors.
 */
export function unreachableInOutput(output: string): { target: string; code: string; count: number }[] {
  const counts = new Map<string, { target: string; code: string; count: number }>();
  const pattern = /\b(ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)\s+(\[[0-9a-fA-F:.]+\]:\d+|[0-9a-fA-F:.]+:\d+|[A-Za-z0-9][\w.-]*)/g;
  for (const [, code, target] of output.matchAll(pattern)) {
    const key = `${code} ${target}`;
    const entry = counts.get(key) ?? { target: target!, code: code!, count: 0 };
    entry.count += 1;
    counts.set(key, entry);
  }
  return [...counts.values()].sort((a, b) => b.count - a.count);
}

export interface AppProcessOptions {
  /** The TypeScript or JavaScript file to run. */
  script: string;
  args?: string[];
  cwd: string;
  /** The child's whole environment: the grader's own never leaks into a learner's app. */
  env: Record<string, string>;
  ipc?: boolean;
  /** The compiled copy the app runs from: positions in it are shown in the learner's .ts files. */
  compiledDir?: string;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A learner's code running in its own process group, with its output captured. */
export class AppProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ExitInfo>;
  exit: ExitInfo | undefined;
  private readonly positions: SourcePositions | undefined;
  private chunks: { at: number; text: string; stream: 'stdout' | 'stderr' }[] = [];
  private kept = 0;
  private seen = 0;
  /** Characters of each stream no longer kept. */
  readonly lost = { stdout: 0, stderr: 0 };
  /** Whether what each stream kept starts in the middle of a line. */
  private cutMidLine = { stdout: false, stderr: false };
  /** Characters of output the process may still print before the grader reads it more slowly (OUTPUT_RATE). */
  private allowance = OUTPUT_BURST;
  private allowanceAt = Date.now();
  /** Whether the grader asked the process to stop (so its end is no news to report). */
  stopping = false;
  /** Why the grader stopped the process on its own (memory), for messages. */
  private stoppedFor: string | undefined;
  /** Descendants of the app seen when it was signalled, with their start times. */
  private strays = new Map<number, string | undefined>();

  /** The environment the grader gave the process (without what every process gets). */
  private readonly given: Record<string, string>;

  constructor(options: AppProcessOptions) {
    this.given = options.env;
    this.positions = options.compiledDir ? new SourcePositions(options.compiledDir) : undefined;
    const stdio: ('ignore' | 'pipe' | 'ipc')[] = options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'];
    // The grader's temp folder is shared with everything on the machine: the app gets one of its own,
    // removed when it ends (a grader thread that vitest terminates never sees its own 'exit').
    const tmp = options.env.TMPDIR === graderTmp ? makeTempFolder('course-app-', graderTmp) : undefined;
    const env = { ...APP_MALLOC_TUNING, ...options.env, ...(tmp ? { TMPDIR: tmp } : {}) };
    const loader = loaderFor(options.script);
    this.child = spawnWatched(
      process.execPath,
      [
        ...(hasWatchdog ? [] : ['--import', orphanGuard]),
        ...(loader ? ['--import', loader] : []),
        ...APP_NODE_FLAGS,
        options.script,
        ...(options.args ?? []),
      ],
      { cwd: options.cwd, env, stdio },
    );
    live.add(this);
    for (const name of ['stdout', 'stderr'] as const) {
      const stream = this.child[name];
      stream?.setEncoding('utf8').on('data', (text: string) => {
        this.record(text, name);
        this.throttle(stream, text.length);
      });
    }
    const memoryPoll = setInterval(() => this.watchMemory(), MEMORY_POLL_MS).unref();
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => this.record(`${error.message}\n`));
      this.child.once('close', (code, signal) => {
        clearInterval(memoryPoll);
        this.exit = { code, signal };
        live.delete(this);
        this.kill(); // what the app started in its group and left running ends with it
        unwatch(this.child.pid);
        if (tmp) removeTempFolder(tmp);
        resolve(this.exit);
      });
    });
  }

  /**
   * How the process ended, for a message: "exited with code 3", "ran out of memory (…)", "was
   * stopped by the grader: it used more than 1024 MB of memory". Undefined while it runs.
   */
  describeExit(): string | undefined {
    if (!this.exit) return undefined;
    if (this.stoppedFor) return `was stopped by the grader: ${this.stoppedFor}`;
    if (/JavaScript heap out of memory|Reached heap limit/.test(this.output())) {
      return 'ran out of memory (its JavaScript heap reached the 512 MB the grader allows)';
    }
    const { code, signal } = this.exit;
    if (signal) return `was killed by ${signal}`;
    // Node's own code, printed with no message by Node 20: the main module awaited what never came.
    return code === 13 ? 'exited with code 13 (Node\'s code for a top-level await that never settled)' : `exited with code ${code}`;
  }

  /**
   * What a running process that does not get on seems to wait for, in words for a message, where the
   * grader can tell: the servers it is connecting to right now, and those its output says it could
   * not reach, beside the addresses the grader gave it (variables such as REDIS_URL). Undefined when
   * nothing says.
   */
  waitingOn(): string | undefined {
    const connecting = connectingTo(this.child.pid).map((target) => `${target} (connecting now, no answer yet)`);
    const unreachable = unreachableInOutput(this.output())
      .slice(0, 3)
      .map(({ target, code, count }) => `${target} (${code}${count > 1 ? `, ${count} times in its output` : ''})`);
    const targets = [...new Set([...connecting, ...unreachable])];
    if (!targets.length) return undefined;
    const given = Object.entries(this.given).filter(([key, value]) => /(_URL|_HOST|_ADDR)$/.test(key) && value);
    return (
      `it kept trying to reach ${targets.join(', ')}` +
      (given.length ? `, while the addresses the grader gave it are ${given.map(([key, value]) => `${key}=${value}`).join(', ')}` : ', though the grader gave it no address to connect to')
    );
  }

  /** Bytes of output seen so far; pass it to output() to read what came after. */
  get mark(): number {
    return this.seen;
  }

  output(since = 0): string {
    const kept = this.chunks.filter((chunk) => chunk.at >= since).map((chunk) => chunk.text);
    const first = this.chunks[0];
    const lost = first && first.at > since ? `[… ${first.at - since} bytes of earlier output not kept]\n` : '';
    return this.inSource(lost + kept.join(''));
  }

  /**
   * What the app wrote to one of its streams (as much as was kept), for checks about where output
   * goes. When the start was dropped, so is the rest of the line it cut: only whole lines are judged.
   */
  streamOutput(stream: 'stdout' | 'stderr'): string {
    const text = this.chunks.filter((chunk) => chunk.stream === stream).map((chunk) => chunk.text).join('');
    return this.inSource(this.cutMidLine[stream] ? text.slice(text.indexOf('\n') + 1 || text.length) : text);
  }

  /** Text that names positions in the compiled copy, with those positions in the learner's files. */
  inSource(text: string): string {
    return this.positions ? this.positions.map(text) : text;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** SIGTERM (or `signal`, such as SIGINT) to the whole process group, SIGKILL if it is still there after `graceMs`. */
  async stop(graceMs = 2000, signal: 'SIGTERM' | 'SIGINT' = 'SIGTERM'): Promise<ExitInfo> {
    if (this.exit) return this.exit;
    this.stopping = true;
    this.signal(signal);
    const timer = setTimeout(() => this.kill(), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  kill(): void {
    this.signal('SIGKILL');
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    // Processes the app started in a session or group of their own (`detached: true`) are out of the
    // group's reach: found while the app runs, they get the same signal, and SIGKILL when it ends.
    if (!this.exit) for (const found of descendants(this.child.pid)) this.strays.set(found, startTime(found));
    for (const target of [-this.child.pid, ...this.strays.keys()]) {
      if (target > 0 && startTime(target) !== this.strays.get(target)) continue; // gone, its number maybe reused
      try {
        process.kill(target, signal);
      } catch {
        // already gone
      }
    }
  }

  private watchMemory(): void {
    if (this.exit || this.stoppedFor || this.child.pid === undefined) return;
    const mb = residentMb(this.child.pid);
    if (mb === undefined || mb <= MEMORY_LIMIT_MB) return;
    this.stoppedFor = `it used more than ${MEMORY_LIMIT_MB} MB of memory`;
    this.kill();
    this.note(`Stopped your app: it used ${Math.round(mb)} MB of memory (the limit is ${MEMORY_LIMIT_MB} MB). Something keeps growing.`);
  }

  /** Kills the process for a reason of the grader's, which describeExit() then gives instead of the signal. */
  killFor(reason: string): void {
    this.stoppedFor ??= reason;
    this.kill();
  }

  /** A line from the grader in the app's output (shown with it), e.g. why the grader stopped it. */
  note(text: string): void {
    this.record(`\n[grader] ${text}\n`);
  }

  /** Spends `length` of the output allowance, and pauses `stream` until the allowance is back above zero. */
  private throttle(stream: Readable, length: number): void {
    const now = Date.now();
    this.allowance = Math.min(OUTPUT_BURST, this.allowance + ((now - this.allowanceAt) * OUTPUT_RATE) / 1000) - length;
    this.allowanceAt = now;
    if (this.allowance >= 0 || stream.isPaused()) return;
    stream.pause();
    setTimeout(() => stream.resume(), (-this.allowance / OUTPUT_RATE) * 1000);
  }

  private record(text: string, stream: 'stdout' | 'stderr' = 'stderr'): void {
    this.chunks.push({ at: this.seen, text, stream });
    this.seen += text.length;
    this.kept += text.length;
    while (this.kept > OUTPUT_LIMIT) {
      const first = this.chunks[0]!;
      const excess = this.kept - OUTPUT_LIMIT;
      if (first.text.length > excess) {
        // Keep the end of an oversized chunk: the last words are what the learner needs.
        this.chunks[0] = { at: first.at + excess, text: first.text.slice(excess), stream: first.stream };
        this.kept -= excess;
        this.lost[first.stream] += excess;
        this.cutMidLine[first.stream] = first.text[excess - 1] !== '\n';
      } else {
        this.kept -= first.text.length;
        this.lost[first.stream] += first.text.length;
        this.cutMidLine[first.stream] = !first.text.endsWith('\n');
        this.chunks.shift();
      }
    }
  }
}

/** Every process descended from `pid`, from /proc's lists of each thread's children (Linux; none elsewhere). */
function descendants(pid: number): number[] {
  const found: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return found;
  }
  for (const task of tasks) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean)) found.push(Number(child), ...descendants(Number(child)));
    } catch {
      // the thread ended meanwhile
    }
  }
  return found;
}

/** When a process started (in clock ticks since boot, from /proc), to tell it from a later one with its number. */
function startTime(pid: number): string | undefined {
  return procStat(pid)?.[19];
}

/** The environment every learner app starts from; checks add what their lesson needs. */
export function baseEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    TMPDIR: process.env.TMPDIR ?? '/tmp',
    LANG: 'C.UTF-8',
  };
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value;
  return env;
}
