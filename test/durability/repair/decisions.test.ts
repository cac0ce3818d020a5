/**
 * Repair's pure decisions: which segments the checker queues (a property over random segments
 * and node states), what a repair downloads and creates, and how uploaded pieces fit a list that
 * may have changed meanwhile.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../src/core/bytes.js';
import { getCryptoProvider } from '../../../src/crypto/select.js';
import { blobHealth, checkSegments, needsRepair, segmentHealth } from '../../../src/durability/repair/checker.js';
import { encodePieces } from '../../../src/metainfo/metabase/pieces.js';
import { fitUploads, planRepair } from '../../../src/durability/repair/plan.js';
import { rebuild } from '../../../src/durability/repair/rebuild.js';
import { createErasureCoder } from '../../../src/uplink/erasure/index.js';
import { NodeTable, pieceState, type PieceState } from '../../../src/durability/repair/pieces.js';
import type { Piece, RedundancyScheme, SegmentRecord } from '../../../src/metainfo/metabase/types.js';
import { NEW_NODE_STATE, type NodeRecord } from '../../../src/overlay/types.js';

const NOW = 1_700_000_000_000;
const WINDOW = 4 * 3_600_000;
/** 3 needed, repair at 5 or fewer, back to 6, 8 at most. */
const RS: RedundancyScheme = { algorithm: 'reed-solomon', shareSize: 256, required: 3, repair: 5, success: 6, total: 8 };
const bytes = (n: number): Uint8Array => getCryptoProvider().randomBytes(n);
const nodes = Array.from({ length: 12 }, () => bytes(32));

function segment(pieces: readonly Piece[], changes: Partial<SegmentRecord> = {}): SegmentRecord {
  return {
    streamId: bytes(16), position: { part: 0, index: 0 }, createdAt: NOW - 1000, expiresAt: undefined, rootPieceId: bytes(32),
    encryptedKey: bytes(48), encryptedKeyNonce: bytes(24), encryptedSize: 1_000, plainSize: 980, plainOffset: 0, redundancy: RS,
    pieces, inlineData: undefined, ...changes,
  };
}

/** Pieces numbered in order on `holders`. */
const on = (...holders: number[]): Piece[] => holders.map((node, number) => ({ number, nodeId: nodes[node]! }));
/** A state per node index; unlisted nodes are healthy. */
const states = (lost: number[] = [], retrievable: number[] = []) => (piece: Piece): PieceState => {
  const i = nodes.findIndex((n) => n === piece.nodeId || toHex(n) === toHex(piece.nodeId));
  return lost.includes(i) ? 'lost' : retrievable.includes(i) ? 'retrievable' : 'healthy';
};

function node(changes: Partial<NodeRecord> = {}): NodeRecord {
  return {
    id: bytes(32), address: 'n:1', wallet: '0x', freeBytes: 1e12, version: '1', joinedAt: NOW - 1e9, lastContactAt: NOW - 1000, status: 'active',
    exitStartedAt: null, exitFinishedAt: null, disqualifiedAt: null, disqualifiedReason: null, ...NEW_NODE_STATE, ...changes,
  };
}

describe('piece states', () => {
  it('healthy on an active node heard from within the window; retrievable on an exiting one; lost otherwise', () => {
    expect(pieceState(node(), NOW, WINDOW)).toBe('healthy');
    expect(pieceState(node({ lastContactAt: NOW - WINDOW }), NOW, WINDOW)).toBe('healthy');
    expect(pieceState(node({ lastContactAt: NOW - WINDOW - 1 }), NOW, WINDOW)).toBe('lost');
    expect(pieceState(node({ status: 'exiting' }), NOW, WINDOW)).toBe('retrievable');
    expect(pieceState(node({ status: 'exiting', lastContactAt: NOW - WINDOW - 1 }), NOW, WINDOW)).toBe('lost');
    expect(pieceState(node({ status: 'disqualified' }), NOW, WINDOW)).toBe('lost');
    expect(pieceState(node({ status: 'exited' }), NOW, WINDOW)).toBe('lost');
    expect(pieceState(undefined, NOW, WINDOW)).toBe('lost');
  });

  it('a node table finds ids by bytes, not identity', () => {
    const table = new NodeTable<number>();
    nodes.forEach((id, i) => table.set(id, i));
    expect(table.size).toBe(nodes.length);
    expect(nodes.every((id, i) => table.get(id.slice()) === i)).toBe(true);
    const twin = nodes[0]!.slice();
    twin[31] = twin[31]! ^ 1; // same six-byte prefix, different id
    expect(table.get(twin)).toBeUndefined();
    table.set(twin, 99);
    expect([table.get(twin), table.get(nodes[0]!), table.size]).toEqual([99, 0, nodes.length + 1]);
  });
});

