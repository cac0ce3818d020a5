/**
 * The examples of docs/uplink.md, run as written: every ```ts block (except those marked
 * `no-run`) in order, as one module, with the package's import paths pointed at the sources.
 * A doc example that stops working fails this test.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const source = (path: string): string => pathToFileURL(join(root, path)).href;

/** Where each package import of the docs lives in this repository. */
const PACKAGES: Record<string, string> = {
  handoff: source('src/index.ts'),
  'handoff/uplink': source('src/uplink/index.ts'),
  'handoff/testing': source('src/testing/index.ts'),
  'handoff/transport': source('src/transport/index.ts'),
};

/** The runnable ```ts blocks of a markdown file, in order. */
function runnableBlocks(markdown: string, only?: string): string[] {
  const blocks: string[] = [];
  for (const match of markdown.matchAll(/^```ts([^\n]*)\n([\s\S]*?)^```$/gm)) {
    const info = match[1]!;
    if (only === undefined ? !info.includes('no-run') : info.split(/\s+/).includes(only)) blocks.push(match[2]!);
  }
  return blocks;
}

async function runAsModule(blocks: readonly string[], name: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'handoff-doc-'));
  try {
    const file = join(dir, `${name}.ts`);
    await writeFile(file, asModule(blocks));
    await import(pathToFileURL(file).href);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One module from the blocks: imports hoisted (and pointed at the sources), code in order. */
function asModule(blocks: readonly string[]): string {
  const imports = new Set<string>();
  const body: string[] = [];
  for (const block of blocks) {
    for (const line of block.split('\n')) {
      const imported = /^import .* from '([^']+)';$/.exec(line);
      if (!imported) {
        body.push(line);
        continue;
      }
      const target = PACKAGES[imported[1]!];
      imports.add(target === undefined ? line : line.replace(`'${imported[1]}'`, `'${target}'`));
    }
  }
  return [...imports, '', ...body, 'export {};'].join('\n');
}

describe('docs/uplink.md', () => {
  it('has runnable examples, and every one of them runs as written', async () => {
    const markdown = await readFile(join(root, 'docs/uplink.md'), 'utf8');
    const blocks = runnableBlocks(markdown);
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    await runAsModule(blocks, 'uplink-doc');
  });
});

describe('README.md', () => {
  it('runs its uplink example (the blocks marked `ts run`) as written', async () => {
    const blocks = runnableBlocks(await readFile(join(root, 'README.md'), 'utf8'), 'run');
    expect(blocks.length).toBeGreaterThanOrEqual(1);
    await runAsModule(blocks, 'readme');
  });
});
