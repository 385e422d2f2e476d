// Preloaded (`node --import`) into every learner app the grader starts. It runs TypeScript through
// tsx and lets an app that lives outside this repository (a temp copy, a student's repo) import the
// packages the course installed, while packages the app installed itself still win.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
register('./resolve-from-course.js', import.meta.url);
