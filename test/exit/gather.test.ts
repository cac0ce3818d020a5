import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { equalBytes, toHex } from '../../src/core/bytes.js';
import { gatherItems } from '../../src/exit/gather.js';
import type { Piece, RedundancyScheme, SegmentRecord } from '../../src/metainfo/metabase/types.js';
import { pieceSizeFor } from '../../src/metainfo/redundancy.js';
import { derivePieceId } from '../../src/orders/piece-id.js';
import { bytes } from './proof-chain.js';

/** 2 needed, repair below 3, success at 4, 5 stored. */
const RS: RedundancyScheme = { algorithm: 'reed-solomon', shareSize: 256, required: 2, repair: 3, success: 4, total: 5 };
const NOW = 1_700_000_000_000;

const exiting = bytes(32);
const nodes = Array.from({ length: 8 }, () => bytes(32));

function segment(pieces: readonly Piece[], changes: Partial<SegmentRecord> = {}): SegmentRecord {
  return {
    streamId: bytes(16),
    position: { part: 0, index: 0 },
    createdAt: NOW - 1000,
    expiresAt: undefined,
    rootPieceId: bytes(32),
    encryptedKey: bytes(48),
    encryptedKeyNonce: bytes(24),
    encryptedSize: 1_000,
    plainSize: 980,
    plainOffset: 0,
    redundancy: RS,
    pieces,
    inlineData: undefined,
    ...changes,
  };
}

/** Pieces 0.. on `holders`, in order. */
function on(...holders: Uint8Array[]): Piece[] {
  return holders.map((nodeId, number) => ({ number, nodeId }));
}

/** As the gatherer decides: only nodes whose overlay status is `active` are healthy (the exiting node is `exiting`). */
function activeExcept(...unhealthy: Uint8Array[]): (nodeId: Uint8Array) => boolean {
  return (nodeId) => !equalBytes(nodeId, exiting) && !unhealthy.some((u) => equalBytes(u, nodeId));
}

