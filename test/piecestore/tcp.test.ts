/**
 * The whole path over real sockets and a real disk: upload to the filesystem store over TCP,
 * download it back, delete it; a refused upload leaves nothing in the store's temp directory.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getCryptoProvider } from '../../src/crypto/select.js';
import { deletePiece, downloadPiece, uploadPiece } from '../../src/piecestore/client.js';
import { FsPieceStore } from '../../src/piecestore/fs-store.js';
import { tcpTransport } from '../../src/transport/index.js';
import { collect, failure, pieceData, startWorld, type World } from './support/world.js';

let world: World | undefined;
let root: string | undefined;
afterEach(async () => {
  await world?.close();
  if (root) await rm(root, { recursive: true, force: true });
  world = undefined;
  root = undefined;
});

async function tcpWorld(): Promise<{ world: World; pieces: FsPieceStore }> {
  root = await mkdtemp(join(tmpdir(), 'handoff-piecestore-tcp-'));
  const pieces = await FsPieceStore.open({ root });
  world = await startWorld({ pieces, transport: tcpTransport(), address: '127.0.0.1:0' });
  return { world, pieces };
}

describe('Piecestore over TCP with the filesystem store', () => {
  it('uploads, downloads and deletes a 2 MiB piece', async () => {
    const { world: w, pieces } = await tcpWorld();
    const data = pieceData(2 * 1024 * 1024, 5);
    const up = w.limit();
    const receipt = await uploadPiece(w.client, { ...up, data });
    expect(receipt.hash).toEqual(getCryptoProvider().sha256(data));

    const reopened = await FsPieceStore.open({ root: pieces.root });
    expect(reopened.usedBytes(w.satellite.publicKey)).toBe(data.length);
    expect((await reopened.header(w.satellite.publicKey, up.limit.pieceId)).orderLimit).toEqual(up.limit);

    const get = w.limit({ action: 'GET', pieceId: up.limit.pieceId });
    const { data: back } = await collect(downloadPiece(w.client, { ...get, offset: 0, length: data.length }));
    expect(Buffer.compare(back, data)).toBe(0);

    expect(await deletePiece(w.client, w.limit({ action: 'DELETE', pieceId: up.limit.pieceId }).limit)).toBe(true);
    expect(pieces.usedBytes()).toBe(0);
  });

  it('refuses an oversized piece mid-stream and leaves no temp file behind', async () => {
    const { world: w, pieces } = await tcpWorld();
    const up = w.limit({ limitBytes: 512 * 1024 });
    expect(await failure(uploadPiece(w.client, { ...up, data: pieceData(12 * 1024 * 1024) }))).toBe('ResourceExhaustedError');
    expect(await readdir(join(pieces.root, 'tmp'))).toEqual([]);
    expect(pieces.usedBytes()).toBe(0);
    const next = w.limit();
    expect((await uploadPiece(w.client, { ...next, data: pieceData(1000) })).pieceSize).toBe(1000);
  });
});
