/**
 * The bandwidth ledger: settled serials and bytes per node, action and hour, and the
 * `Orders.Settle` service that fills it. Storage adapters are in `./store/index.js`.
 */
export {
  bandwidthBucket, bandwidthCategory, summarizeBandwidth, assertSettledOrders, assertBandwidthQuery,
  firstOfEachSerial, type SettledOrder, type BandwidthTotal, type BandwidthQuery, BANDWIDTH_BUCKET_MS,
  type BandwidthCategory, type NodeBandwidthReport
} from './types.js';
export type { LedgerStore } from './port.js';
export { judgeSettleItem, type ItemVerdict, type SettlementContext } from './verify.js';
export { registerSettlement, type SettlementOptions } from './service.js';
