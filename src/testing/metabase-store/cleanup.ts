import { describe, expect, it } from 'vitest';
import type { SuiteContext } from './context.js';
import { at, buckets, HOUR, keysOf, newStreamId, pending, rejectsWith, segment, T0, upload } from './fixtures.js';

const two = [{ part: 0, index: 0 }, { part: 0, index: 1 }];

export function cleanupTests(ctx: SuiteContext): void {
  describe('deletes and expiry', () => {
    it('deletes the latest committed version or an exact one, with its segments', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const loc = at('a');
      const v1 = await upload(store, loc, { segments: two });
      const v2 = await upload(store, loc, { segments: two });
      const draft = await pending(store, loc);
      const deleted = await store.deleteObject(loc);
      expect(deleted?.object).toEqual(v2);
      expect(deleted?.segments.map((s) => [s.position.index, s.plainOffset])).toEqual([[0, 0], [1, 1000]]);
      expect(await store.listSegments(v2.streamId, { limit: 10 })).toEqual([]);
      expect(await store.getObject(loc)).toEqual(v1);
      expect(await store.deleteObject(loc, 2)).toBeUndefined();
      expect((await store.deleteObject(loc, 1))?.object).toEqual(v1);
      // Only committed versions: the pending upload stays.
      expect(await store.deleteObject(loc)).toBeUndefined();
      expect(await store.getStream(loc, draft)).toMatchObject({ status: 'pending' });
    });

    it('aborts a pending upload with its segments, and knows no other', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const loc = at('a');
      const streamId = await pending(store, loc);
      for (const position of two) await store.commitSegment(segment(loc, streamId, position));
      const committed = await upload(store, loc);
      await rejectsWith(store.deletePendingObject(loc, committed.streamId), 'NotFoundError');
      await rejectsWith(store.deletePendingObject(at('b'), streamId), 'NotFoundError');
      const segments = await store.deletePendingObject(loc, streamId);
      expect(segments.map((s) => s.position)).toEqual(two);
      expect(await store.getStream(loc, streamId)).toBeUndefined();
      expect(await store.getSegment(streamId, two[0]!)).toBeUndefined();
      await rejectsWith(store.deletePendingObject(loc, streamId), 'NotFoundError');
      expect(await store.getObject(loc)).toEqual(committed);
    });

    it('deletes abandoned uploads and expired objects in batches, and nothing else', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const now = T0 + 10 * HOUR;
      const abandoned = [await pending(store, at('p1'), { uploadDeadline: now - 2 }), await pending(store, at('p2'), { uploadDeadline: now - 1 })];
      await store.commitSegment(segment(at('p1'), abandoned[0]!, { part: 0, index: 0 }, { createdAt: T0 }));
      const alive = await pending(store, at('p3'), { uploadDeadline: now });
      const expired = await upload(store, at('e1'), { expiresAt: now, segments: two });
      const lasting = await upload(store, at('e2'), { expiresAt: now + 1 });
      const forever = await upload(store, at('e3'));

      const first = await store.deleteExpired(now, 2);
      expect(keysOf(first.objects)).toEqual(['p1', 'p2']);
      expect(first.segments.map((s) => s.streamId)).toEqual([abandoned[0]]);
      const second = await store.deleteExpired(now, 2);
      expect(keysOf(second.objects)).toEqual(['e1']);
      expect(second.objects[0]).toEqual(expired);
      expect(second.segments.map((s) => s.position)).toEqual(two);
      expect(await store.deleteExpired(now, 2)).toEqual({ objects: [], segments: [] });

      expect(await store.getStream(at('p3'), alive)).toMatchObject({ status: 'pending' });
      expect(await store.getObject(at('e1'))).toBeUndefined();
      expect(await store.getObject(at('e2'))).toEqual(lasting);
      expect(await store.getObject(at('e3'))).toEqual(forever);
      expect(keysOf((await store.deleteExpired(now + 10 * HOUR, 10)).objects)).toEqual(['p3', 'e2']);
      await rejectsWith(store.deleteExpired(now, 0), 'InvalidArgumentError');
      expect(await store.getStream(at('x'), newStreamId())).toBeUndefined();
    });
  });
}
