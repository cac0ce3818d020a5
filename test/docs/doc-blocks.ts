/**
 * The ```ts blocks of README.md and docs/*.md, and the modules they make. The conventions:
 *
 * - Every ```ts block is type-checked (strict, `moduleResolution: nodenext`, the package imported
 *   by name: `'handoff/uplink'`, never a source path).
 * - ```ts run blocks are also run: those of one file, in order, form one module (a story told
 *   across several blocks); the other blocks are a module each.
 * - A block that uses names it does not define says so in a comment right above it, hidden when
 *   the markdown is rendered and read by the type check only:
 *
 *       <!-- ts-preamble
 *       import type { Uplink } from 'handoff/uplink';
 *       declare const uplink: Uplink;
 *       -->
 *
 *   Declarations only, with real types: `any` is refused.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));

export interface DocBlock {
  /** The markdown file, relative to the repository root. */
  readonly file: string;
  /** Line of the block's first code line (1-based). */
  readonly line: number;
  readonly tags: readonly string[];
  readonly code: string;
  /** The declarations of the `ts-preamble` comment right above the block, if any. */
  readonly preamble?: { readonly code: string; readonly line: number };
}

/** A module made of blocks: its source, and the markdown line of each of its lines. */
export interface DocModule {
  readonly name: string;
  readonly blocks: readonly DocBlock[];
  readonly source: string;
  readonly lines: readonly { readonly file: string; readonly line: number }[];
}

/** README.md and every docs/*.md, relative to the root. */
export function docFiles(): string[] {
  return ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
}

const lineAt = (text: string, index: number): number => text.slice(0, index).split('\n').length;

/** Every ```ts block of a markdown file, in order. */
export function docBlocks(file: string, markdown = readFileSync(join(root, file), 'utf8')): DocBlock[] {
  const blocks: DocBlock[] = [];
  for (const match of markdown.matchAll(/^```ts([^\n]*)\n([\s\S]*?)^```$/gm)) {
    const line = lineAt(markdown, match.index) + 1;
    // A preamble is the comment that ends right above the fence (blank lines allowed).
    const start = markdown.lastIndexOf('<!--', match.index);
    const preamble = start < 0 ? null : /^<!-- ts-preamble\n([\s\S]*?)\n?-->\s*$/.exec(markdown.slice(start, match.index));
    const comment = preamble ? { code: preamble[1]!, line: lineAt(markdown, start) + 1 } : undefined;
    blocks.push({
      file,
      line,
      tags: match[1]!.trim().split(/\s+/).filter(Boolean),
      code: match[2]!,
      ...(comment ? { preamble: comment } : {}),
    });
  }
  return blocks;
}

/** Where each subpath of the package's exports map has its source (`handoff/uplink` → src/uplink/index.ts). */
export function packageSources(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; exports: Record<string, string | { types: string }> };
  const sources: Record<string, string> = {};
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const types = typeof target === 'string' ? target : target.types;
    if (!types.endsWith('.d.ts')) continue;
    sources[pkg.name + subpath.slice(1)] = join(root, types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts'));
  }
  return sources;
}

/**
 * The modules of one markdown file: its ```ts run blocks together, in order, then every other
 * block on its own. With `withPreambles`, each block's preamble comes first.
 */
export function docModules(file: string, options: { withPreambles: boolean }): DocModule[] {
  const blocks = docBlocks(file);
  const base = file.replace(/\.md$/, '').replace(/[^A-Za-z0-9]+/g, '-');
  const runnable = blocks.filter((b) => b.tags.includes('run'));
  const groups: Array<{ name: string; blocks: DocBlock[] }> = [];
  if (runnable.length > 0) groups.push({ name: `${base}-run`, blocks: runnable });
  for (const block of blocks) if (!block.tags.includes('run')) groups.push({ name: `${base}-L${block.line}`, blocks: [block] });
  return groups.map(({ name, blocks: members }) => {
    const parts: Array<{ code: string; file: string; line: number }> = [];
    for (const block of members) {
      if (options.withPreambles && block.preamble) parts.push({ code: block.preamble.code, file, line: block.preamble.line });
      parts.push({ code: block.code, file, line: block.line });
    }
    const source: string[] = [];
    const lines: Array<{ file: string; line: number }> = [];
    for (const part of parts) {
      part.code.replace(/\n$/, '').split('\n').forEach((text, i) => {
        source.push(text);
        lines.push({ file: part.file, line: part.line + i });
      });
    }
    return { name, blocks: members, source: `${source.join('\n')}\nexport {};\n`, lines };
  });
}