describe('the checker', () => {
  it('queues at or below the repair threshold, below success', () => {
    expect([4, 5, 6, 7].map((h) => needsRepair(h, RS))).toEqual([true, true, false, false]);
    expect(needsRepair(4, { ...RS, repair: 4, success: 4 })).toBe(false); // whole segments never loop
  });

  it('counts a node holding two pieces once', () => {
    const twice: Piece[] = [...on(0, 1, 2), { number: 3, nodeId: nodes[0]!.slice() }];
    expect(segmentHealth({ pieces: twice }, () => 'healthy')).toEqual({ healthy: 3, retrievable: 3 });
  });

  it('judges a stored piece list in place exactly as the decoded one (property)', () => {
    const table = new NodeTable<PieceState>();
    const arbPieces = fc.array(fc.record({ number: fc.integer({ min: 0, max: 300 }), node: fc.integer({ min: 0, max: nodes.length - 1 }) }), { maxLength: 12 });
    const arbState = fc.array(fc.constantFrom<PieceState>('healthy', 'retrievable', 'lost'), { minLength: nodes.length, maxLength: nodes.length });
    fc.assert(
      fc.property(arbPieces, arbState, fc.integer({ min: -1, max: nodes.length - 1 }), (spec, nodeStates, unknownNode) => {
        const pieces = spec.map((p) => ({ number: p.number, nodeId: nodes[p.node]! }));
        nodes.forEach((id, i) => table.set(id, nodeStates[i]!));
        const known = (i: number): boolean => i !== unknownNode;
        const stateOf = (id: Uint8Array): PieceState | undefined => {
          const i = nodes.findIndex((n) => toHex(n) === toHex(id));
          return known(i) ? nodeStates[i] : undefined;
        };
        const stateAt = (blob: Uint8Array, offset: number): PieceState | undefined => {
          const i = nodes.findIndex((n) => toHex(n) === toHex(blob.subarray(offset, offset + 32)));
          return known(i) ? table.getAt(blob, offset) : undefined;
        };
        expect(blobHealth(encodePieces(pieces), stateAt)).toEqual(segmentHealth({ pieces }, stateOf));
      }),
      { numRuns: 300 },
    );
  });

  it('queues exactly the remote segments whose healthy pieces fell to the threshold, with their health (property)', () => {
    const arbSegment = fc.record({
      holders: fc.uniqueArray(fc.integer({ min: 0, max: nodes.length - 1 }), { minLength: 0, maxLength: RS.total }),
      inline: fc.boolean(),
    });
    const arbState = fc.array(fc.constantFrom<PieceState>('healthy', 'retrievable', 'lost'), { minLength: nodes.length, maxLength: nodes.length });
    fc.assert(
      fc.property(fc.array(arbSegment, { maxLength: 20 }), arbState, (specs, nodeStates) => {
        const stateOf = (id: Uint8Array): PieceState => nodeStates[nodes.findIndex((n) => toHex(n) === toHex(id))]!;
        const segments = specs.map((spec) =>
          spec.inline || spec.holders.length === 0
            ? segment([], { redundancy: undefined, rootPieceId: new Uint8Array(0), inlineData: bytes(10) })
            : segment(on(...spec.holders)),
        );
        const batch = checkSegments(segments, stateOf);
        const expected = segments.flatMap((s) => {
          if (s.pieces.length === 0) return [];
          const healthy = s.pieces.filter((p) => stateOf(p.nodeId) === 'healthy').length;
          return healthy <= RS.repair && healthy < RS.success ? [{ key: toHex(s.streamId), healthy }] : [];
        });
        expect(batch.items.map((i) => ({ key: toHex(i.streamId), healthy: i.healthy }))).toEqual(expected);
        expect(batch.remote).toBe(segments.filter((s) => s.pieces.length > 0).length);
        const irreparable = segments.filter((s) => {
          if (s.pieces.length === 0) return false;
          const states = s.pieces.map((p) => stateOf(p.nodeId));
          const healthy = states.filter((x) => x === 'healthy').length;
          return needsRepair(healthy, RS) && states.filter((x) => x !== 'lost').length < RS.required;
        }).length;
        expect(batch.irreparable).toBe(irreparable);
      }),
      { numRuns: 300 },
    );
  });
});

