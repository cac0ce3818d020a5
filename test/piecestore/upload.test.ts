/**
 * Uploading a piece: the node checks the satellite's limit and the uplink's orders and hash,
 * stores the piece with its proof, and signs a receipt. Every bad input is refused with its own
 * typed error and leaves no piece, no order — and, when the limit itself is bad, no burnt serial.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { getCryptoProvider } from '../../src/crypto/select.js';
import { Identity } from '../../src/crypto/identity.js';
import type { Signer } from '../../src/crypto/signing.js';
import { signOrder } from '../../src/orders/order.js';
import type { OrderLimit } from '../../src/orders/order-limit.js';
import { signPieceHash, verifyPieceHashSignature } from '../../src/orders/piece-hash.js';
import { uploadPiece } from '../../src/piecestore/client.js';
import { PiecestoreUpload, type UploadRequest, type UploadResponse } from '../../src/piecestore/methods.js';
import { RpcClient, RpcServer, memoryNetwork } from '../../src/transport/index.js';
import { failure, pieceData, random, startWorld, T0, type World } from './support/world.js';

let world: World;
afterEach(async () => {
  await world?.close();
});

interface Tamper {
  hash?: Uint8Array;
  pieceSize?: number;
  pieceId?: Uint8Array;
  hashSigner?: Signer;
  orderSigner?: Signer;
  orderAmount?: (sent: number) => number;
}

/** The messages an honest uplink sends, with one thing changed. */
function uploadMessages(limit: OrderLimit, pieceKey: Signer, data: Uint8Array, tamper: Tamper = {}, chunk = 64 * 1024): UploadRequest[] {
  const messages: UploadRequest[] = [{ type: 'limit', limit }];
  for (let at = 0; at < data.length; at += chunk) {
    const part = data.subarray(at, at + chunk);
    const sent = at + part.length;
    const amount = tamper.orderAmount?.(sent) ?? sent;
    messages.push({ type: 'chunk', data: part, order: signOrder(tamper.orderSigner ?? pieceKey, limit.serialNumber, amount) });
  }
  const pieceHash = signPieceHash(tamper.hashSigner ?? pieceKey, {
    pieceId: tamper.pieceId ?? limit.pieceId,
    hash: tamper.hash ?? getCryptoProvider().sha256(data),
    pieceSize: tamper.pieceSize ?? data.length,
    timestamp: T0,
  });
  messages.push({ type: 'done', pieceHash });
  return messages;
}

/** Sends `messages` as they are, then reads what the node answers. */
async function rawUpload(client: RpcClient, messages: UploadRequest[]): Promise<UploadResponse[]> {
  const stream = await client.stream(PiecestoreUpload);
  try {
    for (const message of messages) await stream.send(message);
    await stream.closeSend();
  } catch {
    // The node may have ended the stream already; its answer says why.
  }
  const replies: UploadResponse[] = [];
  for (let reply = await stream.receive(); reply !== undefined; reply = await stream.receive()) replies.push(reply);
  return replies;
}

function expectNothingStored(limit: OrderLimit): void {
  expect(world.pieces.usedBytes()).toBe(0);
  expect(world.db.takeUnsettled(world.satellite.publicKey, 10)).toEqual([]);
}

