import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { hintsAllowed, readConfig } from '../config.js';
import { gradeTarget } from '../grading.js';
import { readProgress, writeJsonAtomic } from '../progress.js';
import { classroomOutputs } from '../reporters/classroom.js';
import { annotationCommands, appendOutputs, neutralize, summaryMarkdown, withCommandsStopped } from '../reporters/github.js';
import { junitXml } from '../reporters/junit.js';
import { renderResults } from '../reporters/terminal.js';
import { exitCode, type Results } from '../results.js';
import { gradeStudentRepo, isStudentRepo } from '../student.js';
import { resolveTarget } from '../target.js';
import { parseLessons, UsageError } from './common.js';

export interface GradeOptions {
  target?: string;
  json?: string;
  verbose?: boolean;
  /** Every failing check in full, not only the first of each lesson. */
  all?: boolean;
  /** Write JUnit XML here. */
  junit?: string;
  /** Append GitHub Classroom results (lesson1, lesson2, …, one per lesson) to $GITHUB_OUTPUT. */
  classroom?: boolean;
  /** Print GitHub annotations even outside GitHub Actions. */
  annotations?: boolean;
  /** Write the markdown summary here (in GitHub Actions it also goes to $GITHUB_STEP_SUMMARY). */
  summary?: string;
}

export async function gradeCommand(names: string[], options: GradeOptions, env: NodeJS.ProcessEnv = process.env): Promise<{ results: Results; code: number }> {
  const inActions = env.GITHUB_ACTIONS === 'true';
  if (options.classroom && !env.GITHUB_OUTPUT) throw new UsageError('--classroom appends to $GITHUB_OUTPUT, which GitHub Actions sets; it is not set here.');
  const named = parseLessons(names);
  const target = isStudentRepo(options.target) ? undefined : resolveTarget(options.target, names.length > 0 ? named : []);
  // One lesson's folder holds that lesson alone.
  const lessons = target?.only ? named.filter((lesson) => lesson.id === target.only) : named;
  const results = target ? await gradeTarget(target, lessons) : await gradeStudentRepo(options.target!, lessons);
  if (options.json) writeJsonAtomic(path.resolve(options.json), results);

  // Whatever the learner's app printed is in this report: neutralised line by line, and in Actions
  // also fenced with stop-commands, so a fake `::notice` or `::set-output` is only text.
  // Inline hints follow the workshop policy like `course hint` does (afterFailedRuns counts this run).
  const failedRuns = target?.learner ? Math.min(...results.lessons.map((lesson) => readProgress().failedRuns[lesson.id] ?? 0)) : 0;
  const hints = hintsAllowed(readConfig(), failedRuns).allowed;
  const report = neutralize(renderResults(results, { verbose: options.verbose, all: options.all, hints }));
  console.log(inActions ? withCommandsStopped(report) : report);

  // Annotation paths are relative to the graded repo's root, wherever the workflow checked it out.
  const github = {};
  if (options.junit) writeFileSync(path.resolve(options.junit), junitXml(results));
  if (options.classroom) appendOutputs(env.GITHUB_OUTPUT!, classroomOutputs(results, github));
  if (inActions || options.annotations) for (const line of annotationCommands(results, github)) console.log(line);
  const summary = inActions || options.summary ? summaryMarkdown(results, github) : undefined;
  if (summary && options.summary) writeFileSync(path.resolve(options.summary), summary);
  if (summary && inActions && env.GITHUB_STEP_SUMMARY) writeFileSync(env.GITHUB_STEP_SUMMARY, summary, { flag: 'a' });
  return { results, code: exitCode(results) };
}
