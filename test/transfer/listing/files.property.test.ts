/**
 * A provider's listing stays inside its root whatever path it is asked for: arbitrary strings
 * built from `..`, `.`, links that point out of the root, absolute-looking and empty segments,
 * NUL and plain names get a typed error (InvalidArgument or NotFound) or entries of a folder under
 * the root — never anything outside it. Pages concatenate to the sorted listing.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPath, MemoryProviderFiles, type ProviderFiles } from '../../../src/transfer/integration/files.js';
import { filesystemFiles } from '../../../src/transfer/integration/fs-files.js';

let scratch: string;
let root: string;
let files: ProviderFiles;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'handoff-listing-'));
  root = join(scratch, 'root');
  // Outside the root: what no answer may ever show.
  mkdirSync(join(scratch, 'outside', 'deeper'), { recursive: true });
  writeFileSync(join(scratch, 'outside', 'SECRET'), 'not yours');
  writeFileSync(join(scratch, 'root-sibling-SECRET'), 'not yours either');
  mkdirSync(join(root, '1001', 'sub', 'inner'), { recursive: true });
  writeFileSync(join(root, '1001', 'a.txt'), 'hello');
  writeFileSync(join(root, '1001', 'sub', 'b.bin'), Buffer.alloc(300));
  symlinkSync(join(scratch, 'outside'), join(root, '1001', 'link-out'));
  symlinkSync('../../root-sibling-SECRET', join(root, '1001', 'file-out'));
  symlinkSync('sub', join(root, '1001', 'link-in'));
  symlinkSync(scratch, join(root, 'drive-out'));
  files = filesystemFiles(root);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const segment = fc.oneof(
  fc.constantFrom('..', '.', '', '1001', 'sub', 'inner', 'a.txt', 'link-out', 'file-out', 'link-in', 'drive-out', 'deeper', 'SECRET', '\0', '~', '%2e%2e', '..\\..', 'root'),
  fc.string({ maxLength: 6 }),
);
const anyPath = fc.oneof(
  fc.array(segment, { maxLength: 6 }).map((parts) => parts.join('/')),
  fc.array(segment, { maxLength: 6 }).map((parts) => `/${parts.join('/')}`),
  fc.string({ maxLength: 40 }),
);

function isUnderRoot(path: string): boolean {
  const real = realpathSync(root);
  return path === real || path.startsWith(real + sep);
}

describe('the filesystem listing never escapes its root', () => {
  it('answers any path with a typed error or a folder under the root, and nothing from outside', async () => {
    await fc.assert(
      fc.asyncProperty(anyPath, async (path) => {
        const listed = await files.list(path).then(
          (page) => ({ page }),
          (err: Error) => ({ err }),
        );
        if ('err' in listed) {
          expect(['InvalidArgumentError', 'NotFoundError']).toContain(listed.err.name);
        } else {
          // Only a folder that really is under the root, links resolved, was listed.
          expect(isUnderRoot(realpathSync(localPath(root, path)))).toBe(true);
          for (const entry of listed.page.entries) {
            expect(entry.name).not.toMatch(/SECRET|^link-|^file-out$|^drive-out$/);
            expect(['file', 'folder']).toContain(entry.kind);
          }
        }
        const stat = await files.stat(path).then(
          (entry) => ({ entry }),
          (err: Error) => ({ err }),
        );
        if ('err' in stat) expect(stat.err.name).toBe('InvalidArgumentError');
        else if (stat.entry) expect(isUnderRoot(realpathSync(localPath(root, path)))).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('reads links out of the root as missing, links inside it as their target', async () => {
    await expect(files.list('/1001/link-out')).rejects.toMatchObject({ name: 'NotFoundError' });
    await expect(files.list('/drive-out/outside')).rejects.toMatchObject({ name: 'NotFoundError' });
    expect(await files.stat('/1001/file-out')).toBeUndefined();
    expect(await files.stat('/1001/link-out/SECRET')).toBeUndefined();
    expect((await files.list('/1001/link-in')).entries.map((e) => e.name)).toEqual(['b.bin', 'inner']);
    await expect(files.list('/1001/../1001')).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    await expect(files.list('1001')).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  });

  it('lists files and folders only (no links), sorted, with sizes; a file is not a folder', async () => {
    const page = await files.list('/1001');
    expect(page.nextCursor).toBeNull();
    expect(page.entries.map(({ name, kind, size }) => ({ name, kind, size }))).toEqual([
      { name: 'a.txt', kind: 'file', size: 5 },
      { name: 'sub', kind: 'folder', size: 0 },
    ]);
    expect(page.entries[0]!.modifiedAt).toBeGreaterThan(0);
    await expect(files.list('/1001/a.txt')).rejects.toMatchObject({ name: 'InvalidArgumentError', message: expect.stringMatching(/not a folder/) });
    await expect(files.list('/9999')).rejects.toMatchObject({ name: 'NotFoundError' });
    expect(await files.stat('/1001/sub/b.bin')).toMatchObject({ name: 'b.bin', kind: 'file', size: 300 });
  });
});

describe('paging by name cursor', () => {
  const names = fc.uniqueArray(fc.stringMatching(/^[A-Za-z0-9._ -]{1,12}$/).filter((n) => n !== '.' && n !== '..'), { maxLength: 40 });

  it('pages concatenate to every name in order, each page at most the limit (memory)', async () => {
    await fc.assert(
      fc.asyncProperty(names, fc.integer({ min: 1, max: 12 }), async (list, limit) => {
        const memory = new MemoryProviderFiles().addFolder('/1');
        list.forEach((name, i) => (i % 2 === 0 ? memory.addFile(`/1/${name}`, i) : memory.addFolder(`/1/${name}`)));
        expect(await collect(memory, '/1', limit)).toEqual([...list].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      }),
    );
  });

  it('pages concatenate to every name in order (filesystem)', async () => {
    const folder = join(root, '1001', 'sub', 'inner');
    const made = Array.from({ length: 23 }, (_, i) => `f${String(i).padStart(2, '0')}`);
    for (const name of made) writeFileSync(join(folder, name), name);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 30 }), async (limit) => {
        expect(await collect(files, '/1001/sub/inner', limit)).toEqual(made);
      }),
      { numRuns: 30 },
    );
  });

  it('refuses a limit out of range', async () => {
    for (const limit of [0, -1, 1001, 1.5]) await expect(files.list('/1001', { limit })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  });
});

async function collect(source: ProviderFiles, path: string, limit: number): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await source.list(path, { limit, ...(cursor === undefined ? {} : { cursor }) });
    expect(page.entries.length).toBeLessThanOrEqual(limit);
    out.push(...page.entries.map((e) => e.name));
    if (page.nextCursor === null) return out;
    expect(page.entries.length).toBe(limit);
    cursor = page.nextCursor;
  }
}
