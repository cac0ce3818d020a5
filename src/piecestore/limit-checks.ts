/**
 * The checks every Piecestore call makes on an order limit and on the uplink's orders, each
 * failure a typed error. They only read; the caller burns the serial once they pass.
 */
import { equalBytes, toHex } from '../core/bytes.js';
import type { Clock } from '../core/clock.js';
import {
  AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, PermissionDeniedError, UnauthenticatedError,
} from '../core/errors.js';
import { verifyOrderLimitSignature, type OrderLimit, type PieceAction } from '../orders/order-limit.js';
import { verifyOrderSignature, type Order } from '../orders/order.js';

/** What a node needs to judge an order limit. */
export interface LimitJudge {
  /** This node's id (its public key). */
  readonly nodeId: Uint8Array;
  trusted(satelliteId: Uint8Array): boolean | Promise<boolean>;
  readonly clock: Clock;
}

/** Where a node records serials it accepted. */
export interface SerialLedger {
  /** True the first time a serial is used, false for a replay (atomically). */
  useSerial(satelliteId: Uint8Array, serialNumber: Uint8Array, expiresAt: number): boolean | Promise<boolean>;
}

/**
 * Throws unless `limit` comes from a trusted satellite (PermissionDenied), carries its valid
 * signature (Unauthenticated), names this node (PermissionDenied), allows one of `actions`
 * (InvalidArgument) and has not expired (FailedPrecondition).
 */
export async function checkOrderLimit(judge: LimitJudge, limit: OrderLimit, actions: readonly PieceAction[]): Promise<void> {
  if (!(await judge.trusted(limit.satelliteId))) {
    throw new PermissionDeniedError(`satellite ${toHex(limit.satelliteId).slice(0, 16)}… is not trusted by this node`);
  }
  if (!verifyOrderLimitSignature(limit)) throw new UnauthenticatedError('order limit is not signed by its satellite');
  if (!equalBytes(limit.storageNodeId, judge.nodeId)) throw new PermissionDeniedError('order limit is for another storage node');
  if (!actions.includes(limit.action)) {
    throw new InvalidArgumentError(`"limit.action" expected one of ${actions.join(', ')}, got ${limit.action}`);
  }
  const now = judge.clock.now();
  if (limit.orderExpiration <= now) throw new FailedPreconditionError('order limit has expired');
  if (limit.pieceExpiration !== undefined && limit.pieceExpiration <= now) {
    throw new FailedPreconditionError('order limit asks to store a piece whose expiration has passed');
  }
}

/** Records the limit's serial as used; `AlreadyExistsError` for a replay. */
export async function burnSerial(ledger: SerialLedger, limit: OrderLimit): Promise<void> {
  if (!(await ledger.useSerial(limit.satelliteId, limit.serialNumber, limit.orderExpiration))) {
    throw new AlreadyExistsError('order limit serial number was already used');
  }
}

/**
 * Checks an uplink's order against its limit (same serial, within `limitBytes`, signed by the
 * limit's piece key) and returns the larger of it and `best`. Orders are cumulative, so a
 * smaller one adds nothing.
 */
export function acceptOrder(limit: OrderLimit, order: Order, best: Order | undefined): Order {
  if (!equalBytes(order.serialNumber, limit.serialNumber)) throw new InvalidArgumentError('"order.serialNumber" does not match the order limit');
  if (order.amount > limit.limitBytes) {
    throw new InvalidArgumentError(`"order.amount" ${order.amount} exceeds the order limit of ${limit.limitBytes} bytes`);
  }
  if (!verifyOrderSignature(order, limit.piecePublicKey)) throw new InvalidArgumentError('order is not signed by the piece key of its limit');
  return best !== undefined && best.amount >= order.amount ? best : order;
}
