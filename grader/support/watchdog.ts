import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import type { Writable } from 'node:stream';

// The grader stops the processes it starts (learner apps, its Redis) when it is done with them, but a
// grader that is itself killed (SIGKILL, an out-of-memory kill, a crash) cannot. So one small shell
// per grader thread keeps the list of their process groups; the thread holds the only lasting writing
// end of the shell's input, so when the thread or its process ends in any way, the shell reads
// end-of-file and kills every group still listed. An app stuck in a synchronous endless loop is stopped too:
// nothing of this runs inside the app.
const WATCHDOG = `
trap '' INT HUP
groups=
while read -r op group; do
  if [ "$op" = + ]; then groups="$groups $group"; else
    kept=; for g in $groups; do [ "$g" = "$group" ] || kept="$kept $g"; done; groups=$kept
  fi
done
for g in $groups; do kill -9 "-$g" 2>/dev/null; done
`;
export const hasWatchdog = process.platform !== 'win32';
let watchdog: Writable | undefined;

function watchdogInput(): Writable {
  if (!watchdog) {
    const shell = spawn('/bin/sh', ['-c', WATCHDOG], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    shell.on('error', () => {}); // no /bin/sh: the grader still stops its processes itself whenever it can
    shell.unref();
    (shell.stdin as Writable & { unref(): void }).unref(); // the grader ends when its work does
    shell.stdin!.on('error', () => {}); // a watchdog that is gone cannot be helped; the grader goes on
    watchdog = shell.stdin!;
  }
  return watchdog;
}

/**
 * Starts a command in a process group of its own that the watchdog knows of from its first moment.
 * Were the grader to report the group after spawn() returns, a grader killed in between would leave
 * the command behind; so a shell in the new group reports itself on a copy of the watchdog's input,
 * closes that copy, and only then becomes the command (same pid, same group).
 */
export function spawnWatched(command: string, args: string[], options: SpawnOptions & { stdio: ('ignore' | 'pipe' | 'ipc')[] }): ChildProcess {
  if (!hasWatchdog) return spawn(command, args, { ...options, detached: true });
  const fd = options.stdio.length;
  // The shell exports PWD, which the command is not given otherwise.
  const script = `trap '' PIPE; echo "+ $$" >&${fd}; exec ${fd}>&-; trap - PIPE; unset PWD; exec "$0" "$@"`;
  return spawn('/bin/sh', ['-c', script, command, ...args], { ...options, detached: true, stdio: [...options.stdio, watchdogInput()] });
}

/** Tells the watchdog that a group spawnWatched() started is gone. */
export function unwatch(group: number | undefined): void {
  if (hasWatchdog && group !== undefined) watchdogInput().write(`- ${group}\n`);
}
