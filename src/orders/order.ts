/**
 * Orders: the uplink's signed statement of how many bytes it has used under an order limit,
 * signed with the segment's piece private key. A node settles its largest order per serial
 * with the satellite.
 */
import { s, type Infer } from '../codec/index.js';
import type { Signer } from '../crypto/signing.js';
import { signStructure, verifyStructure } from '../crypto/signing.js';

const ORDER_TAG = 'handoff/order/v1';

export const OrderSchema = s.object({
  serialNumber: s.bytes({ length: 16 }),
  amount: s.int({ min: 0 }),
  uplinkSignature: s.bytes({ length: 64 }),
});
export type Order = Infer<typeof OrderSchema>;

export function signOrder(pieceKey: Signer, serialNumber: Uint8Array, amount: number): Order {
  return { serialNumber, amount, uplinkSignature: signStructure(pieceKey, ORDER_TAG, [serialNumber, amount]) };
}

/** True when `order` is signed by the holder of `piecePublicKey`. */
export function verifyOrderSignature(order: Order, piecePublicKey: Uint8Array): boolean {
  return verifyStructure(piecePublicKey, ORDER_TAG, [order.serialNumber, order.amount], order.uplinkSignature);
}
