// Contributors' shortcut while writing checks: grade one lesson folder and print every outcome.
//   npx tsx grader/scripts/grade-dev.ts 01-error-handling exercises/01-error-handling
import path from 'node:path';
import { grade } from '../src/engine.js';

const [lesson, dir] = process.argv.slice(2);
if (!lesson || !dir) throw new Error('usage: grade-dev.ts <lesson-id> <lesson-folder>');
const started = Date.now();
const [result] = await grade([{ lesson, dir: path.resolve(dir), label: 'dev' }]);
for (const test of result!.tests) {
  console.log(`${test.status.padEnd(5)} ${test.id}  ${test.message}`);
  if (test.status !== 'pass' && process.env.VERBOSE) console.log(`      curl: ${test.curl}\n      output: ${test.output?.slice(0, 1500)}`);
}
console.log(`${result!.status} ${result!.score}/${result!.maxScore} in ${Date.now() - started} ms`);
