/**
 * The bandwidth ledger: what storage nodes have settled with the satellite. Each settled serial
 * is remembered until its order expires (so it can never count twice); bytes are summed per
 * (node, action, hour). Reports keep graceful-exit, repair and audit traffic apart from the
 * paid traffic (uploads and downloads by users).
 */
import { toHex } from '../../core/bytes.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { PIECE_ACTIONS, type PieceAction } from '../order-limit.js';

/** One order that passed every check, as the ledger records it. */
export interface SettledOrder {
  /** The order limit's serial number (16 bytes): settled at most once. */
  readonly serialNumber: Uint8Array;
  /** The limit's `orderExpiration`: after it the serial may be forgotten (settling is refused by then). */
  readonly expiresAt: number;
  /** The storage node that served the order (32 bytes). */
  readonly nodeId: Uint8Array;
  readonly action: PieceAction;
  /** Bytes, already capped at the limit's `limitBytes`. */
  readonly amount: number;
  /** When the traffic was authorized (the limit's `createdAt`): picks the hour it is counted in. */
  readonly at: number;
}

/** Bytes of one node for one action over a range. */
export interface BandwidthTotal {
  readonly nodeId: Uint8Array;
  readonly action: PieceAction;
  readonly bytes: number;
}

/** Which hours to sum: buckets whose start is in `[from, to)`; one node, or all. */
export interface BandwidthQuery {
  readonly from: number;
  readonly to: number;
  readonly nodeId?: Uint8Array;
}

/** Bytes are summed per hour. */
export const BANDWIDTH_BUCKET_MS = 3_600_000;

/** The start of the hour `at` falls in. */
export function bandwidthBucket(at: number): number {
  return Math.floor(at / BANDWIDTH_BUCKET_MS) * BANDWIDTH_BUCKET_MS;
}

/**
 * How traffic is reported: `paid` is users' uploads and downloads (PUT, GET); repair
 * (PUT_REPAIR, GET_REPAIR), audit (GET_AUDIT) and graceful exit (PUT_GRACEFUL_EXIT) are the satellite's own
 * traffic and reported apart; DELETE carries no data.
 */
export type BandwidthCategory = 'paid' | 'repair' | 'audit' | 'gracefulExit' | 'delete';

const CATEGORY: Readonly<Record<PieceAction, BandwidthCategory>> = {
  PUT: 'paid',
  GET: 'paid',
  PUT_REPAIR: 'repair',
  GET_REPAIR: 'repair',
  GET_AUDIT: 'audit',
  PUT_GRACEFUL_EXIT: 'gracefulExit',
  DELETE: 'delete',
};

export function bandwidthCategory(action: PieceAction): BandwidthCategory {
  return CATEGORY[action];
}

/** One node's traffic over a range: per action, and per reporting category. */
export interface NodeBandwidthReport {
  readonly nodeId: Uint8Array;
  readonly byAction: Readonly<Record<PieceAction, number>>;
  readonly byCategory: Readonly<Record<BandwidthCategory, number>>;
}

/**
 * Folds store totals into one report per node (ordered as the totals first name each node).
 *
 * @example
 * ```ts
 * const [report] = summarizeBandwidth(await ledger.bandwidth({ nodeId, from, to }));
 * report.byCategory.paid;         // PUT + GET bytes
 * report.byCategory.gracefulExit; // PUT_GRACEFUL_EXIT bytes, not paid as user traffic
 * ```
 */
export function summarizeBandwidth(totals: readonly BandwidthTotal[]): NodeBandwidthReport[] {
  const reports = new Map<string, { nodeId: Uint8Array; byAction: Record<PieceAction, number>; byCategory: Record<BandwidthCategory, number> }>();
  for (const total of totals) {
    const key = toHex(total.nodeId);
    let report = reports.get(key);
    if (!report) {
      report = {
        nodeId: total.nodeId,
        byAction: Object.fromEntries(PIECE_ACTIONS.map((a) => [a, 0])) as Record<PieceAction, number>,
        byCategory: { paid: 0, repair: 0, audit: 0, gracefulExit: 0, delete: 0 },
      };
      reports.set(key, report);
    }
    report.byAction[total.action] += total.bytes;
    report.byCategory[bandwidthCategory(total.action)] += total.bytes;
  }
  return [...reports.values()];
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new InvalidArgumentError(message);
}

function isTime(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** Throws `InvalidArgumentError` naming the first bad field of any order (stores check before writing anything). */
export function assertSettledOrders(orders: readonly SettledOrder[]): void {
  for (const o of orders) {
    check(o.serialNumber instanceof Uint8Array && o.serialNumber.length === 16, '"serialNumber" expected 16 bytes');
    check(o.nodeId instanceof Uint8Array && o.nodeId.length === 32, '"nodeId" expected 32 bytes');
    check(PIECE_ACTIONS.includes(o.action), `"action" expected one of ${PIECE_ACTIONS.join(', ')}`);
    check(isTime(o.amount), `"amount" expected a non-negative integer, got ${o.amount}`);
    check(isTime(o.expiresAt), '"expiresAt" expected a time in milliseconds');
    check(isTime(o.at), '"at" expected a time in milliseconds');
  }
}

/** Throws `InvalidArgumentError` for a range or node id a store cannot query. */
export function assertBandwidthQuery(query: BandwidthQuery): void {
  check(Number.isSafeInteger(query.from) && Number.isSafeInteger(query.to), '"from" and "to" expected times in milliseconds');
  check(query.nodeId === undefined || (query.nodeId instanceof Uint8Array && query.nodeId.length === 32), '"nodeId" expected 32 bytes');
}

/**
 * Marks which orders are the first with their serial in the batch; a later repeat is a
 * duplicate before the store is even asked.
 */
export function firstOfEachSerial(orders: readonly SettledOrder[]): boolean[] {
  const seen = new Set<string>();
  return orders.map((o) => {
    const key = toHex(o.serialNumber);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
