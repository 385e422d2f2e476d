import type { LessonDefinition } from './types.js';

// Being written: see the lesson's issue.
export default {
  number: 6,
  id: '06-configuration',
  title: 'Configuration',
  summary: '',
  edits: ['src/app.ts'],
  timeLimitMs: 30_000,
  checks: [],
} satisfies LessonDefinition;
