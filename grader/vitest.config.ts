import os from 'node:os';
import { defineConfig } from 'vitest/config';

// The grader's own tests (npm test runs them through `course self-check`). The lesson checks in
// checks/ are not here: they run only through the grading engine, against a target.
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Three files at a time even on two cores (vitest's default there is one): much of the hostile and
    // support tests' time is waiting out the grader's limits (a start that never listens, a check
    // past its deadline), which another file's work can fill. The hostile tests are split over three
    // files for the same reason: in one, they took as long as all the other files together.
    maxWorkers: Math.max(3, os.availableParallelism() - 1),
  },
});
