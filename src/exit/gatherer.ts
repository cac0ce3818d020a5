/**
 * Gathering, the runner: for each exit not yet gathered, one pass over every segment from the
 * exit's saved cursor, queueing the exiting node's pieces. Queued items and the cursor are written
 * together (every few batches, and when a pass stops or ends), so a satellite restart resumes
 * where it last saved and never queues a piece twice. The next batch is read while the current
 * one is worked on, and a store that can sift its raw rows for the node's id (the SQL stores,
 * `iterateSegmentsHolding`) decodes only the segments that may hold its piece.
 */
import { equalBytes } from '../core/bytes.js';
import type { Clock } from '../core/clock.js';
import type { MetabaseStore, SegmentWindow } from '../metainfo/metabase/port.js';
import type { SegmentCursor } from '../metainfo/metabase/types.js';
import type { OverlayStore } from '../overlay/port.js';
import type { NodeStatus } from '../overlay/types.js';
import { gatherItems, pieceOf } from './gather.js';
import type { ExitQueueStore, NewExitQueueItem } from './queue-store.js';

/** Batches read between two saves of the queue and the cursor (fewer when items pile up faster). */
const SAVE_EVERY_BATCHES = 16;

export interface GathererDeps {
  readonly store: ExitQueueStore;
  readonly metabase: MetabaseStore;
  readonly overlay: OverlayStore;
  readonly clock: Clock;
  readonly batchSize: number;
  readonly onError?: ((error: unknown, where: string) => void) | undefined;
}

export class ExitGatherer {
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;

  constructor(private readonly deps: GathererDeps) {}

  /** Starts a pass over every exit waiting to be gathered (or runs another once the current one ends). */
  kick(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          await this.#pass();
        } while (this.#again && !this.#closed);
      } catch (err) {
        this.deps.onError?.(err, 'graceful exit gathering');
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  /** Stops after the current batch; resolves when the pass has stopped. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#running;
  }

  async #pass(): Promise<void> {
    const { store, metabase, overlay, clock, batchSize } = this.deps;
    const waiting = (await store.listExits({ unfinished: true })).filter((e) => e.gatheredAt === null);
    for (const exit of waiting) {
      const statuses = new NodeIdMap<NodeStatus>();
      const read = (cursor: SegmentCursor | undefined): Promise<SegmentWindow> => {
        const reading = window(metabase, exit.nodeId, cursor, batchSize);
        reading.catch(() => undefined); // awaited below; this only keeps a failure during the enqueue from going unhandled
        return reading;
      };
      if (this.#closed) return;
      let next: Promise<SegmentWindow> | undefined = read(exit.gatherCursor);
      let pending: NewExitQueueItem[] = [];
      let unsaved = 0;
      let cursor: SegmentCursor | undefined;
      const save = async (): Promise<void> => {
        if (cursor !== undefined && unsaved > 0) await store.enqueue(exit.nodeId, pending, cursor);
        pending = [];
        unsaved = 0;
      };
      while (next !== undefined) {
        const batch: SegmentWindow = await next;
        const { segments, scanned, last } = batch;
        if (last !== undefined) cursor = last;
        // The next batch is read while this one is worked on and saved: the scan never waits for a write.
        next = last !== undefined && scanned >= batchSize ? read(last) : undefined;
        // Statuses matter only for segments holding a piece of the exiting node (1 in 20 or so):
        // only their nodes are looked up.
        const holding = segments.filter((segment) => pieceOf(segment, exit.nodeId) !== undefined);
        const unknown = new NodeIdMap<true>();
        for (const segment of holding) for (const piece of segment.pieces) if (statuses.get(piece.nodeId) === undefined) unknown.set(piece.nodeId, true);
        if (unknown.size > 0) {
          const ids = unknown.keys();
          for (const node of await overlay.getMany(ids)) statuses.set(node.id, node.status);
          for (const id of ids) if (statuses.get(id) === undefined) statuses.set(id, 'disqualified'); // unknown node: not healthy
        }
        for (const item of gatherItems(holding, exit.nodeId, (id) => statuses.get(id) === 'active', clock.now())) pending.push(item);
        if (last !== undefined) unsaved++;
        // Items and cursor are saved together, once a batch's worth of items or SAVE_EVERY_BATCHES
        // batches have piled up: a write per batch would cost a transaction per 1,000 segments.
        if (pending.length >= batchSize || unsaved >= SAVE_EVERY_BATCHES || next === undefined || this.#closed) await save();
        // Closing stops after the current batch (a batch already read ahead is dropped).
        if (next !== undefined && this.#closed) return;
      }
      await store.finishGathering(exit.nodeId, clock.now());
    }
  }
}

/** One batch of the pass: sifted by the store when it can, else every segment of the batch (the caller sifts). */
async function window(metabase: MetabaseStore, nodeId: Uint8Array, cursor: SegmentCursor | undefined, limit: number): Promise<SegmentWindow> {
  if (metabase.iterateSegmentsHolding !== undefined) return metabase.iterateSegmentsHolding(nodeId, { cursor, limit });
  const segments = await metabase.iterateSegments({ cursor, limit });
  const last = segments.at(-1);
  return { segments, scanned: segments.length, last: last && { streamId: last.streamId, position: last.position } };
}

/**
 * Values by node id without turning ids into strings (a hex key per piece looked up was most of
 * a pass's own work): keyed by an id's first four bytes, which are random, then compared whole.
 * Ids are copied in, so a key never pins the row buffer it was read from.
 */
class NodeIdMap<V> {
  readonly #buckets = new Map<number, Array<{ readonly id: Uint8Array; value: V }>>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(id: Uint8Array): V | undefined {
    const bucket = this.#buckets.get(prefix(id));
    if (bucket !== undefined) for (const entry of bucket) if (equalBytes(entry.id, id)) return entry.value;
    return undefined;
  }

  set(id: Uint8Array, value: V): void {
    const key = prefix(id);
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) this.#buckets.set(key, (bucket = []));
    const entry = bucket.find((e) => equalBytes(e.id, id));
    if (entry !== undefined) entry.value = value;
    else {
      bucket.push({ id: id.slice(), value });
      this.#size++;
    }
  }

  /** The ids, as copies owned by this map. */
  keys(): Uint8Array[] {
    return [...this.#buckets.values()].flatMap((bucket) => bucket.map((entry) => entry.id));
  }
}

function prefix(id: Uint8Array): number {
  return ((id[0]! << 24) | (id[1]! << 16) | (id[2]! << 8) | id[3]!) >>> 0;
}
