import type { LessonDefinition } from './types.js';

// Being written: see the lesson's issue.
export default {
  number: 3,
  id: '03-session-store',
  title: 'Session store',
  summary: '',
  edits: ['src/app.ts'],
  timeLimitMs: 30_000,
  checks: [],
} satisfies LessonDefinition;
