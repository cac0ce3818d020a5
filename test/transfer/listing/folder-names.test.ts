/**
 * Paging through a big folder reads it once while it is unchanged, and never serves a stale
 * listing: a change moves the folder's times and the next page reads it again; a folder read in
 * the same clock tick as its last change is not kept at all.
 */
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderNamesCache, type FolderStamp } from '../../../src/transfer/integration/folder-names.js';
import { filesystemFiles } from '../../../src/transfer/integration/fs-files.js';
import type { FolderPage } from '../../../src/transfer/core/ports.js';

const stamp = (mtimeMs: number, more: Partial<FolderStamp> = {}): FolderStamp => ({ dev: 1, ino: 7, mtimeMs, ctimeMs: mtimeMs, ...more });

describe('FolderNamesCache', () => {
  function counted(names: string[]): { read: () => Promise<string[]>; reads: () => number } {
    let reads = 0;
    return { read: async () => (reads++, names), reads: () => reads };
  }

  it('serves a settled folder from memory while its identity and times stay the same', async () => {
    let now = 10_000;
    const cache = new FolderNamesCache({ now: () => now, minNames: 1 });
    const source = counted(['a', 'b']);
    expect(await cache.names('/f', stamp(1_000), source.read)).toEqual(['a', 'b']);
    now += 1_000;
    expect(await cache.names('/f', stamp(1_000), source.read)).toEqual(['a', 'b']);
    expect(source.reads()).toBe(1);
    // Any change of mtime, ctime or inode (the folder replaced) reads again.
    for (const changed of [stamp(1_001), stamp(1_000, { ctimeMs: 1_002 }), stamp(1_000, { ino: 8 }), stamp(1_000, { dev: 2 })]) {
      await cache.names('/f', changed, source.read);
    }
    expect(source.reads()).toBe(5);
  });

  it('does not keep a folder read within settleMs of its last change (a coarse clock may not show the next one)', async () => {
    let now = 10_000;
    const cache = new FolderNamesCache({ now: () => now, settleMs: 3_000, minNames: 1 });
    const source = counted(['a']);
    await cache.names('/f', stamp(now - 2_999), source.read);
    await cache.names('/f', stamp(now - 2_999), source.read);
    expect(source.reads()).toBe(2);
    expect(cache.size).toBe(0);
    now += 1;
    await cache.names('/f', stamp(now - 3_001), source.read);
    await cache.names('/f', stamp(now - 3_001), source.read);
    expect(source.reads()).toBe(3);
  });

  it('forgets listings after ttlMs, and keeps within its folder, name and size bounds', async () => {
    let now = 100_000;
    const cache = new FolderNamesCache({ now: () => now, ttlMs: 60_000, minNames: 2, maxNames: 5, maxFolders: 2 });
    const old = stamp(0);
    const source = counted(['a', 'b']);
    await cache.names('/f', old, source.read);
    now += 60_000;
    await cache.names('/other', old, counted(['x']).read); // too small to keep; the expired one goes
    expect(cache.size).toBe(0);
    await cache.names('/f', old, source.read);
    expect(source.reads()).toBe(2);
    await cache.names('/g', old, counted(['c', 'd']).read);
    expect(cache.size).toBe(2); // 4 names in 2 folders
    await cache.names('/h', old, counted(['e', 'f']).read);
    expect(cache.size).toBe(2); // 2 folders at most: /f, least recently used, went
    await cache.names('/f', old, source.read);
    expect(source.reads()).toBe(3);
    await cache.names('/big', old, counted(['1', '2', '3', '4', '5', '6']).read);
    expect(cache.size).toBe(2); // over maxNames alone: never kept
  });
});

describe('filesystemFiles pages a big folder', () => {
  let scratch: string;
  let folder: string;
  const NAMES = 1_500;
  const name = (i: number) => `file-${String(i).padStart(5, '0')}`;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'handoff-folder-names-'));
    folder = join(scratch, '1001', 'big');
    mkdirSync(folder, { recursive: true });
    for (let i = 0; i < NAMES; i++) writeFileSync(join(folder, name(i * 2)), String(i));
    // Past the clock tick of the last create, so the first listing's times are final.
    await sleep(50);
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  async function allPages(files: ReturnType<typeof filesystemFiles>, between?: (page: FolderPage) => Promise<void>): Promise<string[]> {
    const names: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await files.list('/1001/big', { limit: 400, ...(cursor === undefined ? {} : { cursor }) });
      names.push(...page.entries.map((e) => e.name));
      if (page.nextCursor === null) return names;
      cursor = page.nextCursor;
      await between?.(page);
    }
  }

  it('pages concatenate to the sorted folder, with the cache and without it', async () => {
    const expected = Array.from({ length: NAMES }, (_, i) => name(i * 2));
    expect(await allPages(filesystemFiles(join(scratch), { listingCache: { settleMs: 0 } }))).toEqual(expected);
    expect(await allPages(filesystemFiles(join(scratch), { listingCache: false }))).toEqual(expected);
  });

  it('a file created or removed between pages shows in the next page, as a fresh read would show it', async () => {
    const files = filesystemFiles(join(scratch), { listingCache: { settleMs: 0 } });
    let step = 0;
    const seen = await allPages(files, async (page) => {
      // Each change lands ticks after the listing it follows, so it moves the folder's mtime.
      await sleep(20);
      const last = page.entries.at(-1)!.name;
      if (step === 0) writeFileSync(join(folder, `${last}-new`), 'x'); // sorts right after the cursor
      if (step === 1) unlinkSync(join(folder, name(2 * (NAMES - 1)))); // the folder's last name
      step++;
      await sleep(20);
    });
    expect(step).toBeGreaterThanOrEqual(2);
    const fresh = await allPages(filesystemFiles(join(scratch), { listingCache: false }));
    expect(fresh.length).toBe(NAMES); // one added, one removed
    expect(seen).toEqual(fresh);
  });
});
