import { Command, Option } from 'commander';
import pc from 'picocolors';
import { catchUpCommand, resetCommand, solutionCommand } from './commands/files.js';
import { parseLessons, UsageError } from './commands/common.js';
import { devCommand } from './commands/dev.js';
import { gradeCommand } from './commands/grade.js';
import { hintCommand } from './commands/hint.js';
import { listLessons } from './commands/list.js';
import { regradeCommand, type RegradeOptions } from './commands/regrade.js';
import { rosterCommand } from './commands/roster.js';
import { selfCheck } from './commands/selfcheck.js';
import { watchCommand } from './commands/watch.js';
import { courseLessons } from './grading.js';
import { syncLessonTables } from './lesson-docs.js';
import { lessons } from './registry/index.js';

const program = new Command('course')
  .description('Production-Ready Express: fix flawed Express apps, one production flaw each, then ship them; the grader proves each fix by behaviour.')
  .showHelpAfterError();

program
  .command('grade')
  .description('grade lessons (all by default) and show what fails, how to reproduce it, and a hint')
  .argument('[lessons...]', 'lesson numbers or names: 3, 03, 03-session-store')
  .option('--target <folder>', '"exercises" (default), "solutions", a folder laid out like exercises/, or one lesson\'s folder')
  .option('--json <file>', 'also write the results as JSON')
  .option('--all', 'show every failing check in full (by default the first is, and each other takes a line)')
  .option('--verbose', 'show passing checks, every failure in full and all of the app output')
  .option('--junit <file>', 'also write JUnit XML (one testsuite per lesson) for any CI')
  .option('--classroom', 'append GitHub Classroom results (lesson1, lesson2, …, one per lesson) to $GITHUB_OUTPUT')
  .option('--annotations', 'print GitHub annotations even outside GitHub Actions (inside, they are always printed)')
  .option('--summary <file>', 'also write the markdown job summary here (in GitHub Actions it goes to $GITHUB_STEP_SUMMARY)')
  .action(async (names: string[], options) => {
    process.exitCode = (await gradeCommand(names, options)).code;
  });

program
  .command('regrade')
  .description('for instructors: grade every student repo in a folder with the pristine grader, one CSV row per student')
  .argument('<folder>', 'a folder holding one student repo per subfolder')
  .requiredOption('--out <file>', 'the CSV to write (one column per lesson)')
  .option('--results <folder>', 'also keep each student\'s results JSON here (for `course roster`)')
  .option('--jobs <n>', 'repos graded at once (default: the number of cores)')
  .option('--lesson <lessons...>', 'only these lessons')
  .action(async (folder: string, options: RegradeOptions) => {
    process.exitCode = await regradeCommand(folder, options);
  });

program
  .command('roster')
  .description('for instructors: learners × lessons and the checks most failed, from results files')
  .argument('<files...>', 'results JSON files (course grade --json, CI artifacts) or .course/progress.json')
  .option('--csv <file>', 'also write the roster as CSV')
  .action((files: string[], options: { csv?: string }) => console.log(rosterCommand(files, options)));

program
  .command('watch')
  .description('grade the current lesson, then re-grade on every save (npm start)')
  .action(() => watchCommand());

program
  .command('list')
  .description('every lesson with its status and score')
  .action(() => console.log(listLessons()));

program
  .command('hint')
  .description('the next hint for the first failing check of a lesson')
  .argument('<lesson>')
  .action(async (name: string) => console.log(await hintCommand(name)));

program
  .command('reset')
  .description('restore a lesson\'s exercise as the course shipped it (your files are backed up first)')
  .argument('<lesson>')
  .option('--dry-run', 'show what would change, change nothing')
  .action((name: string, options) => console.log(resetCommand(name, options)));

program
  .command('solution')
  .description('the diff from your files to the reference fix, once the lesson passes')
  .argument('<lesson>')
  .option('--force', 'show it before the lesson passes (recorded in your progress)')
  .addOption(new Option('--instructor', 'for workshops whose solutions are instructor-only').hideHelp())
  .action((name: string, options) => console.log(solutionCommand(name, options)));

program
  .command('catch-up')
  .description('apply the reference fixes of every lesson before this one (your files are backed up first)')
  .argument('<lesson>')
  .action((name: string) => console.log(catchUpCommand(name)));

program
  .command('dev')
  .description('run your app for a lesson on http://localhost:3000, restarting on save')
  .argument('<lesson>')
  .option('--port <port>', 'port to listen on', '3000')
  .action(async (name: string, options) => {
    process.exitCode = await devCommand(name, options);
  });

program
  .command('self-check')
  .description('for contributors: prove every check catches its flaw, passes the solution and judges every fixture right')
  .option('--lesson <lessons...>', 'only these lessons')
  .option('--skip <phases...>', 'skip phases: typecheck, unit, lessons')
  .option('--no-fixtures', 'grade only the pristine exercises and the solutions, not the fixtures')
  .action(async (options: { lesson?: string[]; skip?: string[]; fixtures: boolean }) => {
    const lessonsToCheck = options.lesson ? parseLessons(options.lesson) : courseLessons();
    process.exitCode = await selfCheck({ lessons: lessonsToCheck, skip: options.skip, fixtures: options.fixtures });
  });

program
  .command('sync-lessons')
  .description('for contributors: regenerate the "What the grader checks" tables in lessons/ from the registry')
  .action(() => {
    const changed = syncLessonTables(courseLessons());
    console.log(changed.length ? `Updated: ${changed.join(', ')}` : 'Every lesson table matches the registry.');
  });

program
  .command('registry')
  .description('for tools: print the lesson registry as JSON')
  .action(() => console.log(JSON.stringify({ lessons }, null, 2)));

try {
  await program.parseAsync();
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(pc.red(error.message));
  process.exitCode = 2;
}
