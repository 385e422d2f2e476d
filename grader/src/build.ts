import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { transform, type TransformFailure } from 'esbuild';

const typescript = /\.([cm]?)ts$/;
/** Where a compile error is left for the checks, in the compiled copy. */
export const BUILD_ERROR_FILE = '.build-error';
/** How a build error that is the learner's own (a syntax error) begins: the checks fail on it, they do not give up. */
export const LEARNER_BUILD_ERROR = 'Your code does not compile:';

/**
 * Copies a lesson folder to `into` with every TypeScript file also compiled to JavaScript beside it,
 * so that the apps the grader starts run on plain Node: TypeScript is transpiled once per run, not in
 * every process. Inline source maps let the grader show the positions in the stack traces an app
 * prints in the learner's own .ts files (support/source-positions.ts), and the folder's own
 * node_modules (packages a learner added) stays visible through a link.
 *
 * When a file does not compile (a syntax error), the message is also left in `<into>/.build-error`,
 * where the checks find it, and returned.
 */
export async function buildLesson(dir: string, into: string): Promise<string | undefined> {
  mkdirSync(into, { recursive: true });
  const files: string[] = [];
  const walk = (relative: string) => {
    for (const entry of readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === '.git') continue;
      const child = path.join(relative, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) files.push(child);
    }
  };
  walk('');
  const problems = await Promise.all(
    files.map(async (relative) => {
      const source = path.join(dir, relative);
      const target = path.join(into, relative);
      mkdirSync(path.dirname(target), { recursive: true });
      cpSync(source, target);
      if (!typescript.test(relative) || relative.endsWith('.d.ts')) return undefined;
      try {
        const { code } = await transform(readFileSync(source, 'utf8'), {
          loader: 'ts',
          sourcefile: source,
          sourcemap: 'inline',
          target: 'node20',
        });
        writeFileSync(target.replace(typescript, '.$1js'), code);
        return undefined;
      } catch (error) {
        const first = (error as TransformFailure).errors?.[0];
        if (!first) return { learner: false, text: `${relative}: ${(error as Error).message}` };
        const where = first.location ? `${path.join(path.basename(dir), relative)}:${first.location.line}:${first.location.column + 1}` : relative;
        return { learner: true, text: `${where}: ${first.text}${first.location ? `\n    ${first.location.lineText}` : ''}` };
      }
    }),
  );
  const modules = path.join(dir, 'node_modules');
  if (existsSync(modules)) symlinkSync(modules, path.join(into, 'node_modules'), 'junction');
  const failures = problems.filter((problem) => problem !== undefined);
  if (failures.length === 0) return undefined;
  // A syntax error is the learner's to fix (every check fails); esbuild failing without one is the grader's.
  const message = failures.every((failure) => failure.learner)
    ? `${LEARNER_BUILD_ERROR}\n${failures.map((failure) => failure.text).join('\n')}`
    : `The grader could not compile your code:\n${failures.map((failure) => failure.text).join('\n')}`;
  writeFileSync(path.join(into, BUILD_ERROR_FILE), message);
  return message;
}
