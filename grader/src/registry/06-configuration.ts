import type { LessonDefinition } from './types.js';

export default {
  number: 6,
  id: '06-configuration',
  title: 'Configuration',
  summary: 'The database URL and its password are hard-coded, nothing is validated, and a missing SESSION_SECRET only shows up as a confusing 500 on the first login.',
  edits: ['src/config.ts', 'src/server.ts'],
  packages: ['dotenv', 'zod', 'envalid'],
  // Every check starts src/server.ts; a server that neither exits nor listens is watched for 10 s.
  timeLimitMs: 90_000,
  checks: [
    {
      id: '06.starts-with-valid-environment',
      title: 'With DATABASE_URL and SESSION_SECRET in the environment and no .env file, the server starts and uses that database',
      points: 1,
      guards: 'The exercise already reads DATABASE_URL from the environment; a fix must keep starting without any .env file.',
      hints: [
        'Start the server with DATABASE_URL and SESSION_SECRET exported and no .env file in the directory.',
        'Production has no .env file: the platform sets real variables. A missing .env must never be an error.',
        'If you load .env, make the load optional: dotenv.config() simply returns when the file is absent.',
        'Load .env (if present), then validate process.env, then start: in that order, in src/config.ts.',
      ],
    },
    {
      id: '06.missing-database-url-stops-startup',
      title: 'Without DATABASE_URL the server exits non-zero at startup, names the variable and never listens',
      points: 2,
      hints: [
        'Run the server with SESSION_SECRET set but no DATABASE_URL. Which database does it use?',
        'A hard-coded fallback sends a misconfigured production server to the wrong database (and puts a password in git). Required settings have no defaults.',
        'In src/config.ts, check DATABASE_URL before returning the config; src/server.ts calls loadConfig() before app.listen().',
        'With zod: z.object({ DATABASE_URL: z.url(), ... }).safeParse(process.env); on failure print each issue.path and message, then process.exit(1).',
      ],
    },
    {
      id: '06.missing-session-secret-stops-startup',
      title: 'Without SESSION_SECRET the server exits non-zero at startup, names the variable and never listens',
      points: 2,
      hints: [
        'Start without SESSION_SECRET, then POST /session. When does the problem show up, and what does the error say?',
        'A missing secret should stop the process at startup with its name, not surface later as "The \\"key\\" argument must be of type string" on the first login.',
        'Never give a secret a fallback value (SESSION_SECRET ?? "dev-secret"): a default secret is a public one.',
        "SESSION_SECRET: z.string().min(32) in the schema, or if (!process.env.SESSION_SECRET) problems.push('SESSION_SECRET is missing').",
      ],
    },
    {
      id: '06.every-problem-reported-in-one-run',
      title: 'With both variables missing, one run names both',
      points: 1,
      hints: [
        'Start with an empty environment. How many restarts does it take to learn everything that is wrong?',
        'Whoever deploys wants the whole list at once, not one problem per deploy.',
        'Collect problems into a list and exit once after checking every variable; schema libraries do this for you.',
        'const problems: string[] = []; …check each variable, push a message…; if (problems.length) { console.error(problems.join("\\n")); process.exit(1); }',
      ],
    },
    {
      id: '06.empty-variables-count-as-missing',
      title: 'DATABASE_URL and SESSION_SECRET set to empty strings are refused like missing ones',
      points: 1,
      hints: [
        'Start with DATABASE_URL= and SESSION_SECRET= (set, but empty).',
        'An empty variable is set: `=== undefined` lets it through. dotenv will not fill it from .env either, because it never overrides a variable that exists.',
        'Test for a usable value, not for presence: a non-empty string, a valid URL, a minimum length.',
        "if (!process.env.DATABASE_URL) … (falsy catches undefined and ''), or z.url() / z.string().min(32), which reject '' too.",
      ],
    },
    {
      id: '06.malformed-database-url-stops-startup',
      title: 'A DATABASE_URL that is not a URL stops startup and is named',
      points: 1,
      hints: [
        'Start with DATABASE_URL=db.internal/bookshop (no scheme).',
        'Validate the shape, not only the presence: a malformed URL fails later, deep in a driver, with an error that does not say which variable.',
        'new URL(value) throws on a value that is not a URL; z.url() and envalid url() use it.',
        "z.url({ protocol: /^postgres(ql)?$/ }) or try { new URL(value) } catch { problems.push('DATABASE_URL must be a URL') }",
      ],
    },
    {
      id: '06.short-session-secret-stops-startup',
      title: 'A SESSION_SECRET shorter than 32 characters stops startup and is named',
      points: 1,
      hints: [
        `Start with SESSION_SECRET=short-Secret-42.`,
        'A short secret can be guessed offline from one signed cookie. 32 random characters is the floor the course asks for.',
        'Check the length as part of validation; print the rule, never the value.',
        "SESSION_SECRET: z.string().min(32, 'must be at least 32 characters long')",
      ],
    },
    {
      id: '06.bad-port-stops-startup',
      title: 'PORT=abc or PORT=99999 stops startup and names PORT',
      points: 1,
      hints: [
        'Start with PORT=abc, then PORT=99999. What does the error say?',
        'Number("abc") is NaN; listen() then fails with an error about options.port, not about your variable. Optional settings still need validating when set.',
        'PORT is optional with a default of 3000, but when it is set it must be a whole number from 0 to 65535.',
        'PORT: z.coerce.number().int().min(0).max(65535).default(3000)',
      ],
    },
    {
      id: '06.dotenv-file-alone-starts',
      title: 'In development, a .env file alone (no variables in the environment) is enough to start',
      points: 2,
      hints: [
        'Put DATABASE_URL and SESSION_SECRET in a .env file in the directory you start from, and nothing in the environment.',
        'A .env file keeps development settings out of the code. dotenv reads ./.env from the working directory into process.env.',
        'Load it in src/config.ts before validating, and only outside production.',
        "import dotenv from 'dotenv'; if (process.env.NODE_ENV !== 'production') dotenv.config();",
      ],
    },
    {
      id: '06.environment-wins-over-dotenv',
      title: 'When the environment and .env disagree, the environment wins',
      points: 1,
      guards: 'The exercise ignores .env entirely; loading it must not let the file override the environment.',
      hints: [
        'Set DATABASE_URL in the environment and a different one in .env. Which database does GET /health report?',
        'The environment is what the operator set for this run; .env is a developer default. dotenv never overrides an existing variable unless you ask it to.',
        'Look for override: true in dotenv.config(), or code that copies the parsed file over process.env.',
        'dotenv.config() with no options, or process.loadEnvFile(), both leave existing variables alone.',
      ],
    },
    {
      id: '06.dotenv-ignored-in-production',
      title: 'With NODE_ENV=production a .env file is not loaded',
      points: 1,
      hints: [
        'Start with NODE_ENV=production, an empty environment and a .env file in the directory.',
        'A .env file left on a production server (a copied folder, a baked image) silently supplies development settings. In production only the real environment counts.',
        'Guard the load with the NODE_ENV check, before validation runs.',
        "if (process.env.NODE_ENV !== 'production') dotenv.config();",
      ],
    },
    {
      id: '06.secrets-never-printed-or-served',
      title: 'The database password and SESSION_SECRET never appear in output or in any response',
      points: 2,
      hints: [
        'Read what the server prints when it starts. Would you paste that into a chat channel?',
        'Logs are shipped, indexed and read by many people. A printed connection string is a leaked password; an echoed secret is a leaked secret.',
        'Look at the startup log line in src/server.ts and at anything that prints the config or the bad values.',
        'Print new URL(config.databaseUrl).host instead of the URL, never console.log(config), and name variables without their values in error messages.',
      ],
    },
  ],
  requirements: [],
  advice: [],
} satisfies LessonDefinition;