describe('gatherItems: which pieces an exiting node must hand over, and how urgently', () => {
  it('skips segments that hold no piece of the exiting node', () => {
    expect(gatherItems([segment(on(nodes[0]!, nodes[1]!, nodes[2]!, nodes[3]!))], exiting, activeExcept(), NOW)).toEqual([]);
  });

  it('skips inline segments (no pieces, no redundancy): there is nothing to transfer', () => {
    const inline = segment([], { redundancy: undefined, rootPieceId: new Uint8Array(0), inlineData: bytes(100) });
    expect(gatherItems([inline], exiting, activeExcept(), NOW)).toEqual([]);
  });

  it('queues the exiting node\'s piece under the piece id derived for it, with the segment\'s coordinates', () => {
    const s = segment(on(nodes[0]!, nodes[1]!, exiting, nodes[2]!), { position: { part: 2, index: 9 } });
    const [item, ...rest] = gatherItems([s], exiting, activeExcept(), NOW);
    expect(rest).toEqual([]);
    expect(item).toEqual({
      pieceId: derivePieceId(s.rootPieceId, exiting, 2),
      rootPieceId: s.rootPieceId,
      pieceNumber: 2,
      streamId: s.streamId,
      position: { part: 2, index: 9 },
      pieceSize: pieceSizeFor(1_000, RS),
      durability: 3 / 5,
      drop: false,
      queuedAt: NOW,
    });
    // 1000 bytes in stripes of 2 × 256: two stripes, one 256-byte share each per piece.
    expect(item!.pieceSize).toBe(512);
  });

  it('measures durability as healthy pieces over the scheme\'s total, counting unhealthy nodes out', () => {
    const s = segment(on(exiting, nodes[0]!, nodes[1]!, nodes[2]!, nodes[3]!));
    const [item] = gatherItems([s], exiting, activeExcept(nodes[0]!, nodes[1]!), NOW);
    expect(item!.durability).toBe(2 / 5);
    expect(item!.drop).toBe(false);
  });

  it('drops (no transfer) the piece of a segment that keeps its success threshold without it', () => {
    const atSuccess = segment(on(exiting, nodes[0]!, nodes[1]!, nodes[2]!, nodes[3]!));
    const [item] = gatherItems([atSuccess], exiting, activeExcept(), NOW);
    expect(item!.durability).toBe(4 / 5);
    expect(item!.drop).toBe(true);
  });

  it('transfers the piece of a segment one healthy piece short of its success threshold', () => {
    const oneShort = segment(on(exiting, nodes[0]!, nodes[1]!, nodes[2]!, nodes[3]!));
    const [item] = gatherItems([oneShort], exiting, activeExcept(nodes[3]!), NOW);
    expect(item!.drop).toBe(false);
  });

  it('never counts the exiting node\'s own piece as healthy, even while its overlay status still says active', () => {
    // A satellite that crashed between recording the exit and marking the node exiting gathers
    // with the node still `active`: its piece is leaving and must not hold a segment up.
    const s = segment(on(exiting, nodes[0]!, nodes[1]!, nodes[2]!));
    const [item] = gatherItems([s], exiting, () => true, NOW);
    expect(item!.durability).toBe(3 / 5);
    expect(item!.drop).toBe(false);
  });

  it('queues one item per segment, in segment order, across a batch', () => {
    const batch = [
      segment(on(nodes[0]!, exiting)),
      segment(on(nodes[0]!, nodes[1]!)),
      segment([], { redundancy: undefined }),
      segment(on(exiting, nodes[0]!, nodes[1]!, nodes[2]!, nodes[3]!), { encryptedSize: 5_000 }),
    ];
    const items = gatherItems(batch, exiting, activeExcept(), NOW);
    expect(items.map((i) => toHex(i.streamId))).toEqual([toHex(batch[0]!.streamId), toHex(batch[3]!.streamId)]);
    expect(items.map((i) => [i.pieceNumber, i.drop, i.pieceSize])).toEqual([[1, false, 512], [0, true, pieceSizeFor(5_000, RS)]]);
  });

  it('is not fooled by a node whose id shares the exiting node\'s first byte', () => {
    const lookalike = exiting.slice();
    lookalike[31] = lookalike[31]! ^ 0xff;
    expect(gatherItems([segment(on(lookalike, nodes[0]!))], exiting, activeExcept(), NOW)).toEqual([]);
  });

  it('for any batch: an item exactly for each segment holding the node, drop exactly when healthy ≥ success', () => {
    const segments = fc.array(
      fc.record({
        holders: fc.uniqueArray(fc.integer({ min: 0, max: nodes.length }), { maxLength: 7 }), // index nodes.length = the exiting node
        unhealthy: fc.array(fc.boolean(), { minLength: nodes.length, maxLength: nodes.length }),
        inline: fc.boolean(),
      }),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(segments, (specs) => {
        const batch = specs.map((spec) =>
          spec.inline ? segment([], { redundancy: undefined }) : segment(spec.holders.map((h, number) => ({ number, nodeId: h === nodes.length ? exiting : nodes[h]! })), { redundancy: { ...RS, total: 7 } }),
        );
        const healthy = (id: Uint8Array) => nodes.some((n, i) => equalBytes(n, id) && !specs.every((s) => s.unhealthy[i]));
        const items = gatherItems(batch, exiting, healthy, NOW);
        const holding = batch.filter((s) => s.redundancy !== undefined && s.pieces.some((p) => equalBytes(p.nodeId, exiting)));
        expect(items.length).toBe(holding.length);
        items.forEach((item, i) => {
          const s = holding[i]!;
          const healthyCount = s.pieces.filter((p) => !equalBytes(p.nodeId, exiting) && healthy(p.nodeId)).length;
          expect(item.durability).toBe(healthyCount / 7);
          expect(item.drop).toBe(healthyCount >= RS.success);
          const mine = s.pieces.find((p) => equalBytes(p.nodeId, exiting))!;
          expect(item.pieceId).toEqual(derivePieceId(s.rootPieceId, exiting, mine.number));
        });
      }),
      { numRuns: 200 },
    );
  });
});
