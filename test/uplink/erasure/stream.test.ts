import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../../../src/core/bytes.js';
import type { RedundancyScheme } from '../../../src/metainfo/metabase/types.js';
import { ChunkPool } from '../../../src/uplink/erasure/chunk-pool.js';
import { createErasureCoder, type PieceInput } from '../../../src/uplink/erasure/index.js';

function scheme(required: number, total: number): RedundancyScheme {
  return { algorithm: 'reed-solomon', shareSize: 256, required, repair: required, success: total, total };
}

/** `bytes` cut at the given points (sorted, deduplicated), as an upload's reads would be. */
function cut(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const bounds = [0, ...[...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b), bytes.length];
  return bounds.slice(1).map((end, i) => bytes.subarray(bounds[i]!, end));
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

describe('streaming an upload', () => {
  it('yields the same chunks from a pool whose arrays hold old bytes, given back as soon as they are yielded', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 9000 }), fc.array(fc.nat(), { maxLength: 6 }), fc.integer({ min: 1, max: 4 }), async (segment, points, chunkStripes) => {
        const coder = createErasureCoder(scheme(3, 7));
        const expected = await collect(coder.encodeStream(cut(segment, points), { chunkStripes }));
        const pool = new ChunkPool();
        // Old bytes in every array the pool holds, and each chunk poisoned and given back at once.
        const size = chunkStripes * 256;
        const dirty = Array.from({ length: 10 }, () => pool.lend(size));
        for (const chunk of dirty) pool.give(chunk.fill(0xa5));
        let reused = 0;
        for await (const batch of coder.encodeStream(cut(segment, points), { chunkStripes, pool })) {
          const want = expected.shift()!;
          expect(batch.length).toBe(7);
          batch.forEach((chunk, i) => expect(Buffer.from(chunk).equals(Buffer.from(want[i]!))).toBe(true));
          for (const chunk of batch) {
            chunk.fill(0x5a);
            if (pool.give(chunk)) reused++;
          }
        }
        expect(expected).toEqual([]);
        expect(reused).toBeGreaterThan(0);
      }),
    );
  });

  it('yields piece chunks that add up to the pieces of the whole segment, however the input is cut', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 9000 }), fc.array(fc.nat(), { maxLength: 6 }), fc.integer({ min: 1, max: 4 }), async (segment, points, chunkStripes) => {
        const coder = createErasureCoder(scheme(3, 7));
        const batches = await collect(coder.encodeStream(cut(segment, points), { chunkStripes }));
        const whole = coder.encodeSegment(segment);
        for (const batch of batches) {
          expect(batch).toHaveLength(7);
          expect(batch[0]!.length).toBeLessThanOrEqual(chunkStripes * 256);
        }
        for (let n = 0; n < 7; n++) expect(concatBytes(...batches.map((batch) => batch[n]!))).toEqual(whole[n]);
      }),
      { numRuns: 80 },
    );
  });

  it('encodes stripe runs on their own: runs of whole stripes and a short last one add up to the segment', () => {
    const coder = createErasureCoder(scheme(4, 10));
    const segment = Uint8Array.from({ length: 5 * coder.stripeSize + 700 }, (_, i) => (i * 11) & 255);
    const head = coder.encodeStripes(segment.subarray(0, 3 * coder.stripeSize));
    const tail = coder.encodeStripes(segment.subarray(3 * coder.stripeSize));
    const whole = coder.encodeSegment(segment);
    for (let n = 0; n < 10; n++) expect(concatBytes(head[n]!, tail[n]!)).toEqual(whole[n]);
  });

  it('never holds more than one batch: the first chunks come out before the source is drained', async () => {
    const coder = createErasureCoder(scheme(4, 10));
    let read = 0;
    async function* source() {
      for (let i = 0; i < 64; i++) {
        read += 1024;
        yield new Uint8Array(1024).fill(i);
      }
    }
    const stream = coder.encodeStream(source(), { chunkStripes: 2 });
    const first = await stream.next();
    expect(first.done).toBe(false);
    expect(read).toBe(2048);
    await stream.return(undefined);
  });

  it('stops with a cancel error when its signal fires', async () => {
    const coder = createErasureCoder(scheme(4, 10));
    const controller = new AbortController();
    const stream = coder.encodeStream([new Uint8Array(4096), new Uint8Array(4096)], { chunkStripes: 1, signal: controller.signal });
    await stream.next();
    controller.abort();
    await expect(stream.next()).rejects.toMatchObject({ name: 'CanceledError' });
  });
});

describe('streaming a download', () => {
  const coder = createErasureCoder(scheme(4, 10));
  const segment = Uint8Array.from({ length: 10 * coder.stripeSize + 123 }, (_, i) => (i * 37) & 255);
  const pieces = coder.encodeSegment(segment);
  const shares = pieces[0]!.length / 256;

  /** Chunks of `sharesPerChunk` shares of the pieces `pick(chunkIndex)` names. */
  function chunked(sharesPerChunk: number, pick: (index: number) => number[]): PieceInput[] {
    const out: PieceInput[] = [];
    for (let share = 0, index = 0; share < shares; share += sharesPerChunk, index++) {
      const end = Math.min(shares, share + sharesPerChunk) * 256;
      out.push(pick(index).map((n) => [n, pieces[n]!.subarray(share * 256, end)] as const));
    }
    return out;
  }

  it('decodes stripe runs as they come, even when the pieces used change mid-segment', async () => {
    const patterns = [[0, 1, 2, 3], [2, 5, 7, 9], [6, 7, 8, 9], [0, 3, 4, 8, 9]];
    const parts = await collect(coder.decodeStream(chunked(3, (i) => patterns[i % patterns.length]!), segment.length, { verify: true }));
    expect(parts.length).toBe(4);
    expect(concatBytes(...parts)).toEqual(segment);
  });

  it('feeds a push decoder one share at a time and knows when it is done', () => {
    const decoder = coder.createSegmentDecoder(segment.length);
    const parts = chunked(1, () => [1, 4, 6, 8]).map((chunks) => decoder.push(chunks));
    expect(decoder.done).toBe(true);
    expect(decoder.remaining).toBe(0);
    expect(concatBytes(...parts)).toEqual(segment);
    expect(() => decoder.push(chunked(1, () => [1, 4, 6, 8])[0]!)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
  });

  it('fails clearly when the chunks end before the pieces do', async () => {
    const short = chunked(2, () => [0, 1, 2, 3]).slice(0, -1);
    await expect(collect(coder.decodeStream(short, segment.length))).rejects.toMatchObject({ name: 'FailedPreconditionError' });
  });

  it('names a corrupt piece in the stripe run where it shows up', () => {
    const decoder = coder.createSegmentDecoder(segment.length, { verify: true });
    const runs = chunked(4, () => [0, 2, 3, 5, 6, 9]);
    decoder.push(runs[0]!);
    const bad = [...runs[1]!].map(([n, bytes]) => [n, n === 5 ? bytes.map((b, i) => (i === 300 ? b ^ 4 : b)) : bytes] as const);
    expect(() => decoder.push(bad)).toThrow(expect.objectContaining({ name: 'CorruptPieceError', corrupt: [5] }));
  });

  it('decodes any stripe range on its own (ranged downloads)', () => {
    const from = 2 * 256;
    const to = 5 * 256;
    const stripes = coder.decodeStripes([3, 4, 8, 9].map((n) => [n, pieces[n]!.subarray(from, to)] as const));
    expect(stripes).toEqual(segment.subarray(2 * coder.stripeSize, 5 * coder.stripeSize));
  });
});
