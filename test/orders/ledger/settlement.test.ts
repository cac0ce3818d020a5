/**
 * Storage nodes settle the orders they served. The satellite counts an order only when the limit
 * is its own, for the settling node, unexpired and paid by the limit's piece key, and only once.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { s } from '../../../src/codec/index.js';
import { ManualClock } from '../../../src/core/clock.js';
import { Identity } from '../../../src/crypto/index.js';
import { registerSettlement } from '../../../src/orders/ledger/service.js';
import { MemoryLedgerStore } from '../../../src/orders/ledger/store/memory.js';
import { summarizeBandwidth } from '../../../src/orders/ledger/types.js';
import { signOrderLimit, OrderLimitSchema, type PieceAction } from '../../../src/orders/order-limit.js';
import { signOrder, OrderSchema } from '../../../src/orders/order.js';
import { generatePieceKey, pieceSigner } from '../../../src/orders/piece-key.js';
import { SettleOrders, type SettleItem } from '../../../src/orders/settlement.js';
import { memoryNetwork, RpcClient, RpcServer } from '../../../src/transport/index.js';
import { arbitraryOf } from '../../support/arbitrary.js';

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % HOUR);
const EVERYTHING = { from: 0, to: T0 + 1000 * HOUR };

interface ItemOptions {
  node?: Identity;
  limitSigner?: Identity;
  satelliteId?: Uint8Array;
  action?: PieceAction;
  limitBytes?: number;
  amount?: number;
  orderExpiration?: number;
  orderKey?: Uint8Array;
  orderSerial?: Uint8Array;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function world() {
  const net = memoryNetwork();
  const satellite = Identity.generate();
  const server = new RpcServer({ identity: satellite });
  const ledger = new MemoryLedgerStore();
  const clock = new ManualClock(T0 + 60_000);
  registerSettlement(server, { ledger, clock });
  const { address } = await server.listen(net.transport(), 'satellite:0');
  closers.push(() => server.close());

  const nodeIdentity = Identity.generate();
  const connect = (identity: Identity) => {
    const client = new RpcClient({ transport: net.transport(), address, identity });
    closers.push(() => client.close());
    return async (items: SettleItem[]) => (await client.call(SettleOrders, { items })).outcomes;
  };

  function item(options: ItemOptions = {}): SettleItem {
    const piece = generatePieceKey();
    const serialNumber = crypto.getRandomValues(new Uint8Array(16));
    const limit = signOrderLimit(options.limitSigner ?? satellite, {
      serialNumber,
      satelliteId: options.satelliteId ?? (options.limitSigner ?? satellite).id.bytes,
      storageNodeId: (options.node ?? nodeIdentity).id.bytes,
      pieceId: crypto.getRandomValues(new Uint8Array(32)),
      action: options.action ?? 'GET',
      limitBytes: options.limitBytes ?? 1000,
      orderExpiration: options.orderExpiration ?? T0 + HOUR,
      piecePublicKey: piece.publicKey,
      createdAt: T0,
    });
    const order = signOrder(pieceSigner(options.orderKey ?? piece.privateKey), options.orderSerial ?? serialNumber, options.amount ?? 500);
    return { limit, order };
  }

  return { satellite, ledger, clock, node: nodeIdentity, settle: connect(nodeIdentity), connect, item };
}

describe('Orders.Settle', () => {
  it('counts honest orders per action, with graceful-exit, repair and audit traffic apart from paid traffic', async () => {
    const w = await world();
    const items = [
      w.item({ action: 'PUT', amount: 100 }),
      w.item({ action: 'GET', amount: 200 }),
      w.item({ action: 'PUT_REPAIR', amount: 40 }),
      w.item({ action: 'GET_AUDIT', amount: 8 }),
      w.item({ action: 'PUT_GRACEFUL_EXIT', amount: 1000 }),
    ];
    expect(await w.settle(items)).toEqual(['accepted', 'accepted', 'accepted', 'accepted', 'accepted']);
    const [report] = summarizeBandwidth(await w.ledger.bandwidth({ ...EVERYTHING, nodeId: w.node.id.bytes }));
    expect(report!.byCategory).toEqual({ paid: 300, repair: 40, audit: 8, gracefulExit: 1000, delete: 0 });
    expect(report!.byAction).toMatchObject({ PUT: 100, GET: 200, PUT_REPAIR: 40, GET_AUDIT: 8, PUT_GRACEFUL_EXIT: 1000 });
  });

  it('refuses duplicates, including a replay of a whole batch, and counts nothing twice', async () => {
    const w = await world();
    const batch = [w.item({ amount: 10 }), w.item({ amount: 20 })];
    expect(await w.settle([...batch, batch[0]!])).toEqual(['accepted', 'accepted', 'duplicate']);
    expect(await w.settle(batch)).toEqual(['duplicate', 'duplicate']);
    const [again, other] = await Promise.all([w.settle(batch), w.connect(w.node)(batch)]);
    expect([...again!, ...other!]).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate']);
    expect(await w.ledger.bandwidth(EVERYTHING)).toMatchObject([{ action: 'GET', bytes: 30 }]);
  });

  it('refuses limits forged or signed by another satellite, and tampered limits, as invalid', async () => {
    const w = await world();
    const stranger = Identity.generate();
    const forged = w.item({ limitSigner: stranger, satelliteId: w.satellite.id.bytes });
    const foreign = w.item({ limitSigner: stranger });
    const raised = w.item({ limitBytes: 1000 });
    const inflated = { ...raised, limit: { ...raised.limit, limitBytes: 10 ** 9 } };
    const repurposed = w.item({ action: 'GET_AUDIT' });
    const paid = { ...repurposed, limit: { ...repurposed.limit, action: 'GET' as const } };
    expect(await w.settle([forged, foreign, inflated, paid])).toEqual(['invalid', 'invalid', 'invalid', 'invalid']);
    expect(await w.ledger.bandwidth(EVERYTHING)).toEqual([]);
  });

  it('refuses orders not signed by the limit’s piece key, or for another serial, as invalid', async () => {
    const w = await world();
    const wrongKey = w.item({ orderKey: generatePieceKey().privateKey });
    const wrongSerial = w.item({ orderSerial: new Uint8Array(16).fill(1) });
    const honest = w.item({ amount: 5 });
    const raised = { ...honest, order: { ...honest.order, amount: 999 } };
    expect(await w.settle([wrongKey, wrongSerial, raised])).toEqual(['invalid', 'invalid', 'invalid']);
    expect(await w.ledger.bandwidth(EVERYTHING)).toEqual([]);
    // The honest order itself is still good: nothing above consumed its serial.
    expect(await w.settle([honest])).toEqual(['accepted']);
  });

  it("refuses a limit issued to another node as not-yours, even one it relays honestly", async () => {
    const w = await world();
    const other = Identity.generate();
    const theirs = w.item({ node: other });
    expect(await w.settle([theirs])).toEqual(['not-yours']);
    expect(await w.connect(other)([theirs])).toEqual(['accepted']);
    expect(await w.ledger.bandwidth({ ...EVERYTHING, nodeId: w.node.id.bytes })).toEqual([]);
  });

  it('refuses expired orders', async () => {
    const w = await world();
    const expiring = w.item({ orderExpiration: T0 + 2 * HOUR });
    const onTheDot = w.item({ orderExpiration: T0 + 3 * HOUR });
    w.clock.advance(3 * HOUR - 60_000);
    expect(await w.settle([expiring, onTheDot])).toEqual(['expired', 'accepted']);
    w.clock.advance(1);
    expect(await w.settle([onTheDot])).toEqual(['expired']);
  });

  it('caps an overspent order at its limit', async () => {
    const w = await world();
    expect(await w.settle([w.item({ limitBytes: 1000, amount: 5000 })])).toEqual(['accepted']);
    expect(await w.ledger.bandwidth(EVERYTHING)).toMatchObject([{ bytes: 1000 }]);
  });

  it('refuses a malformed request whole with InvalidArgument, recording nothing', async () => {
    const w = await world();
    const good = w.item();
    const broken = { limit: { ...good.limit, serialNumber: new Uint8Array(3) }, order: good.order };
    await expect(w.settle([good, broken])).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    expect(await w.ledger.bandwidth(EVERYTHING)).toEqual([]);
  });

  it('answers random garbage mixed with honest orders with typed outcomes, recording only the honest ones', async () => {
    const garbageItem = arbitraryOf(s.object({ limit: OrderLimitSchema, order: OrderSchema }));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(garbageItem.map((g) => ({ kind: 'garbage' as const, g })), fc.constant({ kind: 'honest' as const }), fc.nat(9).map((n) => ({ kind: 'aimed' as const, n }))), {
          maxLength: 12,
        }),
        fc.array(fc.nat({ max: 3000 }), { minLength: 12, maxLength: 12 }),
        async (plan, amounts) => {
          const w = await world();
          let expected = 0;
          const honest: boolean[] = [];
          const items = plan.map((step, i) => {
            if (step.kind === 'honest') {
              honest.push(true);
              expected += Math.min(amounts[i]!, 1000);
              return w.item({ amount: amounts[i]!, limitBytes: 1000 });
            }
            honest.push(false);
            if (step.kind === 'aimed') {
              // Garbage aimed past the first checks: our node, our satellite id, a bad signature somewhere.
              const good = w.item({ amount: amounts[i]! });
              const flip = (signature: Uint8Array) => {
                const copy = signature.slice();
                copy[step.n % 64]! ^= 1 << step.n % 8;
                return copy;
              };
              return step.n % 2
                ? { ...good, limit: { ...good.limit, satelliteSignature: flip(good.limit.satelliteSignature) } }
                : { ...good, order: { ...good.order, uplinkSignature: flip(good.order.uplinkSignature) } };
            }
            return step.g;
          });
          const outcomes = await w.settle(items);
          expect(outcomes).toHaveLength(items.length);
          outcomes.forEach((outcome, i) => {
            expect(['accepted', 'duplicate', 'expired', 'invalid', 'not-yours']).toContain(outcome);
            if (honest[i]) expect(outcome).toBe('accepted');
            else expect(outcome).not.toBe('accepted');
          });
          const totals = await w.ledger.bandwidth(EVERYTHING);
          expect(totals.reduce((n, t) => n + t.bytes, 0)).toBe(expected);
          for (const close of closers.splice(0).reverse()) await close();
        },
      ),
      { numRuns: 40 },
    );
  });
});
