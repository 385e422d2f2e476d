import type { LessonDefinition } from './types.js';

// Being written: see the lesson's issue.
export default {
  number: 7,
  id: '07-logging',
  title: 'Logging',
  summary: '',
  edits: ['src/app.ts'],
  timeLimitMs: 30_000,
  checks: [],
} satisfies LessonDefinition;
