// Preloaded (`node --import`) into every learner process the grader starts on Windows, where there is no
// POSIX shell for support/watchdog.ts, before the app's own code.
// The grader kills each app's process group when it finishes, but a grader that is itself killed
// (SIGKILL, an out-of-memory kill, a crashed vitest worker) cannot. This guard notices that the
// grader is gone (the process was re-parented) and kills its own process group. It runs in a worker
// thread, so an app stuck in a synchronous endless loop is stopped too.
import { Worker } from 'node:worker_threads';

const guard = `
  const { parent, group } = require('node:worker_threads').workerData;
  setInterval(() => {
    if (process.ppid !== parent) {
      try { process.kill(-group, 'SIGKILL'); } catch { process.kill(group, 'SIGKILL'); }
    }
  }, 500);
`;
new Worker(guard, { eval: true, workerData: { parent: process.ppid, group: process.pid }, stdout: true, stderr: true }).unref();
