/**
 * Downloading serves any range of a stored piece under a GET limit, only as far as the uplink's
 * orders (plus a grace window) pay for, and records the best order for settlement. Deleting
 * needs the satellite's DELETE limit. Bad limits and ranges get typed errors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Identity } from '../../src/crypto/identity.js';
import { signOrder } from '../../src/orders/order.js';
import type { OrderLimit } from '../../src/orders/order-limit.js';
import { verifyPieceHashSignature } from '../../src/orders/piece-hash.js';
import { deletePiece, downloadPiece, downloadPieceWithProof, uploadPiece } from '../../src/piecestore/client.js';
import { DOWNLOAD_CHUNK_BYTES, PiecestoreDownload } from '../../src/piecestore/methods.js';
import { DEFAULT_DOWNLOAD_GRACE_BYTES } from '../../src/piecestore/service.js';
import { collect, failure, pieceData, random, startWorld, T0, type World } from './support/world.js';

let world: World;
afterEach(async () => {
  await world?.close();
});

const SIZE = 1_000_000;
const DATA = pieceData(SIZE, 9);

/** Uploads DATA and returns its piece id. */
async function stored(w: World): Promise<Uint8Array> {
  const { limit, pieceKey } = w.limit();
  await uploadPiece(w.client, { limit, pieceKey, data: DATA });
  w.db.markSettled(w.satellite.publicKey, [limit.serialNumber]);
  return limit.pieceId;
}

describe('Piecestore.Download', () => {
  it('streams any range in chunks of at most 256 KiB and records the order it was paid', async () => {
    world = await startWorld();
    const pieceId = await stored(world);
    for (const [offset, length] of [[0, SIZE], [0, 1], [SIZE - 1, 1], [12_345, 600_000], [SIZE, 0], [300_000, 0]] as const) {
      const { limit, pieceKey } = world.limit({ action: 'GET', pieceId });
      const { data, sizes } = await collect(downloadPiece(world.client, { limit, pieceKey, offset, length, orderAheadBytes: 300_000 }));
      expect(Buffer.compare(data, DATA.subarray(offset, offset + length))).toBe(0); // toEqual is slow on 1 MB arrays
      expect(sizes.every((n) => n > 0 && n <= DOWNLOAD_CHUNK_BYTES)).toBe(true);
    }
    const orders = world.db.takeUnsettled(world.satellite.publicKey, 100);
    expect(orders.map((o) => o.order.amount).sort((a, b) => a - b)).toEqual([1, 1, 600_000, SIZE]);
  });

  it('serves audits (GET_AUDIT) too', async () => {
    world = await startWorld();
    const pieceId = await stored(world);
    const { limit, pieceKey } = world.limit({ action: 'GET_AUDIT', pieceId });
    expect((await collect(downloadPiece(world.client, { limit, pieceKey, offset: 100, length: 100 }))).data).toEqual(DATA.subarray(100, 200));
  });

  it('serves repairs (GET_REPAIR) with the proof it stored first, when asked: the uplink-signed hash and the original limit', async () => {
    world = await startWorld();
    const upload = world.limit();
    await uploadPiece(world.client, { limit: upload.limit, pieceKey: upload.pieceKey, data: DATA });
    const { limit, pieceKey } = world.limit({ action: 'GET_REPAIR', pieceId: upload.limit.pieceId });
    const { data, proof } = await downloadPieceWithProof(world.client, { limit, pieceKey, offset: 0, length: SIZE });
    expect(Buffer.compare(data, DATA)).toBe(0);
    expect(proof.originalLimit).toEqual(upload.limit);
    expect(proof.pieceHash.pieceId).toEqual(upload.limit.pieceId);
    expect(proof.pieceHash.pieceSize).toBe(SIZE);
    expect(verifyPieceHashSignature(proof.pieceHash, upload.limit.piecePublicKey)).toBe(true);
    // Without the flag the stream is what it always was: data from the first message.
    const plain = world.limit({ action: 'GET_REPAIR', pieceId: upload.limit.pieceId });
    const stream = await world.client.stream(PiecestoreDownload);
    await stream.send({ type: 'request', limit: plain.limit, offset: 0, length: 10 });
    await stream.send({ type: 'order', order: signOrder(plain.pieceKey, plain.limit.serialNumber, 10) });
    const first = await stream.receive();
    expect(first?.data).toEqual(DATA.subarray(0, 10));
    expect(first?.pieceHash).toBeUndefined();
    await stream.closeSend();
  });

  it('stops sending to an uplink that stops paying, after the grace window', async () => {
    world = await startWorld();
    const pieceId = await stored(world);
    const { limit } = world.limit({ action: 'GET', pieceId });
    const stream = await world.client.stream(PiecestoreDownload);
    await stream.send({ type: 'request', limit, offset: 0, length: SIZE });
    const first = await stream.receive();
    expect(first?.data.length).toBe(DEFAULT_DOWNLOAD_GRACE_BYTES);
    await stream.closeSend(); // no order ever came: the node ends the stream instead of sending more
    expect(await stream.receive()).toBeUndefined();
    expect(world.db.takeUnsettled(world.satellite.publicKey, 10)).toEqual([]);
  });

  it('cancels cleanly when the reader stops early', async () => {
    world = await startWorld();
    const pieceId = await stored(world);
    const { limit, pieceKey } = world.limit({ action: 'GET', pieceId });
    for await (const chunk of downloadPiece(world.client, { limit, pieceKey, offset: 0, length: SIZE })) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    const next = world.limit({ action: 'GET', pieceId });
    expect((await collect(downloadPiece(world.client, { ...next, offset: 0, length: 10 }))).data).toEqual(DATA.subarray(0, 10));
  });

  const refusals: [string, string, (w: World, pieceId: Uint8Array) => { limit: OrderLimit; offset?: number; length?: number }][] = [
    ['an upload limit', 'InvalidArgumentError', (w, pieceId) => w.limit({ action: 'PUT', pieceId })],
    ['a limit from an untrusted satellite', 'PermissionDeniedError', (w, pieceId) => {
      const stranger = Identity.generate();
      return w.limit({ action: 'GET', pieceId, satelliteId: stranger.publicKey }, stranger);
    }],
    ['a forged limit', 'UnauthenticatedError', (w, pieceId) => w.limit({ action: 'GET', pieceId }, Identity.generate())],
    ['a limit for another node', 'PermissionDeniedError', (w, pieceId) => w.limit({ action: 'GET', pieceId, storageNodeId: random(32) })],
    ['an expired limit', 'FailedPreconditionError', (w, pieceId) => w.limit({ action: 'GET', pieceId, orderExpiration: T0 - 5 })],
    ['a piece it does not hold', 'NotFoundError', (w) => w.limit({ action: 'GET', pieceId: random(32) })],
    ['a range past the end', 'InvalidArgumentError', (w, pieceId) => ({ ...w.limit({ action: 'GET', pieceId }), offset: SIZE - 10, length: 11 })],
    ['more bytes than the limit allows', 'ResourceExhaustedError', (w, pieceId) => ({ ...w.limit({ action: 'GET', pieceId, limitBytes: 100 }), length: 101 })],
  ];
  for (const [what, error, make] of refusals) {
    it(`refuses ${what}: ${error}, without burning the serial`, async () => {
      world = await startWorld();
      const pieceId = await stored(world);
      const { limit, offset = 0, length = 1000 } = make(world, pieceId);
      const pieceKey = Identity.generate();
      expect(await failure(collect(downloadPiece(world.client, { limit, pieceKey, offset, length })))).toBe(error);
      expect(world.serialUnused(limit)).toBe(true);
      expect(world.db.takeUnsettled(world.satellite.publicKey, 10)).toEqual([]);
    });
  }

  it('refuses a replayed serial with AlreadyExists', async () => {
    world = await startWorld();
    const pieceId = await stored(world);
    const { limit, pieceKey } = world.limit({ action: 'GET', pieceId });
    await collect(downloadPiece(world.client, { limit, pieceKey, offset: 0, length: 10 }));
    expect(await failure(collect(downloadPiece(world.client, { limit, pieceKey, offset: 0, length: 10 })))).toBe('AlreadyExistsError');
  });

  it('refuses orders not signed by the piece key', async () => {
    world = await startWorld();
    const pieceId = await stored(world);
    const { limit } = world.limit({ action: 'GET', pieceId });
    const stream = await world.client.stream(PiecestoreDownload);
    await stream.send({ type: 'request', limit, offset: 0, length: SIZE });
    await stream.send({ type: 'order', order: signOrder(Identity.generate(), limit.serialNumber, SIZE) });
    await stream.closeSend();
    const error = await failure((async () => {
      while ((await stream.receive()) !== undefined);
    })());
    expect(error).toBe('InvalidArgumentError');
    expect(world.db.takeUnsettled(world.satellite.publicKey, 10)).toEqual([]);
  });
});

