import { existsSync, readFileSync } from 'node:fs';

// Helpers for the tests that watch processes end (Linux: they read /proc).

export const hasProc = existsSync('/proc/self/stat');

/** Whether a process has ended (gone, or a zombie nobody has reaped yet). */
export function ended(pid: number | string): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] === 'Z';
  } catch {
    return true;
  }
}

/** Polls until the condition holds or the time is up (a loaded machine may be slow to run the watchdog). */
export async function eventually(condition: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
}
