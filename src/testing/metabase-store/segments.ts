import { describe, expect, it } from 'vitest';
import { compareBytes } from '../../core/bytes.js';
import { encodePieces } from '../../metainfo/metabase/pieces.js';
import type { SegmentCursor, SegmentRecord } from '../../metainfo/metabase/types.js';
import type { SuiteContext } from './context.js';
import { at, begin, buckets, id16, nodeId, pending, pieces, rejectsWith, segment, upload } from './fixtures.js';

const position = { part: 0, index: 0 };
const name = (s: SegmentRecord): string => `${s.streamId[0]}.${s.streamId[15]}:${s.position.part}/${s.position.index}`;

/**
 * What the sifting iterations are tested on: a pending stream of seven segments in which every
 * third lacks piece number 2 (node 3), and a committed stream of two. Returns every segment.
 */
async function windowedSegments(ctx: SuiteContext, key: string, streamId: Uint8Array): Promise<SegmentRecord[]> {
  const { store } = ctx;
  await buckets(store, ['photos']);
  const loc = at(key);
  await store.beginObject(begin(loc, streamId));
  for (let index = 0; index < 7; index++) {
    await store.commitSegment(segment(loc, streamId, { part: 0, index }, index % 3 === 0 ? { pieces: pieces(0, 1, 3) } : {}));
  }
  await upload(store, at('other'), { segments: [{ part: 0, index: 0 }, { part: 0, index: 1 }] });
  return store.iterateSegments({ limit: 100 });
}

