import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { exercisesDir } from '../paths.js';
import { parseLesson } from './common.js';

/** Runs the learner's server for a lesson on port 3000, restarting on save: what the curl lines target. */
export function devCommand(name: string, options: { port?: string }): Promise<number> {
  const lesson = parseLesson(name);
  const dir = path.join(exercisesDir, lesson.id);
  const tsx = createRequire(import.meta.url).resolve('tsx/cli');
  const child = spawn(process.execPath, [tsx, 'watch', 'src/server.ts'], {
    cwd: dir,
    stdio: 'inherit',
    env: { ...process.env, PORT: options.port ?? '3000' },
  });
  return new Promise((resolve) => child.on('close', (code) => resolve(code ?? 0)));
}
