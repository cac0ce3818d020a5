/**
 * Every public export carries TSDoc (issue 14): each name an entry point of the exports map
 * exports is followed to its declaration, which must have a doc comment. A namespace export
 * (`export * as metainfo`) counts as documented by its module's leading comment.
 */
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { root, subpaths } from './exports.js';

const program = ts.createProgram(subpaths.map((s) => join(root, s.source)), {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: ['node'],
  typeRoots: [join(root, 'node_modules/@types')],
});
const checker = program.getTypeChecker();

function documented(symbol: ts.Symbol): boolean {
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  if (target.getDocumentationComment(checker).length > 0) return true;
  return (target.declarations ?? []).some((d) =>
    ts.isSourceFile(d) ? /^\s*\/\*\*/.test(d.text) : ts.getJSDocCommentsAndTags(d).length > 0,
  );
}

describe('the public exports', () => {
  it.each(subpaths.map((s) => [s.name, s.source] as const))('%s: each has TSDoc', (_name, source) => {
    const file = program.getSourceFile(join(root, source));
    expect(file, source).toBeDefined();
    const names = checker.getExportsOfModule(checker.getSymbolAtLocation(file!)!);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => !documented(n)).map((n) => n.name)).toEqual([]);
  });
});
