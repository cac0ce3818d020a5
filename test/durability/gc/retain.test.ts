/**
 * The storage node's side of garbage collection: a retain pass trashes exactly the old pieces a
 * trusted satellite's filter leaves out, keeps new ones, and can be undone; only a trusted
 * satellite may ask, never one the node is exiting, and a filter that does not decode changes
 * nothing.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toHex } from '../../../src/core/bytes.js';
import { ManualClock } from '../../../src/core/clock.js';
import { isHandoffError } from '../../../src/core/errors.js';
import { Identity } from '../../../src/crypto/identity.js';
import { getCryptoProvider } from '../../../src/crypto/select.js';
import { BloomFilter } from '../../../src/durability/gc/bloom-filter.js';
import { PiecestoreRetain } from '../../../src/durability/gc/messages.js';
import { retainPieces } from '../../../src/durability/gc/retain.js';
import { RetainService } from '../../../src/durability/gc/retain-service.js';
import { NodeDatabase } from '../../../src/node/db/index.js';
import { signOrderLimit } from '../../../src/orders/order-limit.js';
import { signPieceHash } from '../../../src/orders/piece-hash.js';
import { MemoryPieceStore } from '../../../src/piecestore/memory-store.js';
import type { PieceStore } from '../../../src/piecestore/store.js';
import { RpcClient, RpcServer, memoryNetwork, unaryMethod } from '../../../src/transport/index.js';
import type { Schema } from '../../../src/codec/index.js';

const T0 = 1_700_000_000_000;
const HOUR = 3600_000;
const random = (n: number): Uint8Array => getCryptoProvider().randomBytes(n);

/** Stores a piece of `size` bytes as if uploaded at `storedAt`. */
async function storePiece(pieces: PieceStore, satellite: Identity, storedAt: number, size = 100, pieceId = random(32)): Promise<Uint8Array> {
  const pieceKey = Identity.generate();
  const data = new Uint8Array(size).fill(size & 0xff);
  const writer = await pieces.create(satellite.publicKey, pieceId);
  await writer.write(data);
  const orderLimit = signOrderLimit(satellite, {
    serialNumber: random(16), satelliteId: satellite.publicKey, storageNodeId: random(32), pieceId, action: 'PUT',
    limitBytes: size, orderExpiration: storedAt + HOUR, piecePublicKey: pieceKey.publicKey, createdAt: storedAt,
  });
  const uplinkPieceHash = signPieceHash(pieceKey, { pieceId, hash: getCryptoProvider().sha256(data), pieceSize: size, timestamp: storedAt });
  await writer.commit({ orderLimit, uplinkPieceHash, storedAt });
  return pieceId;
}

async function held(pieces: PieceStore, satellite: Identity): Promise<string[]> {
  const ids: string[] = [];
  for await (const entry of pieces.list(satellite.publicKey)) ids.push(toHex(entry.pieceId));
  return ids.sort();
}

function filterOf(ids: readonly Uint8Array[], falsePositiveRate = 0.0001): BloomFilter {
  const filter = BloomFilter.create({ expectedCount: ids.length, falsePositiveRate });
  for (const id of ids) filter.add(id);
  return filter;
}

describe('a retain pass', () => {
  it('trashes old pieces absent from the filter, keeps filtered and new ones, and leaves other satellites alone', async () => {
    const pieces = new MemoryPieceStore();
    const satellite = Identity.generate();
    const other = Identity.generate();
    const live = [await storePiece(pieces, satellite, T0 - 5 * HOUR), await storePiece(pieces, satellite, T0 - HOUR)];
    const garbage = [await storePiece(pieces, satellite, T0 - 5 * HOUR, 300), await storePiece(pieces, satellite, T0 - 1, 200)];
    const fresh = await storePiece(pieces, satellite, T0, 50); // stored at the cutoff: the filter cannot know it
    const foreign = await storePiece(pieces, other, T0 - 5 * HOUR);
    const result = await retainPieces({ pieces, satelliteId: satellite.publicKey, filter: filterOf(live), storedBefore: T0, trashedAt: T0 + 1 });
    expect(result).toEqual({ checked: 5, kept: 2, tooNew: 1, trashed: 2, trashedBytes: 500, failed: 0, stopped: false });
    expect(await held(pieces, satellite)).toEqual([...live, fresh].map(toHex).sort());
    expect(await held(pieces, other)).toEqual([toHex(foreign)]);
    expect(pieces.usedBytes(satellite.publicKey)).toBe(250);
    expect(pieces.trashedBytes(satellite.publicKey)).toBe(500);
    expect(await pieces.restoreTrash(satellite.publicKey)).toBe(2);
    expect(await held(pieces, satellite)).toEqual([...live, ...garbage, fresh].map(toHex).sort());
    expect(pieces.usedBytes(satellite.publicKey)).toBe(750);
  });

  it('stops when told the satellite is being exited, and when aborted', async () => {
    const pieces = new MemoryPieceStore();
    const satellite = Identity.generate();
    for (let i = 0; i < 10; i++) await storePiece(pieces, satellite, T0 - HOUR);
    const empty = filterOf([]);
    let asked = 0;
    const stopped = await retainPieces({ pieces, satelliteId: satellite.publicKey, filter: empty, storedBefore: T0, trashedAt: T0, checkEvery: 3, shouldStop: () => ++asked > 2 });
    // Asked before the first piece, after the third, and after the sixth: stop.
    expect(stopped).toMatchObject({ stopped: true, checked: 6, trashed: 6 });
    const controller = new AbortController();
    controller.abort();
    await expect(retainPieces({ pieces, satelliteId: satellite.publicKey, filter: empty, storedBefore: T0, trashedAt: T0, signal: controller.signal })).rejects.toMatchObject({ name: 'CanceledError' });
    expect(await held(pieces, satellite)).toHaveLength(4);
  });
});

