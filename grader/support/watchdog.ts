import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';

// The grader stops the processes it starts (learner apps, its Redis) when it is done with them, but a
// grader that is itself killed (SIGKILL, an out-of-memory kill, a crash) cannot. So one small shell
// per grader thread keeps the list of their process groups; the thread holds the only writing end of
// the shell's input, so when the thread or its process ends in any way, the shell reads end-of-file
// and kills every group still listed. An app stuck in a synchronous endless loop is stopped too:
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

/** Tells the watchdog that a process group the grader started appeared (+) or is gone (-). */
export function watch(op: '+' | '-', group: number | undefined): void {
  if (!hasWatchdog || group === undefined) return;
  if (!watchdog) {
    const shell = spawn('/bin/sh', ['-c', WATCHDOG], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    shell.on('error', () => {}); // no /bin/sh: the grader still stops its processes itself whenever it can
    shell.unref();
    (shell.stdin as Writable & { unref(): void }).unref(); // the grader ends when its work does
    shell.stdin!.on('error', () => {}); // a watchdog that is gone cannot be helped; the grader goes on
    watchdog = shell.stdin!;
  }
  watchdog.write(`${op} ${group}\n`);
}
