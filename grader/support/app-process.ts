import { spawn, type ChildProcess } from 'node:child_process';
import { appLoader } from '../src/paths.js';

/** What a learner's app may print before the grader stops keeping it (the rest is counted). */
const OUTPUT_LIMIT = 256 * 1024;
const live = new Set<AppProcess>();

// Whatever happens to the grader, no learner process outlives it.
process.once('exit', () => {
  for (const app of live) app.kill();
});

export interface AppProcessOptions {
  /** The TypeScript or JavaScript file to run. */
  script: string;
  args?: string[];
  cwd: string;
  /** The child's whole environment: the grader's own never leaks into a learner's app. */
  env: Record<string, string>;
  ipc?: boolean;
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
  private chunks: { at: number; text: string; stream: 'stdout' | 'stderr' }[] = [];
  private kept = 0;
  private seen = 0;

  constructor(options: AppProcessOptions) {
    const stdio = options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'];
    this.child = spawn(
      process.execPath,
      ['--import', appLoader, '--max-old-space-size=512', options.script, ...(options.args ?? [])],
      { cwd: options.cwd, env: options.env, detached: true, stdio: stdio as ['ignore', 'pipe', 'pipe'] },
    );
    live.add(this);
    this.child.stdout?.setEncoding('utf8').on('data', (text: string) => this.record(text, 'stdout'));
    this.child.stderr?.setEncoding('utf8').on('data', (text: string) => this.record(text, 'stderr'));
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => this.record(`${error.message}\n`));
      this.child.once('close', (code, signal) => {
        this.exit = { code, signal };
        live.delete(this);
        resolve(this.exit);
      });
    });
  }

  /** Bytes of output seen so far; pass it to output() to read what came after. */
  get mark(): number {
    return this.seen;
  }

  output(since = 0): string {
    const kept = this.chunks.filter((chunk) => chunk.at >= since).map((chunk) => chunk.text);
    const first = this.chunks[0];
    const lost = first && first.at > since ? `[… ${first.at - since} bytes of earlier output not kept]\n` : '';
    return lost + kept.join('');
  }

  /** What the app wrote to one of its streams (as much as was kept), for checks about where output goes. */
  streamOutput(stream: 'stdout' | 'stderr'): string {
    return this.chunks.filter((chunk) => chunk.stream === stream).map((chunk) => chunk.text).join('');
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** SIGTERM to the whole process group, SIGKILL if it is still there after `graceMs`. */
  async stop(graceMs = 2000): Promise<ExitInfo> {
    if (this.exit) return this.exit;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.kill(), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    this.kill(); // children the app started may still be in the group
    return exit;
  }

  kill(): void {
    this.signal('SIGKILL');
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // already gone
    }
  }

  private record(text: string, stream: 'stdout' | 'stderr' = 'stderr'): void {
    this.chunks.push({ at: this.seen, text, stream });
    this.seen += text.length;
    this.kept += text.length;
    while (this.kept > OUTPUT_LIMIT && this.chunks.length > 1) this.kept -= this.chunks.shift()!.text.length;
  }
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