describe('planning a repair', () => {
  it('needs nothing above the repair threshold, and cannot rebuild from fewer than required pieces', () => {
    expect(planRepair(segment(on(0, 1, 2, 3, 4, 5)), states())).toEqual({ kind: 'healthy', healthy: 6 });
    expect(planRepair(segment(on(0, 1, 2, 3, 4, 5)), states([0, 1, 2, 3]))).toEqual({ kind: 'irreparable', healthy: 2, retrievable: 2 });
  });

  it('downloads from healthy and exiting pieces, data pieces first, and makes enough new pieces to reach success', () => {
    // Pieces 0..6 on nodes 0..6; node 1 and 4 are gone, node 2 is exiting.
    const plan = planRepair(segment(on(6, 1, 2, 3, 4, 5, 0)), states([1, 4], [2]));
    expect(plan.kind).toBe('repair');
    if (plan.kind !== 'repair') return;
    expect(plan.healthy).toBe(4);
    expect(plan.sources.map((p) => p.number)).toEqual([0, 2, 3, 5, 6]);
    // Two new pieces: numbers nobody holds first (7), then those of lost pieces (1, 4); never the exiting node's 2.
    expect(plan.numbers).toEqual([7, 1]);
  });

  it('takes no more numbers than the scheme has free', () => {
    const plan = planRepair(segment(on(0, 1, 2, 3, 4, 5, 6, 7)), states([0, 1, 2], [3, 4, 5]));
    expect(plan.kind === 'repair' && plan.numbers).toEqual([0, 1, 2]); // success 6 would want 4; only 3 numbers are free
  });
});

