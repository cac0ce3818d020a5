/**
 * `swapPiece` with the segments read when the transfer was sent (`lastRead`): one metabase read
 * fewer when nothing changed, and — whatever changed in between — the same outcome and the same
 * segments as a swap that reads everything afresh.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { equalBytes } from '../../src/core/bytes.js';
import { swapPiece } from '../../src/exit/piece-swap.js';
import type { MetabaseStore } from '../../src/metainfo/metabase/port.js';
import type { Piece, SegmentRecord } from '../../src/metainfo/metabase/types.js';

const node = (n: number) => new Uint8Array(32).fill(n);
const ROOT = new Uint8Array(32).fill(200);
const EXITING = node(1);
const REPLACEMENT = node(2);
const PIECE = 3;

/** Just the two calls a swap makes, over plain records, counting reads. */
class Segments {
  reads = 0;
  constructor(public rows: SegmentRecord[]) {}
  get store(): MetabaseStore {
    return {
      segmentsByRootPieceId: async () => (this.reads++, this.rows.map((r) => ({ ...r, pieces: [...r.pieces] }))),
      swapSegmentPieces: async (streamId: Uint8Array, position: SegmentRecord['position'], expected: readonly Piece[], next: readonly Piece[]) => {
        const i = this.rows.findIndex((r) => equalBytes(r.streamId, streamId) && r.position.index === position.index);
        if (i < 0 || !samePieces(this.rows[i]!.pieces, expected)) return false;
        this.rows[i] = { ...this.rows[i]!, pieces: [...next] };
        return true;
      },
    } as unknown as MetabaseStore;
  }
}

function samePieces(a: readonly Piece[], b: readonly Piece[]): boolean {
  return a.length === b.length && a.every((p, i) => p.number === b[i]!.number && equalBytes(p.nodeId, b[i]!.nodeId));
}

function segment(stream: number, pieces: Piece[]): SegmentRecord {
  return { streamId: new Uint8Array(16).fill(stream), position: { part: 0, index: 0 }, rootPieceId: ROOT, pieces } as unknown as SegmentRecord;
}

const holding = (stream: number, others: number[] = [5, 6]) => segment(stream, [{ number: PIECE, nodeId: EXITING }, ...others.map((n, i) => ({ number: 10 + i, nodeId: node(n) }))]);

describe('swapPiece with the segments read at send time', () => {
  it('spares a read when nothing changed since', async () => {
    const fresh = new Segments([holding(1), holding(2)]);
    const lastRead = await fresh.store.segmentsByRootPieceId(ROOT);
    fresh.reads = 0;
    expect(await swapPiece(fresh.store, { rootPieceId: ROOT, pieceNumber: PIECE, exitingNodeId: EXITING, replacementNodeId: REPLACEMENT, lastRead })).toBe('swapped');
    expect(fresh.reads).toBe(1); // only the read that proves no segment still names the exiting node
    const unhinted = new Segments([holding(1), holding(2)]);
    expect(await swapPiece(unhinted.store, { rootPieceId: ROOT, pieceNumber: PIECE, exitingNodeId: EXITING, replacementNodeId: REPLACEMENT })).toBe('swapped');
    expect(unhinted.reads).toBe(2);
    expect(fresh.rows).toEqual(unhinted.rows);
  });

  it('an old read that says "blocked" or "nothing left" does not decide: the fresh read does', async () => {
    const now = new Segments([holding(1)]);
    const blocked = [segment(1, [{ number: PIECE, nodeId: EXITING }, { number: 9, nodeId: REPLACEMENT }])];
    expect(await swapPiece(now.store, { rootPieceId: ROOT, pieceNumber: PIECE, exitingNodeId: EXITING, replacementNodeId: REPLACEMENT, lastRead: blocked })).toBe('swapped');
    const again = new Segments([holding(1)]);
    expect(await swapPiece(again.store, { rootPieceId: ROOT, pieceNumber: PIECE, exitingNodeId: EXITING, replacementNodeId: REPLACEMENT, lastRead: [] })).toBe('swapped');
    expect(now.rows[0]!.pieces.some((p) => equalBytes(p.nodeId, REPLACEMENT))).toBe(true);
  });

  it('whatever changed between the send and the swap, the outcome and the segments are those of a fresh swap', async () => {
    const change = fc.constantFrom('none', 'deleted', 'otherPieceMoved', 'copyMade', 'replacementJoined', 'exitingGone');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.array(change, { minLength: 1, maxLength: 3 }), async (count, changes) => {
        const initial = Array.from({ length: count }, (_, i) => holding(i + 1));
        const lastRead = initial.map((s) => ({ ...s, pieces: [...s.pieces] }));
        let rows = initial.map((s) => ({ ...s, pieces: [...s.pieces] }));
        changes.forEach((c, k) => {
          const i = k % rows.length;
          if (rows.length === 0) return;
          const r = rows[i]!;
          if (c === 'deleted') rows = rows.filter((_, j) => j !== i);
          if (c === 'otherPieceMoved') rows[i] = { ...r, pieces: r.pieces.map((p) => (p.number === 10 ? { number: 10, nodeId: node(7 + k) } : p)) };
          if (c === 'copyMade') rows.push({ ...r, streamId: new Uint8Array(16).fill(50 + k), pieces: [...r.pieces] });
          if (c === 'replacementJoined') rows[i] = { ...r, pieces: [...r.pieces, { number: 20, nodeId: REPLACEMENT }] };
          if (c === 'exitingGone') rows[i] = { ...r, pieces: r.pieces.filter((p) => p.number !== PIECE) };
        });
        const hinted = new Segments(rows.map((s) => ({ ...s, pieces: [...s.pieces] })));
        const plain = new Segments(rows.map((s) => ({ ...s, pieces: [...s.pieces] })));
        const args = { rootPieceId: ROOT, pieceNumber: PIECE, exitingNodeId: EXITING, replacementNodeId: REPLACEMENT };
        expect(await swapPiece(hinted.store, { ...args, lastRead })).toBe(await swapPiece(plain.store, args));
        expect(hinted.rows).toEqual(plain.rows);
      }),
      { numRuns: 200 },
    );
  });
});
