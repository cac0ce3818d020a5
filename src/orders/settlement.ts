/**
 * `Orders.Settle`: a storage node hands the satellite the orders it served, each with its
 * original order limit; the satellite checks both signatures, refuses serials already settled,
 * and records bytes per node per action (graceful-exit and repair traffic apart from paid).
 */
import { s, type Infer } from '../codec/index.js';
import { unaryMethod } from '../rpc/method.js';
import { OrderLimitSchema } from './order-limit.js';
import { OrderSchema } from './order.js';

/** Orders per settlement call. */
export const MAX_SETTLE_BATCH = 1000;

export const SettleRequest = s.object({
  items: s.array(s.object({ limit: OrderLimitSchema, order: OrderSchema }), { max: MAX_SETTLE_BATCH }),
});

export const SETTLE_OUTCOMES = ['accepted', 'duplicate', 'expired', 'invalid', 'not-yours'] as const;
export type SettleOutcome = (typeof SETTLE_OUTCOMES)[number];

export const SettleResponse = s.object({
  /** One outcome per item, in order. A node drops every item whose outcome is not retryable. */
  outcomes: s.array(s.enum(SETTLE_OUTCOMES), { max: MAX_SETTLE_BATCH }),
});

export type SettleItem = Infer<typeof SettleRequest>['items'][number];

export const SettleOrders = unaryMethod('Orders.Settle', SettleRequest, SettleResponse);
