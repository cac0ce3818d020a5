/**
 * The repair queue: segments the checker found at or below their repair threshold, one row per
 * (streamId, position), least healthy first. The checker inserts (idempotently, refreshing the
 * health it saw); each repairer claims one item at a time with a lease, so two repairers never
 * take the same segment; a finished repair deletes its item; an item whose lease runs out (a
 * repairer that crashed or gave up) can be claimed again.
 *
 * Implementations: memory, SQLite and PostgreSQL (the SQL also runs on CockroachDB);
 * `openSatelliteStore` opens the one beside the other satellite stores. All pass
 * `repairQueueStoreSuite` from `handoff/testing`.
 */
import type { SegmentPosition, StreamId } from '../../metainfo/metabase/types.js';

/** One segment waiting for repair. Times are milliseconds since the epoch. */
export interface RepairQueueItem {
  readonly streamId: StreamId;
  readonly position: SegmentPosition;
  /** Healthy pieces when the checker last saw the segment. */
  readonly healthy: number;
  /** When the segment was first queued (kept by later inserts). */
  readonly insertedAt: number;
  /** When the checker last queued it. */
  readonly updatedAt: number;
  /** A repairer holds it until then; `null` when nobody ever claimed it. */
  readonly leasedUntil: number | null;
  /** How many times it was claimed. */
  readonly attempts: number;
}

/** What the checker queues for one segment. */
export interface NewRepairItem {
  readonly streamId: StreamId;
  readonly position: SegmentPosition;
  readonly healthy: number;
}

/** The satellite's storage port for segments waiting for repair. */
export interface RepairQueueStore {
  /**
   * Queues `items` at `at`: a segment not queued yet gets a row (`insertedAt` = `updatedAt` =
   * `at`); one already queued keeps its row, its `insertedAt` and its lease, and takes the new
   * `healthy` and `updatedAt` = `at`. A batch naming a segment twice keeps the lower health.
   */
  insert(items: readonly NewRepairItem[], at: number): Promise<void>;

  /**
   * Claims the least healthy item that is free at `now` (never leased, or its lease ended at or
   * before `now`) — ties by `insertedAt`, then (streamId, position) — leasing it until
   * `now + leaseMs` and counting the attempt, in one atomic step: of racing claims, each gets a
   * different item. `undefined` when no item is free.
   */
  next(now: number, leaseMs: number): Promise<RepairQueueItem | undefined>;

  /** The item, if queued. */
  get(streamId: StreamId, position: SegmentPosition): Promise<RepairQueueItem | undefined>;

  /** Removes the item (its repair is done, or it needs none); true when it was there. */
  delete(streamId: StreamId, position: SegmentPosition): Promise<boolean>;

  /**
   * Removes every item the checker has not queued since `before` — a checker pass that started
   * at `before` and ran to the end no longer found those segments unhealthy (or at all). Returns
   * how many went.
   */
  clean(before: number): Promise<number>;

  /** Items queued. */
  count(): Promise<number>;

  close(): Promise<void>;
}
