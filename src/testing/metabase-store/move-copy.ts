import { describe, expect, it } from 'vitest';
import { toHex } from '../../core/bytes.js';
import type { SegmentCursor, SegmentRecord } from '../../metainfo/metabase/types.js';
import type { SuiteContext } from './context.js';
import { at, buckets, HOUR, key, pending, segment, T0, upload } from './fixtures.js';
import { exact, finishOf, newCopyStreamId, newKeys, newOperationId, roots } from './move-fixtures.js';

const three = [{ part: 0, index: 0 }, { part: 0, index: 1 }, { part: 1, index: 0 }];
const pieceFields = (s: SegmentRecord) => ({ position: s.position, rootPieceId: s.rootPieceId, pieces: s.pieces, plainOffset: s.plainOffset, encryptedSize: s.encryptedSize });

export function copyTests(ctx: SuiteContext): void {
  describe('server-side copy and shared pieces', () => {
    it('copies into a new stream whose segments share the source pieces under new keys; a repeated finish finds it', async () => {
      const { store } = ctx;
      await buckets(store, ['photos', 'videos']);
      const object = await upload(store, at('a'), { segments: three });
      const copyStreamId = newCopyStreamId();
      const finish = { ...(await finishOf(store, object, 'b', { tag: 4 })), mode: 'copy' as const, copyStreamId, destination: { bucket: 'videos', objectKey: key('b') } };
      const { object: copy, changed } = await store.finishMove(finish);
      expect(changed).toBe(true);
      expect(copy).toEqual({ ...object, streamId: copyStreamId, bucket: 'videos', objectKey: key('b'), version: 1, createdAt: T0 + 5000, committedAt: T0 + 5000 });
      expect(await store.getObject(at('a'))).toEqual(object);
      const source = await store.listSegments(object.streamId, { limit: 10 });
      const copied = await store.listSegments(copyStreamId, { limit: 10 });
      expect(copied.map(pieceFields)).toEqual(source.map(pieceFields));
      expect(copied.every((s) => s.encryptedKey[0] === 4)).toBe(true);
      expect(source.every((s) => s.encryptedKey[0] === 7)).toBe(true);
      expect(await store.finishMove(finish)).toEqual({ object: copy, deletedSegments: [], changed: false });
      expect(await store.listSegments(copyStreamId, { limit: 10 })).toEqual(copied);
    });

    it('copies in chunks too', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const object = await upload(store, at('a'), { segments: three });
      const operationId = newOperationId();
      await store.beginMove({ operationId, source: exact(object), createdAt: T0, expiresAt: T0 + HOUR });
      await store.putMoveKeys(object.projectId, operationId, await newKeys(store, object.streamId, 3), T0);
      const copyStreamId = newCopyStreamId();
      const result = await store.finishMove({ ...(await finishOf(store, object, 'b')), mode: 'copy', copyStreamId, keys: { operationId } });
      expect(result.object).toMatchObject({ streamId: copyStreamId, segmentCount: 3 });
      expect((await store.listSegmentKeys(copyStreamId, { limit: 10 })).map((k) => k.encryptedKey[0])).toEqual([3, 3, 3]);
    });

    it('never reports pieces a copy still uses: deleting the original keeps them, deleting the last user releases them', async () => {
      const { store } = ctx;
      await buckets(store, ['photos', 'other']);
      const object = await upload(store, at('a'), { segments: three });
      const copy = (await store.finishMove({ ...(await finishOf(store, object, 'b')), mode: 'copy', copyStreamId: newCopyStreamId() })).object;
      const pieceRoots = roots(await store.listSegments(object.streamId, { limit: 10 }));

      expect((await store.deleteObject(at('a')))?.segments).toEqual([]);
      expect(roots((await store.listSegments(copy.streamId, { limit: 10 })))).toEqual(pieceRoots);
      expect(roots((await store.deleteObject(at('b')))!.segments)).toEqual(pieceRoots);

      // The same through a bucket delete, an expiry and a move's overwrite.
      const kept = await upload(store, at('k', 'other'), { segments: three });
      const shared = (await store.finishMove({ ...(await finishOf(store, kept, 'in-photos')), mode: 'copy', copyStreamId: newCopyStreamId(), destination: { bucket: 'photos', objectKey: key('in-photos') } })).object;
      expect(await store.deleteBucket(kept.projectId, 'other', { force: true })).toEqual([]);
      const expiring = await upload(store, at('e'), { segments: three, expiresAt: T0 + HOUR });
      await store.finishMove({ ...(await finishOf(store, expiring, 'e-copy')), mode: 'copy', copyStreamId: newCopyStreamId() });
      // The copy keeps the expiry: both go, one at a time, and the pieces are reported once, by the last user.
      const expired = await store.deleteExpired(T0 + HOUR, 10);
      expect(expired.objects).toHaveLength(2);
      expect(roots(expired.segments)).toEqual(roots(rootsOf(expiring.streamId)));
      const target = await upload(store, at('t'), { segments: three });
      await store.finishMove({ ...(await finishOf(store, target, 't-copy')), mode: 'copy', copyStreamId: newCopyStreamId() });
      const mover = await upload(store, at('m'));
      expect((await store.finishMove(await finishOf(store, mover, 't', { overwrite: true }))).deletedSegments).toEqual([]);
      expect(roots((await store.deleteObject(at('in-photos')))!.segments)).toEqual(roots(rootsOf(kept.streamId)));
      expect(shared.segmentCount).toBe(3);
    });

    it('an abandoned upload releases only its own pieces', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const draft = await pending(store, at('p'));
      await store.commitSegment(segment(at('p'), draft, { part: 0, index: 0 }));
      const segments = await store.deletePendingObject(at('p'), draft);
      expect(segments).toHaveLength(1);
    });

    it('a full iteration sees every segment exactly once while objects move across the key space', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const names = Array.from({ length: 12 }, (_, i) => `k${String(i).padStart(2, '0')}`);
      const objects = [];
      for (const name of names) objects.push(await upload(store, at(name), { segments: [{ part: 0, index: 0 }, { part: 0, index: 1 }] }));
      const expected = (await store.iterateSegments({ limit: 1000 })).map((s) => `${toHex(s.streamId)}/${s.position.index}`);
      const seen: string[] = [];
      let cursor: SegmentCursor | undefined;
      let page = 0;
      for (;;) {
        const batch = await store.iterateSegments({ cursor, limit: 3 });
        if (batch.length === 0) break;
        seen.push(...batch.map((s) => `${toHex(s.streamId)}/${s.position.index}`));
        const last = batch[batch.length - 1]!;
        cursor = { streamId: last.streamId, position: last.position };
        // Between pages: the last key moves to the start of the key space, the first to the end.
        const current = (await store.listObjects({ projectId: objects[0]!.projectId, bucket: 'photos', prefix: new Uint8Array(), recursive: true, limit: 100 }))
          .entries.flatMap((e) => (e.kind === 'object' ? [e.object] : []));
        const first = current[0]!;
        const lastObject = current[current.length - 1]!;
        await store.finishMove(await finishOf(store, lastObject, `a${page}`));
        await store.finishMove(await finishOf(store, first, `z${page}`));
        page++;
      }
      expect(page).toBeGreaterThan(4);
      expect(seen).toEqual(expected);
    });
  });
}

/** The root piece ids the fixtures gave a stream's segments at `three`. */
function rootsOf(streamId: Uint8Array): { rootPieceId: Uint8Array }[] {
  return three.map((position) => ({ rootPieceId: segment(at('x'), streamId, position).rootPieceId }));
}
