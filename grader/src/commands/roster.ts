import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { aggregate, type LearnerEntry, parseLearnerFile, RosterFileError, toCsv, toText } from '../roster.js';
import { UsageError } from './common.js';

/** The room at a glance, from learners' results files: the same table as the site's roster page. */
export function rosterCommand(files: string[], options: { csv?: string }): string {
  const entries: LearnerEntry[] = [];
  const problems: string[] = [];
  for (const file of files) {
    try {
      entries.push(parseLearnerFile(readFileSync(file, 'utf8'), path.basename(file)));
    } catch (error) {
      if (error instanceof RosterFileError) problems.push(error.message);
      else if ((error as NodeJS.ErrnoException).code === 'ENOENT') problems.push(`${file}: no such file.`);
      else throw error;
    }
  }
  if (entries.length === 0) throw new UsageError(['No readable results files.', ...problems].join('\n'));
  const roster = aggregate(entries);
  if (options.csv) writeFileSync(options.csv, toCsv(roster));
  return [toText(roster), ...problems.map((problem) => `Skipped: ${problem}`), options.csv ? `CSV written to ${options.csv}` : '']
    .filter(Boolean)
    .join('\n');
}
