/**
 * Reused piece buffers (the graceful exit's reads): the pool never hands one buffer out twice at
 * once, and a piece read into a reused buffer keeps a header of its own.
 */
import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getCryptoProvider } from '../../src/crypto/select.js';
import { PieceBufferPool } from '../../src/piecestore/buffer-pool.js';
import { FsPieceStore } from '../../src/piecestore/fs-store.js';
import { MemoryPieceStore } from '../../src/piecestore/memory-store.js';
import { readWholePiece, type PieceStore } from '../../src/piecestore/store.js';
import { buildChain } from '../exit/proof-chain.js';

const random = (n: number) => getCryptoProvider().randomBytes(n);
const roots: string[] = [];
afterAll(async () => void (await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })))));

/** Stores `data` under a fresh piece id with a genuine signed proof; returns the id and the header it should read back. */
async function put(store: PieceStore, data: Uint8Array) {
  const chain = buildChain({ pieceSize: data.length });
  const satelliteId = chain.satellite.publicKey;
  const writer = await store.create(satelliteId, chain.originalPieceId);
  await writer.write(data);
  await writer.commit({ orderLimit: chain.limit, uplinkPieceHash: chain.originalHash, storedAt: 1_700_000_000_000 });
  return { satelliteId, pieceId: chain.originalPieceId, header: structuredClone({ orderLimit: chain.limit, uplinkPieceHash: chain.originalHash, size: data.length, storedAt: 1_700_000_000_000 }) };
}

describe('PieceBufferPool', () => {
  it('gives a buffer of at least the size asked for, and the same memory again once it is handed back', () => {
    const pool = new PieceBufferPool(2);
    const a = pool.take(100_000);
    expect(a.length).toBeGreaterThanOrEqual(100_000);
    pool.give(a.subarray(0, 10)); // any view of it hands back the whole buffer
    expect(pool.size).toBe(1);
    const b = pool.take(90_000);
    expect(b.buffer).toBe(a.buffer);
    expect(pool.size).toBe(0);
  });

  it('keeps at most maxFree buffers, each once, and none too large or far larger than asked', () => {
    const pool = new PieceBufferPool(2);
    const [a, b, c] = [pool.take(1000), pool.take(1000), pool.take(1000)];
    pool.give(a);
    pool.give(a);
    expect(pool.size).toBe(1);
    pool.give(b);
    pool.give(c);
    expect(pool.size).toBe(2);
    const huge = pool.take(5 * 1024 * 1024);
    const fresh = new PieceBufferPool(4);
    fresh.give(huge);
    expect(fresh.size).toBe(0);
    const big = fresh.take(1024 * 1024);
    fresh.give(big);
    expect(fresh.take(1000).buffer).not.toBe(big.buffer); // a 1 MiB buffer does not serve 1 KB
  });

  it('never hands out a buffer that is still taken (any sequence of takes and gives)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.record({ take: fc.integer({ min: 0, max: 600_000 }) }), fc.record({ give: fc.nat() })), { maxLength: 60 }), fc.integer({ min: 0, max: 6 }), (steps, maxFree) => {
        const pool = new PieceBufferPool(maxFree);
        const out: Uint8Array[] = [];
        for (const step of steps) {
          if ('take' in step) {
            const buffer = pool.take(step.take);
            expect(buffer.length).toBeGreaterThanOrEqual(step.take);
            expect(out.some((o) => o.buffer === buffer.buffer)).toBe(false);
            out.push(buffer);
          } else if (out.length > 0) {
            pool.give(out.splice(step.give % out.length, 1)[0]!);
          }
          expect(pool.size).toBeLessThanOrEqual(maxFree);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('whole-piece reads into a caller\'s buffers', () => {
  it('the filesystem store reads into the pool\'s buffer, and a header read that way survives the buffer\'s reuse', async () => {
    const root = await mkdtemp(join(tmpdir(), 'handoff-pool-'));
    roots.push(root);
    const store = await FsPieceStore.open({ root, fsync: false });
    const pool = new PieceBufferPool(1);
    const first = await put(store, random(70_000));
    const second = await put(store, random(70_000));
    const given: Uint8Array[] = [];
    const allocate = (size: number) => {
      const buffer = pool.take(size);
      given.push(buffer);
      return buffer;
    };
    const one = await readWholePiece(store, first.satelliteId, first.pieceId, { allocate });
    expect(one.data.buffer).toBe(given[0]!.buffer);
    expect(one.header).toEqual(first.header);
    pool.give(one.data);
    const two = await readWholePiece(store, second.satelliteId, second.pieceId, { allocate });
    expect(two.data.buffer).toBe(one.data.buffer); // the same memory, now the second piece
    expect(two.header).toEqual(second.header);
    expect(one.header).toEqual(first.header); // ... and the first header is its own
    // Without an allocator, reads are as before.
    expect((await store.readPiece(second.satelliteId, second.pieceId)).data).toEqual(two.data);
  });

  it('the fallback for stores without readPiece uses the allocator too, and refuses one that gives too little', async () => {
    const memory = new MemoryPieceStore();
    const piece = await put(memory, random(5_000));
    const store: PieceStore = {
      create: (s, p) => memory.create(s, p), header: (s, p) => memory.header(s, p), read: (s, p, r, o) => memory.read(s, p, r, o),
      has: (s, p) => memory.has(s, p), delete: (s, p) => memory.delete(s, p), list: (s) => memory.list(s), usedBytes: (s) => memory.usedBytes(s),
    };
    const buffer = new Uint8Array(8_000);
    const read = await readWholePiece(store, piece.satelliteId, piece.pieceId, { allocate: () => buffer });
    expect(read.data.buffer).toBe(buffer.buffer);
    expect(read.data.length).toBe(5_000);
    expect(read.header).toEqual(piece.header);
    await expect(readWholePiece(store, piece.satelliteId, piece.pieceId, { allocate: () => new Uint8Array(10) })).rejects.toThrow(RangeError);
  });
});
