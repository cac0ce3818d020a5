/**
 * The satellite's `Orders.Settle` endpoint: storage nodes hand in the orders they served; each
 * is checked (`judgeSettleItem`) and the good ones recorded in one ledger call, so a batch
 * costs one transaction however large it is.
 */
import { systemClock, type Clock } from '../../core/clock.js';
import type { CallContext } from '../../rpc/context.js';
import type { RpcServer } from '../../rpc/server.js';
import { SettleOrders, type SettleOutcome, type SettleItem } from '../settlement.js';
import type { LedgerStore } from './port.js';
import type { SettledOrder } from './types.js';
import { judgeSettleItem } from './verify.js';

export interface SettlementOptions {
  readonly ledger: LedgerStore;
  readonly clock?: Clock;
}

/**
 * Serves `Orders.Settle` on `server`, counting only order limits signed by `server.identity`.
 * Answers one outcome per item, in order: `accepted`, `duplicate` (settled before: drop it),
 * `expired`, `invalid` (forged or tampered) or `not-yours` (a limit for another node).
 *
 * @example
 * ```ts
 * registerSettlement(server, { ledger: await SqliteLedgerStore.open({ path }) });
 * ```
 */
export function registerSettlement(server: RpcServer, options: SettlementOptions): void {
  const clock = options.clock ?? systemClock;
  const satelliteId = server.identity.id.bytes;

  server.unary(SettleOrders, async (request: { items: SettleItem[] }, ctx: CallContext) => {
    const nodeId = ctx.peer.bytes;
    const now = clock.now();
    const outcomes: SettleOutcome[] = [];
    const toRecord: SettledOrder[] = [];
    const recordIndex: number[] = [];
    request.items.forEach((item, i) => {
      const verdict = judgeSettleItem(item, { satelliteId, nodeId, now });
      if ('outcome' in verdict) {
        outcomes.push(verdict.outcome);
        return;
      }
      outcomes.push('accepted');
      toRecord.push(verdict.order);
      recordIndex.push(i);
    });
    if (toRecord.length > 0) {
      const counted = await options.ledger.settle(toRecord);
      counted.forEach((ok, j) => {
        if (!ok) outcomes[recordIndex[j]!] = 'duplicate';
      });
    }
    return { outcomes };
  });
}
