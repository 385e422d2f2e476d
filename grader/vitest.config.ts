import { defineConfig } from 'vitest/config';

// The grader's own tests (npm test runs them through `course self-check`). The lesson checks in
// checks/ are not here: they run only through the grading engine, against a target.
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
