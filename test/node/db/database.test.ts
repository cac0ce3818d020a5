/**
 * The node database remembers whom the node trusts, refuses replayed serials, keeps the best
 * order per serial until it is settled, and forgets what has expired.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Identity } from '../../../src/crypto/identity.js';
import { getCryptoProvider } from '../../../src/crypto/select.js';
import { NodeDatabase } from '../../../src/node/db/index.js';
import { signOrder } from '../../../src/orders/order.js';
import { signOrderLimit, type OrderLimit, type PieceAction } from '../../../src/orders/order-limit.js';

const random = (n: number) => getCryptoProvider().randomBytes(n);
const T0 = 1_700_000_000_000;
const satellite = Identity.generate();
const pieceKey = Identity.generate();

function limit(overrides: Partial<OrderLimit> = {}, action: PieceAction = 'GET'): OrderLimit {
  return signOrderLimit(satellite, {
    serialNumber: random(16), satelliteId: satellite.publicKey, storageNodeId: random(32), pieceId: random(32), action,
    limitBytes: 1 << 20, orderExpiration: T0 + 3_600_000, piecePublicKey: pieceKey.publicKey, createdAt: T0, ...overrides,
  });
}

const open: NodeDatabase[] = [];
async function memoryDb(): Promise<NodeDatabase> {
  const db = await NodeDatabase.open({ path: ':memory:' });
  open.push(db);
  return db;
}
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

describe('node database', () => {
  it('trusts satellites, updates their address and forgets them', async () => {
    const db = await memoryDb();
    const a = random(32);
    const b = random(32);
    db.trustSatellite({ id: a, address: 'a:1', addedAt: T0 });
    db.trustSatellite({ id: b, address: 'b:1', addedAt: T0 + 1 });
    db.trustSatellite({ id: a, address: 'a:2', addedAt: T0 + 5 });
    expect(db.trustedSatellites()).toEqual([{ id: a, address: 'a:2', addedAt: T0 }, { id: b, address: 'b:1', addedAt: T0 + 1 }]);
    expect(db.isTrusted(a)).toBe(true);
    expect(db.isTrusted(random(32))).toBe(false);
    expect(db.isTrusted(new Uint8Array(3))).toBe(false);
    expect(db.untrustSatellite(a)).toBe(true);
    expect(db.untrustSatellite(a)).toBe(false);
    expect(db.trustedSatellite(a)).toBeUndefined();
  });

  it('accepts a serial once and refuses its replay, per satellite', async () => {
    const db = await memoryDb();
    const serial = random(16);
    expect(db.useSerial(satellite.publicKey, serial, T0)).toBe(true);
    expect(db.useSerial(satellite.publicKey, serial, T0)).toBe(false);
    expect(db.useSerial(random(32), serial, T0)).toBe(true);
    expect(() => db.useSerial(satellite.publicKey, random(15), T0)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
  });

  it('keeps only the largest order per serial until it is settled', async () => {
    const db = await memoryDb();
    const get = limit();
    const put = limit({ orderExpiration: T0 + 1000 }, 'PUT');
    db.addOrder(get, signOrder(pieceKey, get.serialNumber, 100));
    db.addOrder(get, signOrder(pieceKey, get.serialNumber, 300));
    db.addOrder(get, signOrder(pieceKey, get.serialNumber, 200));
    db.addOrder(put, signOrder(pieceKey, put.serialNumber, 50));
    const batch = db.takeUnsettled(satellite.publicKey, 10);
    expect(batch.map((o) => [o.limit.action, o.order.amount])).toEqual([['PUT', 50], ['GET', 300]]);
    expect(batch[1]!.limit).toEqual(get);
    expect(db.takeUnsettled(satellite.publicKey, 1)).toHaveLength(1);
    expect(db.takeUnsettled(random(32), 10)).toEqual([]);
    expect(db.unsettledSatellites()).toEqual([satellite.publicKey]);

    expect(db.markSettled(satellite.publicKey, [put.serialNumber, random(16)])).toBe(1);
    expect(db.takeUnsettled(satellite.publicKey, 10).map((o) => o.order.amount)).toEqual([300]);
  });

  it('refuses an order that belongs to another limit', async () => {
    const db = await memoryDb();
    const l = limit();
    expect(() => db.addOrder(l, signOrder(pieceKey, random(16), 5))).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
    expect(db.takeUnsettled(satellite.publicKey, 10)).toEqual([]);
  });

  it('forgets expired serials and orders, and only those', async () => {
    const db = await memoryDb();
    const old = limit({ orderExpiration: T0 });
    const fresh = limit({ orderExpiration: T0 + 10_000 });
    for (const l of [old, fresh]) {
      db.useSerial(l.satelliteId, l.serialNumber, l.orderExpiration);
      db.addOrder(l, signOrder(pieceKey, l.serialNumber, 1));
    }
    expect(db.cleanup(T0)).toEqual({ serials: 1, orders: 1 });
    expect(db.takeUnsettled(satellite.publicKey, 10).map((o) => o.limit)).toEqual([fresh]);
    expect(db.useSerial(fresh.satelliteId, fresh.serialNumber, fresh.orderExpiration)).toBe(false);
  });

  it('stores settings', async () => {
    const db = await memoryDb();
    expect(db.getSetting('wallet')).toBeUndefined();
    db.setSetting('wallet', '0xabc');
    db.setSetting('wallet', '0xdef');
    expect(db.getSetting('wallet')).toBe('0xdef');
    expect(db.deleteSetting('wallet')).toBe(true);
    expect(db.getSetting('wallet')).toBeUndefined();
  });

  it('keeps everything in a file across reopen, migrating once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'handoff-nodedb-'));
    try {
      const path = join(dir, 'node.db');
      const first = await NodeDatabase.open({ path });
      const l = limit();
      first.trustSatellite({ id: satellite.publicKey, address: 'sat:7777', addedAt: T0 });
      first.useSerial(l.satelliteId, l.serialNumber, l.orderExpiration);
      first.addOrder(l, signOrder(pieceKey, l.serialNumber, 42));
      first.setSetting('k', 'v');
      first.close();
      const again = await NodeDatabase.open({ path });
      try {
        expect(again.isTrusted(satellite.publicKey)).toBe(true);
        expect(again.useSerial(l.satelliteId, l.serialNumber, l.orderExpiration)).toBe(false);
        expect(again.takeUnsettled(satellite.publicKey, 10)).toEqual([{ limit: l, order: signOrder(pieceKey, l.serialNumber, 42) }]);
        expect(again.getSetting('k')).toBe('v');
      } finally {
        again.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
