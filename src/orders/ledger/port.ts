/**
 * Where the satellite keeps its bandwidth ledger. Memory, SQLite and PostgreSQL implement it and
 * pass `ledgerStoreSuite`.
 */
import type { BandwidthQuery, BandwidthTotal, SettledOrder } from './types.js';

export interface LedgerStore {
  /**
   * Records orders, one answer per order: `true` when it counted, `false` when its serial was
   * settled before (or earlier in the same batch). Atomic per serial: of two concurrent settles
   * of one serial exactly one counts, and an order's bytes are added if and only if its serial
   * was recorded. Invalid input is an `InvalidArgumentError` and records nothing.
   */
  settle(orders: readonly SettledOrder[]): Promise<boolean[]>;

  /** Bytes per (node, action) summed over the hours in the range. */
  bandwidth(query: BandwidthQuery): Promise<BandwidthTotal[]>;

  /**
   * Forgets up to `limit` serials whose order expired before `now` (default 1000); returns how
   * many. Safe because settling an expired order is refused before its serial is looked up.
   */
  deleteExpiredSerials(now: number, limit?: number): Promise<number>;

  close(): Promise<void>;
}
