import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../core/bytes.js';
import type { ListObjects, ListPage, MetabaseStore } from '../../metainfo/metabase/port.js';
import type { SuiteContext } from './context.js';
import { at, buckets, key, pending, projectA, rejectsWith, upload } from './fixtures.js';

type ListOptions = Omit<ListObjects, 'projectId' | 'bucket'>;

/** One page, as short strings: `key@version` for objects (`key@p` pending), `key/…` for prefixes. */
function describePage(page: ListPage): string[] {
  return page.entries.map((e) => (e.kind === 'prefix' ? `${text(e.key)}…` : `${text(e.object.objectKey)}@${e.object.version || 'p'}`));
}

function text(bytes: Uint8Array): string {
  // Keys that are not printable UTF-8 print as hex, so every key still has a readable name.
  try {
    const decoded = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    if (!/[\u0000-\u001f]/.test(decoded)) return decoded;
  } catch {
    // not UTF-8
  }
  return `0x${toHex(bytes)}`;
}

function list(store: MetabaseStore, options: Partial<ListOptions>): Promise<ListPage> {
  return store.listObjects({ projectId: projectA, bucket: 'photos', prefix: new Uint8Array(), recursive: true, limit: 1000, ...options });
}

/** Every page from the start, `limit` entries at a time, passing `more`/`moreVersion` back. */
async function listAll(store: MetabaseStore, options: Partial<ListOptions>, limit: number): Promise<string[]> {
  const out: string[] = [];
  let cursor: ListObjects['cursor'];
  let cursorVersion: ListObjects['cursorVersion'];
  for (let pages = 0; pages < 1000; pages++) {
    const page = await list(store, { ...options, limit, cursor, cursorVersion });
    expect(page.entries.length).toBeLessThanOrEqual(limit);
    out.push(...describePage(page));
    if (page.more === undefined) return out;
    expect(page.entries).toHaveLength(limit);
    cursor = page.more;
    cursorVersion = page.moreVersion;
  }
  throw new Error('listing did not end');
}

export function listingTests(ctx: SuiteContext): void {
  describe('listing', () => {
    it('orders keys by bytes and filters by a byte prefix', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const keys = [key('b'), key('a'), key('a\u00e9'), key('ab'), new Uint8Array([0x61, 0xff]), new Uint8Array([0x61, 0x00]), key('A')];
      for (const k of keys) await upload(store, at(k));
      expect(describePage(await list(store, {}))).toEqual(['A@1', 'a@1', '0x6100@1', 'ab@1', 'a\u00e9@1', '0x61ff@1', 'b@1']);
      expect(describePage(await list(store, { prefix: key('a') }))).toEqual(['a@1', '0x6100@1', 'ab@1', 'a\u00e9@1', '0x61ff@1']);
      expect(describePage(await list(store, { prefix: new Uint8Array([0x61, 0xff]) }))).toEqual(['0x61ff@1']);
      expect(describePage(await list(store, { prefix: key('a'), cursor: key('ab') }))).toEqual(['a\u00e9@1', '0x61ff@1']);
      // A cursor before the prefix starts at the prefix.
      expect(describePage(await list(store, { prefix: key('b'), cursor: key('a') }))).toEqual(['b@1']);
      expect(describePage(await list(store, { prefix: key('c') }))).toEqual([]);
    });

    it('folds keys with a "/" after the prefix into one prefix entry, in order among objects', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      for (const k of ['a', 'a!', 'a/1', 'a/2/x', 'a0', 'b/', 'b/c', 'c']) await upload(store, at(k));
      expect(describePage(await list(store, { recursive: false }))).toEqual(['a@1', 'a!@1', 'a/…', 'a0@1', 'b/…', 'c@1']);
      expect(describePage(await list(store, { recursive: false, prefix: key('a/') }))).toEqual(['a/1@1', 'a/2/…']);
      // A cursor inside a collapsed prefix resumes after the whole prefix.
      expect(describePage(await list(store, { recursive: false, cursor: key('a/1') }))).toEqual(['a0@1', 'b/…', 'c@1']);
      expect(describePage(await list(store, { recursive: false, cursor: key('a/') }))).toEqual(['a0@1', 'b/…', 'c@1']);
      const first = await list(store, { recursive: false, limit: 3 });
      expect(describePage(first)).toEqual(['a@1', 'a!@1', 'a/…']);
      expect(first.more).toEqual(key('a/'));
      expect(describePage(await list(store, { recursive: false, cursor: first.more }))).toEqual(['a0@1', 'b/…', 'c@1']);
    });

    it('lists the latest committed version, every version, and pending streams on request', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      await upload(store, at('a'));
      await upload(store, at('a'));
      await pending(store, at('a'));
      await upload(store, at('b'));
      await pending(store, at('c'));
      expect(describePage(await list(store, {}))).toEqual(['a@2', 'b@1']);
      expect(describePage(await list(store, { allVersions: true }))).toEqual(['a@2', 'a@1', 'b@1']);
      expect(describePage(await list(store, { includePending: true }))).toEqual(['a@2', 'a@p', 'b@1', 'c@p']);
      expect(describePage(await list(store, { allVersions: true, includePending: true }))).toEqual(['a@2', 'a@1', 'a@p', 'b@1', 'c@p']);
      const page = await list(store, { allVersions: true, limit: 1 });
      expect(page.moreVersion).toMatchObject({ version: 2 });
      const rest = await list(store, { allVersions: true, cursor: page.more, cursorVersion: page.moreVersion });
      expect(describePage(rest)).toEqual(['a@1', 'b@1']);
      // The cursor key alone skips every entry of that key.
      expect(describePage(await list(store, { allVersions: true, cursor: page.more }))).toEqual(['b@1']);
      // A listed object is the whole record.
      expect(page.entries[0]).toEqual({ kind: 'object', object: await store.getObject(at('a')) });
    });

    it('pages through any listing with any limit to exactly the unpaged listing', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const keys = ['a', 'a/b', 'a/b/c', 'a/c', 'a0', 'b', 'b/', 'b//x', 'c/d', 'c/e/f', 'd'];
      for (const k of keys) await upload(store, at(k));
      for (const k of ['a', 'a/c', 'b/', 'd']) await upload(store, at(k));
      for (const k of ['a', 'a/b', 'e', 'e/f']) await pending(store, at(k));
      const variants: Partial<ListOptions>[] = [];
      for (const recursive of [true, false]) {
        for (const allVersions of [false, true]) {
          for (const includePending of [false, true]) {
            for (const prefix of ['', 'a', 'a/', 'b/']) variants.push({ recursive, allVersions, includePending, prefix: utf8(prefix) });
          }
        }
      }
      for (const variant of variants) {
        const whole = describePage(await list(store, variant));
        expect((await list(store, variant)).more).toBeUndefined();
        for (const limit of [1, 2, 3, 5]) expect(await listAll(store, variant, limit), JSON.stringify({ ...variant, limit })).toEqual(whole);
      }
    });

    it('refuses a listing without a positive limit', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      await rejectsWith(list(store, { limit: 0 }), 'InvalidArgumentError');
    });
  });
}
