/**
 * `Node.CheckIn`: a storage node tells a satellite where to reach it and what it can hold. The
 * node's id comes from the connection's handshake, never from the request.
 */
import { s, type Infer } from '../codec/index.js';
import { unaryMethod } from '../rpc/method.js';

export const CheckInRequest = s.object({
  /** Where the satellite and uplinks dial this node, on the satellite's transport. */
  address: s.string({ min: 1, max: 256 }),
  /** Payout address; opaque to handoff. */
  wallet: s.string({ max: 128 }),
  freeBytes: s.int({ min: 0 }),
  version: s.string({ max: 64 }),
});
export type CheckInRequest = Infer<typeof CheckInRequest>;

export const CheckInResponse = s.object({
  /** What the satellite believes of the node after this check-in. */
  status: s.enum(['active', 'exiting', 'exited', 'disqualified'] as const),
  /** Check in again within this many milliseconds to stay selectable. */
  checkInIntervalMs: s.int({ min: 0 }),
});
export type CheckInResponse = Infer<typeof CheckInResponse>;

export const CheckIn = unaryMethod('Node.CheckIn', CheckInRequest, CheckInResponse);
