/**
 * The repair checker, the runner: one pass over every segment of the metabase — never object
 * keys, so a concurrent move cannot hide a segment (invariant 4) — counting each segment's
 * healthy pieces and queueing those that need repair; after a complete pass, queue items the
 * pass no longer found unhealthy are removed. Like Storj's ranged segment loop, the pass splits
 * the stream ids into `ranges` that are read at once (stream ids are random, so the ranges are
 * even); within a range the next batch is read while the current one is judged and queued. Node
 * records are read once per pass per node.
 */
import type { Clock } from '../../core/clock.js';
import type { MetabaseStore } from '../../metainfo/metabase/port.js';
import { PART_LIMIT } from '../../metainfo/metabase/position.js';
import type { SegmentCursor, SegmentRecord } from '../../metainfo/metabase/types.js';
import type { OverlayStore } from '../../overlay/port.js';
import { blobHealth, checkSegments, needsRepair } from './checker.js';
import { NodeTable, pieceState, type PieceState } from './pieces.js';
import type { RepairQueueStore } from './queue-store.js';
import type { CheckerStats } from './types.js';

export interface RepairCheckerDeps {
  readonly metabase: MetabaseStore;
  readonly overlay: OverlayStore;
  readonly queue: RepairQueueStore;
  readonly clock: Clock;
  readonly onlineWindowMs: number;
  readonly batchSize: number;
  /** Ranges of stream ids read at once, each batch by batch (default 1). */
  readonly ranges?: number;
}

/**
 * @example
 * ```ts
 * const checker = new RepairChecker({ metabase, overlay, queue, clock, onlineWindowMs: 4 * 3600_000, batchSize: 1000 });
 * const { queued } = await checker.checkOnce();
 * ```
 */
export class RepairChecker {
  #closed = false;

  constructor(private readonly deps: RepairCheckerDeps) {}

