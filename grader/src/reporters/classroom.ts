/**
 * GitHub Classroom: one runner result per lesson, in the shape that
 * classroom-resources/autograding-grading-reporter@v1 reads. Verified against its source:
 *   - src/main.js: for each id in the `runners` input, reads env `${id.trim().toUpperCase()}_RESULTS`,
 *     base64-decodes it and JSON-parses it; fails the job if any result's `status` is 'fail' or 'error'.
 *   - src/notify-classroom.js: points = sum of every `tests[].score`, out of the sum of `max_score`
 *     (runners whose max_score is 0 are skipped); that is what Classroom records.
 *   - src/console-results.js, aggregate-results.js: print `tests[].name`, ` - line ${line_no}` unless
 *     line_no is 0, `message` for status 'error', `test_code` when not empty, and the per-runner table.
 * The other fields (`version`, `filename`, `execution_time`) follow the graders that write these results
 * (autograding-io-grader: `{ version: 1, status, max_score, tests: [{ name, status, message, test_code,
 * filename, line_no, execution_time, score }] }`).
 */
import { lessons as registryLessons } from '../registry/index.js';
import type { LessonResult, Results, Status } from '../results.js';
import { learnerFile, neutralize, oneLine, type GithubOptions } from './github.js';

export interface ClassroomTest {
  name: string;
  status: Status;
  score: number;
  message: string;
  test_code: string;
  filename: string;
  line_no: number;
  execution_time: string;
}

export interface ClassroomResult {
  version: 1;
  status: Status;
  max_score: number;
  tests: ClassroomTest[];
}

/** The runner id of a lesson: `lesson1` … `lesson7`; the reporter reads env `LESSON1_RESULTS` …. */
export const runnerId = (lessonNumber: number) => `lesson${lessonNumber}`;

export function classroomResult(lesson: LessonResult, options: GithubOptions = {}): ClassroomResult {
  return {
    version: 1,
    status: lesson.status,
    max_score: lesson.maxScore,
    tests: lesson.tests.map((test) => {
      const where = test.status === 'pass' ? undefined : learnerFile(lesson, test, options);
      // The reporter prints test_code under each check, so a failure's code is how to see it fail.
      const code = test.status === 'pass' ? [] : [`# ${oneLine(test.message || 'This check did not pass.')}`, ...(test.curl ? [test.curl] : [])];
      return {
        name: neutralize(oneLine(`${test.title} (${test.id})`)),
        status: test.status,
        score: test.score,
        message: neutralize(oneLine(test.message)),
        test_code: neutralize(code.join('\n')),
        filename: where?.file ?? '',
        line_no: where?.line ?? 0,
        execution_time: `${(test.durationMs / 1000).toFixed(2)}s`,
      };
    }),
  };
}

/** A lesson this run did not grade (not ready yet, or not asked for): present, so the reporter never reads a missing variable, and worth nothing. */
const notGraded = (): ClassroomResult => ({ version: 1, status: 'pass', max_score: 0, tests: [] });

export const encode = (result: ClassroomResult) => Buffer.from(JSON.stringify(result), 'utf8').toString('base64');

/** Step outputs `lesson1` … `lesson7` (every lesson in the registry), each the base64 of its result. */
export function classroomOutputs(results: Results, options: GithubOptions = {}): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const lesson of registryLessons) {
    const graded = results.lessons.find((candidate) => candidate.id === lesson.id);
    outputs[runnerId(lesson.number)] = encode(graded ? classroomResult(graded, options) : notGraded());
  }
  return outputs;
}