describe('Piecestore.Delete', () => {
  it('deletes a piece under a DELETE limit and gives its space back; deleting again is not an error', async () => {
    world = await startWorld();
    const pieceId = await stored(world);
    expect(await deletePiece(world.client, world.limit({ action: 'DELETE', pieceId }).limit)).toBe(true);
    expect(await world.pieces.has(world.satellite.publicKey, pieceId)).toBe(false);
    expect(world.pieces.usedBytes()).toBe(0);
    expect(await deletePiece(world.client, world.limit({ action: 'DELETE', pieceId }).limit)).toBe(false);
  });

  const refusals: [string, string, (w: World, pieceId: Uint8Array) => OrderLimit][] = [
    ['a GET limit', 'InvalidArgumentError', (w, pieceId) => w.limit({ action: 'GET', pieceId }).limit],
    ['an untrusted satellite', 'PermissionDeniedError', (w, pieceId) => {
      const stranger = Identity.generate();
      return w.limit({ action: 'DELETE', pieceId, satelliteId: stranger.publicKey }, stranger).limit;
    }],
    ['a forged limit', 'UnauthenticatedError', (w, pieceId) => w.limit({ action: 'DELETE', pieceId }, Identity.generate()).limit],
    ['a limit for another node', 'PermissionDeniedError', (w, pieceId) => w.limit({ action: 'DELETE', pieceId, storageNodeId: random(32) }).limit],
    ['an expired limit', 'FailedPreconditionError', (w, pieceId) => w.limit({ action: 'DELETE', pieceId, orderExpiration: T0 }).limit],
  ];
  for (const [what, error, make] of refusals) {
    it(`refuses ${what}: ${error}, and the piece stays`, async () => {
      world = await startWorld();
      const pieceId = await stored(world);
      const limit = make(world, pieceId);
      expect(await failure(deletePiece(world.client, limit))).toBe(error);
      expect(await world.pieces.has(world.satellite.publicKey, pieceId)).toBe(true);
      expect(world.serialUnused(limit)).toBe(true);
    });
  }

  it('refuses a replayed delete limit', async () => {
    world = await startWorld();
    const pieceId = await stored(world);
    const { limit } = world.limit({ action: 'DELETE', pieceId });
    await deletePiece(world.client, limit);
    await uploadPiece(world.client, { ...world.limit({ pieceId }), data: DATA });
    expect(await failure(deletePiece(world.client, limit))).toBe('AlreadyExistsError');
    expect(await world.pieces.has(world.satellite.publicKey, pieceId)).toBe(true);
  });
});