  /** One whole pass; see the file comment. A pass stopped by `close` removes nothing from the queue. */
  async checkOnce(): Promise<CheckerStats> {
    const { clock, queue } = this.deps;
    const startedAt = clock.now();
    const states = new NodeTable<PieceState>();
    const ranges = Math.max(1, Math.min(256, Math.floor(this.deps.ranges ?? 1)));
    const totals = { segments: 0, remote: 0, queued: 0, irreparable: 0 };
    // Queue writes leave the scan's path: a few run behind it while it reads on.
    const inserts = new Window(4);
    // Stream ids are random: ranges of their first byte split the segments evenly.
    const bounds = Array.from({ length: ranges + 1 }, (_, i) => Math.floor((i * 256) / ranges));
    try {
      await Promise.all(bounds.slice(0, -1).map((from, i) => this.#checkRange(from, bounds[i + 1]!, states, totals, inserts)));
    } finally {
      await inserts.settled();
    }
    inserts.throwIfFailed();
    if (this.#closed) return { ...totals, cleaned: 0 };
    const cleaned = await queue.clean(startedAt);
    return { ...totals, cleaned };
  }

  /** Segments whose stream id's first byte is in [from, to), window by window, reading one window ahead. */
  async #checkRange(from: number, to: number, states: NodeTable<PieceState>, totals: { segments: number; remote: number; queued: number; irreparable: number }, inserts: Window): Promise<void> {
    const { overlay, queue, clock, onlineWindowMs } = this.deps;
    const stateOf = (nodeId: Uint8Array): PieceState | undefined => states.get(nodeId);
    let window = await this.#read(from === 0 ? undefined : rangeStart(from), to, states);
    for (;;) {
      if (this.#closed) return;
      // Read ahead: the database works on the next window while this one is judged.
      const following = window.next === undefined ? undefined : this.#read(window.next, to, states);
      following?.catch(() => undefined);
      // Judge with the nodes known so far; learn the new ones (usually only in the first windows), judge the rest.
      let checked = checkSegments(window.candidates, stateOf);
      const items = [...checked.items];
      let { irreparable } = checked;
      if (checked.unknown.length > 0) {
        await this.#learnNodes(checked.unknown, states, clock.now(), onlineWindowMs, overlay);
        checked = checkSegments(checked.unknown, stateOf);
        items.push(...checked.items);
        irreparable += checked.irreparable;
      }
      if (items.length > 0) await inserts.add(() => queue.insert(items, clock.now()));
      totals.segments += window.scanned;
      totals.remote += window.remote;
      totals.queued += items.length;
      totals.irreparable += irreparable;
      if (following === undefined) return;
      window = await following;
    }
  }

  /**
   * One window of the range ending before first byte `to`: the segments that may need repair
   * (every remote one when the store cannot sift), and where the next window starts. A store
   * with `iterateSegmentsMatching` judges each row's raw piece list against the nodes known so
   * far and decodes only the rows that may need repair or name a node not seen yet.
   */
  async #read(cursor: SegmentCursor | undefined, to: number, states: NodeTable<PieceState>): Promise<{ candidates: SegmentRecord[]; scanned: number; remote: number; next: SegmentCursor | undefined }> {
    const { metabase, batchSize } = this.deps;
    let scanned = 0;
    let remote = 0;
    let crossed = false;
    if (metabase.iterateSegmentsMatching !== undefined) {
      const stateAt = (blob: Uint8Array, offset: number): PieceState | undefined => states.getAt(blob, offset);
      const window = await metabase.iterateSegmentsMatching((blob, redundancy, streamId) => {
        if (streamId[0]! >= to) {
          crossed = true; // the next range's
          return false;
        }
        scanned++;
        if (redundancy === undefined || blob.length === 0) return false;
        remote++;
        const health = blobHealth(blob, stateAt);
        return health === undefined || needsRepair(health.healthy, redundancy);
      }, { cursor, limit: batchSize });
      return { candidates: window.segments, scanned, remote, next: window.scanned === batchSize && !crossed ? window.last : undefined };
    }
    const batch = await metabase.iterateSegments({ cursor, limit: batchSize });
    const candidates: SegmentRecord[] = [];
    for (const segment of batch) {
      if (segment.streamId[0]! >= to) {
        crossed = true;
        break;
      }
      scanned++;
      if (segment.redundancy === undefined || segment.pieces.length === 0) continue;
      remote++;
      candidates.push(segment);
    }
    const last = batch.at(-1);
    return { candidates, scanned, remote, next: batch.length === batchSize && !crossed && last ? { streamId: last.streamId, position: last.position } : undefined };
  }

  /** Stops a running pass after its current batch. */
  close(): void {
    this.#closed = true;
  }

  /** Reads the nodes of `batch` not seen yet in this pass; unknown nodes are lost. */
  async #learnNodes(batch: readonly SegmentRecord[], states: NodeTable<PieceState>, now: number, onlineWindowMs: number, overlay: OverlayStore): Promise<void> {
    const unknown = new NodeTable<Uint8Array>();
    for (const segment of batch) for (const piece of segment.pieces) if (!states.has(piece.nodeId) && !unknown.has(piece.nodeId)) unknown.set(piece.nodeId, piece.nodeId);
    if (unknown.size === 0) return;
    const ids = [...unknown.values()];
    for (const node of await overlay.getMany(ids)) states.set(node.id, pieceState(node, now, onlineWindowMs));
    for (const id of ids) if (!states.has(id)) states.set(id, 'lost');
  }
}

/** The cursor just before every stream id starting with byte `first`: the last possible segment of byte `first - 1`. */
function rangeStart(first: number): SegmentCursor {
  const streamId = new Uint8Array(16).fill(0xff);
  streamId[0] = first - 1;
  return { streamId, position: { part: PART_LIMIT - 1, index: 2 ** 32 - 1 } };
}

/** At most `size` writes in flight; `add` waits for room. The first failure is kept and stops nothing in flight. */
class Window {
  readonly #running = new Set<Promise<void>>();
  #failure: { readonly error: unknown } | undefined;

  constructor(private readonly size: number) {}

  async add(write: () => Promise<void>): Promise<void> {
    this.throwIfFailed();
    while (this.#running.size >= this.size) await Promise.race(this.#running);
    const running: Promise<void> = write()
      .catch((error: unknown) => void (this.#failure ??= { error }))
      .finally(() => this.#running.delete(running));
    this.#running.add(running);
  }

  async settled(): Promise<void> {
    await Promise.all(this.#running);
  }

  throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }
}
