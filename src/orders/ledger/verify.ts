/**
 * The checks an order must pass before the ledger counts it, as one pure function: the storage
 * node cannot make the satellite count traffic it did not serve, for a limit the satellite did
 * not sign, paid by a piece key that did not sign it.
 */
import { equalBytes } from '../../core/bytes.js';
import { verifyOrderLimitSignature } from '../order-limit.js';
import { verifyOrderSignature } from '../order.js';
import type { SettleItem, SettleOutcome } from '../settlement.js';
import type { SettledOrder } from './types.js';

/** Who is settling, with whom, and when. */
export interface SettlementContext {
  /** This satellite's id: only limits it signed count. */
  readonly satelliteId: Uint8Array;
  /** The settling node, from the connection's handshake. */
  readonly nodeId: Uint8Array;
  readonly now: number;
}

/** An item's verdict before the duplicate check: refused with an outcome, or an order to record. */
export type ItemVerdict = { readonly outcome: Exclude<SettleOutcome, 'accepted' | 'duplicate'> } | { readonly order: SettledOrder };

/**
 * Checks one item, in order: the limit names the settling node (`not-yours`); the limit is this
 * satellite's and its signature is valid (`invalid`); the order has the limit's serial and is
 * signed by the limit's piece key (`invalid`); the limit has not expired (`expired`). An
 * accepted amount is capped at `limitBytes`.
 */
export function judgeSettleItem(item: SettleItem, context: SettlementContext): ItemVerdict {
  const { limit, order } = item;
  if (!equalBytes(limit.storageNodeId, context.nodeId)) return { outcome: 'not-yours' };
  if (!equalBytes(limit.satelliteId, context.satelliteId) || !verifyOrderLimitSignature(limit)) return { outcome: 'invalid' };
  if (!equalBytes(order.serialNumber, limit.serialNumber) || !verifyOrderSignature(order, limit.piecePublicKey)) return { outcome: 'invalid' };
  if (context.now > limit.orderExpiration) return { outcome: 'expired' };
  return {
    order: {
      serialNumber: limit.serialNumber,
      expiresAt: limit.orderExpiration,
      nodeId: limit.storageNodeId,
      action: limit.action,
      amount: Math.min(order.amount, limit.limitBytes),
      at: limit.createdAt,
    },
  };
}
