/**
 * A node receiving pieces over TCP reads each big upload frame into memory from the transport's
 * frame pool and hands it back once the file store has written it (issue 17): the stored bytes,
 * hash and order must be exactly what was sent even though later frames reuse that memory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getCryptoProvider } from '../../src/crypto/select.js';
import { signOrder, verifyOrderSignature } from '../../src/orders/order.js';
import { signPieceHash } from '../../src/orders/piece-hash.js';
import { uploadPiece } from '../../src/piecestore/client.js';
import { FsPieceStore } from '../../src/piecestore/fs-store.js';
import { PiecestoreUpload } from '../../src/piecestore/methods.js';
import { readWholePiece } from '../../src/piecestore/store.js';
import { framePool } from '../../src/transport/frame-pool.js';
import { tcpTransport } from '../../src/transport/index.js';
import { pieceData, startWorld, T0, type World } from './support/world.js';

let world: World | undefined;
let root: string | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await world?.close();
  if (root) await rm(root, { recursive: true, force: true });
  world = undefined;
  root = undefined;
});

/** Stands in for the pool's release: the frame's whole memory is overwritten at once. */
function poison(view: Uint8Array): boolean {
  new Uint8Array(view.buffer).fill(0xee);
  return true;
}

describe('uploads over TCP into pooled frames', () => {
  it('stores every piece byte-identical with its hash, while the frames it came in are handed back and reused', async () => {
    root = await mkdtemp(join(tmpdir(), 'handoff-pooled-upload-'));
    const pieces = await FsPieceStore.open({ root, fsync: false });
    world = await startWorld({ pieces, transport: tcpTransport(), address: '127.0.0.1:0' });
    const w = world;
    const release = vi.spyOn(framePool, 'release');
    const taken = vi.spyOn(framePool, 'take');

    const uploads: Array<{ pieceId: Uint8Array; data: Uint8Array }> = [];
    // Single-frame pieces (the exit's 256 KiB) and multi-frame ones of odd sizes, one after another
    // on one connection, so each frame may land in the memory of one handed back before it.
    const sizes = [256 * 1024, 256 * 1024, 700_001, 256 * 1024, 2 * 1024 * 1024 + 17, 100_000, 256 * 1024];
    for (const [i, size] of sizes.entries()) {
      const data = pieceData(size, i + 1);
      const up = w.limit();
      const receipt = await uploadPiece(w.client, { ...up, data, chunkSize: 256 * 1024 });
      expect(receipt.hash).toEqual(getCryptoProvider().sha256(data));
      uploads.push({ pieceId: up.limit.pieceId, data });
    }
    for (const { pieceId, data } of uploads) {
      const stored = await readWholePiece(pieces, w.satellite.publicKey, pieceId);
      expect(Buffer.compare(stored.data, data)).toBe(0);
      expect(stored.header.uplinkPieceHash.hash).toEqual(getCryptoProvider().sha256(data));
    }
    // The path under test was taken: chunk frames went back to the pool, and later ones reused them.
    const handedBack = release.mock.results.filter((r) => r.value === true).length;
    expect(handedBack).toBeGreaterThanOrEqual(sizes.length);
    expect(taken.mock.results.filter((r) => r.value !== undefined).length).toBeGreaterThan(0);
  });

  it('keeps the order it settles intact when the chunk that carried it was handed back and overwritten', async () => {
    root = await mkdtemp(join(tmpdir(), 'handoff-pooled-order-'));
    const pieces = await FsPieceStore.open({ root, fsync: false });
    world = await startWorld({ pieces, transport: tcpTransport(), address: '127.0.0.1:0' });
    const w = world;
    // Whether a later frame happens to reuse the memory depends on timing; here every frame handed
    // back is overwritten at once, as the worst reuse would.
    const release = vi.spyOn(framePool, 'release').mockImplementation(poison);
    // The first of ten chunks carries the order for the whole piece, the best one, kept to the
    // end; every later chunk carries a smaller (valid) order, so its frame has the same layout
    // and, read into the first frame's memory, overwrites exactly where that order's bytes were.
    const chunk = 256 * 1024;
    const data = pieceData(10 * chunk, 9);
    const up = w.limit();
    const stream = await w.client.stream(PiecestoreUpload);
    await stream.send({ type: 'limit', limit: up.limit });
    for (let i = 0; i < 10; i++) {
      const amount = i === 0 ? data.length : (i + 1) * chunk;
      await stream.send({ type: 'chunk', data: data.subarray(i * chunk, (i + 1) * chunk), order: signOrder(up.pieceKey, up.limit.serialNumber, amount) });
    }
    const pieceHash = signPieceHash(up.pieceKey, { pieceId: up.limit.pieceId, hash: getCryptoProvider().sha256(data), pieceSize: data.length, timestamp: T0 });
    await stream.send({ type: 'done', pieceHash });
    await stream.closeSend();
    expect((await stream.receive())?.pieceHash.hash).toEqual(pieceHash.hash);
    expect(await stream.receive()).toBeUndefined();
    expect(release.mock.results.filter((r) => r.value === true).length).toBeGreaterThanOrEqual(9);
    const [unsettled] = w.db.takeUnsettled(w.satellite.publicKey, 10);
    expect(unsettled?.order.amount).toBe(data.length);
    expect(unsettled?.order.serialNumber).toEqual(up.limit.serialNumber);
    expect(verifyOrderSignature(unsettled!.order, up.limit.piecePublicKey)).toBe(true);
  });

  it('hands a frame back only once the file holds its bytes: overwritten at once, every piece still reads back byte-identical', async () => {
    root = await mkdtemp(join(tmpdir(), 'handoff-pooled-poison-'));
    const pieces = await FsPieceStore.open({ root, fsync: false });
    world = await startWorld({ pieces, transport: tcpTransport(), address: '127.0.0.1:0' });
    const w = world;
    const release = vi.spyOn(framePool, 'release').mockImplementation(poison);
    for (const [i, size] of [256 * 1024, 3 * 1024 * 1024 + 5, 300_000].entries()) {
      const data = pieceData(size, 40 + i);
      const up = w.limit();
      const receipt = await uploadPiece(w.client, { ...up, data, chunkSize: 256 * 1024 });
      expect(receipt.hash).toEqual(getCryptoProvider().sha256(data));
      const stored = await readWholePiece(pieces, w.satellite.publicKey, up.limit.pieceId);
      expect(Buffer.compare(stored.data, data)).toBe(0);
    }
    expect(release.mock.results.filter((r) => r.value === true).length).toBeGreaterThanOrEqual(15);
  });
});
