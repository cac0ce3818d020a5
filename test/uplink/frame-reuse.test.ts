/**
 * Downloads over TCP hand each received piece frame back to the transport's pool once decoding
 * is past it (issue 17). Handing back too early would let a later frame overwrite bytes still to
 * be decoded, so here every frame handed back is overwritten at once: the downloads must still
 * return the exact bytes without a single block failing authentication (which would otherwise
 * be hidden by the uplink's recovery refetching every piece).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { getCryptoProvider, setCryptoProvider } from '../../src/crypto/select.js';
import { createTestNetwork, type TestNetwork } from '../../src/testing/index.js';
import { framePool } from '../../src/transport/frame-pool.js';
import { PieceBuffer } from '../../src/uplink/piece-buffer.js';
import { patterned } from './support/bytes.js';

const MiB = 1024 * 1024;

let network: TestNetwork | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  setCryptoProvider(undefined);
  await network?.close();
  network = undefined;
});

describe('a piece buffer', () => {
  it('hands every chunk it forgets, and only those, to onDiscard, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 6 }), (lengths, cuts) => {
        const discarded: Uint8Array[] = [];
        const buffer = new PieceBuffer(100, (chunk) => discarded.push(chunk));
        const chunks = lengths.map((length) => new Uint8Array(length));
        for (const chunk of chunks) buffer.append(chunk);
        const kept = chunks.filter((c) => c.length > 0);
        const total = kept.reduce((sum, c) => sum + c.length, 0);
        for (const cut of [...cuts.map((c) => 100 + (c % (total + 1)))].sort((a, b) => a - b)) {
          buffer.discardBefore(cut);
          let end = 100;
          const expected = kept.filter((c) => (end += c.length) <= cut);
          expect(discarded).toEqual(expected);
          expect(discarded.every((c, i) => c === expected[i])).toBe(true);
        }
      }),
    );
  });
});

describe('downloads over TCP', () => {
  it('return exact bytes while every frame they hand back is overwritten at once', async () => {
    network = await createTestNetwork({ transport: 'tcp', segmentSize: 2 * MiB });
    const uplink = await network.uplink();
    await uplink.createBucket('frames');
    const objects = [0, 1, 2].map((i) => patterned(5 * MiB + 1000 * i + 7, i + 1));
    for (const [i, data] of objects.entries()) await uplink.upload('frames', `o${i}`, data);

    let handedBack = 0;
    vi.spyOn(framePool, 'release').mockImplementation((view) => {
      if (!framePool.lent(view)) return false;
      new Uint8Array(view.buffer).fill(0xee); // the worst reuse: at once, every byte
      handedBack++;
      return true;
    });
    const base = getCryptoProvider();
    let failedBlocks = 0;
    const counting: CryptoProvider = {
      ...base,
      aeadOpen(...args) {
        try {
          return base.aeadOpen(...args);
        } catch (err) {
          failedBlocks++;
          throw err;
        }
      },
    };
    setCryptoProvider(counting);

    const downloaded = await Promise.all(objects.map((_, i) => uplink.download('frames', `o${i}`)));
    for (const [i, data] of objects.entries()) expect(Buffer.compare(downloaded[i]!, data)).toBe(0);
    expect(failedBlocks).toBe(0);
    expect(handedBack).toBeGreaterThan(0); // the path under test was taken
  });
});
