import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import { courseLessons } from '../src/grading.js';
import { lessonFile } from '../src/lesson-docs.js';
import { repoRoot, solutionsDir } from '../src/paths.js';

// Every TypeScript block in a lesson text is type-checked against the packages the lesson installs, so
// that a text cannot teach an option, a signature or an import that the installed version does not have.
// Most blocks are fragments of a file: a block is compiled in the lesson's solution folder, inside an
// async function (so `return` and `await` work), after the imports of the solution's own files. A name
// the fragment takes from code around it that the text leaves out (a `store`, a `secret`) is declared
// `any`; `app` is declared as an Express app. What the fragment calls on an imported package stays strictly
// typed, and that is what drifts when a package's major changes.

interface Block {
  lesson: string;
  line: number;
  code: string;
}

/** The ```ts blocks of a Markdown text, indentation removed, with the line each starts on. */
export function typescriptBlocks(lesson: string, markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(ts|typescript)\b/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]!); j++) body.push(lines[j]!.slice(indent));
    blocks.push({ lesson, line: i + 1, code: body.join('\n') });
    i = j;
  }
  return blocks;
}

const CONTEXT_TYPES: Record<string, string> = { app: "import('express').Express" };

const compilerOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2023,
  lib: ['lib.es2023.d.ts'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  types: ['node'],
  strict: true,
  verbatimModuleSyntax: true,
  skipLibCheck: true,
  noEmit: true,
};

/** The import declarations of the solution's files, one per local name. */
function solutionImports(srcDir: string): Map<string, string> {
  const imports = new Map<string, string>();
  for (const file of readdirSync(srcDir).filter((name) => name.endsWith('.ts'))) {
    const source = ts.createSourceFile(file, readFileSync(path.join(srcDir, file), 'utf8'), ts.ScriptTarget.ES2023);
    for (const statement of source.statements) {
      if (!ts.isImportDeclaration(statement) || !statement.importClause) continue;
      const from = (statement.moduleSpecifier as ts.StringLiteral).text;
      const clause = statement.importClause;
      const typeOnly = clause.isTypeOnly ? 'type ' : '';
      if (clause.name) imports.set(clause.name.text, `import ${typeOnly}${clause.name.text} from '${from}';`);
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) imports.set(bindings.name.text, `import ${typeOnly}* as ${bindings.name.text} from '${from}';`);
      if (bindings && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements) {
          const imported = element.propertyName ? `${element.propertyName.text} as ` : '';
          const type = typeOnly || element.isTypeOnly ? 'type ' : '';
          imports.set(element.name.text, `import { ${type}${imported}${element.name.text} } from '${from}';`);
        }
      }
    }
  }
  return imports;
}

/** The block as a module: its own imports first, then the solution's, then the rest inside a function. */
function asModule(block: Block, imports: Map<string, string>, declared: Set<string>): string {
  const source = ts.createSourceFile('block.ts', block.code, ts.ScriptTarget.ES2023);
  const own = source.statements.filter(ts.isImportDeclaration);
  const ownNames = new Set(own.flatMap((statement) => {
    const clause = statement.importClause;
    const bindings = clause?.namedBindings;
    return [
      ...(clause?.name ? [clause.name.text] : []),
      ...(bindings && ts.isNamespaceImport(bindings) ? [bindings.name.text] : []),
      ...(bindings && ts.isNamedImports(bindings) ? bindings.elements.map((element) => element.name.text) : []),
    ];
  }));
  const body = source.statements.filter((statement) => !ts.isImportDeclaration(statement));
  const text = (node: ts.Node) => block.code.slice(node.getFullStart(), node.getEnd());
  return [
    ...own.map(text),
    ...[...imports].filter(([name]) => !ownNames.has(name)).map(([, line]) => line),
    ...[...declared].map((name) => `declare const ${name}: ${CONTEXT_TYPES[name] ?? 'any'};`),
    'export async function lessonBlock() {',
    body.map(text).join('').replace(/^(\s*)export /gm, '$1'),
    '}',
  ].join('\n');
}

/** Type-checks the blocks of one lesson; names no import or declaration provides are declared and it runs again. */
function typeCheck(blocks: Block[], srcDir: string): { block: Block; compiled: string; declared: string[]; errors: string[] }[] {
  const imports = solutionImports(srcDir);
  const declared = blocks.map(() => new Set<string>());
  for (let pass = 0; ; pass++) {
    const files = new Map(blocks.map((block, index) => [path.join(srcDir, `lesson-block-${index}.ts`), asModule(block, imports, declared[index]!)]));
    const host = ts.createCompilerHost(compilerOptions);
    const readFile = host.readFile;
    host.readFile = (file) => files.get(file) ?? readFile(file);
    const fileExists = host.fileExists;
    host.fileExists = (file) => files.has(file) || fileExists(file);
    const program = ts.createProgram([...files.keys()], compilerOptions, host);
    const results = [...files.keys()].map((file, index) => {
      const source = program.getSourceFile(file)!;
      const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
      const missing = diagnostics.filter((d) => [2304, 2552, 18004].includes(d.code)).map((d) => /'([^']+)'/.exec(ts.flattenDiagnosticMessageText(d.messageText, '\n'))![1]!);
      return { missing, diagnostics, index };
    });
    let grew = false;
    for (const { missing, index } of results) {
      for (const name of missing.filter((name) => !declared[index]!.has(name))) {
        declared[index]!.add(name);
        grew = true;
      }
    }
    if (grew && pass < 3) continue;
    return results.map(({ diagnostics, index }) => ({
      block: blocks[index]!,
      compiled: files.get(path.join(srcDir, `lesson-block-${index}.ts`))!,
      declared: [...declared[index]!],
      errors: diagnostics.map((d) => {
        const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
        return `TS${d.code} at line ${where} of the block as compiled: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      }),
    }));
  }
}

describe('the TypeScript in the lesson texts', () => {
  const lessons = courseLessons().map((lesson) => ({
    lesson,
    blocks: typescriptBlocks(lesson.id, readFileSync(lessonFile(lesson), 'utf8')),
  }));

  test('the block finder reads indented blocks inside lists and ignores other languages', () => {
    const blocks = typescriptBlocks('x', ['text', '```sh', 'npm i', '```', '1. step', '   ```ts', '   app.use(a);', '   ```', '```typescript', 'let b = 1;', '```'].join('\n'));
    expect(blocks).toEqual([
      { lesson: 'x', line: 6, code: 'app.use(a);' },
      { lesson: 'x', line: 9, code: 'let b = 1;' },
    ]);
  });

  test('the check catches a block that uses an option its package does not have', () => {
    const code = "app.use('/api', rateLimit({ windowMs: 60_000, standardHeaders: 'draft-9' }));";
    const [result] = typeCheck([{ lesson: 'x', line: 1, code }], path.join(solutionsDir, '04-rate-limiting', 'src'));
    expect(result!.errors.join('\n')).toMatch(/draft-9/);
  });

  for (const { lesson, blocks } of lessons.filter(({ blocks }) => blocks.length)) {
    test(`${lesson.id}: its ${blocks.length} TypeScript block(s) type-check against the lesson's packages`, () => {
      for (const { block, errors, compiled } of typeCheck(blocks, path.join(solutionsDir, lesson.id, 'src'))) {
        expect(errors, `${path.relative(repoRoot, lessonFile(lesson))}, the block at line ${block.line}, compiled as:\n${compiled}`).toEqual([]);
      }
    });
  }
});
