/**
 * The repairer's decisions, pure: what a repair of one segment must download and create, and
 * how the pieces it uploaded fit into a segment's piece list as it is now (which may have
 * changed since the repair read it: an exit transfer landed, a copy was repaired, a node came
 * back). Every decision is recomputed from the list just read, so the compare-and-swap that
 * follows never overwrites a change it did not see.
 */
import type { Piece, RedundancyScheme, SegmentRecord } from '../../metainfo/metabase/types.js';
import { needsRepair } from './checker.js';
import { NodeTable, type PieceState } from './pieces.js';

/** What to do for one segment. */
export type RepairPlan =
  /** Above its repair threshold (a node came back, or someone repaired it): nothing to do. */
  | { readonly kind: 'healthy'; readonly healthy: number }
  /** Fewer than `required` pieces can be downloaded: it cannot be rebuilt now. */
  | { readonly kind: 'irreparable'; readonly healthy: number; readonly retrievable: number }
  | {
      readonly kind: 'repair';
      readonly healthy: number;
      /** Where to download from, data pieces first (decoding them is a copy): healthy and retrievable pieces. */
      readonly sources: readonly Piece[];
      /** The piece numbers to create, one new node each: enough to bring the segment to its success threshold. */
      readonly numbers: readonly number[];
    };

/**
 * Plans the repair of `segment` (a remote one). Healthy pieces stay; pieces on exiting nodes
 * stay too (they leave with their node's exit, which swaps or drops them itself) and serve as
 * sources; new pieces take numbers no healthy or retrievable piece holds, preferring numbers no
 * piece holds at all, so a lost piece can stay listed if the repair falls short.
 *
 * @example
 * ```ts
 * const plan = planRepair(segment, (piece) => pieceState(nodes.get(piece.nodeId), now, window));
 * if (plan.kind === 'repair') download(plan.sources, segment.redundancy.required);
 * ```
 */
export function planRepair(segment: SegmentRecord, stateOf: (piece: Piece) => PieceState): RepairPlan {
  const redundancy = segment.redundancy!;
  const healthy: Piece[] = [];
  const sources: Piece[] = [];
  const held = new Set<number>();
  const used = new Set<number>();
  const nodes = new NodeTable<true>();
  for (const piece of segment.pieces) {
    used.add(piece.number);
    // A second piece on one node adds no durability: the node counts once.
    if (nodes.has(piece.nodeId)) continue;
    nodes.set(piece.nodeId, true);
    const state = stateOf(piece);
    if (state === 'lost') continue;
    held.add(piece.number);
    sources.push(piece);
    if (state === 'healthy') healthy.push(piece);
  }
  if (!needsRepair(healthy.length, redundancy)) return { kind: 'healthy', healthy: healthy.length };
  if (sources.length < redundancy.required) return { kind: 'irreparable', healthy: healthy.length, retrievable: sources.length };
  const free: number[] = [];
  for (let n = 0; n < redundancy.total; n++) if (!held.has(n)) free.push(n);
  free.sort((a, b) => Number(used.has(a)) - Number(used.has(b)) || a - b);
  const numbers = free.slice(0, redundancy.success - healthy.length);
  sources.sort((a, b) => a.number - b.number);
  return { kind: 'repair', healthy: healthy.length, sources, numbers };
}

/**
 * The piece list a segment should have once the `uploaded` pieces are added to `current` (its
 * list as just read), or `undefined` when it needs none of them. Pieces that are lost or known
 * bad (`corrupt`: they failed their hash, or their node said it lost them) leave the list;
 * healthy and retrievable ones stay; uploads join in number order while the segment is below
 * `success` healthy pieces, skipping any whose number is still held or whose node already holds
 * a piece of the segment. When the uploads fall short of `success`, lost (not bad) pieces whose
 * number and node are still free stay listed: their node may come back.
 *
 * @example
 * ```ts
 * const next = fitUploads(segment.pieces, stateOf, uploaded, segment.redundancy!, isBad);
 * if (next) await metabase.swapSegmentPieces(segment.streamId, segment.position, segment.pieces, next);
 * ```
 */
export function fitUploads(
  current: readonly Piece[],
  stateOf: (piece: Piece) => PieceState,
  uploaded: readonly Piece[],
  redundancy: RedundancyScheme,
  corrupt: (piece: Piece) => boolean = () => false,
): Piece[] | undefined {
  const kept: Piece[] = [];
  const lost: Piece[] = [];
  let healthy = 0;
  const nodesInList = new NodeTable<true>();
  for (const piece of current) {
    nodesInList.set(piece.nodeId, true);
    if (corrupt(piece)) continue;
    const state = stateOf(piece);
    if (state === 'lost') {
      lost.push(piece);
      continue;
    }
    kept.push(piece);
    if (state === 'healthy') healthy++;
  }
  if (healthy >= redundancy.success) return undefined;
  const numbers = new Set(kept.map((p) => p.number));
  const nodes = new NodeTable<true>();
  for (const piece of kept) nodes.set(piece.nodeId, true);
  const fit: Piece[] = [];
  for (const piece of [...uploaded].sort((a, b) => a.number - b.number)) {
    if (healthy + fit.length >= redundancy.success) break;
    if (piece.number >= redundancy.total || numbers.has(piece.number) || nodesInList.has(piece.nodeId) || nodes.has(piece.nodeId)) continue;
    fit.push(piece);
    numbers.add(piece.number);
    nodes.set(piece.nodeId, true);
  }
  if (fit.length === 0) return undefined;
  const next = [...kept, ...fit];
  if (healthy + fit.length < redundancy.success) {
    for (const piece of lost) {
      if (numbers.has(piece.number) || nodes.has(piece.nodeId)) continue;
      next.push(piece);
      numbers.add(piece.number);
      nodes.set(piece.nodeId, true);
    }
  }
  return next.sort((a, b) => a.number - b.number);
}
