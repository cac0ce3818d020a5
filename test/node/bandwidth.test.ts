/**
 * The node's bandwidth accounting, what a monthly allocation is measured against: every order it
 * served or received counts what its amount grew by, in the month its limit was created; an exit
 * counts what it sent itself. And the choice an exit asks for when the allocation falls short.
 */
import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Identity } from '../../src/crypto/identity.js';
import { getCryptoProvider } from '../../src/crypto/select.js';
import { bandwidthPeriod, bandwidthStanding, BandwidthChoiceRequiredError, exitBandwidthChoice } from '../../src/node/bandwidth.js';
import { NodeDatabase } from '../../src/node/db/database.js';
import { NODE_DB_MIGRATIONS } from '../../src/node/db/migrations.js';
import { signOrderLimit, type OrderLimit, type PieceAction } from '../../src/orders/order-limit.js';
import { signOrder } from '../../src/orders/order.js';

const random = (n: number) => getCryptoProvider().randomBytes(n);
const satellite = Identity.generate();
const pieceKey = Identity.generate();
const JAN = Date.UTC(2027, 0, 15);
const FEB = Date.UTC(2027, 1, 3);

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function memoryDb(): Promise<NodeDatabase> {
  const db = await NodeDatabase.open({ path: ':memory:' });
  cleanups.push(() => db.close());
  return db;
}

function limit(action: PieceAction, createdAt: number, limitBytes = 10_000): OrderLimit {
  return signOrderLimit(satellite, {
    serialNumber: random(16), satelliteId: satellite.publicKey, storageNodeId: random(32), pieceId: random(32), action,
    limitBytes, orderExpiration: createdAt + 3_600_000, piecePublicKey: pieceKey.publicKey, createdAt,
  });
}

describe('bandwidth periods', () => {
  it('are calendar months in UTC, December rolling into January', () => {
    expect(bandwidthPeriod(JAN)).toEqual({ start: Date.UTC(2027, 0, 1), end: Date.UTC(2027, 1, 1) });
    expect(bandwidthPeriod(Date.UTC(2027, 1, 1) - 1).end).toBe(Date.UTC(2027, 1, 1));
    expect(bandwidthPeriod(Date.UTC(2027, 1, 1)).start).toBe(Date.UTC(2027, 1, 1));
    expect(bandwidthPeriod(Date.UTC(2026, 11, 31, 23, 59))).toEqual({ start: Date.UTC(2026, 11, 1), end: Date.UTC(2027, 0, 1) });
  });

  it('asks for a choice only when an allocation exists and falls short, and says the numbers', () => {
    const standing = bandwidthStanding(1_000, 800, JAN);
    expect(standing.remainingBytes).toBe(200);
    expect(exitBandwidthChoice(standing, 200, undefined)).toBeNull();
    expect(exitBandwidthChoice(standing, 201, 'wait')).toBe('wait');
    expect(exitBandwidthChoice(bandwidthStanding(null, 9e12, JAN), 1e15, undefined)).toBeNull();
    expect(bandwidthStanding(1_000, 5_000, JAN).remainingBytes).toBe(0);
    let error: unknown;
    try {
      exitBandwidthChoice(standing, 5_000_000_000, undefined);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BandwidthChoiceRequiredError);
    expect(error).toMatchObject({ name: 'BandwidthChoiceRequiredError', code: 'FailedPrecondition', neededBytes: 5e9, remainingBytes: 200, allocationBytes: 1_000, renewsAt: Date.UTC(2027, 1, 1) });
    expect((error as Error).message).toMatch(/needs about 5\.0 GB .* 0\.000 GB of this month's 0\.000 GB allocation is left \(it renews 2027-02-01T00:00:00\.000Z\): choose/);
  });
});

describe('NodeDatabase bandwidth usage', () => {
  it('counts each order once, by what its amount grew, in the month its limit was created, ingress and egress alike', async () => {
    const db = await memoryDb();
    const get = limit('GET', JAN);
    db.addOrder(get, signOrder(pieceKey, get.serialNumber, 1_000));
    db.addOrder(get, signOrder(pieceKey, get.serialNumber, 4_000)); // the uplink ordered more
    db.addOrder(get, signOrder(pieceKey, get.serialNumber, 2_000)); // a smaller order counts nothing
    const put = limit('PUT', JAN);
    db.addOrder(put, signOrder(pieceKey, put.serialNumber, 3_000));
    const later = limit('GET_REPAIR', FEB);
    db.addOrder(later, signOrder(pieceKey, later.serialNumber, 500));
    db.addBandwidth(satellite.publicKey, 'GRACEFUL_EXIT_SENT', 700, JAN);
    db.addBandwidth(satellite.publicKey, 'GRACEFUL_EXIT_SENT', 0, JAN);

    expect(db.bandwidthUsed(JAN)).toBe(4_000 + 3_000 + 700);
    expect(db.bandwidthUsed(FEB)).toBe(500);
    expect(db.bandwidthUsed(Date.UTC(2027, 2, 1))).toBe(0);
    expect(db.bandwidthUsage(JAN)).toEqual([
      { satelliteId: satellite.publicKey, action: 'GET', bytes: 4_000 },
      { satelliteId: satellite.publicKey, action: 'GRACEFUL_EXIT_SENT', bytes: 700 },
      { satelliteId: satellite.publicKey, action: 'PUT', bytes: 3_000 },
    ]);
    // Settled orders leave the table, not the usage.
    db.markSettled(satellite.publicKey, [put.serialNumber]);
    expect(db.bandwidthUsed(JAN)).toBe(7_700);
    expect(() => db.addBandwidth(new Uint8Array(3), 'X', 1, JAN)).toThrow(/satelliteId/);
    expect(() => db.addBandwidth(satellite.publicKey, '', 1, JAN)).toThrow(/action/);
    expect(() => db.addBandwidth(satellite.publicKey, 'X', -1, JAN)).toThrow(/bytes/);
  });

  it('opens a database from before the usage table (schema 4), keeping its orders', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'handoff-bandwidth-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'node.db');
    const old = new Database(path);
    for (const step of NODE_DB_MIGRATIONS.slice(0, 4)) old.exec(step);
    old.pragma('user_version = 4');
    old.close();
    const db = await NodeDatabase.open({ path });
    cleanups.push(() => db.close());
    const get = limit('GET', JAN);
    db.addOrder(get, signOrder(pieceKey, get.serialNumber, 123));
    expect(db.bandwidthUsed(JAN)).toBe(123);
    expect(db.takeUnsettled(satellite.publicKey, 10)).toHaveLength(1);
  });
});
