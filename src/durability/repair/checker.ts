/**
 * The repair checker's decisions, pure: how healthy a segment is and whether it goes into the
 * repair queue. A segment is queued when its healthy pieces fell to its repair threshold or
 * below — and are below its success threshold, so a scheme with `repair = success` never loops
 * on segments that are whole. Inline segments have no pieces and are never queued.
 */
import type { RedundancyScheme, SegmentRecord } from '../../metainfo/metabase/types.js';
import type { NewRepairItem } from './queue-store.js';
import { idPrefix, type PieceState } from './pieces.js';

/**
 * True when a segment with `healthy` healthy pieces needs repair under `redundancy`.
 *
 * @example
 * ```ts
 * needsRepair(6, { algorithm: 'reed-solomon', shareSize: 256, required: 4, repair: 6, success: 8, total: 10 }); // true
 * ```
 */
export function needsRepair(healthy: number, redundancy: RedundancyScheme): boolean {
  return healthy <= redundancy.repair && healthy < redundancy.success;
}

/** Healthy and retrievable pieces of one segment, each node counted once. */
export interface SegmentHealth {
  readonly healthy: number;
  /** Healthy plus retrievable: what a repair could download. */
  readonly retrievable: number;
}

/** Counts a segment's pieces by state; a node holding two pieces counts once. */
export function segmentHealth(segment: Pick<SegmentRecord, 'pieces'>, stateOf: (nodeId: Uint8Array) => PieceState): SegmentHealth {
  let healthy = 0;
  let retrievable = 0;
  const { pieces } = segment;
  const prefixes = new Set<number>();
  for (let i = 0; i < pieces.length; i++) {
    const nodeId = pieces[i]!.nodeId;
    const prefix = idPrefix(nodeId);
    // Distinct nodes almost always differ in their first bytes; compare in full only then.
    if (prefixes.has(prefix) && pieces.slice(0, i).some((p) => sameNode(p.nodeId, nodeId))) continue;
    prefixes.add(prefix);
    const state = stateOf(nodeId);
    if (state === 'healthy') healthy++;
    if (state !== 'lost') retrievable++;
  }
  return { healthy, retrievable };
}

/** What a check of one batch of segments decided. */
export interface CheckedBatch {
  /** Segments to queue, with their health. */
  readonly items: NewRepairItem[];
  /** Segments with pieces (inline ones are not counted). */
  readonly remote: number;
  /** Queued segments that cannot be rebuilt now: fewer than `required` pieces can be downloaded. */
  readonly irreparable: number;
}

/**
 * The repair queue items for a batch of segments, as `iterateSegments` returns them.
 *
 * @example
 * ```ts
 * const { items } = checkSegments(await metabase.iterateSegments({ cursor, limit: 1000 }), (id) => pieceState(nodes.get(id), now, window));
 * await queue.insert(items, now);
 * ```
 */
export function checkSegments(segments: readonly SegmentRecord[], stateOf: (nodeId: Uint8Array) => PieceState): CheckedBatch {
  const items: NewRepairItem[] = [];
  let remote = 0;
  let irreparable = 0;
  for (const segment of segments) {
    const redundancy = segment.redundancy;
    if (redundancy === undefined || segment.pieces.length === 0) continue;
    remote++;
    const health = segmentHealth(segment, stateOf);
    if (!needsRepair(health.healthy, redundancy)) continue;
    if (health.retrievable < redundancy.required) irreparable++;
    items.push({ streamId: segment.streamId, position: segment.position, healthy: health.healthy });
  }
  return { items, remote, irreparable };
}

function sameNode(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return false;
  return true;
}