describe('Piecestore.Upload', () => {
  it('stores the piece with its original limit and uplink hash and answers with a receipt signed by the node', async () => {
    world = await startWorld();
    const { limit, pieceKey } = world.limit();
    const data = pieceData(700_000);
    const receipt = await uploadPiece(world.client, { limit, pieceKey, data, chunkSize: 100_000 });

    expect(receipt.pieceId).toEqual(limit.pieceId);
    expect(receipt.hash).toEqual(getCryptoProvider().sha256(data));
    expect(receipt.pieceSize).toBe(700_000);
    expect(verifyPieceHashSignature(receipt, world.node.publicKey)).toBe(true);

    const header = await world.pieces.header(world.satellite.publicKey, limit.pieceId);
    expect(header.orderLimit).toEqual(limit);
    expect(verifyPieceHashSignature(header.uplinkPieceHash, limit.piecePublicKey)).toBe(true);
    expect(header.uplinkPieceHash.hash).toEqual(receipt.hash);
    expect(header).toMatchObject({ size: 700_000, storedAt: T0 });
    expect(world.pieces.usedBytes(world.satellite.publicKey)).toBe(700_000);

    const [settle] = world.db.takeUnsettled(world.satellite.publicKey, 10);
    expect(settle?.limit).toEqual(limit);
    expect(settle?.order.amount).toBe(700_000);
  });

  it('accepts data from an async iterable in pieces of any size, and an empty piece', async () => {
    world = await startWorld();
    const data = pieceData(300_001, 2);
    async function* parts() {
      yield data.subarray(0, 7);
      yield data.subarray(7, 200_000);
      yield data.subarray(200_000);
    }
    const { limit, pieceKey } = world.limit();
    expect((await uploadPiece(world.client, { limit, pieceKey, data: parts() })).pieceSize).toBe(300_001);
    const empty = world.limit();
    expect((await uploadPiece(world.client, { ...empty, data: new Uint8Array() })).pieceSize).toBe(0);
    expect(await world.pieces.has(world.satellite.publicKey, empty.limit.pieceId)).toBe(true);
  });

  it('signs the SHA-256 its caller already computed without hashing again; a wrong one gets the upload refused and nothing stored', async () => {
    world = await startWorld();
    const data = pieceData(300_000, 3);
    const sha256 = getCryptoProvider().sha256(data);
    const good = world.limit();
    const receipt = await uploadPiece(world.client, { ...good, data, sha256 });
    expect(receipt.hash).toEqual(sha256);
    expect((await world.pieces.header(world.satellite.publicKey, good.limit.pieceId)).uplinkPieceHash.hash).toEqual(sha256);

    const bad = world.limit();
    const wrong = sha256.slice();
    wrong[0]! ^= 1;
    expect(await failure(uploadPiece(world.client, { ...bad, data, sha256: wrong }))).toBe('InvalidArgumentError');
    expect(await world.pieces.has(world.satellite.publicKey, bad.limit.pieceId)).toBe(false);
    expect(world.pieces.usedBytes(world.satellite.publicKey)).toBe(300_000);
  });

  describe('refuses a bad order limit before burning its serial', () => {
    const cases: [string, string, (w: World) => ReturnType<World['limit']>][] = [
      ['from a satellite it does not trust', 'PermissionDeniedError', (w) => {
        const stranger = Identity.generate();
        return w.limit({ satelliteId: stranger.publicKey }, stranger);
      }],
      ['forged (not signed by its satellite)', 'UnauthenticatedError', (w) => w.limit({}, Identity.generate())],
      ['for another node', 'PermissionDeniedError', (w) => w.limit({ storageNodeId: random(32) })],
      ['for a download action', 'InvalidArgumentError', (w) => w.limit({ action: 'GET' })],
      ['for a delete action', 'InvalidArgumentError', (w) => w.limit({ action: 'DELETE' })],
      ['expired', 'FailedPreconditionError', (w) => w.limit({ orderExpiration: T0 })],
      ['for a piece already past its expiration', 'FailedPreconditionError', (w) => w.limit({ pieceExpiration: T0 - 1 })],
    ];
    for (const [what, error, make] of cases) {
      it(`a limit ${what}: ${error}`, async () => {
        world = await startWorld();
        const { limit, pieceKey } = make(world);
        expect(await failure(uploadPiece(world.client, { limit, pieceKey, data: pieceData(1000) }))).toBe(error);
        expectNothingStored(limit);
        expect(world.serialUnused(limit)).toBe(true);
      });
    }
  });

  it('refuses a replayed serial with AlreadyExists', async () => {
    world = await startWorld();
    const { limit, pieceKey } = world.limit();
    await uploadPiece(world.client, { limit, pieceKey, data: pieceData(1000) });
    await world.pieces.delete(world.satellite.publicKey, limit.pieceId);
    world.db.markSettled(world.satellite.publicKey, [limit.serialNumber]);
    expect(await failure(uploadPiece(world.client, { limit, pieceKey, data: pieceData(1000) }))).toBe('AlreadyExistsError');
    expectNothingStored(limit);
  });

  it('refuses to overwrite a piece it already stores, keeping the original', async () => {
    world = await startWorld();
    const first = world.limit();
    await uploadPiece(world.client, { ...first, data: pieceData(1000, 1) });
    const again = world.limit({ pieceId: first.limit.pieceId });
    expect(await failure(uploadPiece(world.client, { ...again, data: pieceData(2000, 2) }))).toBe('AlreadyExistsError');
    expect((await world.pieces.header(world.satellite.publicKey, first.limit.pieceId)).orderLimit).toEqual(first.limit);
    expect(world.serialUnused(again.limit)).toBe(true);
  });

  it('aborts a piece larger than its limit with ResourceExhausted, even while the uplink keeps sending', async () => {
    world = await startWorld();
    const { limit, pieceKey } = world.limit({ limitBytes: 1024 * 1024 });
    const data = pieceData(6 * 1024 * 1024);
    expect(await failure(uploadPiece(world.client, { limit, pieceKey, data }))).toBe('ResourceExhaustedError');
    expectNothingStored(limit);
    // The connection pool still works afterwards.
    const next = world.limit();
    expect((await uploadPiece(world.client, { ...next, data: pieceData(10) })).pieceSize).toBe(10);
  });

  it('refuses pieces beyond the node\'s capacity with ResourceExhausted', async () => {
    world = await startWorld({ deps: { capacityBytes: 1000 } });
    expect(await failure(uploadPiece(world.client, { ...world.limit(), data: pieceData(1001) }))).toBe('ResourceExhaustedError');
    expect(world.pieces.usedBytes()).toBe(0);
    await uploadPiece(world.client, { ...world.limit(), data: pieceData(600) });
    expect(await failure(uploadPiece(world.client, { ...world.limit(), data: pieceData(401) }))).toBe('ResourceExhaustedError');
    await uploadPiece(world.client, { ...world.limit(), data: pieceData(400) });
    const full = world.limit();
    expect(await failure(uploadPiece(world.client, { ...full, data: pieceData(1) }))).toBe('ResourceExhaustedError');
    expect(world.serialUnused(full.limit)).toBe(true);
    expect(world.pieces.usedBytes()).toBe(1000);
  });

  const tampered: [string, Tamper][] = [
    ['a hash that does not match the data', { hash: random(32) }],
    ['a piece size that does not match the bytes sent', { pieceSize: 999 }],
    ['a hash for another piece id', { pieceId: random(32) }],
    ['a hash not signed by the piece key', { hashSigner: Identity.generate() }],
    ['orders not signed by the piece key', { orderSigner: Identity.generate() }],
    ['orders that do not cover the bytes sent', { orderAmount: (sent) => sent - 1 }],
    ['an order beyond the limit', { orderAmount: () => 4 * 1024 * 1024 + 1 }],
  ];
  for (const [what, tamper] of tampered) {
    it(`refuses an upload with ${what} (InvalidArgument), storing nothing`, async () => {
      world = await startWorld();
      const { limit, pieceKey } = world.limit();
      const error = await failure(rawUpload(world.client, uploadMessages(limit, pieceKey, pieceData(200_000), tamper)));
      expect(error).toBe('InvalidArgumentError');
      expect(await world.pieces.has(world.satellite.publicKey, limit.pieceId)).toBe(false);
      expectNothingStored(limit);
    });
  }

  it('refuses streams that break the message order', async () => {
    world = await startWorld();
    const { limit, pieceKey } = world.limit();
    const honest = uploadMessages(limit, pieceKey, pieceData(1000));
    const done = honest[honest.length - 1]!;
    expect(await failure(rawUpload(world.client, []))).toBe('InvalidArgumentError');
    expect(await failure(rawUpload(world.client, [done]))).toBe('InvalidArgumentError');
    const again = world.limit();
    const messages = uploadMessages(again.limit, again.pieceKey, pieceData(1000));
    expect(await failure(rawUpload(world.client, [messages[0]!, messages[0]!]))).toBe('InvalidArgumentError');
    const third = world.limit();
    const m3 = uploadMessages(third.limit, third.pieceKey, pieceData(1000));
    expect(await failure(rawUpload(world.client, m3.slice(0, -1)))).toBe('InvalidArgumentError');
    const fourth = world.limit();
    const m4 = uploadMessages(fourth.limit, fourth.pieceKey, pieceData(1000));
    expect(await failure(rawUpload(world.client, [...m4, m4[1]!]))).toBe('InvalidArgumentError');
    expect(world.pieces.usedBytes()).toBe(0);
  });

  it('does not accept a receipt signed by anyone but the node of the limit', async () => {
    world = await startWorld();
    const net = memoryNetwork();
    const impostor = new RpcServer({ identity: Identity.generate() });
    impostor.stream(PiecestoreUpload, async (stream) => {
      let hash: UploadResponse['pieceHash'] | undefined;
      for await (const message of stream) if (message.type === 'done') hash = message.pieceHash;
      await stream.send({ pieceHash: signPieceHash(Identity.generate(), hash!) });
    });
    const { address } = await impostor.listen(net.transport(), 'impostor:0');
    const client = new RpcClient({ transport: net.transport(), address });
    try {
      const { limit, pieceKey } = world.limit();
      expect(await failure(uploadPiece(client, { limit, pieceKey, data: pieceData(100) }))).toBe('UnauthenticatedError');
    } finally {
      await client.close();
      await impostor.close();
    }
  });
});
