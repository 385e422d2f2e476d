import type { LessonDefinition } from './types.js';

// Being written: see the lesson's issue.
export default {
  number: 4,
  id: '04-rate-limiting',
  title: 'Rate limiting',
  summary: '',
  edits: ['src/app.ts'],
  timeLimitMs: 30_000,
  checks: [],
} satisfies LessonDefinition;
