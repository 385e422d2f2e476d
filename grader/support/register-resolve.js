// Preloaded (`node --import`) into every learner app the grader starts from its compiled copy: lets
// the app import the packages the course installed (see resolve-from-course.js). No TypeScript
// loader is needed there: the grader compiled the app once for the whole run.
import { register } from 'node:module';

register('./resolve-from-course.js', import.meta.url);
