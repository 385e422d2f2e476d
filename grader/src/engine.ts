/// <reference types="vitest/config" />
import { accessSync, constants, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { transform } from 'esbuild';
import type { Reporter, TestCase, TestModule, Vitest } from 'vitest/node';
import type { CheckMeta } from '../support/lesson.js';
import { busyMachine } from '../support/machine.js';
import { makeTempFolder, removeTempFolder } from '../support/watchdog.js';
import { buildLesson } from './build.js';
import { checksDir, graderDir, repoRoot } from './paths.js';
import { type RedisService, startRedis } from './redis-server.js';
import { displayPath } from './target.js';
import { linkVendor, lessonVendor } from './vendor.js';
import { checkById, lessonById } from './registry/index.js';
import { type GradeJob, type LessonResult, type TestResult, lessonStatus } from './results.js';

interface Outcome {
  state: string;
  message: string;
  meta?: CheckMeta;
  durationMs: number;
}

/** Collects every check's outcome, keyed by lesson, target label and check id. */
class Collector implements Reporter {
  readonly outcomes = new Map<string, Outcome>();
  /** Checks the check files declared, and those that started: to say why a check has no outcome. */
  readonly declared = new Set<string>();
  readonly started = new Set<string>();
  /** Errors of check files that failed to load, by file name (without .check.ts). */
  readonly moduleErrors = new Map<string, string>();
  constructor(private readonly onCheck?: (lesson: string, label: string, id: string) => void) {}

  reset(): void {
    this.outcomes.clear();
    this.declared.clear();
    this.started.clear();
    this.moduleErrors.clear();
  }

  onTestModuleCollected(testModule: TestModule): void {
    for (const testCase of testModule.children.allTests()) this.declared.add(caseKey(testCase));
  }

  onTestCaseReady(testCase: TestCase): void {
    this.started.add(caseKey(testCase));
  }

  onTestCaseResult(testCase: TestCase): void {
    const result = testCase.result();
    const label = testCase.parent.type === 'suite' ? testCase.parent.name : '';
    const lesson = checkById(testCase.name)?.lesson.id ?? checkFileName(testCase.module.moduleId);
    const error = result.errors?.[0];
    this.outcomes.set(caseKey(testCase), {
      state: result.state,
      message: error?.message ?? '',
      meta: testCase.meta().course,
      durationMs: testCase.diagnostic()?.duration ?? 0,
    });
    this.onCheck?.(lesson, label, testCase.name);
  }

  onTestModuleEnd(testModule: TestModule): void {
    const errors = testModule.errors();
    if (errors.length > 0) this.moduleErrors.set(checkFileName(testModule.moduleId), errors.map((error) => error.stack ?? error.message).join('\n'));
  }
}

function checkFileName(moduleId: string): string {
  return path.basename(moduleId).replace(/\.check\.ts$/, '');
}

function key(lesson: string, label: string, id: string): string {
  return `${lesson}\u0000${label}\u0000${id}`;
}

function caseKey(testCase: TestCase): string {
  const label = testCase.parent.type === 'suite' ? testCase.parent.name : '';
  return key(checkById(testCase.name)?.lesson.id ?? checkFileName(testCase.module.moduleId), label, testCase.name);
}

/** Why a check of the registry has no result: what the run saw of it. */
function notRun(collector: Collector, checkKey: string, lesson: string, state: string | undefined): string {
  const busy = busyMachine();
  if (!collector.declared.has(checkKey)) {
    return `This check did not run: grader/checks/${lesson}.check.ts declares no check with this id, though the registry lists it (were the grader's files being changed while it ran?). Grade again.`;
  }
  if (state === 'skipped') return 'This check did not run: it was skipped.';
  if (!collector.started.has(checkKey)) return `This check did not run: the run ended before its turn came${busy ? `; ${busy}` : ''}.`;
  return `This check started but its result never reached the grader${busy ? `; ${busy}` : ''}. Grade again.`;
}

export interface RunOptions {
  /** Called as each check finishes, for progress displays. */
  onCheck?: (lesson: string, label: string, id: string) => void;
}

/** A job ready to run: its lesson is compiled into `runDir` before each run. */
export interface PreparedJob extends GradeJob {
  runDir: string;
}

/** Checks of one lesson running at once, at most: each starts a Node process or two. */
const MAX_CONCURRENT_CHECKS = 4;
/** The check file that runs every lesson of a run side by side, in one worker. */
const SIDE_BY_SIDE = 'side-by-side';
/** Grading targets of one lesson in parallel only pays off with several targets per lesson. */
const MIN_JOBS_PER_SHARD = 3;

/** Runs the check files of the jobs' lessons, once, and turns the outcomes into lesson results. */
export async function grade(jobs: readonly GradeJob[], options: RunOptions = {}): Promise<LessonResult[]> {
  const session = await GradingSession.open(jobs, options);
  try {
    return await session.grade();
  } finally {
    await session.close();
  }
}

/**
 * A vitest instance, a compiled host and (when a lesson needs it) a Redis, kept across runs: watch
 * mode re-grades a lesson without paying for their start-up again.
 */
export class GradingSession {
  private constructor(
    private readonly jobs: PreparedJob[],
    private readonly vitest: Vitest,
    private readonly collector: Collector,
    private readonly cleanUp: () => void,
    /** Lessons whose Redis could not be started. */
    private readonly redisMissing: ReadonlySet<string>,
    private readonly vendors: ReadonlyMap<string, string | undefined>,
    /** Whether a run of all the jobs grades their lessons side by side, from one check file. */
    private readonly sideBySide: boolean,
    /** Every job compiled as its folder was when the session opened: for the first run only. */
    private compiled?: Promise<unknown>,
  ) {}

  static async open(jobs: readonly GradeJob[], options: RunOptions = {}): Promise<GradingSession> {
    // vite and vitest take a quarter of a second of this thread to load: meanwhile Redis and esbuild start.
    import('vitest/node').catch(() => {}); // createRunner() imports it again and reports any error
    const runRoot = makeTempFolder('course-run-');
    // The compiled apps below find the course's packages the way any Node app does, by walking up to
    // a node_modules folder: no resolve hook to load in every process the checks start.
    symlinkSync(path.join(repoRoot, 'node_modules'), path.join(runRoot, 'node_modules'), 'junction');
    const prepared = jobs.map((job, index) => ({ ...job, runDir: path.join(runRoot, String(index), job.lesson) }));
    const lessons = [...new Set(jobs.map((job) => job.lesson))];
    const redisLessons = lessons.filter((lesson) => lessonById(lesson).checks.some((check) => check.needs === 'redis'));
    const [hostEntry, redis, vendors] = await Promise.all([
      compileHostEntry(runRoot),
      // A Redis per lesson: a learner's app that shuts its Redis down, pauses it or sets a password
      // there (lesson 03 hands it a REDIS_URL) must not take another lesson's checks with it.
      Promise.all(redisLessons.map(async (lesson) => [lesson, await startRedis()] as const)).then((pairs) => new Map(pairs)),
      Promise.all(lessons.map(async (lesson) => [lesson, await lessonVendor(lesson)] as const)).then((pairs) => new Map(pairs)),
    ]);
    const cleanUp = () => {
      for (const { stop } of redis.values()) stop();
      removeTempFolder(runRoot);
    };
    // The first run's copies are compiled while vitest starts (esbuild works in a process of its own).
    const compiled = Promise.all(prepared.map((job) => compile(job, vendors.get(job.lesson))));
    compiled.catch(() => {}); // the first run awaits it and reports any error
    try {
      const collector = new Collector(options.onCheck);
      const services = Object.fromEntries([...redis].map(([lesson, { service }]) => [lesson, service]));
      const { vitest, sideBySide } = await createRunner(prepared, { courseHostEntry: hostEntry, courseRedis: services }, collector);
      const redisMissing = new Set([...redis].filter(([, { service }]) => 'error' in service).map(([lesson]) => lesson));
      return new GradingSession(prepared, vitest, collector, cleanUp, redisMissing, vendors, sideBySide, compiled);
    } catch (error) {
      await compiled.catch(() => {}); // done writing into the folders about to be removed
      cleanUp();
      throw error;
    }
  }

  /**
   * Compiles the lessons' folders as they are now (for the first run, as they were a moment before,
   * when the session opened) and runs their checks (all lessons by default).
   */
  async grade(lessonIds?: readonly string[]): Promise<LessonResult[]> {
    const started = Date.now();
    const jobs = this.jobs.filter((job) => !lessonIds || lessonIds.includes(job.lesson));
    const compiled = this.compiled;
    this.compiled = undefined;
    await (compiled ?? Promise.all(jobs.map((job) => compile(job, this.vendors.get(job.lesson)))));
    this.collector.reset();
    // The side-by-side file runs all of the session's jobs: a run of some of them uses their own files.
    const sideBySide = this.sideBySide && jobs.length === this.jobs.length;
    const files = sideBySide ? [checkFile(SIDE_BY_SIDE)] : [...new Set(jobs.map((job) => checkFile(job.lesson)))];
    await this.vitest.runTestFiles(files);
    process.exitCode = undefined; // vitest sets it; the course decides its own exit code
    const gradedAt = new Date().toISOString();
    return jobs.map((job) => toLessonResult(job, this.collector, gradedAt, Date.now() - started, this.redisMissing.has(job.lesson)));
  }

  async close(): Promise<void> {
    try {
      await this.vitest.close();
    } finally {
      this.cleanUp();
    }
  }
}

/** The job's folder as it is now, compiled into its run folder. */
async function compile(job: PreparedJob, vendor: string | undefined): Promise<void> {
  rmSync(job.runDir, { recursive: true, force: true });
  await buildLesson(job.dir, job.runDir);
  await linkVendor(job.runDir, vendor);
}

function checkFile(name: string): string {
  return path.join(checksDir, `${name}.check.ts`);
}

async function compileHostEntry(runRoot: string): Promise<string> {
  const source = path.join(graderDir, 'support', 'host-entry.ts');
  const { code } = await transform(readFileSync(source, 'utf8'), { loader: 'ts', sourcefile: source, sourcemap: 'inline', target: 'node20' });
  const file = path.join(runRoot, 'host-entry.mjs');
  mkdirSync(runRoot, { recursive: true });
  writeFileSync(file, code);
  return file;
}

/**
 * One vitest for all jobs. Each check file runs the targets it is given one after the other; when a
 * lesson has many targets (the self-check), they are dealt out to several vitest projects running
 * the same check files, so that targets are graded in parallel.
 */
async function createRunner(
  jobs: PreparedJob[],
  context: { courseHostEntry: string; courseRedis: Record<string, RedisService> },
  collector: Collector,
): Promise<{ vitest: Vitest; sideBySide: boolean }> {
  const { createVitest } = await import('vitest/node');
  const moduleCache = writableFolder(path.join(graderDir, '.cache', 'vitest'));
  const lessonIds = [...new Set(jobs.map((job) => job.lesson))];
  const cores = os.availableParallelism();
  const shardsOf = (ids: string[], most: number) =>
    Math.max(1, Math.min(most, Math.floor(Math.max(...ids.map((id) => jobs.filter((job) => job.lesson === id).length)) / MIN_JOBS_PER_SHARD)));
  const sharded = shardsOf(lessonIds, cores * 2) > 1;
  // Lessons whose checks mostly wait (a process manager's reloads and restarts: a minute a folder, little
  // CPU) get shards of their own on workers of their own, which vitest starts first (it runs projects in
  // the order of their names, and a project's files largest first): their waits then overlap the other
  // lessons' work, instead of coming last with the machine idle (the smallest check file ran last).
  const waits = (id: string) => sharded && lessonById(id).waits === true;
  const groups = [
    { prefix: '0-waiting', ids: lessonIds.filter(waits), most: cores, workersPerShard: () => 1 },
    { prefix: 'shard', ids: lessonIds.filter((id) => !waits(id)), most: cores * 2, workersPerShard: (ids: string[]) => ids.length },
  ]
    .filter((group) => group.ids.length > 0)
    .map((group) => ({ ...group, shards: shardsOf(group.ids, group.most) }));
  const projects = groups.flatMap(({ prefix, ids, shards }) => {
    const groupJobs = jobs.filter((job) => ids.includes(job.lesson));
    return Array.from({ length: shards }, (_, shard) => ({
      test: {
        name: `${prefix}-${shard}`,
        root: graderDir,
        include: ids.map((id) => `checks/${id}.check.ts`),
        provide: { ...context, courseJobs: groupJobs.filter((_, index) => index % shards === shard), courseSideBySide: false },
        // Checks declared with t.concurrently run side by side only when each lesson has one target. With
        // many targets (the self-check) the shards already keep every core busy, and more at once would
        // only stretch each check towards its time limit. (A project's own setting: inline projects do
        // not inherit the root's.)
        maxConcurrency: sharded ? 1 : MAX_CONCURRENT_CHECKS,
        // A worker runs one check file after another and keeps the support modules it has loaded: a
        // fresh worker per file cost a second or two of CPU across seven lessons, and check files share
        // no state (each lesson's apps and folders are its own). Every run starts fresh workers.
        isolate: false,
      },
    }));
  });
  // Several lessons, one folder each (`course grade`, a classroom's CI): one worker grades them side
  // by side from one check file. A worker spends most of its CPU loading vitest, supertest and the
  // support modules, while the apps run in processes of their own: all seven solutions took 1 s less
  // CPU and 0.5 s less time than with a worker per core running one lesson after another.
  const sideBySide = !sharded && lessonIds.length > 1;
  if (sideBySide) {
    projects.push({
      test: {
        name: SIDE_BY_SIDE,
        root: graderDir,
        include: [`checks/${SIDE_BY_SIDE}.check.ts`],
        provide: { ...context, courseJobs: jobs, courseSideBySide: true },
        // As many checks at once, across the lessons, as there are lessons; the lessons declared first
        // take the first places. Fewer (five for seven lessons) left the checks of lessons 06 and 07,
        // each waiting on processes of its own, queued until the end of the run.
        maxConcurrency: Math.max(lessonIds.length, MAX_CONCURRENT_CHECKS),
        isolate: false,
      },
    });
  }
  // One worker unless there are shards: many targets (the self-check) wait out hanging fixtures' time
  // limits, and two workers per core keep the cores busy meanwhile (and one per waiting shard beside them).
  const workers = sharded ? groups.reduce((sum, group) => sum + Math.min(group.most, group.shards * group.workersPerShard(group.ids)), 0) : 1;
  const vitest = await createVitest(
    'test',
    {
      root: graderDir,
      config: false,
      watch: false,
      reporters: [collector],
      maxWorkers: workers,
      passWithNoTests: true,
      // Check files run in worker threads: a thread starts in half the time of a child process, which
      // a watch-mode re-grade pays on every save. The learner's apps run in child processes either way.
      pool: 'threads',
      // The check files and support modules, transformed from TypeScript once and kept on disk (keyed
      // by their content and vitest's version) instead of in every run: about 0.4 s less CPU for a
      // fresh `course grade 1`. A classroom grades from a trusted checkout, whose cache is its own. A
      // read-only checkout transforms them in memory each time, as vitest does by default.
      experimental: moduleCache ? { fsModuleCache: true, fsModuleCachePath: moduleCache } : {},
    },
    { test: { projects }, logLevel: 'silent' },
  );
  await vitest.standalone();
  return { vitest, sideBySide };
}

/** The folder, made if need be, when this process can write in it. */
function writableFolder(folder: string): string | undefined {
  try {
    mkdirSync(folder, { recursive: true });
    accessSync(folder, constants.W_OK);
    return folder;
  } catch {
    return undefined;
  }
}

function toLessonResult(job: GradeJob, collector: Collector, gradedAt: string, durationMs: number, redisMissing: boolean): LessonResult {
  const lesson = lessonById(job.lesson);
  const moduleError = collector.moduleErrors.get(job.lesson) ?? collector.moduleErrors.get(SIDE_BY_SIDE);
  const checks = lesson.checks.filter((check) => !job.checks || job.checks.includes(check.id));
  const tests = checks.map((check): TestResult => {
    const checkKey = key(job.lesson, job.label, check.id);
    const outcome = collector.outcomes.get(checkKey);
    const base = { id: check.id, title: check.title, points: check.points, hintLevel: 0 };
    if (!outcome || outcome.state === 'skipped' || outcome.state === 'pending') {
      const why = moduleError ? `The grader's check file failed to load: ${moduleError.split('\n')[0]}` : notRun(collector, checkKey, job.lesson, outcome?.state);
      return { ...base, status: 'error', score: 0, message: why, durationMs: 0 };
    }
    const passed = outcome.state === 'passed';
    const status = passed ? 'pass' : outcome.meta?.cannotJudge ? 'error' : 'fail';
    return {
      ...base,
      status,
      ...(status === 'error' && check.needs === 'redis' && redisMissing ? { missingService: 'redis' as const } : {}),
      score: passed ? check.points : 0,
      message: passed ? '' : outcome.message,
      curl: passed ? undefined : outcome.meta?.curl,
      output: passed ? undefined : outcome.meta?.output,
      location: passed ? undefined : learnerLocation(outcome.meta?.locateIn ?? outcome.meta?.output ?? '', job.dir, lesson.edits),
      durationMs: Math.round(outcome.durationMs),
    };
  });
  return {
    number: lesson.number,
    id: lesson.id,
    title: lesson.title,
    status: lessonStatus(tests),
    score: tests.reduce((sum, test) => sum + test.score, 0),
    maxScore: checks.reduce((sum, check) => sum + check.points, 0),
    dir: job.dir,
    gradedAt,
    durationMs,
    tests,
  };
}

/** The first place in the learner's own files that the app's output (a stack trace) points at. */
export function learnerLocation(output: string, dir: string, edits: readonly string[] = []): string | undefined {
  const escaped = dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // An app that died: the stack Node printed as it crashed is where to look, not an error logged earlier.
  const died = output.lastIndexOf('\nNode.js v');
  if (died > 0) {
    const crash = output.slice(Math.max(0, output.lastIndexOf('^\n', died), died - 4000), died);
    const found = learnerLocation(crash, dir, edits);
    if (found) return found;
  }
  const frames = [...output.matchAll(new RegExp(`(?:file://)?${escaped}/((?!node_modules/)[^\\s:()]+\\.[cm]?[jt]s):(\\d+)`, 'g'))];
  // Where the learner can act: a file the lesson asks them to edit, before one it says to leave alone
  // (lesson 01's database error is thrown in catalog.ts; the fix belongs where app.ts lets it through).
  const match = frames.find((frame) => edits.includes(frame[1]!)) ?? frames[0];
  return match ? `${displayPath(path.join(dir, match[1]!))}:${match[2]}` : undefined;
}
