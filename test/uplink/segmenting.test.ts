/**
 * Cutting an upload into segments: whatever chunks the source gives, the segments are the
 * source's bytes in order, each at most the segment size, with a look-ahead that tells what is
 * left; and how large an inline object may be.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../src/uplink/byte-source.js';
import { encryptedSizeFor } from '../../src/uplink/encryption/index.js';
import { inlinePlainLimit } from '../../src/uplink/inline.js';
import { asReadableStream, collect, inChunks, patterned } from './support/bytes.js';

async function segmentsOf(reader: ByteReader, size: number, lookAhead: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (;;) {
    await reader.fill(lookAhead);
    if (reader.exhausted) return out;
    const segment = await collect(reader.segment(size));
    expect(segment.length).toBeLessThanOrEqual(size);
    out.push(segment);
  }
}

describe('cutting a source into segments', () => {
  it('gives back the source bytes in order, in segments of the segment size, for any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 700 }), fc.integer({ min: 1, max: 1200 }), fc.integer({ min: 0, max: 300 }), async (length, chunk, size, lookAhead) => {
        const data = patterned(length, length + 1);
        const reader = new ByteReader(inChunks(data, chunk));
        const segments = await segmentsOf(reader, size, lookAhead);
        expect(Buffer.concat(segments).equals(data)).toBe(true);
        expect(segments.slice(0, -1).every((s) => s.length === size)).toBe(true);
        expect(reader.consumed).toBe(length);
      }),
      { numRuns: 60 },
    );
  });

  it('reads a Uint8Array, an iterable and a web ReadableStream alike, and refuses anything else', async () => {
    const data = patterned(1000);
    for (const source of [data, [data.subarray(0, 10), data.subarray(10)], asReadableStream(data, 64)]) {
      expect(Buffer.concat(await segmentsOf(new ByteReader(source), 300, 1)).equals(data)).toBe(true);
    }
    expect(() => new ByteReader(42 as unknown as Uint8Array)).toThrow(/"data" expected/);
    await expect(new ByteReader(['not bytes'] as unknown as Iterable<Uint8Array>).fill(1)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  });

  it('knows how much is left before a segment is begun, without reading more than it needs', async () => {
    let pulled = 0;
    async function* counted() {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield new Uint8Array(100);
      }
    }
    const reader = new ByteReader(counted());
    await reader.fill(250);
    expect([reader.buffered, reader.ended, pulled]).toEqual([300, false, 3]);
  });

  it('cancels a ReadableStream it stops reading', async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull: (controller) => controller.enqueue(new Uint8Array(10)),
      cancel: () => {
        cancelled = true;
      },
    });
    const reader = new ByteReader(stream);
    await reader.fill(25);
    await reader.close();
    expect(cancelled).toBe(true);
  });
});

describe('the inline limit', () => {
  it('is the largest plaintext whose encryption fits', () => {
    for (const [maxInline, blockSize] of [[4096, 65_520], [4096, 1000], [100, 7], [16, 65_520], [10, 65_520]] as const) {
      const limit = inlinePlainLimit(maxInline, blockSize);
      if (limit >= 0) expect(encryptedSizeFor(limit, blockSize)).toBeLessThanOrEqual(maxInline);
      expect(encryptedSizeFor(limit + 1, blockSize)).toBeGreaterThan(maxInline);
    }
    expect(inlinePlainLimit(4096, 65_520)).toBe(4080);
  });
});
