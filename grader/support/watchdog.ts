import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';

// The grader stops the processes it starts (learner apps, its Redis) and removes its temp folders when
// it is done with them, but a grader that is itself killed (SIGKILL, an out-of-memory kill, a crash)
// cannot. So one small shell per grader thread keeps the list of their process groups and folders;
// the thread holds the only lasting writing end of the shell's input, so when the thread or its
// process ends in any way, the shell reads end-of-file, kills every group still listed and then
// removes every folder still listed. An app stuck in a synchronous endless loop is stopped too:
// nothing of this runs inside the app. Lines: "+ group", "- group", "d folder", "r folder" (removed).
const WATCHDOG = `
trap '' INT HUP
nl='
'
groups=
folders=$nl
while IFS= read -r line; do
  arg=\${line#??}
  case $line in
    '+ '*) groups="$groups $arg" ;;
    '- '*) kept=; for g in $groups; do [ "$g" = "$arg" ] || kept="$kept $g"; done; groups=$kept ;;
    'd '*) folders="$folders$arg$nl" ;;
    'r '*) case $folders in *"$nl$arg$nl"*) folders="\${folders%%"$nl$arg$nl"*}$nl\${folders#*"$nl$arg$nl"}" ;; esac ;;
  esac
done
for g in $groups; do kill -9 "-$g" 2>/dev/null; done
printf '%s' "$folders" | while IFS= read -r f; do [ -z "$f" ] || rm -rf -- "$f"; done
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

function watchFolder(folder: string, watched: boolean): void {
  if (hasWatchdog && !folder.includes('\n')) watchdogInput().write(`${watched ? 'd' : 'r'} ${folder}\n`);
}

/** A new empty temp folder, which the watchdog removes if the grader ends before removeTempFolder(). */
export function makeTempFolder(prefix: string, parent = os.tmpdir()): string {
  const folder = mkdtempSync(path.join(parent, prefix));
  watchFolder(folder, true);
  return folder;
}

/** Removes a folder makeTempFolder() made, and takes it off the watchdog's list. */
export function removeTempFolder(folder: string): void {
  rmSync(folder, { recursive: true, force: true });
  watchFolder(folder, false);
}
