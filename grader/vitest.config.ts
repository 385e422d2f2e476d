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
    // Two files at a time even on two cores (vitest's default there is one): much of the hostile and
    // support tests' time is waiting out the grader's limits (a start that never listens, a check
    // past its deadline), which another file's work can fill.
    maxWorkers: Math.max(2, os.availableParallelism() - 1),
  },
});
