/** The in-memory ledger: tests and embedding. Same contract as the SQL stores. */
import { fromHex, toHex } from '../../../core/bytes.js';
import type { PieceAction } from '../../order-limit.js';
import type { LedgerStore } from '../port.js';
import {
  assertBandwidthQuery,
  assertSettledOrders,
  bandwidthBucket,
  firstOfEachSerial,
  type BandwidthQuery,
  type BandwidthTotal,
  type SettledOrder,
} from '../types.js';

/**
 * @example
 * ```ts
 * const ledger = new MemoryLedgerStore();
 * registerSettlement(server, { ledger });
 * ```
 */
export class MemoryLedgerStore implements LedgerStore {
  /** serial (hex) → expiresAt */
  readonly #serials = new Map<string, number>();
  /** `${node hex}/${action}/${bucket}` → bytes */
  readonly #bandwidth = new Map<string, number>();

  async settle(orders: readonly SettledOrder[]): Promise<boolean[]> {
    assertSettledOrders(orders);
    const first = firstOfEachSerial(orders);
    return orders.map((order, i) => {
      const serial = toHex(order.serialNumber);
      if (!first[i] || this.#serials.has(serial)) return false;
      this.#serials.set(serial, order.expiresAt);
      const key = `${toHex(order.nodeId)}/${order.action}/${bandwidthBucket(order.at)}`;
      this.#bandwidth.set(key, (this.#bandwidth.get(key) ?? 0) + order.amount);
      return true;
    });
  }

  async bandwidth(query: BandwidthQuery): Promise<BandwidthTotal[]> {
    assertBandwidthQuery(query);
    const node = query.nodeId && toHex(query.nodeId);
    const totals = new Map<string, number>();
    for (const [key, bytes] of this.#bandwidth) {
      const [nodeHex, action, bucket] = key.split('/') as [string, PieceAction, string];
      const start = Number(bucket);
      if (start < query.from || start >= query.to || (node !== undefined && nodeHex !== node)) continue;
      const total = `${nodeHex}/${action}`;
      totals.set(total, (totals.get(total) ?? 0) + bytes);
    }
    return [...totals]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, bytes]) => {
        const [nodeHex, action] = key.split('/') as [string, PieceAction];
        return { nodeId: fromHex(nodeHex), action, bytes };
      });
  }

  async deleteExpiredSerials(now: number, limit = 1000): Promise<number> {
    let deleted = 0;
    for (const [serial, expiresAt] of this.#serials) {
      if (deleted >= limit) break;
      if (expiresAt < now) {
        this.#serials.delete(serial);
        deleted++;
      }
    }
    return deleted;
  }

  async close(): Promise<void> {}
}
