/**
 * Uploads lend their piece chunks from a pool and each piece upload gives its chunk back once
 * it is hashed and the transport holds no reference to it (issue 17). Given back too early, the
 * next batch would overwrite bytes still waiting in a socket. Here every chunk given back is
 * overwritten at once ("poison"): every upload must still download byte-identical and every
 * piece a node stored must match the hash the uplink signed for it. The last test shows the
 * check has teeth: with the transport's word ignored (chunks given back as soon as a send
 * returns), the same poison breaks uploads over TCP.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readWholePiece } from '../../src/piecestore/store.js';
import { ClientStream } from '../../src/rpc/client-stream.js';
import { createTestNetwork, TEST_REDUNDANCY, type TestNetwork } from '../../src/testing/index.js';
import { ChunkPool } from '../../src/uplink/erasure/chunk-pool.js';
import { patterned } from './support/bytes.js';

const MiB = 1024 * 1024;

let network: TestNetwork | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await network?.close();
  network = undefined;
});

describe('a chunk pool', () => {
  it('takes back only what it lent, once, up to its idle limit, and lends it again', () => {
    const pool = new ChunkPool(3 * 1024);
    const a = pool.lend(1024);
    const b = pool.lend(1024);
    expect(pool.give(new Uint8Array(1024))).toBe(false); // not lent by this pool
    expect(pool.give(a.subarray(0, 10))).toBe(true); // a view gives back its whole array
    expect(pool.give(a)).toBe(false); // given twice
    expect(pool.idleBytes).toBe(1024);
    const again = pool.lend(1024);
    expect(again.buffer).toBe(a.buffer);
    expect(again.length).toBe(1024);
    expect(pool.idleBytes).toBe(0);
    const big = pool.lend(4 * 1024);
    expect(pool.give(big)).toBe(false); // over the idle limit
    expect(pool.give(b)).toBe(true);
    expect(pool.lend(2048).buffer).not.toBe(b.buffer); // another size: a new array
  });
});

/** Counts the pool's traffic; every chunk given back is overwritten first (the worst reuse). */
function poisonGivenChunks(): { given: number; reused: number } {
  const counts = { given: 0, reused: 0 };
  const give = ChunkPool.prototype.give;
  vi.spyOn(ChunkPool.prototype, 'give').mockImplementation(function (this: ChunkPool, chunk: Uint8Array) {
    new Uint8Array(chunk.buffer).fill(0xee);
    const taken = give.call(this, chunk);
    if (taken) counts.given++;
    return taken;
  });
  const lend = ChunkPool.prototype.lend;
  vi.spyOn(ChunkPool.prototype, 'lend').mockImplementation(function (this: ChunkPool, size: number) {
    const idle = this.idleBytes;
    const chunk = lend.call(this, size);
    if (this.idleBytes < idle) counts.reused++;
    return chunk;
  });
  return counts;
}

/** Every piece every node stored hashes to what the uplink signed for it; returns how many. */
async function verifyStoredPieces(net: TestNetwork): Promise<number> {
  const satelliteId = net.satellite.id.bytes;
  let checked = 0;
  for (const node of net.nodes) {
    for await (const { pieceId } of node.storage.list(satelliteId)) {
      const { header, data } = await readWholePiece(node.storage, satelliteId, pieceId);
      expect(data.length).toBe(header.size);
      expect(Buffer.from(createHash('sha256').update(data).digest()).equals(Buffer.from(header.uplinkPieceHash.hash))).toBe(true);
      checked++;
    }
  }
  return checked;
}

// Every node takes a piece of every segment and the upload waits for all: no long tail, so
// every piece hash is checked by a node, and a corrupted piece fails the upload.
const redundancy = { ...TEST_REDUNDANCY, success: 5, total: 5 };

describe.each(['tcp', 'memory'] as const)('uploads over %s with reused piece chunks', (transport) => {
  it('store exact pieces and download byte-identical while every chunk given back is overwritten at once', async () => {
    network = await createTestNetwork({ transport, redundancy, segmentSize: 4 * MiB });
    const uplink = await network.uplink();
    await uplink.createBucket('chunks');
    const counts = poisonGivenChunks();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 9 * MiB }), { minLength: 1, maxLength: 3 }), fc.nat(), async (sizes, seed) => {
        const objects = sizes.map((size, i) => patterned(size, seed + i + 1));
        // At once: uploads share the pool and the connections.
        await Promise.all(objects.map((data, i) => uplink.upload('chunks', `o${seed}-${i}`, data)));
        const downloaded = await Promise.all(objects.map((_, i) => uplink.download('chunks', `o${seed}-${i}`)));
        for (const [i, data] of objects.entries()) expect(Buffer.compare(downloaded[i]!, data)).toBe(0);
      }),
      { numRuns: 4, examples: [[[9 * MiB - 3, 2 * MiB], 7]] },
    );
    expect(await verifyStoredPieces(network)).toBeGreaterThan(0);
    // The path under test was taken: chunks came back and were lent again.
    expect(counts.given).toBeGreaterThan(0);
    expect(counts.reused).toBeGreaterThan(0);
  });
});

describe('the check itself', () => {
  it('fails over TCP when a chunk is given back once its send is under way, before the socket wrote it', async () => {
    network = await createTestNetwork({ transport: 'tcp', redundancy, segmentSize: 4 * MiB });
    const uplink = await network.uplink();
    await uplink.createBucket('chunks');
    poisonGivenChunks();
    // Given back right after the frame is handed to the connection (hashed already), without
    // waiting for the send, let alone for the transport's word.
    const send = ClientStream.prototype.send;
    vi.spyOn(ClientStream.prototype, 'send').mockImplementation(function (this: ClientStream<unknown, unknown>, message: unknown) {
      const sent = send.call(this, message);
      const data = (message as { type?: string; data?: Uint8Array }).data;
      if ((message as { type?: string }).type === 'chunk' && data !== undefined) new Uint8Array(data.buffer).fill(0xee);
      return sent;
    });
    const objects = [0, 1, 2].map((i) => patterned(8 * MiB + i, i + 1));
    const results = await Promise.allSettled(objects.map((data, i) => uplink.upload('chunks', `early${i}`, data)));
    let broken = results.filter((r) => r.status === 'rejected').length;
    for (const [i, data] of objects.entries()) {
      if (results[i]!.status !== 'fulfilled') continue;
      const back = await uplink.download('chunks', `early${i}`).catch(() => undefined);
      if (back === undefined || Buffer.compare(back, data) !== 0) broken++;
    }
    expect(broken).toBe(objects.length);
  });
});
