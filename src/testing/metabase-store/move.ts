import { describe, expect, it } from 'vitest';
import type { SuiteContext } from './context.js';
import { at, buckets, commit, HOUR, key, metadata, pending, projectB, rejectsWith, segment, T0, upload } from './fixtures.js';
import { exact, finishOf, keyAt, newKeys, newOperationId, roots } from './move-fixtures.js';

const three = [{ part: 0, index: 0 }, { part: 0, index: 1 }, { part: 1, index: 0 }];

export function moveTests(ctx: SuiteContext): void {
  describe('server-side move', () => {
    it('renames a committed object: same stream, createdAt and positions, new keys only; the old key is gone', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const loc = at('old');
      const streamId = await pending(store, loc);
      for (const position of three) await store.commitSegment(segment(loc, streamId, position));
      const object = await store.commitObject(commit(loc, streamId, { metadata }));
      const before = await store.listSegments(streamId, { limit: 10 });

      const result = await store.finishMove(await finishOf(store, object, 'new', { tag: 9 }));
      expect(result.changed).toBe(true);
      expect(result.deletedSegments).toEqual([]);
      expect(result.object).toEqual({
        ...object, objectKey: key('new'), version: 1,
        metadata: { ...metadata, encryptedMetadataKey: new Uint8Array(48).fill(9), encryptedMetadataKeyNonce: new Uint8Array(24).fill(9) },
      });
      expect(await store.getObject(at('new'))).toEqual(result.object);
      expect(await store.getObject(loc)).toBeUndefined();
      const after = await store.listSegments(streamId, { limit: 10 });
      expect(after).toEqual(before.map((s) => ({ ...s, encryptedKey: new Uint8Array(48).fill(9), encryptedKeyNonce: new Uint8Array(24).fill(9) })));
      expect(await store.listSegmentKeys(streamId, { cursor: three[0], limit: 1 })).toEqual([keyAt(three[1]!, 9)]);
    });

    it('moves in chunks: keys stored under an operation (a chunk sent twice is harmless), applied all at once', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const object = await upload(store, at('big'), { segments: three });
      const operationId = newOperationId();
      const op = await store.beginMove({ operationId, source: exact(object), createdAt: T0, expiresAt: T0 + HOUR });
      expect(op).toMatchObject({ streamId: object.streamId, segmentCount: 3, finishedStreamId: undefined });
      expect(await store.getMoveOperation(object.projectId, operationId, T0)).toEqual(op);
      expect(await store.getMoveOperation(projectB, operationId, T0)).toBeUndefined();
      const keys = await newKeys(store, object.streamId, 5);
      await store.putMoveKeys(object.projectId, operationId, keys.slice(0, 2), T0);
      await store.putMoveKeys(object.projectId, operationId, keys.slice(0, 2).map((k) => keyAt(k.position, 6)), T0);
      const finish = { ...(await finishOf(store, object, 'moved')), keys: { operationId } };
      // Not every key yet: refused, and nothing changes.
      await rejectsWith(store.finishMove(finish), 'InvalidArgumentError');
      expect(await store.getObject(at('big'))).toEqual(object);
      await store.putMoveKeys(object.projectId, operationId, keys.slice(2), T0);
      const result = await store.finishMove(finish);
      expect(result.object).toMatchObject({ streamId: object.streamId, objectKey: key('moved'), version: 1 });
      expect((await store.listSegmentKeys(object.streamId, { limit: 10 })).map((k) => k.encryptedKey[0])).toEqual([6, 6, 5]);
      // The operation remembers: a repeated finish returns the same object and applies nothing.
      expect(await store.finishMove(finish)).toEqual({ object: result.object, deletedSegments: [], changed: false });
      expect((await store.getMoveOperation(object.projectId, operationId, T0))?.finishedStreamId).toEqual(object.streamId);
      await rejectsWith(store.putMoveKeys(object.projectId, operationId, keys, T0), 'FailedPreconditionError');
    });

    it('stores only keys that are exactly the stream\'s segments in their range', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const object = await upload(store, at('a'), { segments: three });
      const operationId = newOperationId();
      await store.beginMove({ operationId, source: exact(object), createdAt: T0, expiresAt: T0 + HOUR });
      const put = (keys: Parameters<typeof store.putMoveKeys>[2]) => store.putMoveKeys(object.projectId, operationId, keys, T0);
      await rejectsWith(put([keyAt({ part: 0, index: 0 }, 1), keyAt({ part: 1, index: 0 }, 1)]), 'InvalidArgumentError'); // skips 0/1
      await rejectsWith(put([keyAt({ part: 0, index: 7 }, 1)]), 'InvalidArgumentError');
      await rejectsWith(put([keyAt({ part: 0, index: 0 }, 1), keyAt({ part: 0, index: 0 }, 2)]), 'InvalidArgumentError');
      await rejectsWith(store.putMoveKeys(projectB, operationId, [keyAt({ part: 0, index: 0 }, 1)], T0), 'NotFoundError');
      await rejectsWith(store.putMoveKeys(object.projectId, newOperationId(), [keyAt({ part: 0, index: 0 }, 1)], T0), 'NotFoundError');
      await rejectsWith(store.putMoveKeys(object.projectId, operationId, [keyAt({ part: 0, index: 0 }, 1)], T0 + HOUR), 'NotFoundError');
      await put([keyAt({ part: 1, index: 0 }, 1), keyAt({ part: 0, index: 1 }, 1)]); // any order
      await rejectsWith(store.beginMove({ operationId, source: exact(object), createdAt: T0, expiresAt: T0 + HOUR }), 'AlreadyExistsError');
      await rejectsWith(store.beginMove({ operationId: newOperationId(), source: { ...exact(object), version: 2 }, createdAt: T0, expiresAt: T0 + HOUR }), 'NotFoundError');
    });

    it('refuses forged or stale finishes and changes nothing', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const object = await upload(store, at('a'), { segments: three });
      const other = await upload(store, at('b'), { segments: [{ part: 0, index: 0 }, { part: 5, index: 5 }, { part: 6, index: 0 }] });
      const good = await finishOf(store, object, 'c');
      const segmentsBefore = await store.iterateSegments({ limit: 100 });
      const otherKeys = (await finishOf(store, other, 'c')).keys.segments;
      const refused: [() => Promise<unknown>, string][] = [
        [() => store.finishMove({ ...good, keys: { segments: good.keys.segments.slice(1) } }), 'InvalidArgumentError'], // wrong count
        [() => store.finishMove({ ...good, keys: { segments: otherKeys } }), 'InvalidArgumentError'], // another stream's positions
        [() => store.finishMove({ ...good, source: { ...good.source, streamId: other.streamId } }), 'FailedPreconditionError'],
        [() => store.finishMove({ ...good, source: { ...good.source, version: 2 } }), 'FailedPreconditionError'],
        [() => store.finishMove({ ...good, source: { ...good.source, projectId: projectB } }), 'FailedPreconditionError'], // another project's object
        [() => store.finishMove({ ...good, metadataKey: { encryptedMetadataKey: new Uint8Array(48), encryptedMetadataKeyNonce: new Uint8Array(24) } }), 'InvalidArgumentError'],
        [() => store.finishMove({ ...good, destination: { bucket: 'nope', objectKey: key('c') } }), 'NotFoundError'],
        [() => store.finishMove({ ...good, keys: { operationId: newOperationId() } }), 'NotFoundError'],
        [() => store.finishMove({ ...good, destination: { bucket: 'photos', objectKey: new Uint8Array() } }), 'InvalidArgumentError'],
        [() => store.finishMove({ ...good, copyStreamId: other.streamId }), 'InvalidArgumentError'],
      ];
      for (const [attempt, name] of refused) await rejectsWith(attempt(), name);
      // An operation of another object cannot finish this one.
      const operationId = newOperationId();
      await store.beginMove({ operationId, source: exact(other), createdAt: T0, expiresAt: T0 + HOUR });
      await rejectsWith(store.finishMove({ ...good, keys: { operationId } }), 'InvalidArgumentError');
      expect(await store.getObject(at('a'))).toEqual(object);
      expect(await store.getObject(at('b'))).toEqual(other);
      expect(await store.getObject(at('c'))).toBeUndefined();
      expect(await store.iterateSegments({ limit: 100 })).toEqual(segmentsBefore);
    });

    it('takes a free destination only, unless overwrite: then its committed versions go, and the version continues', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const object = await upload(store, at('a'), { segments: three });
      const v1 = await upload(store, at('dest'));
      const v2 = await upload(store, at('dest'), { segments: three });
      const draft = await pending(store, at('dest'));
      await rejectsWith(store.finishMove(await finishOf(store, object, 'dest')), 'AlreadyExistsError');
      expect(await store.getObject(at('dest'))).toEqual(v2);
      const result = await store.finishMove(await finishOf(store, object, 'dest', { overwrite: true }));
      expect(result.object).toMatchObject({ streamId: object.streamId, version: 3 });
      expect(roots(result.deletedSegments)).toEqual(roots([...segmentsOf(v1, 1), ...segmentsOf(v2, 3)]));
      expect(await store.getObject(at('dest'), 1)).toBeUndefined();
      expect(await store.getObject(at('dest'), 2)).toBeUndefined();
      expect(await store.getObject(at('dest'))).toEqual(result.object);
      expect(await store.getStream(at('dest'), draft)).toMatchObject({ status: 'pending' });
      expect(await store.listSegments(v2.streamId, { limit: 10 })).toEqual([]);
    });

    it('moves a given version, across buckets; onto itself is a no-op; pending and expired objects do not move', async () => {
      const { store } = ctx;
      await buckets(store, ['photos', 'videos']);
      const v1 = await upload(store, at('a'));
      const v2 = await upload(store, at('a'));
      const moved = await store.finishMove({ ...(await finishOf(store, v1, 'x')), destination: { bucket: 'videos', objectKey: key('x') } });
      expect(moved.object).toMatchObject({ bucket: 'videos', objectKey: key('x'), version: 1, streamId: v1.streamId, createdAt: v1.createdAt });
      expect(await store.getObject(at('a'))).toEqual(v2);
      expect(await store.getObject(at('a'), 1)).toBeUndefined();

      expect(await store.finishMove(await finishOf(store, v2, 'a', { overwrite: true }))).toEqual({ object: v2, deletedSegments: [], changed: false });
      expect((await store.listSegmentKeys(v2.streamId, { limit: 10 }))[0]?.encryptedKey).toEqual(new Uint8Array(48).fill(7));

      const draft = await pending(store, at('p'));
      await store.commitSegment(segment(at('p'), draft, { part: 0, index: 0 }));
      const pendingRecord = (await store.getStream(at('p'), draft))!;
      await rejectsWith(store.finishMove({ ...(await finishOf(store, { ...pendingRecord, version: 1 }, 'q')) }), 'FailedPreconditionError');
      await rejectsWith(store.beginMove({ operationId: newOperationId(), source: { ...at('p'), version: 1, streamId: draft }, createdAt: T0, expiresAt: T0 + HOUR }), 'NotFoundError');

      const expiring = await upload(store, at('e'), { expiresAt: T0 + HOUR });
      await rejectsWith(store.finishMove({ ...(await finishOf(store, expiring, 'f')), now: T0 + HOUR }), 'NotFoundError');
      expect(await store.getObject(at('e'))).toEqual(expiring);
    });

    it('recognises a repeated single-shot finish after a lost reply, and a move that lost a race fails cleanly', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const object = await upload(store, at('a'), { segments: three });
      const toB = await finishOf(store, object, 'b', { tag: 1 });
      const toC = await finishOf(store, object, 'c', { tag: 2 });
      const first = await store.finishMove(toB);
      expect(await store.finishMove(toB)).toEqual({ object: first.object, deletedSegments: [], changed: false });
      await rejectsWith(store.finishMove(toC), 'FailedPreconditionError');
      expect(await store.getObject(at('c'))).toBeUndefined();
      expect((await store.listSegmentKeys(object.streamId, { limit: 10 })).every((k) => k.encryptedKey[0] === 1)).toBe(true);
    });

    it('deletes expired operations with their keys, and only those', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const object = await upload(store, at('a'), { segments: three });
      const soon = newOperationId();
      const later = newOperationId();
      await store.beginMove({ operationId: soon, source: exact(object), createdAt: T0, expiresAt: T0 + HOUR });
      await store.beginMove({ operationId: later, source: exact(object), createdAt: T0, expiresAt: T0 + 2 * HOUR });
      await store.putMoveKeys(object.projectId, soon, await newKeys(store, object.streamId, 3), T0);
      expect(await store.deleteExpiredMoves(T0 + HOUR - 1, 10)).toBe(0);
      expect(await store.deleteExpiredMoves(T0 + HOUR, 1000)).toBeGreaterThanOrEqual(1);
      expect(await store.getMoveOperation(object.projectId, soon, T0)).toBeUndefined();
      expect(await store.getMoveOperation(object.projectId, later, T0)).toMatchObject({ segmentCount: 3 });
      // The object never changed, and a new move of it still works.
      expect(await store.getObject(at('a'))).toEqual(object);
      await rejectsWith(store.deleteExpiredMoves(T0, 0), 'InvalidArgumentError');
    });
  });
}

/** The root piece ids the fixtures give an uploaded object's first `count` single-part segments. */
function segmentsOf(object: { streamId: Uint8Array }, count: number): { rootPieceId: Uint8Array }[] {
  return three.slice(0, count).map((position) => ({ rootPieceId: segment(at('x'), object.streamId, position).rootPieceId }));
}
