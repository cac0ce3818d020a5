/**
 * The ```ts run blocks of README.md and docs/*.md, run as written: those of one file in order,
 * as one module, with the package's imports pointed at the sources. A doc example that stops
 * working fails this test. Conventions in ./doc-blocks.ts.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { docBlocks, docFiles, docModules, packageSources } from './doc-blocks.js';

const sources = packageSources();

/** The module with its package imports pointed at the sources. */
function withSources(source: string): string {
  return source.replace(/^(import [^;]* from )'([^']+)';$/gm, (line, head: string, specifier: string) => {
    const target = sources[specifier];
    return target === undefined ? line : `${head}'${pathToFileURL(target).href}';`;
  });
}

async function runAsModule(source: string, name: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'handoff-doc-'));
  try {
    const file = join(dir, `${name}.ts`);
    await writeFile(file, withSources(source));
    await import(pathToFileURL(file).href);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const runnable = docFiles().filter((file) => docBlocks(file).some((b) => b.tags.includes('run')));

describe('the runnable examples of the docs', () => {
  it('are where the docs tell a story: the README\'s uplink example and docs/uplink.md', () => {
    expect(runnable).toEqual(expect.arrayContaining(['README.md', 'docs/uplink.md']));
    expect(docBlocks('docs/uplink.md').filter((b) => b.tags.includes('run')).length).toBeGreaterThanOrEqual(8);
  });

  it.each(runnable)('%s: the ```ts run blocks run as written', async (file) => {
    const [story] = docModules(file, { withPreambles: false });
    await runAsModule(story!.source, story!.name);
  });
});
