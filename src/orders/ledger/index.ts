/**
 * The bandwidth ledger: settled serials and bytes per node, action and hour, and the
 * `Orders.Settle` service that fills it. Storage adapters are in `./store/index.js`.
 */
export * from './types.js';
export type { LedgerStore } from './port.js';
export { judgeSettleItem, type ItemVerdict, type SettlementContext } from './verify.js';
export { registerSettlement, type SettlementOptions } from './service.js';
