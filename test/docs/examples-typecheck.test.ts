/**
 * Every ```ts block of README.md and docs/*.md type-checks as a reader would compile it: strict,
 * `moduleResolution: nodenext`, the package imported by name. The names resolve through the
 * package's exports map (to the sources, so no build is needed and nothing goes stale): a doc
 * importing a path the package does not export fails here too. Conventions in ./doc-blocks.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { docBlocks, docFiles, docModules, packageSources, root, type DocModule } from './doc-blocks.js';

const dir = mkdtempSync(join(tmpdir(), 'handoff-doc-types-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const files = docFiles();
const modules = files.flatMap((file) => docModules(file, { withPreambles: true }));
const pathOf = (module: DocModule): string => join(dir, `${module.name}.mts`);
for (const module of modules) writeFileSync(pathOf(module), module.source);

const { options, errors } = ts.convertCompilerOptionsFromJson(
  {
    target: 'ES2022',
    lib: ['ES2023', 'DOM'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    verbatimModuleSyntax: true,
    isolatedModules: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
    typeRoots: [join(root, 'node_modules/@types')],
    paths: Object.fromEntries(Object.entries(packageSources()).map(([name, source]) => [name, [source]])),
  },
  dir,
);
let program: ts.Program | undefined;

/** The type errors of a module, each at its markdown line. */
function typeErrors(module: DocModule): string[] {
  program ??= ts.createProgram(modules.map(pathOf), options);
  const source = program.getSourceFile(pathOf(module))!;
  return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map((d) => {
    const at = d.start === undefined ? undefined : module.lines[source.getLineAndCharacterOfPosition(d.start).line];
    return `${at ? `${at.file}:${at.line}` : module.name}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

describe('the code blocks of the docs', () => {
  it('are found, with valid compiler options', () => {
    expect(errors.map((e) => ts.flattenDiagnosticMessageText(e.messageText, '\n'))).toEqual([]);
    expect(docBlocks('README.md').length).toBeGreaterThanOrEqual(9);
  });

  it('declare their context honestly: preambles hold no `any`', () => {
    const loose = files.flatMap((file) => docBlocks(file).filter((b) => b.preamble && /\bany\b/.test(b.preamble.code)).map((b) => `${file}:${b.preamble!.line}`));
    expect(loose).toEqual([]);
  });

  it.each(files)('%s: every ```ts block type-checks', (file) => {
    const errors = modules.filter((m) => m.blocks[0]!.file === file).flatMap(typeErrors);
    expect(errors).toEqual([]);
  });
});
