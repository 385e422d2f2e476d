import type { LessonDefinition } from './types.js';

// Being written: see the lesson's issue.
export default {
  number: 5,
  id: '05-compression',
  title: 'Compression',
  summary: '',
  edits: ['src/app.ts'],
  timeLimitMs: 30_000,
  checks: [],
} satisfies LessonDefinition;