describe('Piecestore.Retain on a node', () => {
  let clock: ManualClock;
  let db: NodeDatabase;
  let pieces: MemoryPieceStore;
  let retain: RetainService;
  let server: RpcServer;
  let satellite: Identity;
  let stranger: Identity;
  const clients: RpcClient[] = [];
  let address: string;
  let transport: ReturnType<ReturnType<typeof memoryNetwork>['transport']>;

  beforeEach(async () => {
    clock = new ManualClock(T0);
    db = await NodeDatabase.open({ path: ':memory:' });
    satellite = Identity.generate();
    stranger = Identity.generate();
    db.trustSatellite({ id: satellite.publicKey, address: 'satellite:1', addedAt: T0 });
    pieces = new MemoryPieceStore();
    const node = Identity.generate();
    server = new RpcServer({ identity: node });
    retain = new RetainService({
      pieces,
      trusted: (id) => db.isTrusted(id),
      exiting: async (id) => (await db.exits.get(id)) !== undefined,
      clock,
      config: { timeSkewMs: HOUR },
    });
    retain.register(server);
    transport = memoryNetwork().transport();
    ({ address } = await server.listen(transport, 'node:0'));
  });
  afterEach(async () => {
    await retain.close();
    for (const client of clients.splice(0)) await client.close();
    await server.close();
    db.close();
  });

  const clientAs = (identity: Identity): RpcClient => {
    const client = new RpcClient({ transport, address, identity });
    clients.push(client);
    return client;
  };

  it('runs a trusted satellite’s filter in the background, with the node’s clock-skew margin', async () => {
    const keep = await storePiece(pieces, satellite, T0 - 10 * HOUR);
    const old = await storePiece(pieces, satellite, T0 - 2 * HOUR, 40);
    const withinSkew = await storePiece(pieces, satellite, T0 - HOUR / 2, 60);
    expect(await clientAs(satellite).call(PiecestoreRetain, { createdAt: T0, filter: filterOf([keep]).encode() })).toEqual({ queued: true });
    await retain.idle();
    expect(await held(pieces, satellite)).toEqual([keep, withinSkew].map(toHex).sort());
    expect(retain.lastResult(satellite.publicKey)).toMatchObject({ trashed: 1, tooNew: 1, kept: 1 });
    expect(pieces.trashedBytes(satellite.publicKey)).toBe(40);
    // Restored on request; emptied only once past retention.
    expect(await retain.restoreTrash(satellite.publicKey)).toBe(1);
    expect(await pieces.has(satellite.publicKey, old)).toBe(true);
    await clientAs(satellite).call(PiecestoreRetain, { createdAt: T0, filter: filterOf([keep]).encode() });
    await retain.idle();
    clock.advance(retain.config.trashRetentionMs - 1);
    expect(await retain.emptyTrash()).toBe(0);
    clock.advance(1);
    expect(await retain.emptyTrash()).toBe(0); // trashed at T0: kept up to and including T0 + retention
    clock.advance(1);
    expect(await retain.emptyTrash()).toBe(1);
    expect(pieces.trashedBytes()).toBe(0);
  });

  it('never trusts a filter’s time beyond its own clock', async () => {
    const recent = await storePiece(pieces, satellite, T0 - 2 * HOUR);
    // A satellite clock a day ahead: the node still keeps what it stored within its margin of now.
    await clientAs(satellite).call(PiecestoreRetain, { createdAt: T0 + 24 * HOUR, filter: filterOf([]).encode() });
    await retain.idle();
    expect(await held(pieces, satellite)).toEqual([]);
    expect(await pieces.restoreTrash(satellite.publicKey)).toBe(1);
    const justNow = await storePiece(pieces, satellite, T0 - HOUR / 2);
    await clientAs(satellite).call(PiecestoreRetain, { createdAt: T0 + 24 * HOUR, filter: filterOf([]).encode() });
    await retain.idle();
    expect(await held(pieces, satellite)).toEqual([toHex(justNow)]);
    expect(await pieces.has(satellite.publicKey, recent)).toBe(false);
  });

  it('refuses a forged Retain from an identity that is not a trusted satellite, and changes nothing', async () => {
    const piece = await storePiece(pieces, satellite, T0 - 10 * HOUR);
    // The stranger even names the satellite's pieces in the filter: the caller is the handshake's identity, never a field.
    const error = await clientAs(stranger).call(PiecestoreRetain, { createdAt: T0, filter: filterOf([]).encode() }).catch((err: unknown) => err);
    expect(error).toMatchObject({ name: 'PermissionDeniedError' });
    await retain.idle();
    expect(await pieces.has(satellite.publicKey, piece)).toBe(true);
    expect(pieces.trashedBytes()).toBe(0);
    // A satellite the node no longer trusts is a stranger too.
    db.untrustSatellite(satellite.publicKey);
    await expect(clientAs(satellite).call(PiecestoreRetain, { createdAt: T0, filter: filterOf([]).encode() })).rejects.toMatchObject({ name: 'PermissionDeniedError' });
    await retain.idle();
    expect(await pieces.has(satellite.publicKey, piece)).toBe(true);
  });

  it('refuses a satellite the node is gracefully exiting: its pieces are handed over, not collected', async () => {
    const piece = await storePiece(pieces, satellite, T0 - 10 * HOUR);
    await db.exits.start(satellite.publicKey, pieces.usedBytes(satellite.publicKey), T0);
    await expect(clientAs(satellite).call(PiecestoreRetain, { createdAt: T0, filter: filterOf([]).encode() })).rejects.toMatchObject({ name: 'FailedPreconditionError' });
    await retain.idle();
    expect(await pieces.has(satellite.publicKey, piece)).toBe(true);
  });

  it('stops a pass when an exit from the satellite starts midway', async () => {
    for (let i = 0; i < 600; i++) await storePiece(pieces, satellite, T0 - 10 * HOUR, 1);
    let exiting = false;
    const watched = new RetainService({ pieces, trusted: () => true, exiting: () => exiting, clock, config: { timeSkewMs: 0 } });
    const hold = pieces.list.bind(pieces);
    let listed = 0;
    pieces.list = async function* (satelliteId: Uint8Array) {
      for await (const entry of hold(satelliteId)) {
        if (++listed === 300) exiting = true;
        yield entry;
      }
    };
    watched.submit({ satelliteId: satellite.publicKey, filter: filterOf([]), storedBefore: T0 });
    await watched.idle();
    expect(watched.lastResult(satellite.publicKey)).toMatchObject({ stopped: true });
    expect(watched.lastResult(satellite.publicKey)!.trashed).toBeLessThan(600);
    expect((await held(pieces, satellite)).length).toBeGreaterThan(0);
    await watched.close();
  });

  it('answers any malformed filter with a typed error and changes nothing', async () => {
    const kept = await storePiece(pieces, satellite, T0 - 10 * HOUR);
    const anything = { def: { kind: 'bool' }, expected: 'anything', parse: (value: unknown) => value } as Schema<unknown>;
    const RawRetain = unaryMethod('Piecestore.Retain', anything, anything);
    const client = clientAs(satellite);
    const good = filterOf([]).encode();
    const corrupt = fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ createdAt: T0, filter: bytes })),
      fc.tuple(fc.integer({ min: 0, max: good.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([at, value]) => {
        const bytes = good.slice();
        bytes[at] = value;
        return { createdAt: T0, filter: at < 8 && value === good[at] ? new Uint8Array(3) : bytes };
      }).filter(({ filter }) => {
        try {
          BloomFilter.decode(filter);
          return false;
        } catch {
          return true;
        }
      }),
      fc.record({ createdAt: fc.oneof(fc.integer({ max: -1 }), fc.string(), fc.constant(1.5)), filter: fc.constant(good) }),
      fc.anything({ maxDepth: 2 }),
    );
    await fc.assert(
      fc.asyncProperty(corrupt, async (request) => {
        let outcome: unknown = 'resolved';
        await client.call(RawRetain, request).catch((err: unknown) => (outcome = err));
        expect(isHandoffError(outcome, 'InvalidArgument')).toBe(true);
        await retain.idle();
        expect(await pieces.has(satellite.publicKey, kept)).toBe(true);
        expect(pieces.trashedBytes()).toBe(0);
      }),
      { numRuns: 150 },
    );
    // An oversized filter is refused before it is decoded (the schema's cap), also typed.
    const huge = new Uint8Array(9 * 1024 * 1024);
    await expect(client.call(RawRetain, { createdAt: T0, filter: huge })).rejects.toSatisfy((err: unknown) => isHandoffError(err));
    expect(await pieces.has(satellite.publicKey, kept)).toBe(true);
  });
});
