import os from 'node:os';

/**
 * The machine's load in words ("the machine was too busy (load average 28.4 on 2 CPUs)") when it
 * is far more than its CPUs can run, else undefined: for a message about a time limit that ran out.
 */
export function busyMachine(): string | undefined {
  const [load] = os.loadavg();
  const cpus = os.availableParallelism();
  return load !== undefined && load >= cpus * 4 ? `the machine was too busy (load average ${load.toFixed(1)} on ${cpus} CPUs)` : undefined;
}
