/**
 * The repair checker's decisions, pure: how healthy a segment is and whether it goes into the
 * repair queue. A segment is queued when its healthy pieces fell to its repair threshold or
 * below — and are below its success threshold, so a scheme with `repair = success` never loops
 * on segments that are whole. Inline segments have no pieces and are never queued.
 */
import type { RedundancyScheme, SegmentRecord } from '../../metainfo/metabase/types.js';
import type { NewRepairItem } from './queue-store.js';
import { idPrefix, idPrefixAt, sameIdAt, type PieceState } from './pieces.js';

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

/** Scratch space of {@link segmentHealth}, grown as needed. */
let prefixes = new Float64Array(64);

/**
 * Counts a segment's pieces by state; a node holding two pieces counts once. `undefined` when
 * `stateOf` does not know one of the nodes (it returned `undefined`).
 */
export function segmentHealth(segment: Pick<SegmentRecord, 'pieces'>, stateOf: (nodeId: Uint8Array) => PieceState | undefined): SegmentHealth | undefined {
  let healthy = 0;
  let retrievable = 0;
  const { pieces } = segment;
  // The checker's hot loop: no allocation per segment. A node id's first six bytes, as a number,
  // tell distinct nodes apart almost always; the full ids are compared only when those agree.
  if (prefixes.length < pieces.length) prefixes = new Float64Array(Math.max(pieces.length, 2 * prefixes.length));
  for (let i = 0; i < pieces.length; i++) {
    const nodeId = pieces[i]!.nodeId;
    const prefix = idPrefix(nodeId);
    prefixes[i] = prefix;
    let repeated = false;
    for (let j = 0; j < i && !repeated; j++) repeated = prefixes[j] === prefix && sameIdAt(pieces[j]!.nodeId, nodeId, 0);
    if (repeated) continue;
    const state = stateOf(nodeId);
    if (state === undefined) return undefined;
    if (state === 'healthy') healthy++;
    if (state !== 'lost') retrievable++;
  }
  return { healthy, retrievable };
}

/** Bytes a piece takes in a stored piece list: a u16 number, then the 32-byte node id (see `encodePieces`). */
const PIECE_BYTES = 34;

/**
 * {@link segmentHealth} of a stored piece list, read in place (no piece objects): the checker
 * judges every segment of the metabase this way and decodes only those that may need repair.
 * `stateAt` gives the state of the node whose id starts at `offset`; `undefined` when one is
 * unknown.
 */
export function blobHealth(blob: Uint8Array, stateAt: (blob: Uint8Array, offset: number) => PieceState | undefined): SegmentHealth | undefined {
  let healthy = 0;
  let retrievable = 0;
  const count = Math.floor(blob.length / PIECE_BYTES);
  if (prefixes.length < count) prefixes = new Float64Array(Math.max(count, 2 * prefixes.length));
  for (let i = 0; i < count; i++) {
    const offset = i * PIECE_BYTES + 2;
    const prefix = idPrefixAt(blob, offset);
    prefixes[i] = prefix;
    let repeated = false;
    for (let j = 0; j < i && !repeated; j++) repeated = prefixes[j] === prefix && sameIdAt(blob.subarray(j * PIECE_BYTES + 2, j * PIECE_BYTES + 34), blob, offset);
    if (repeated) continue;
    const state = stateAt(blob, offset);
    if (state === undefined) return undefined;
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
  /** Segments not judged: `stateOf` did not know one of their nodes. Learn the nodes, then check these again. */
  readonly unknown: SegmentRecord[];
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
export function checkSegments(segments: readonly SegmentRecord[], stateOf: (nodeId: Uint8Array) => PieceState | undefined): CheckedBatch {
  const items: NewRepairItem[] = [];
  const unknown: SegmentRecord[] = [];
  let remote = 0;
  let irreparable = 0;
  for (const segment of segments) {
    const redundancy = segment.redundancy;
    if (redundancy === undefined || segment.pieces.length === 0) continue;
    const health = segmentHealth(segment, stateOf);
    if (health === undefined) {
      unknown.push(segment);
      continue;
    }
    remote++;
    if (!needsRepair(health.healthy, redundancy)) continue;
    if (health.retrievable < redundancy.required) irreparable++;
    items.push({ streamId: segment.streamId, position: segment.position, healthy: health.healthy });
  }
  return { items, remote, irreparable, unknown };
}
