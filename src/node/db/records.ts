/**
 * What the node database holds and hands out, as records: a trusted satellite, an order to
 * settle, a piece's expiration, a month's bandwidth per satellite and action, what a cleanup removed.
 */
import type { OrderLimit } from '../../orders/order-limit.js';
import type { Order } from '../../orders/order.js';
import type { NodeDatabase } from './database.js';

/** A satellite this node serves. */
export interface TrustedSatellite {
  readonly id: Uint8Array;
  readonly address: string;
  /** When it was first trusted (ms since the epoch). */
  readonly addedAt: number;
}

/** An order to settle: the uplink's best signed order and the satellite's original limit. */
export interface UnsettledOrder {
  readonly limit: OrderLimit;
  readonly order: Order;
}

/** A piece uploaded with an expiration: it may be deleted once `expiresAt` (ms since the epoch) has come. */
export interface PieceExpiration {
  readonly satelliteId: Uint8Array;
  readonly pieceId: Uint8Array;
  readonly expiresAt: number;
}

/** What {@link NodeDatabase.cleanup} removed. */
export interface CleanupResult {
  readonly serials: number;
  readonly orders: number;
}

/** Bandwidth one satellite's traffic of one kind used in a period. */
export interface BandwidthUsage {
  readonly satelliteId: Uint8Array;
  /** The order limit's action (`GET`, `PUT`, `PUT_GRACEFUL_EXIT`, …), or `GRACEFUL_EXIT_SENT` for what an exit sent. */
  readonly action: string;
  readonly bytes: number;
}
