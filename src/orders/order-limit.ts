/**
 * Order limits: a satellite's signed permission for one node to accept one action on one piece,
 * up to `limitBytes`, before `orderExpiration`, for the holder of the segment's piece key.
 */
import { s, type Infer } from '../codec/index.js';
import type { CanonicalValue } from '../codec/canonical.js';
import { equalBytes } from '../core/bytes.js';
import type { Signer } from '../crypto/signing.js';
import { signStructure, verifyStructure } from '../crypto/signing.js';

export const PIECE_ACTIONS = ['PUT', 'GET', 'GET_AUDIT', 'PUT_REPAIR', 'PUT_GRACEFUL_EXIT', 'DELETE', 'GET_REPAIR'] as const;
export type PieceAction = (typeof PIECE_ACTIONS)[number];

/** Actions that write a piece. */
export const PUT_ACTIONS: readonly PieceAction[] = ['PUT', 'PUT_REPAIR', 'PUT_GRACEFUL_EXIT'];
/** Actions that read a piece. */
export const GET_ACTIONS: readonly PieceAction[] = ['GET', 'GET_AUDIT', 'GET_REPAIR'];

const ORDER_LIMIT_TAG = 'handoff/order-limit/v1';

/** The schema of a signed order limit, as it travels. */
export const OrderLimitSchema = s.object({
  serialNumber: s.bytes({ length: 16 }),
  satelliteId: s.bytes({ length: 32 }),
  storageNodeId: s.bytes({ length: 32 }),
  pieceId: s.bytes({ length: 32 }),
  action: s.enum(PIECE_ACTIONS),
  limitBytes: s.int({ min: 0 }),
  /** When the stored piece may be deleted (ms since epoch); absent = never. */
  pieceExpiration: s.optional(s.int({ min: 0 })),
  /** After this the limit can be neither used nor settled. */
  orderExpiration: s.int({ min: 0 }),
  /** The segment's piece public key: only its holder can use the limit. */
  piecePublicKey: s.bytes({ length: 32 }),
  createdAt: s.int({ min: 0 }),
  satelliteSignature: s.bytes({ length: 64 }),
});
export type OrderLimit = Infer<typeof OrderLimitSchema>;
export type UnsignedOrderLimit = Omit<OrderLimit, 'satelliteSignature'>;

function orderLimitFields(limit: UnsignedOrderLimit): CanonicalValue[] {
  return [
    limit.serialNumber,
    limit.satelliteId,
    limit.storageNodeId,
    limit.pieceId,
    limit.action,
    limit.limitBytes,
    limit.pieceExpiration ?? null,
    limit.orderExpiration,
    limit.piecePublicKey,
    limit.createdAt,
  ];
}

/** Signs an order limit as the satellite. */
export function signOrderLimit(satellite: Signer, limit: UnsignedOrderLimit): OrderLimit {
  const unsigned: UnsignedOrderLimit = { ...limit };
  return { ...unsigned, satelliteSignature: signStructure(satellite, ORDER_LIMIT_TAG, orderLimitFields(unsigned)) };
}

/**
 * {@link verifyOrderLimitSignature} for the satellite that signed the limit, at about a third of
 * the cost: Ed25519 signatures are deterministic, so signing the limit again and finding the same
 * bytes proves the signature valid (one signing against one verification). Any other signature —
 * another key's, a forgery, or one from a signer with random nonces — gets the full verification,
 * so this accepts exactly what {@link verifyOrderLimitSignature} accepts.
 *
 * @example
 * ```ts
 * if (!verifyOwnOrderLimitSignature(limit, satelliteIdentity)) throw new UnauthenticatedError('not our limit');
 * ```
 */
export function verifyOwnOrderLimitSignature(limit: OrderLimit, satellite: Signer & { readonly publicKey: Uint8Array }): boolean {
  if (!(limit.satelliteSignature instanceof Uint8Array) || limit.satelliteSignature.length !== 64) return false;
  if (equalBytes(limit.satelliteId, satellite.publicKey)) {
    let again: Uint8Array | undefined;
    try {
      again = signStructure(satellite, ORDER_LIMIT_TAG, orderLimitFields(limit));
    } catch {
      again = undefined; // a signer that cannot sign now: the verification decides
    }
    if (again !== undefined && equalBytes(again, limit.satelliteSignature)) return true;
  }
  return verifyOrderLimitSignature(limit);
}

/** True when `limit` carries a valid signature of the satellite whose public key (= id) is its `satelliteId`. */
export function verifyOrderLimitSignature(limit: OrderLimit): boolean {
  return verifyStructure(limit.satelliteId, ORDER_LIMIT_TAG, orderLimitFields(limit), limit.satelliteSignature);
}