export function segmentTests(ctx: SuiteContext): void {
  describe('segments', () => {
    it('iterates every segment of every stream by (streamId, part, index), resumably, at any batch size', async () => {
      const { store } = ctx;
      await buckets(store, ['photos', 'videos']);
      // Stream ids chosen so byte order differs from creation order.
      const ids = [id16(0x90, 1), id16(0x10, 2), id16(0x50, 3)];
      await upload(store, at('z'), { streamId: ids[0]!, segments: [{ part: 1, index: 0 }, { part: 0, index: 5 }] });
      await upload(store, at('a', 'videos'), { streamId: ids[1]!, segments: [{ part: 0, index: 1 }] });
      const loc = at('pending');
      await store.beginObject(begin(loc, ids[2]!));
      await store.commitSegment(segment(loc, ids[2]!, { part: 2, index: 0 }));
      await store.commitSegment(segment(loc, ids[2]!, { part: 0, index: 0 }));
      const expected = ['16.2:0/1', '80.3:0/0', '80.3:2/0', '144.1:0/5', '144.1:1/0'];
      expect((await store.iterateSegments({ limit: 100 })).map(name)).toEqual(expected);
      for (const limit of [1, 2, 3]) {
        const seen: string[] = [];
        let cursor: SegmentCursor | undefined;
        for (;;) {
          const batch = await store.iterateSegments({ cursor, limit });
          if (batch.length === 0) break;
          expect(batch.length).toBeLessThanOrEqual(limit);
          seen.push(...batch.map(name));
          const last = batch[batch.length - 1]!;
          cursor = { streamId: last.streamId, position: last.position };
        }
        expect(seen).toEqual(expected);
      }
      // A cursor need not name an existing segment.
      expect((await store.iterateSegments({ cursor: { streamId: ids[2]!, position: { part: 1, index: 0 } }, limit: 100 })).map(name)).toEqual(
        expected.slice(2),
      );
      const all = await store.iterateSegments({ limit: 100 });
      expect([...all].sort((a, b) => compareBytes(a.streamId, b.streamId))).toEqual(all);
    });

    it('iterateSegmentsHolding (when a store has it): the same windows as iterateSegments, with every segment holding the node\'s piece', async () => {
      const { store } = ctx;
      if (store.iterateSegmentsHolding === undefined) return;
      const all = await windowedSegments(ctx, 'holding', id16(0x42, 9));
      const holds = (s: SegmentRecord): boolean => s.pieces.some((p) => p.nodeId[0] === 3);
      for (const limit of [1, 2, 3, 100]) {
        const seen: string[] = [];
        let cursor: SegmentCursor | undefined;
        let scannedAll = 0;
        for (;;) {
          const window = await store.iterateSegmentsHolding(nodeId(3), { cursor, limit });
          const expected = await store.iterateSegments({ cursor, limit });
          expect(window.scanned).toBe(expected.length);
          const last = expected.at(-1);
          expect(window.last).toEqual(last && { streamId: last.streamId, position: last.position });
          // Never one left out that holds the piece; whole records, as iterateSegments gives them.
          expect(window.segments.filter(holds)).toEqual(expected.filter(holds));
          seen.push(...window.segments.filter(holds).map(name));
          scannedAll += window.scanned;
          if (window.last === undefined) break;
          cursor = window.last;
        }
        expect(scannedAll).toBe(all.length);
        expect(seen).toEqual(all.filter(holds).map(name));
      }
    });

    it('iterateSegmentsMatching (when a store has it): the same windows as iterateSegments, with exactly the segments the match accepts', async () => {
      const { store } = ctx;
      if (store.iterateSegmentsMatching === undefined) return;
      const all = await windowedSegments(ctx, 'matching', id16(0x42, 7));
      for (const limit of [1, 3, 100]) {
        const seen: string[] = [];
        let cursor: SegmentCursor | undefined;
        for (;;) {
          const expected = await store.iterateSegments({ cursor, limit });
          const shown: Array<{ pieces: Uint8Array; redundancy: unknown; streamId: Uint8Array }> = [];
          // Accept the segments with fewer than four pieces.
          const window = await store.iterateSegmentsMatching(
            (blob, redundancy, streamId) => (shown.push({ pieces: blob.slice(), redundancy, streamId: streamId.slice() }), blob.length < 4 * 34),
            { cursor, limit },
          );
          expect(shown).toEqual(expected.map((s) => ({ pieces: encodePieces(s.pieces), redundancy: s.redundancy, streamId: s.streamId })));
          expect(window.scanned).toBe(expected.length);
          expect(window.segments).toEqual(expected.filter((s) => s.pieces.length < 4));
          const last = expected.at(-1);
          expect(window.last).toEqual(last && { streamId: last.streamId, position: last.position });
          seen.push(...window.segments.map(name));
          if (window.last === undefined) break;
          cursor = window.last;
        }
        expect(seen).toEqual(all.filter((s) => s.pieces.length < 4).map(name));
      }
    });

    it('pages through one stream’s segments with listSegments', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const positions = [{ part: 0, index: 0 }, { part: 0, index: 1 }, { part: 1, index: 0 }, { part: 1, index: 7 }, { part: 3, index: 0 }];
      const object = await upload(store, at('a'), { segments: positions });
      const first = await store.listSegments(object.streamId, { limit: 2 });
      expect(first.map((s) => s.position)).toEqual(positions.slice(0, 2));
      const rest = await store.listSegments(object.streamId, { cursor: first[1]!.position, limit: 10 });
      expect(rest.map((s) => s.position)).toEqual(positions.slice(2));
      expect(await store.listSegments(object.streamId, { cursor: { part: 3, index: 0 }, limit: 10 })).toEqual([]);
    });

    it('swaps a piece list only when the stored one matches, in any order', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const object = await upload(store, at('a'));
      const { streamId } = object;
      const current = pieces(0, 1, 2, 3);
      const moved = [...pieces(0, 2, 3), { number: 1, nodeId: nodeId(99) }].reverse();
      expect(await store.swapSegmentPieces(streamId, position, pieces(0, 1, 2), moved)).toBe(false);
      expect(await store.swapSegmentPieces(streamId, position, [{ number: 0, nodeId: nodeId(9) }, ...pieces(1, 2, 3)], moved)).toBe(false);
      expect((await store.getSegment(streamId, position))?.pieces).toEqual(current);
      expect(await store.swapSegmentPieces(streamId, position, [...current].reverse(), moved)).toBe(true);
      expect((await store.getSegment(streamId, position))?.pieces).toEqual([...moved].sort((a, b) => a.number - b.number));
      expect(await store.swapSegmentPieces(streamId, position, current, pieces(0))).toBe(false);
      expect(await store.swapSegmentPieces(streamId, { part: 0, index: 1 }, moved, pieces(0))).toBe(false);
      expect(await store.swapSegmentPieces(id16(0x77, 1), position, moved, pieces(0))).toBe(false);
      // Dropping every piece is a swap like any other.
      expect(await store.swapSegmentPieces(streamId, position, moved, [])).toBe(true);
      expect((await store.getSegment(streamId, position))?.pieces).toEqual([]);
      await rejectsWith(store.swapSegmentPieces(streamId, position, [], [...pieces(2), ...pieces(2)]), 'InvalidArgumentError');
      await rejectsWith(store.swapSegmentPieces(streamId, position, [], [{ number: 0, nodeId: new Uint8Array(31) }]), 'InvalidArgumentError');
      expect((await store.getSegment(streamId, position))?.pieces).toEqual([]);
    });

    it('lets exactly one of several racing swaps from the same list win', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const { streamId } = await upload(store, at('a'));
      const expected = pieces(0, 1, 2, 3);
      const candidates = [10, 11, 12, 13, 14].map((n) => [...pieces(0, 1, 2), { number: 3, nodeId: nodeId(n) }]);
      const results = await Promise.all(candidates.map((next) => store.swapSegmentPieces(streamId, position, expected, next)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = candidates[results.indexOf(true)];
      expect((await store.getSegment(streamId, position))?.pieces).toEqual(winner);
    });

    it('keeps the segments of pending uploads in the iteration too', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      const loc = at('draft');
      const streamId = await pending(store, loc);
      await store.commitSegment(segment(loc, streamId, position));
      expect(await store.iterateSegments({ limit: 10 })).toMatchObject([{ streamId, position }]);
    });
  });
}
