// Determinism: runs the lesson self-check again and again, optionally two at once, and reports any
// run whose verdict differs. Bounded: --runs N (default 20) rounds.
//
//   npx tsx grader/scripts/stress.ts                       # 20 rounds, one self-check at a time
//   npx tsx grader/scripts/stress.ts --runs 3 --parallel 2 --lesson 1
//   npx tsx grader/scripts/stress.ts --unit                # the grader's own tests too (hostile, site, browser)
//
// Each self-check runs in its own process (`course self-check --skip typecheck unit`; with --unit,
// `--skip typecheck`), with its own progress file; the two parallel ones share the machine's ports,
// temp folder and Redis, which is the point. Exit code 0 when every run passed.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { graderDir, repoRoot } from '../src/paths.js';
import { makeTempFolder, removeTempFolder } from '../support/watchdog.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    parallel: { type: 'string', default: '1' },
    lesson: { type: 'string', multiple: true },
    verbose: { type: 'boolean', default: false },
    unit: { type: 'boolean', default: false },
  },
});
const runs = Math.max(1, Number(values.runs));
const parallel = Math.max(1, Math.min(4, Number(values.parallel)));
if (!Number.isInteger(runs) || !Number.isInteger(parallel)) throw new Error('--runs and --parallel take whole numbers');

interface Run {
  round: number;
  slot: number;
  ok: boolean;
  ms: number;
  failures: string[];
  /** A failed run's whole output, kept outside the scratch folder so that its messages can be read. */
  outputFile?: string;
}

// Removed by the grader's watchdog too, should this script be stopped (Ctrl-C, a CI cancel).
const scratch = makeTempFolder('course-stress-');

function selfCheck(round: number, slot: number): Promise<Run> {
  const args = [path.join(graderDir, 'bin', 'course.js'), 'self-check', '--skip', 'typecheck', ...(values.unit ? [] : ['unit'])];
  if (values.lesson?.length) args.push('--lesson', ...values.lesson);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: '1', COURSE_PROGRESS_FILE: path.join(scratch, `progress-${round}-${slot}.json`) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > 4_000_000) output = output.slice(-2_000_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('close', (code) => {
      // Failed lines of the self-check ("✗ name") and of the grader's own tests (" FAIL  file > name").
      const failures = output
        .split('\n')
        .flatMap((line) => (line.startsWith('✗') ? [line.slice(2)] : line.startsWith(' FAIL ') ? [line.slice(6).trim()] : []));
      if (values.verbose && code !== 0) console.log(output.slice(-8000));
      let outputFile: string | undefined;
      if (code !== 0) {
        if (!failures.length) failures.push(`exited with code ${code}`);
        outputFile = path.join(os.tmpdir(), `course-stress-${process.pid}-round-${round}-slot-${slot + 1}.log`);
        writeFileSync(outputFile, output);
      }
      resolve({ round, slot, ok: code === 0, ms: Date.now() - started, failures, outputFile });
    });
  });
}

const all: Run[] = [];
const started = Date.now();
try {
  for (let round = 1; round <= runs; round++) {
    const results = await Promise.all(Array.from({ length: parallel }, (_, slot) => selfCheck(round, slot)));
    for (const run of results) {
      all.push(run);
      const label = parallel > 1 ? `round ${round}/${runs} slot ${run.slot + 1}` : `round ${round}/${runs}`;
      console.log(`${run.ok ? 'ok  ' : 'FAIL'} ${label} ${(run.ms / 1000).toFixed(1)} s${run.failures.length ? `\n       ${run.failures.join('\n       ')}` : ''}${run.outputFile ? `\n       its output: ${run.outputFile}` : ''}`);
    }
  }
} finally {
  removeTempFolder(scratch);
}

const failed = all.filter((run) => !run.ok);
const flaky = new Map<string, number>();
for (const run of failed) for (const name of run.failures) flaky.set(name, (flaky.get(name) ?? 0) + 1);
const times = all.map((run) => run.ms / 1000).sort((a, b) => a - b);
console.log(
  `\nstress: ${all.length - failed.length}/${all.length} self-checks passed (${runs} rounds × ${parallel} at once` +
    `${values.lesson?.length ? `, lessons ${values.lesson.join(' ')}` : ''}${values.unit ? ', with the grader\'s own tests' : ''}); ` +
    `median ${times[Math.floor(times.length / 2)]!.toFixed(1)} s, max ${times.at(-1)!.toFixed(1)} s, total ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
for (const [name, count] of flaky) console.log(`  ${count}× ${name}`);
process.exitCode = failed.length ? 1 : 0;
