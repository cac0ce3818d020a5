import { describe, expect, it } from 'vitest';
import type { SuiteContext } from './context.js';
import {
  at, begin, buckets, commit, encryption, HOUR, metadata, newStreamId, pending, pieces, redundancy, rejectsWith, segment, T0, upload,
} from './fixtures.js';

export function uploadTests(ctx: SuiteContext): void {
  describe('uploads', () => {
    it('begins a pending stream at version 0 that reads see only by stream id', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const streamId = newStreamId();
      const expected = {
        ...at('a.jpg'), version: 0, streamId, status: 'pending', createdAt: T0, committedAt: undefined, expiresAt: T0 + 48 * HOUR,
        uploadDeadline: T0 + 24 * HOUR, segmentCount: 0, totalPlainSize: 0, totalEncryptedSize: 0, redundancy, encryption,
        metadata: undefined,
      };
      expect(await store.beginObject(begin(at('a.jpg'), streamId, { expiresAt: T0 + 48 * HOUR }))).toEqual(expected);
      expect(await store.getStream(at('a.jpg'), streamId)).toEqual(expected);
      expect(await store.getStream(at('b.jpg'), streamId)).toBeUndefined();
      expect(await store.getObject(at('a.jpg'))).toBeUndefined();
      expect(await store.getObject(at('a.jpg'), 0)).toBeUndefined();
      await rejectsWith(store.beginObject(begin(at('c.jpg'), streamId)), 'AlreadyExistsError');
      await rejectsWith(store.beginObject(begin(at('a.jpg', 'nope'), newStreamId())), 'NotFoundError');
    });

    it('commits parts uploaded out of order in (part, index) order with cumulative offsets and totals', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const loc = at('movie.mp4');
      const streamId = await pending(store, loc);
      const order = [{ part: 2, index: 0 }, { part: 1, index: 1 }, { part: 1, index: 0 }, { part: 10_000, index: 4 }];
      const plain = [500, 301, 300, 7];
      for (const [i, position] of order.entries()) {
        await store.commitSegment(segment(loc, streamId, position, { plainSize: plain[i]!, encryptedSize: plain[i]! + 16 }));
      }
      const object = await store.commitObject(commit(loc, streamId, { metadata }));
      expect(object).toMatchObject({
        version: 1, status: 'committed', committedAt: T0 + 2000, uploadDeadline: undefined, segmentCount: 4,
        totalPlainSize: 1108, totalEncryptedSize: 1108 + 64, metadata,
      });
      expect(await store.getObject(loc)).toEqual(object);
      const listed = await store.listSegments(streamId, { limit: 10 });
      expect(listed.map((s) => [s.position.part, s.position.index, s.plainOffset])).toEqual([
        [1, 0, 0], [1, 1, 300], [2, 0, 601], [10_000, 4, 1101],
      ]);
    });

    it('keeps every field of a segment, with its pieces sorted by number', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const loc = at('a');
      const streamId = await pending(store, loc);
      const unsorted = [...pieces(4, 0, 2)];
      const sent = segment(loc, streamId, { part: 3, index: 2 ** 32 - 1 }, { expiresAt: T0 + HOUR, redundancy, pieces: unsorted });
      await store.commitSegment(sent);
      const stored = await store.getSegment(streamId, { part: 3, index: 2 ** 32 - 1 });
      expect(stored).toEqual({
        streamId, position: sent.position, createdAt: sent.createdAt, expiresAt: T0 + HOUR, rootPieceId: sent.rootPieceId,
        encryptedKey: sent.encryptedKey, encryptedKeyNonce: sent.encryptedKeyNonce, encryptedSize: sent.encryptedSize,
        plainSize: sent.plainSize, plainOffset: 0, redundancy, pieces: pieces(0, 2, 4), inlineData: undefined,
      });
      expect(await store.getSegment(streamId, { part: 3, index: 0 })).toBeUndefined();
      // An inline segment in a multipart upload: data instead of pieces.
      const inline = segment(loc, streamId, { part: 4, index: 0 }, { rootPieceId: new Uint8Array(), pieces: [], inlineData: new Uint8Array([9, 9]) });
      await store.commitSegment(inline);
      expect(await store.getSegment(streamId, { part: 4, index: 0 })).toMatchObject({
        rootPieceId: new Uint8Array(), pieces: [], inlineData: new Uint8Array([9, 9]), redundancy: undefined, expiresAt: undefined,
      });
    });

    it('commits a segment only into a pending stream at its location, before the deadline, at a free position', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const loc = at('a');
      const streamId = await pending(store, loc, { uploadDeadline: T0 + HOUR });
      const first = segment(loc, streamId, { part: 0, index: 0 });
      await store.commitSegment(first);
      await rejectsWith(store.commitSegment(segment(loc, streamId, { part: 0, index: 0 }, { plainSize: 1 })), 'AlreadyExistsError');
      expect(await store.getSegment(streamId, { part: 0, index: 0 })).toMatchObject({ plainSize: first.plainSize });
      await rejectsWith(store.commitSegment(segment(loc, newStreamId(), { part: 0, index: 1 })), 'FailedPreconditionError');
      await rejectsWith(store.commitSegment(segment(at('b'), streamId, { part: 0, index: 1 })), 'FailedPreconditionError');
      await rejectsWith(store.commitSegment(segment(loc, streamId, { part: 0, index: 1 }, { createdAt: T0 + HOUR + 1 })), 'FailedPreconditionError');
      await store.commitSegment(segment(loc, streamId, { part: 0, index: 1 }, { createdAt: T0 + HOUR }));
      await store.commitObject(commit(loc, streamId, { now: T0 + HOUR }));
      await rejectsWith(store.commitSegment(segment(loc, streamId, { part: 0, index: 2 })), 'FailedPreconditionError');
      expect(await store.listSegments(streamId, { limit: 10 })).toHaveLength(2);
    });

    it('refuses to commit an expired, unknown, committed or oversized stream and leaves it as it was', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const loc = at('a');
      const streamId = await pending(store, loc, { uploadDeadline: T0 + HOUR });
      for (const index of [0, 1, 2]) await store.commitSegment(segment(loc, streamId, { part: 0, index }));
      await rejectsWith(store.commitObject(commit(loc, streamId, { now: T0 + HOUR + 1 })), 'FailedPreconditionError');
      await rejectsWith(store.commitObject(commit(loc, streamId, { maxSegments: 2 })), 'InvalidArgumentError');
      await rejectsWith(store.commitObject(commit(loc, newStreamId())), 'FailedPreconditionError');
      await rejectsWith(store.commitObject(commit(at('b'), streamId)), 'FailedPreconditionError');
      expect(await store.getStream(loc, streamId)).toMatchObject({ status: 'pending', version: 0, segmentCount: 0 });
      expect((await store.listSegments(streamId, { limit: 10 })).map((s) => s.plainOffset)).toEqual([0, 0, 0]);
      expect(await store.commitObject(commit(loc, streamId, { maxSegments: 3 }))).toMatchObject({ version: 1, segmentCount: 3 });
      await rejectsWith(store.commitObject(commit(loc, streamId)), 'FailedPreconditionError');
    });

    it('commits two uploads to one key as separate versions, the later commit getting the higher one', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const loc = at('report.pdf');
      const a = await pending(store, loc);
      const b = await pending(store, loc);
      await store.commitSegment(segment(loc, a, { part: 0, index: 0 }, { plainSize: 10 }));
      await store.commitSegment(segment(loc, b, { part: 0, index: 0 }, { plainSize: 20 }));
      const second = await store.commitObject(commit(loc, b));
      const first = await store.commitObject(commit(loc, a, { committedAt: T0 + 3000 }));
      expect([second.version, first.version]).toEqual([1, 2]);
      expect(await store.getObject(loc)).toEqual(first);
      expect(await store.getObject(loc, 1)).toEqual(second);
      expect(await store.getObject(loc, 2)).toEqual(first);
      expect(await store.getObject(loc, 3)).toBeUndefined();
      expect((await store.getSegment(b, { part: 0, index: 0 }))?.plainSize).toBe(20);
      // Deleting an older version does not lower the next one.
      await store.deleteObject(loc, 1);
      expect((await upload(store, loc)).version).toBe(3);
    });

    it('gives racing commits to one key distinct consecutive versions', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const loc = at('race');
      await upload(store, loc);
      const ids = [await pending(store, loc), await pending(store, loc), await pending(store, loc)];
      const committed = await Promise.all(ids.map((id) => store.commitObject(commit(loc, id))));
      expect(committed.map((o) => o.version).sort((a, b) => a - b)).toEqual([2, 3, 4]);
      expect((await store.getObject(loc))?.version).toBe(4);
    });

    it('commits an inline object in one step, versioned with the other uploads of its key', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const loc = at('note.txt');
      await upload(store, loc);
      const streamId = newStreamId();
      const data = new Uint8Array([1, 2, 3, 4]);
      const inline = { ...segment(loc, streamId, { part: 0, index: 0 }), rootPieceId: new Uint8Array(), pieces: [], inlineData: data, plainSize: 4, encryptedSize: 20 };
      const object = await store.commitInlineObject(begin(loc, streamId), inline, metadata, T0 + 5000);
      expect(object).toMatchObject({
        streamId, version: 2, status: 'committed', committedAt: T0 + 5000, uploadDeadline: undefined, segmentCount: 1,
        totalPlainSize: 4, totalEncryptedSize: 20, metadata,
      });
      expect(await store.getObject(loc)).toEqual(object);
      expect(await store.listSegments(streamId, { limit: 5 })).toMatchObject([{ position: { part: 0, index: 0 }, inlineData: data, pieces: [] }]);
      await rejectsWith(store.commitInlineObject(begin(loc, streamId), inline, undefined, T0), 'AlreadyExistsError');
      await rejectsWith(store.commitInlineObject(begin(at('x', 'nope'), newStreamId()), inline, undefined, T0), 'NotFoundError');
      await rejectsWith(store.commitInlineObject(begin(loc, newStreamId()), { ...inline, inlineData: undefined }, undefined, T0), 'InvalidArgumentError');
      await rejectsWith(store.commitInlineObject(begin(loc, newStreamId()), { ...inline, position: { part: 0, index: 1 } }, undefined, T0), 'InvalidArgumentError');
    });

    it('refuses malformed ids and sizes with InvalidArgument and stores nothing', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const loc = at('a');
      await rejectsWith(store.beginObject(begin({ ...loc, projectId: new Uint8Array(15) }, newStreamId())), 'InvalidArgumentError');
      await rejectsWith(store.beginObject(begin(loc, new Uint8Array(17))), 'InvalidArgumentError');
      await rejectsWith(store.beginObject(begin(at(new Uint8Array()), newStreamId())), 'InvalidArgumentError');
      await rejectsWith(store.beginObject(begin(loc, newStreamId(), { createdAt: -1 })), 'InvalidArgumentError');
      const streamId = await pending(store, loc);
      const bad = [
        segment(loc, streamId, { part: 0, index: 0 }, { rootPieceId: new Uint8Array(31) }),
        segment(loc, streamId, { part: 0, index: 0 }, { rootPieceId: new Uint8Array(32), inlineData: new Uint8Array(1), pieces: [] }),
        segment(loc, streamId, { part: 0, index: 0 }, { pieces: [{ number: 0, nodeId: new Uint8Array(31) }] }),
        segment(loc, streamId, { part: 0, index: 0 }, { pieces: [...pieces(1), ...pieces(1)] }),
        segment(loc, streamId, { part: 0, index: -1 }),
        segment(loc, streamId, { part: 0, index: 0 }, { plainSize: 1.5 }),
        segment(loc, streamId, { part: 0, index: 0 }, { encryptedSize: Number.MAX_SAFE_INTEGER + 1 }),
      ];
      for (const s of bad) await rejectsWith(store.commitSegment(s), 'InvalidArgumentError');
      expect(await store.listSegments(streamId, { limit: 10 })).toEqual([]);
      await rejectsWith(store.listSegments(streamId, { limit: 0 }), 'InvalidArgumentError');
      await rejectsWith(store.getObject(loc, 1.5), 'InvalidArgumentError');
    });
  });
}
