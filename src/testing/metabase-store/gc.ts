import { describe, expect, it } from 'vitest';
import { toHex } from '../../core/bytes.js';
import type { StreamCreationCursor } from '../../metainfo/metabase/port.js';
import type { ObjectRecord } from '../../metainfo/metabase/types.js';
import type { SuiteContext } from './context.js';
import { at, begin, buckets, commit, HOUR, id16, rejectsWith, segment, T0 } from './fixtures.js';
import { finishOf } from './move-fixtures.js';

const ids = (objects: readonly ObjectRecord[]): string[] => objects.map((o) => toHex(o.streamId));

/** What garbage collection asks of the metabase beside the full segment iteration. */
export function gcTests(ctx: SuiteContext): void {
  describe('garbage collection queries', () => {
    it('lists the streams created since a time, pending or committed, by (createdAt, streamId), resumably at any page size', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      // Stream ids chosen so byte order differs from creation order, and two share a time.
      const streams: Array<[Uint8Array, number, 'pending' | 'committed']> = [
        [id16(0x90, 1), T0 - HOUR, 'committed'],
        [id16(0x10, 2), T0, 'committed'],
        [id16(0x50, 3), T0 + 10, 'pending'],
        [id16(0x30, 4), T0 + 10, 'committed'],
        [id16(0x20, 5), T0 + 20, 'pending'],
      ];
      for (const [streamId, createdAt, status] of streams) {
        const loc = at(`k${streamId[0]}`);
        await store.beginObject(begin(loc, streamId, { createdAt }));
        await store.commitSegment(segment(loc, streamId, { part: 0, index: 0 }, { createdAt }));
        if (status === 'committed') await store.commitObject(commit(loc, streamId, { now: createdAt, committedAt: createdAt }));
      }
      const expected = [1, 3, 2, 4].map((i) => toHex(streams[i]![0]));
      expect(ids(await store.listStreamsCreatedSince(T0, { limit: 100 }))).toEqual(expected);
      expect(ids(await store.listStreamsCreatedSince(T0 + 11, { limit: 100 }))).toEqual(expected.slice(3));
      expect(await store.listStreamsCreatedSince(T0 + 21, { limit: 100 })).toEqual([]);
      const all = await store.listStreamsCreatedSince(0, { limit: 100 });
      expect(all.map((o) => o.status)).toEqual(['committed', 'committed', 'committed', 'pending', 'pending']);
      for (const limit of [1, 2, 3]) {
        const seen: string[] = [];
        let cursor: StreamCreationCursor | undefined;
        for (;;) {
          const page = await store.listStreamsCreatedSince(T0, { cursor, limit });
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(limit);
          seen.push(...ids(page));
          const last = page[page.length - 1]!;
          cursor = { createdAt: last.createdAt, streamId: last.streamId };
        }
        expect(seen).toEqual(expected);
      }
      // A cursor need not name an existing stream; one before `since` changes nothing.
      expect(ids(await store.listStreamsCreatedSince(T0, { cursor: { createdAt: T0 + 10, streamId: id16(0x40, 0) }, limit: 100 }))).toEqual(expected.slice(2));
      expect(ids(await store.listStreamsCreatedSince(T0, { cursor: { createdAt: 0, streamId: id16(0, 0) }, limit: 100 }))).toEqual(expected);
    });

    it('finds a copy by its own creation time, though its segments keep the source’s', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const loc = at('a');
      const source = id16(0x77, 1);
      await store.beginObject(begin(loc, source));
      await store.commitSegment(segment(loc, source, { part: 0, index: 0 }));
      const object = await store.commitObject(commit(loc, source));
      const copyStreamId = id16(0x01, 9);
      const since = T0 + 4000;
      await store.finishMove({ ...(await finishOf(store, object, 'b')), mode: 'copy', copyStreamId, now: since + 1 });
      const found = await store.listStreamsCreatedSince(since, { limit: 10 });
      expect(ids(found)).toEqual([toHex(copyStreamId)]);
      const [copied] = await store.listSegments(copyStreamId, { limit: 10 });
      expect(copied!.createdAt).toBeLessThan(since);
      // A move keeps the stream and its creation time: nothing new to find.
      await store.finishMove({ ...(await finishOf(store, (await store.getObject(at('b')))!, 'c')), now: since + 2 });
      expect(ids(await store.listStreamsCreatedSince(since, { limit: 10 }))).toEqual([toHex(copyStreamId)]);
    });

    it('knows when the oldest upload still in progress began', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      expect(await store.oldestPendingCreatedAt()).toBeUndefined();
      const [a, b, c] = [id16(0x30, 1), id16(0x20, 2), id16(0x10, 3)];
      await store.beginObject(begin(at('a'), a, { createdAt: T0 - 5 }));
      await store.beginObject(begin(at('b'), b, { createdAt: T0 + 7 }));
      await store.beginObject(begin(at('c'), c, { createdAt: T0 - 9 }));
      expect(await store.oldestPendingCreatedAt()).toBe(T0 - 9);
      await store.commitSegment(segment(at('c'), c, { part: 0, index: 0 }));
      await store.commitObject(commit(at('c'), c));
      expect(await store.oldestPendingCreatedAt()).toBe(T0 - 5);
      await store.deletePendingObject(at('a'), a);
      expect(await store.oldestPendingCreatedAt()).toBe(T0 + 7);
      await store.deletePendingObject(at('b'), b);
      expect(await store.oldestPendingCreatedAt()).toBeUndefined();
    });

    it('refuses malformed queries with InvalidArgument', async () => {
      const { store } = ctx;
      await rejectsWith(store.listStreamsCreatedSince(-1, { limit: 1 }), 'InvalidArgumentError');
      await rejectsWith(store.listStreamsCreatedSince(1.5, { limit: 1 }), 'InvalidArgumentError');
      await rejectsWith(store.listStreamsCreatedSince(T0, { limit: 0 }), 'InvalidArgumentError');
      await rejectsWith(store.listStreamsCreatedSince(T0, { cursor: { createdAt: T0, streamId: new Uint8Array(15) }, limit: 1 }), 'InvalidArgumentError');
      await rejectsWith(store.listStreamsCreatedSince(T0, { cursor: { createdAt: -1, streamId: id16(1, 1) }, limit: 1 }), 'InvalidArgumentError');
    });
  });
}