describe('fitting uploaded pieces into the list as it is now', () => {
  const up = (number: number, node: number): Piece => ({ number, nodeId: nodes[node]! });

  it('drops lost pieces, keeps healthy and exiting ones, adds uploads up to success', () => {
    const next = fitUploads(on(0, 1, 2, 3, 4, 5), states([1, 4], [2]), [up(6, 8), up(7, 9), up(1, 10)], RS)!;
    expect(next.map((p) => [p.number, nodes.indexOf(p.nodeId)])).toEqual([[0, 0], [1, 10], [2, 2], [3, 3], [5, 5], [6, 8], [7, 9]]);
  });

  it('needs nothing when the segment is already at success (someone repaired it first)', () => {
    expect(fitUploads(on(0, 1, 2, 3, 4, 5), states(), [up(6, 8)], RS)).toBeUndefined();
  });

  it('skips uploads whose number is held again, or whose node already holds a piece (an exit transfer landed there)', () => {
    // Since the repair read the list, an exit moved piece 2 from node 2 to node 8 — one of the repair's upload nodes.
    const now: Piece[] = [...on(0, 1).slice(0, 2), { number: 2, nodeId: nodes[8]! }, ...on(0, 1, 2, 3).slice(3)];
    const next = fitUploads(now, states([1]), [up(2, 9), up(4, 8), up(5, 10)], RS)!;
    // Only 5@10 fits; still short of success, so the lost piece 1 stays listed.
    expect(next.map((p) => [p.number, nodes.indexOf(p.nodeId)])).toEqual([[0, 0], [1, 1], [2, 8], [3, 3], [5, 10]]);
  });

  it('short of success, lost pieces stay listed where they do not clash: their node may come back', () => {
    const next = fitUploads(on(0, 1, 2, 3, 4), states([3, 4]), [up(3, 9)], RS)!;
    expect(next.map((p) => [p.number, nodes.indexOf(p.nodeId)])).toEqual([[0, 0], [1, 1], [2, 2], [3, 9], [4, 4]]);
  });

  it('removes pieces known corrupt, in every case', () => {
    const corrupt = (p: Piece): boolean => p.number === 1;
    const next = fitUploads(on(0, 1, 2, 3, 4, 5), states([4]), [up(6, 8), up(7, 9)], RS, corrupt)!;
    expect(next.map((p) => p.number)).toEqual([0, 2, 3, 5, 6, 7]);
  });

  it('never drops a piece that still counts, never lists a number or node twice, and only improves health (property)', () => {
    const arbState = fc.array(fc.constantFrom<PieceState>('healthy', 'retrievable', 'lost'), { minLength: nodes.length, maxLength: nodes.length });
    const arbList = fc.uniqueArray(fc.integer({ min: 0, max: nodes.length - 1 }), { maxLength: RS.total });
    const arbUploads = fc.array(fc.record({ number: fc.integer({ min: 0, max: RS.total }), node: fc.integer({ min: 0, max: nodes.length - 1 }) }), { maxLength: 6 });
    fc.assert(
      fc.property(arbList, arbState, arbUploads, (holders, nodeStates, uploads) => {
        const stateOf = (p: Piece): PieceState => nodeStates[nodes.indexOf(p.nodeId)]!;
        const current = on(...holders);
        const uploaded = uploads.map((u) => up(u.number, u.node)).filter((p) => stateOf(p) === 'healthy');
        const next = fitUploads(current, stateOf, uploaded, RS);
        const healthy = (list: readonly Piece[]) => list.filter((p) => stateOf(p) === 'healthy').length;
        if (next === undefined) return;
        for (const p of current) if (stateOf(p) !== 'lost') expect(next).toContainEqual(p);
        expect(new Set(next.map((p) => p.number)).size).toBe(next.length);
        expect(new Set(next.map((p) => nodes.indexOf(p.nodeId))).size).toBe(next.length);
        expect(next.every((p) => p.number < RS.total)).toBe(true);
        expect(healthy(next)).toBeGreaterThan(healthy(current));
        expect(healthy(next)).toBeLessThanOrEqual(Math.max(RS.success, healthy(current)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('rebuilding pieces', () => {
  it('makes exactly the pieces the uplink made, from any `required` of them, at any size (property)', () => {
    const schemes = [
      { algorithm: 'reed-solomon', shareSize: 256, required: 2, repair: 3, success: 4, total: 5 },
      { algorithm: 'reed-solomon', shareSize: 512, required: 4, repair: 6, success: 7, total: 7 },
      { algorithm: 'reed-solomon', shareSize: 256, required: 3, repair: 5, success: 6, total: 8 },
    ] as const;
    fc.assert(
      fc.property(fc.constantFrom(...schemes), fc.integer({ min: 0, max: 400_000 }), fc.integer(), (scheme, size, seed) => {
        const coder = createErasureCoder(scheme);
        const segment = new Uint8Array(size).map((_, i) => (i * 31 + seed) & 0xff);
        const pieces = coder.encodeSegment(segment);
        // Some `required` pieces survive; rebuild the others.
        const order = pieces.map((_, n) => n).sort((a, b) => ((a * 7919 + seed) % 101) - ((b * 7919 + seed) % 101));
        const kept = order.slice(0, scheme.required);
        const missing = order.slice(scheme.required);
        const made = rebuild(coder, new Map(kept.map((n) => [n, pieces[n]!])), size, coder.pieceSize(size), missing);
        for (const n of missing) expect(Buffer.from(made.get(n)!).equals(Buffer.from(pieces[n]!))).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});
