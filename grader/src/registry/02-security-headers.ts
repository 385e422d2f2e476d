import type { LessonDefinition } from './types.js';

// Being written: see the lesson's issue.
export default {
  number: 2,
  id: '02-security-headers',
  title: 'Security headers',
  summary: '',
  edits: ['src/app.ts'],
  timeLimitMs: 30_000,
  checks: [],
} satisfies LessonDefinition;
