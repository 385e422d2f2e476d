import path from 'node:path';
import { readConfig } from '../config.js';
import { gradeTarget } from '../grading.js';
import { writeJsonAtomic } from '../progress.js';
import { renderResults } from '../reporters/terminal.js';
import { exitCode, type Results } from '../results.js';
import { resolveTarget } from '../target.js';
import { parseLessons } from './common.js';

export interface GradeOptions {
  target?: string;
  json?: string;
  verbose?: boolean;
}

export async function gradeCommand(names: string[], options: GradeOptions): Promise<{ results: Results; code: number }> {
  const target = resolveTarget(options.target);
  const lessons = parseLessons(names);
  const results = await gradeTarget(target, lessons);
  if (options.json) writeJsonAtomic(path.resolve(options.json), results);
  console.log(renderResults(results, { verbose: options.verbose, hints: readConfig().hints !== 'off' }));
  return { results, code: exitCode(results) };
}
