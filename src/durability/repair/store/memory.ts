/**
 * The in-memory repair queue: tests and embedding. Same contract as the SQL stores (all pass
 * `repairQueueStoreSuite`); every method changes its state synchronously, so each is atomic.
 * `next` scans every item: fine for the thousands a test or a small satellite queues.
 */
import type { SegmentPosition, StreamId } from '../../../metainfo/metabase/types.js';
import type { NewRepairItem, RepairQueueItem, RepairQueueStore } from '../queue-store.js';
import { distinctItems, requireCount, requireItems, requireLease, requireSegment, segmentKey } from './validate.js';

const keyOf = (item: NewRepairItem): string => segmentKey(item.streamId, item.position);

/**
 * @example
 * ```ts
 * const queue = new MemoryRepairQueueStore();
 * await queue.insert([{ streamId, position, healthy: 5 }], Date.now());
 * const item = await queue.next(Date.now(), 30 * 60_000);
 * ```
 */
export class MemoryRepairQueueStore implements RepairQueueStore {
  /** Keyed by {@link segmentKey}, which also orders ties. */
  readonly #items = new Map<string, RepairQueueItem>();

  async insert(items: readonly NewRepairItem[], at: number): Promise<void> {
    requireItems(items);
    requireCount(at, 'at');
    for (const item of distinctItems(items, keyOf)) {
      const key = keyOf(item);
      const known = this.#items.get(key);
      this.#items.set(
        key,
        known
          ? { ...known, healthy: item.healthy, updatedAt: at }
          : { streamId: item.streamId.slice(), position: { ...item.position }, healthy: item.healthy, insertedAt: at, updatedAt: at, leasedUntil: null, attempts: 0 },
      );
    }
  }

  async next(now: number, leaseMs: number): Promise<RepairQueueItem | undefined> {
    requireCount(now, 'now');
    requireLease(leaseMs);
    let best: [string, RepairQueueItem] | undefined;
    for (const entry of this.#items) {
      const item = entry[1];
      if (item.leasedUntil !== null && item.leasedUntil > now) continue;
      if (best === undefined || before(entry, best)) best = entry;
    }
    if (best === undefined) return undefined;
    const claimed = { ...best[1], leasedUntil: now + leaseMs, attempts: best[1].attempts + 1 };
    this.#items.set(best[0], claimed);
    return copy(claimed);
  }

  async get(streamId: StreamId, position: SegmentPosition): Promise<RepairQueueItem | undefined> {
    requireSegment(streamId, position);
    const item = this.#items.get(segmentKey(streamId, position));
    return item && copy(item);
  }

  async delete(streamId: StreamId, position: SegmentPosition): Promise<boolean> {
    requireSegment(streamId, position);
    return this.#items.delete(segmentKey(streamId, position));
  }

  async clean(before: number): Promise<number> {
    requireCount(before, 'before');
    let removed = 0;
    for (const [key, item] of this.#items) {
      if (item.updatedAt >= before) continue;
      this.#items.delete(key);
      removed++;
    }
    return removed;
  }

  async count(): Promise<number> {
    return this.#items.size;
  }

  async close(): Promise<void> {}
}

/** Least healthy first, then oldest, then by segment key. */
function before([aKey, a]: [string, RepairQueueItem], [bKey, b]: [string, RepairQueueItem]): boolean {
  if (a.healthy !== b.healthy) return a.healthy < b.healthy;
  if (a.insertedAt !== b.insertedAt) return a.insertedAt < b.insertedAt;
  return aKey < bKey;
}

function copy(item: RepairQueueItem): RepairQueueItem {
  return { ...item, streamId: item.streamId.slice(), position: { ...item.position } };
}
