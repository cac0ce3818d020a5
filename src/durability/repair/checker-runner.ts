/**
 * The repair checker, the runner: one pass over every segment of the metabase — never object
 * keys, so a concurrent move cannot hide a segment (invariant 4) — counting each segment's
 * healthy pieces and queueing those that need repair; after a complete pass, queue items the
 * pass no longer found unhealthy are removed. The next batch is read while the current one is
 * judged and queued, and node records are read once per pass per node.
 */
import type { Clock } from '../../core/clock.js';
import type { MetabaseStore } from '../../metainfo/metabase/port.js';
import type { SegmentCursor, SegmentRecord } from '../../metainfo/metabase/types.js';
import type { OverlayStore } from '../../overlay/port.js';
import { checkSegments } from './checker.js';
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
    const { metabase, overlay, queue, clock, onlineWindowMs, batchSize } = this.deps;
    const startedAt = clock.now();
    const states = new NodeTable<PieceState>();
    const stateOf = (nodeId: Uint8Array): PieceState => states.get(nodeId) ?? 'lost';
    let segments = 0;
    let remote = 0;
    let queued = 0;
    let irreparable = 0;
    let batch = await metabase.iterateSegments({ limit: batchSize });
    for (;;) {
      if (this.#closed) return { segments, remote, queued, irreparable, cleaned: 0 };
      const last = batch.at(-1);
      const more = batch.length === batchSize && last !== undefined;
      const cursor: SegmentCursor | undefined = last && { streamId: last.streamId, position: last.position };
      // Read ahead: the database works on the next batch while this one is judged.
      const following = more ? metabase.iterateSegments({ cursor, limit: batchSize }) : undefined;
      following?.catch(() => undefined);
      await this.#learnNodes(batch, states, clock.now(), onlineWindowMs, overlay);
      const checked = checkSegments(batch, stateOf);
      if (checked.items.length > 0) await queue.insert(checked.items, clock.now());
      segments += batch.length;
      remote += checked.remote;
      queued += checked.items.length;
      irreparable += checked.irreparable;
      if (following === undefined) break;
      batch = await following;
    }
    const cleaned = await queue.clean(startedAt);
    return { segments, remote, queued, irreparable, cleaned };
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
