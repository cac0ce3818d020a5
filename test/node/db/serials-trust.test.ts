/**
 * What the node database keeps in memory for speed, and what that costs on a crash (docs/exit.md,
 * "Where the time goes"): the trusted satellites answer from memory and follow every change made
 * through the database; an accepted serial is written with the next order — so one an upload
 * recorded its order for survives a crash — or by `flush`, its timer, or `close`; so are the
 * bytes an exit sent.
 *
 * A crash is a second connection opening the file while the first is left as it is: it sees what
 * was committed and nothing that waits in the first one's memory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { Identity } from '../../../src/crypto/identity.js';
import { getCryptoProvider } from '../../../src/crypto/select.js';
import { NodeDatabase } from '../../../src/node/db/index.js';
import { signOrder } from '../../../src/orders/order.js';
import { signOrderLimit, type OrderLimit } from '../../../src/orders/order-limit.js';
import { checkOrderLimit } from '../../../src/piecestore/limit-checks.js';

const random = (n: number) => getCryptoProvider().randomBytes(n);
const satellite = Identity.generate();
const pieceKey = Identity.generate();
const nodeId = random(32);

function limit(overrides: Partial<OrderLimit> = {}): OrderLimit {
  const now = Date.now();
  return signOrderLimit(satellite, {
    serialNumber: random(16), satelliteId: satellite.publicKey, storageNodeId: nodeId, pieceId: random(32), action: 'PUT_GRACEFUL_EXIT',
    limitBytes: 1 << 20, orderExpiration: now + 3_600_000, piecePublicKey: pieceKey.publicKey, createdAt: now, ...overrides,
  });
}

let dir: string;
const opened: NodeDatabase[] = [];
async function openDb(options: { serialFlushMs?: number } = {}): Promise<NodeDatabase> {
  const db = await NodeDatabase.open({ path: join(dir, 'node.db'), ...options });
  opened.push(db);
  return db;
}
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'handoff-nodedb-serials-'));
});
afterEach(async () => {
  vi.useRealTimers();
  for (const db of opened.splice(0)) db.close();
  await rm(dir, { recursive: true, force: true });
});

describe('serials written with the order', () => {
  it("an upload's serial survives a crash once its order is recorded, without a flush or close", async () => {
    const db = await openDb({ serialFlushMs: 3_600_000 });
    const l = limit();
    expect(db.useSerial(l.satelliteId, l.serialNumber, l.orderExpiration)).toBe(true);
    db.addOrder(l, signOrder(pieceKey, l.serialNumber, 1000));
    const afterCrash = await openDb();
    expect(afterCrash.useSerial(l.satelliteId, l.serialNumber, l.orderExpiration)).toBe(false);
    expect(afterCrash.takeUnsettled(satellite.publicKey, 10).map((o) => o.order.amount)).toEqual([1000]);
  });

  it('a serial no order came with is written by flush; until then a crash forgets it', async () => {
    const db = await openDb({ serialFlushMs: 3_600_000 });
    const l = limit();
    expect(db.useSerial(l.satelliteId, l.serialNumber, l.orderExpiration)).toBe(true);
    expect(db.useSerial(l.satelliteId, l.serialNumber, l.orderExpiration)).toBe(false); // a replay before the write
    const reader = await openDb();
    expect(reader.takeUnsettled(satellite.publicKey, 10)).toEqual([]);
    db.flush();
    expect(reader.useSerial(l.satelliteId, l.serialNumber, l.orderExpiration)).toBe(false);
  });

  it('the timer writes a waiting serial after serialFlushMs, and close writes what is left', async () => {
    vi.useFakeTimers();
    const db = await openDb({ serialFlushMs: 500 });
    const timed = limit();
    db.useSerial(timed.satelliteId, timed.serialNumber, timed.orderExpiration);
    vi.advanceTimersByTime(500);
    const closing = limit();
    db.useSerial(closing.satelliteId, closing.serialNumber, closing.orderExpiration);
    db.close();
    const again = await openDb();
    expect(again.useSerial(timed.satelliteId, timed.serialNumber, timed.orderExpiration)).toBe(false);
    expect(again.useSerial(closing.satelliteId, closing.serialNumber, closing.orderExpiration)).toBe(false);
  });

  it('refuses a serial whose expiration is not a time at once, so no bad row waits to fail a later commit', async () => {
    const db = await openDb({ serialFlushMs: 3_600_000 });
    const l = limit();
    for (const bad of [Number.NaN, -1, 1.5, Number.POSITIVE_INFINITY]) {
      expect(() => db.useSerial(l.satelliteId, l.serialNumber, bad)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
    }
    expect(db.useSerial(l.satelliteId, l.serialNumber, l.orderExpiration)).toBe(true);
    db.addOrder(l, signOrder(pieceKey, l.serialNumber, 1));
    expect((await openDb()).useSerial(l.satelliteId, l.serialNumber, l.orderExpiration)).toBe(false);
  });

  it('cleanup writes waiting serials first, then forgets the expired ones', async () => {
    const db = await openDb({ serialFlushMs: 3_600_000 });
    const old = limit({ orderExpiration: 1000 });
    const fresh = limit();
    db.useSerial(old.satelliteId, old.serialNumber, old.orderExpiration);
    db.useSerial(fresh.satelliteId, fresh.serialNumber, fresh.orderExpiration);
    expect(db.cleanup(2000)).toEqual({ serials: 1, orders: 0 });
    const afterCrash = await openDb();
    expect(afterCrash.useSerial(fresh.satelliteId, fresh.serialNumber, fresh.orderExpiration)).toBe(false);
    expect(afterCrash.useSerial(old.satelliteId, old.serialNumber, old.orderExpiration)).toBe(true);
  });

  it('property: replays are refused as a model says, and a crash loses only serials no order or flush wrote', async () => {
    const op = fc.oneof(
      fc.record({ type: fc.constant('use' as const), serial: fc.nat(2) }),
      fc.record({ type: fc.constant('order' as const), serial: fc.nat(2) }),
      fc.constant({ type: 'flush' as const }),
      fc.constant({ type: 'crash' as const }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 4, maxLength: 30 }), async (ops) => {
        const serials = Array.from({ length: 3 }, () => limit());
        const all: NodeDatabase[] = [];
        const path = join(dir, `model-${all.length}-${Math.random().toString(36).slice(2)}.db`);
        const fresh = async () => {
          const db = await NodeDatabase.open({ path, serialFlushMs: 3_600_000 });
          all.push(db);
          return db;
        };
        try {
          let db = await fresh();
          const written = new Set<number>();
          let pending = new Set<number>();
          for (const o of ops) {
            if (o.type === 'use') {
              const l = serials[o.serial]!;
              const expected = !written.has(o.serial) && !pending.has(o.serial);
              expect(db.useSerial(l.satelliteId, l.serialNumber, l.orderExpiration)).toBe(expected);
              if (expected) pending.add(o.serial);
            } else if (o.type === 'order') {
              const l = serials[o.serial]!;
              db.addOrder(l, signOrder(pieceKey, l.serialNumber, 1));
              for (const s of pending) written.add(s);
              pending = new Set();
            } else if (o.type === 'flush') {
              db.flush();
              for (const s of pending) written.add(s);
              pending = new Set();
            } else {
              db = await fresh(); // the old one is left as a crash leaves it
              pending = new Set();
            }
          }
        } finally {
          // Closing the abandoned ones last would write their serials: only after the checks.
          for (const db of all) db.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe("an exit's own sends, counted at once and written with the next commit", () => {
  it('counts them in bandwidthUsed before the write; an order, flush or close writes them; a crash before forgets them', async () => {
    const db = await openDb({ serialFlushMs: 3_600_000 });
    const now = Date.now();
    db.addBandwidth(satellite.publicKey, 'GRACEFUL_EXIT_SENT', 700, now);
    db.addBandwidth(satellite.publicKey, 'GRACEFUL_EXIT_SENT', 300, now);
    expect(db.bandwidthUsed(now)).toBe(1_000);
    const reader = await openDb();
    expect(reader.bandwidthUsed(now)).toBe(0); // not written yet: what a crash now would lose
    const l = limit();
    db.useSerial(l.satelliteId, l.serialNumber, l.orderExpiration);
    db.addOrder(l, signOrder(pieceKey, l.serialNumber, 50)); // the next order writes them too
    expect(reader.bandwidthUsed(now)).toBe(1_050);
    expect(db.bandwidthUsed(now)).toBe(1_050);
    db.addBandwidth(satellite.publicKey, 'GRACEFUL_EXIT_SENT', 5, now);
    expect(db.bandwidthUsage(now)).toEqual([
      { satelliteId: satellite.publicKey, action: 'GRACEFUL_EXIT_SENT', bytes: 1_005 },
      { satelliteId: satellite.publicKey, action: 'PUT_GRACEFUL_EXIT', bytes: 50 },
    ]);
    db.addBandwidth(satellite.publicKey, 'GRACEFUL_EXIT_SENT', 1, now);
    db.close();
    expect(reader.bandwidthUsed(now)).toBe(1_056);
  });

  it('bandwidthUsage answers from memory and the table, as the flushed table will: reading it writes nothing', async () => {
    const db = await openDb({ serialFlushMs: 3_600_000 });
    const reader = await openDb();
    const now = Date.now();
    const l = limit();
    db.useSerial(l.satelliteId, l.serialNumber, l.orderExpiration);
    db.addOrder(l, signOrder(pieceKey, l.serialNumber, 50)); // a row in the table
    const others = [random(32), random(32), random(32)];
    db.addBandwidth(satellite.publicKey, 'GRACEFUL_EXIT_SENT', 700, now);
    for (const [i, other] of others.entries()) db.addBandwidth(other, i === 1 ? 'A' : 'GRACEFUL_EXIT_SENT', 10 + i, now);
    db.addBandwidth(others[0]!, 'B', 3, now);
    db.addBandwidth(satellite.publicKey, 'GRACEFUL_EXIT_SENT', 9, now + 40 * 86_400_000); // next month
    const read = db.bandwidthUsage(now);
    expect(reader.bandwidthUsed(now)).toBe(50); // what waits stays waiting
    expect(read.reduce((sum, u) => sum + u.bytes, 0)).toBe(db.bandwidthUsed(now));
    db.flush();
    expect(reader.bandwidthUsed(now)).toBe(50 + 700 + 10 + 11 + 12 + 3);
    expect(read).toEqual(reader.bandwidthUsage(now));
  });
});

describe('the trusted satellites, answered from memory', () => {
  const judge = (db: NodeDatabase) => ({ nodeId, trusted: (id: Uint8Array) => db.isTrusted(id), clock: systemClock });

  it('limits of a satellite the node stops trusting are refused at once', async () => {
    const db = await openDb();
    db.trustSatellite({ id: satellite.publicKey, address: 'sat:7777', addedAt: 1 });
    await checkOrderLimit(judge(db), limit(), ['PUT_GRACEFUL_EXIT']);
    expect(db.untrustSatellite(satellite.publicKey)).toBe(true);
    expect(db.isTrusted(satellite.publicKey)).toBe(false);
    await expect(checkOrderLimit(judge(db), limit(), ['PUT_GRACEFUL_EXIT'])).rejects.toMatchObject({ name: 'PermissionDeniedError' });
    db.trustSatellite({ id: satellite.publicKey, address: 'sat:7778', addedAt: 2 });
    await checkOrderLimit(judge(db), limit(), ['PUT_GRACEFUL_EXIT']);
  });

  it('follows address changes, keeps addedAt, and is what a reopened database reads', async () => {
    const db = await openDb();
    const id = random(32);
    expect(db.isTrusted(id)).toBe(false);
    db.trustSatellite({ id, address: 'a:1', addedAt: 5 });
    db.trustSatellite({ id, address: 'b:2', addedAt: 9 });
    expect(db.trustedSatellite(id)).toEqual({ id, address: 'b:2', addedAt: 5 });
    db.trustedSatellite(id)!.id.fill(0); // a copy: the cache is not the caller's
    expect(db.isTrusted(id)).toBe(true);
    const again = await openDb();
    expect(again.isTrusted(id)).toBe(true);
    expect(again.trustedSatellite(id)).toEqual({ id, address: 'b:2', addedAt: 5 });
    expect(again.trustedSatellites()).toEqual(db.trustedSatellites());
  });

  it('trustedSatellites lists what isTrusted answers, oldest first, even when the table changed behind the open database', async () => {
    const db = await openDb();
    const [a, b, c] = [random(32), random(32), random(32)];
    db.trustSatellite({ id: a, address: 'a:1', addedAt: 20 });
    db.trustSatellite({ id: b, address: 'b:1', addedAt: 10 });
    db.trustSatellite({ id: c, address: 'c:1', addedAt: 30 });
    db.untrustSatellite(c);
    const behind = await openDb(); // not through `db`: what the docs say not to do, and what a second process would
    behind.trustSatellite({ id: c, address: 'c:2', addedAt: 40 });
    behind.untrustSatellite(a);
    expect([a, b, c].map((id) => db.isTrusted(id))).toEqual([true, true, false]);
    const listed = db.trustedSatellites();
    expect(listed).toEqual([{ id: b, address: 'b:1', addedAt: 10 }, { id: a, address: 'a:1', addedAt: 20 }]);
    listed[0]!.id.fill(0); // a copy: the cache is not the caller's
    expect(db.trustedSatellites()[0]!.id).toEqual(b);
  });
});
