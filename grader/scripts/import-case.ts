/**
 * Turns a red-team case into a fixture: the files that differ from the exercise, and a fixture.json
 * whose description comes from the case's CASE.md and, for a wrong fix, whose `fails` lists the checks
 * that fail on it today (none when the grader still passes it: then the self-check reports it until the
 * check is fixed).
 *
 *   npx tsx grader/scripts/import-case.ts <case folder laid out like exercises/> <wrong|alt> [name]
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exercisesDir, graderDir } from '../src/paths.js';
import { lessons } from '../src/registry/index.js';

const [caseDir, kind, givenName] = process.argv.slice(2);
if (!caseDir || (kind !== 'wrong' && kind !== 'alt')) {
  console.error('usage: import-case.ts <case folder laid out like exercises/> <wrong|alt> [name]');
  process.exit(2);
}
const lesson = lessons.find((candidate) => existsSync(path.join(caseDir, candidate.id)));
if (!lesson) throw new Error(`${caseDir} holds no lesson folder (NN-slug).`);
const name = givenName ?? path.basename(path.resolve(caseDir)).replace(/^[wc]-/, '');
const from = path.join(caseDir, lesson.id);
const exercise = path.join(exercisesDir, lesson.id);
const fixture = path.join(graderDir, 'fixtures', lesson.id, kind, name);
if (existsSync(fixture)) throw new Error(`${fixture} exists already.`);

/** Files of the case that the exercise does not have, or has with other bytes. */
function changedFiles(dir = ''): string[] {
  return readdirSync(path.join(from, dir)).flatMap((entry) => {
    const relative = path.join(dir, entry);
    if (entry === 'node_modules' || entry === 'CASE.md') return [];
    if (statSync(path.join(from, relative)).isDirectory()) return changedFiles(relative);
    const original = path.join(exercise, relative);
    const same = existsSync(original) && readFileSync(original).equals(readFileSync(path.join(from, relative)));
    return same ? [] : [relative];
  });
}

function description(): string {
  const notes = [path.join(caseDir, 'CASE.md'), path.join(from, 'CASE.md')].find((file) => existsSync(file));
  if (!notes) return '(describe this case)';
  const paragraph = readFileSync(notes, 'utf8')
    .split(/\n\s*\n/)
    .map((block) => block.trim())
    .find((block) => block && !block.startsWith('#'));
  return (paragraph ?? '').replace(/\s+/g, ' ').replace(/^\**(WRONG|CORRECT)(\s*\([^)\n]*\))?[.:?]*\**[.:]?\s*/i, ''); // **WRONG.**, **WRONG (ARGUABLE).**, WRONG:
}

/** The checks that fail on the case today. */
function failingChecks(): string[] {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'course-import-'));
  try {
    const json = path.join(scratch, 'results.json');
    try {
      execFileSync(process.execPath, [path.join(graderDir, 'bin', 'course.js'), 'grade', String(lesson!.number), '--target', caseDir, '--json', json], { stdio: 'ignore' });
    } catch {
      // exit 1: some check failed, which is what a wrong fix should do
    }
    const results = JSON.parse(readFileSync(json, 'utf8')) as { lessons: { tests: { id: string; status: string }[] }[] };
    return results.lessons[0]!.tests.filter((test) => test.status === 'fail').map((test) => test.id);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const files = changedFiles();
for (const file of files) {
  mkdirSync(path.dirname(path.join(fixture, file)), { recursive: true });
  cpSync(path.join(from, file), path.join(fixture, file));
}
const meta: { description: string; fails?: string[] } = { description: description() };
if (kind === 'wrong') {
  const fails = failingChecks();
  if (fails.length) meta.fails = fails;
  else console.warn(`The grader passes ${name} today: a false pass for the self-check to report until a check catches it.`);
}
writeFileSync(path.join(fixture, 'fixture.json'), `${JSON.stringify(meta, null, 2)}\n`);
console.log(`${path.relative(process.cwd(), fixture)}: ${files.join(', ')}${meta.fails ? ` (fails ${meta.fails.join(', ')})` : ''}`);
