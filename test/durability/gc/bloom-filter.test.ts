/**
 * The garbage-collection bloom filter: it never forgets a piece it was given, its false-positive
 * rate is what it was sized for, and whatever bytes arrive as a filter decode to one or to a
 * typed error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isHandoffError } from '../../../src/core/errors.js';
import { getCryptoProvider } from '../../../src/crypto/select.js';
import { BLOOM_FILTER_HEADER_BYTES, BloomFilter } from '../../../src/durability/gc/bloom-filter.js';

const random = (n: number): Uint8Array => getCryptoProvider().randomBytes(n);
const pieceId = fc.uint8Array({ minLength: 32, maxLength: 32 });

function measuredFalsePositiveRate(filter: BloomFilter, trials: number): number {
  let hits = 0;
  for (let i = 0; i < trials; i++) if (filter.has(random(32))) hits++;
  return hits / trials;
}

describe('bloom filter of piece ids', () => {
  it('is sized by the textbook formulas: m = −n·ln p / ln²2 bits, k = m/n·ln 2', () => {
    expect(BloomFilter.parameters({ expectedCount: 1000, falsePositiveRate: 0.01 })).toEqual({ byteLength: 1199, hashCount: 7 });
    expect(BloomFilter.parameters({ expectedCount: 1_000_000, falsePositiveRate: 0.1 })).toEqual({ byteLength: 599_067, hashCount: 3 });
    // Nothing expected still makes a valid filter; a cap wins over the formula.
    expect(BloomFilter.parameters({ expectedCount: 0, falsePositiveRate: 0.1 })).toEqual({ byteLength: 1, hashCount: 6 });
    expect(BloomFilter.parameters({ expectedCount: 1_000_000, falsePositiveRate: 0.1, maxBytes: 1000 })).toEqual({ byteLength: 1000, hashCount: 1 });
    for (const bad of [
      { expectedCount: -1, falsePositiveRate: 0.1 },
      { expectedCount: 1.5, falsePositiveRate: 0.1 },
      { expectedCount: 10, falsePositiveRate: 0 },
      { expectedCount: 10, falsePositiveRate: 1 },
      { expectedCount: 10, falsePositiveRate: Number.NaN },
      { expectedCount: 10, falsePositiveRate: 0.1, maxBytes: 0 },
      { expectedCount: 10, falsePositiveRate: 0.1, maxBytes: 2 ** 40 },
    ]) {
      expect(() => BloomFilter.parameters(bad)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
    }
    expect(() => BloomFilter.create({ expectedCount: 1, falsePositiveRate: 0.1, seed: 256 })).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
  });

  it('never gives a false negative, whatever the ids, size, rate, cap and seed', () => {
    fc.assert(
      fc.property(
        fc.array(pieceId, { maxLength: 300 }),
        fc.double({ min: 0.0001, max: 0.9, noNaN: true }),
        fc.integer({ min: 1, max: 4096 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: -100, max: 100 }),
        (ids, falsePositiveRate, maxBytes, seed, countError) => {
          // The expected count may be wrong either way (a node's count changes during a pass).
          const expectedCount = Math.max(0, ids.length + countError);
          const filter = BloomFilter.create({ expectedCount, falsePositiveRate, maxBytes, seed });
          for (const id of ids) filter.add(id);
          for (const id of ids) expect(filter.has(id)).toBe(true);
          const decoded = BloomFilter.decode(filter.encode(), { maxBytes });
          for (const id of ids) expect(decoded.has(id)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('has the false-positive rate it was sized for', () => {
    for (const falsePositiveRate of [0.1, 0.01]) {
      for (const seed of [0, 77, 255]) {
        const filter = BloomFilter.create({ expectedCount: 20_000, falsePositiveRate, seed });
        for (let i = 0; i < 20_000; i++) filter.add(random(32));
        const measured = measuredFalsePositiveRate(filter, 100_000);
        expect(measured).toBeGreaterThan(falsePositiveRate * 0.7);
        expect(measured).toBeLessThan(falsePositiveRate * 1.3);
        expect(filter.falsePositiveRateAt(20_000)).toBeLessThan(falsePositiveRate * 1.1);
      }
    }
  });

  it('keeps the rate near target for any seed and count (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 500, max: 5000 }), (seed, count) => {
        const filter = BloomFilter.create({ expectedCount: count, falsePositiveRate: 0.1, seed });
        for (let i = 0; i < count; i++) filter.add(random(32));
        const measured = measuredFalsePositiveRate(filter, 20_000);
        expect(measured).toBeLessThan(0.16);
        expect(measured).toBeGreaterThan(0.05);
      }),
      { numRuns: 20 },
    );
  });

  it('draws different false positives under different seeds', () => {
    const ids = Array.from({ length: 2000 }, () => random(32));
    const others = Array.from({ length: 20_000 }, () => random(32));
    const falsePositives = (seed: number): Set<number> => {
      const filter = BloomFilter.create({ expectedCount: ids.length, falsePositiveRate: 0.1, seed });
      for (const id of ids) filter.add(id);
      return new Set(others.flatMap((id, i) => (filter.has(id) ? [i] : [])));
    };
    const a = falsePositives(1);
    const b = falsePositives(2);
    const both = [...a].filter((i) => b.has(i)).length;
    // Independent filters share about p² of the others, not p.
    expect(both).toBeLessThan(a.size * 0.3);
  });

  it('encodes as version, hash count, seed, reserved, byte length and bits, and decodes to the same filter', () => {
    const filter = BloomFilter.create({ expectedCount: 10, falsePositiveRate: 0.1, seed: 9 });
    const ids = Array.from({ length: 10 }, () => random(32));
    for (const id of ids) filter.add(id);
    const bytes = filter.encode();
    expect(bytes.length).toBe(BLOOM_FILTER_HEADER_BYTES + filter.byteLength);
    expect([...bytes.subarray(0, 8)]).toEqual([1, filter.hashCount, 9, 0, 0, 0, 0, filter.byteLength]);
    const decoded = BloomFilter.decode(bytes);
    expect(decoded.encode()).toEqual(bytes);
    expect(decoded.seed).toBe(9);
    // The decoded filter owns its bits: changing the input afterwards changes nothing.
    bytes.fill(0, BLOOM_FILTER_HEADER_BYTES);
    for (const id of ids) expect(decoded.has(id)).toBe(true);
  });

  it('refuses every malformed filter with a DecodeError naming the problem, before allocating', () => {
    const good = BloomFilter.create({ expectedCount: 100, falsePositiveRate: 0.1, seed: 1 }).encode();
    const patched = (at: number, value: number): Uint8Array => {
      const copy = good.slice();
      copy[at] = value;
      return copy;
    };
    const huge = good.slice(0, 8);
    new DataView(huge.buffer).setUint32(4, 0xffff_ffff);
    const cases: Array<[Uint8Array, RegExp]> = [
      [new Uint8Array(0), /at least 8 bytes/],
      [good.subarray(0, 7), /at least 8 bytes/],
      [patched(0, 2), /version 2/],
      [patched(1, 0), /hashCount/],
      [patched(1, 33), /hashCount/],
      [patched(3, 1), /reserved/],
      [huge, /exceeds the limit/],
      [good.subarray(0, good.length - 1), /expected \d+ bytes/],
      [new Uint8Array([...good, 0]), /expected \d+ bytes/],
      [new Uint8Array([1, 3, 0, 0, 0, 0, 0, 0]), /at least 1/],
    ];
    for (const [bytes, message] of cases) {
      expect(() => BloomFilter.decode(bytes)).toThrow(expect.objectContaining({ name: 'DecodeError', code: 'InvalidArgument', message: expect.stringMatching(message) }));
    }
    expect(() => BloomFilter.decode(good, { maxBytes: good.length - 9 })).toThrow(/exceeds the limit/);
    expect(() => BloomFilter.decode('junk' as unknown as Uint8Array)).toThrow(expect.objectContaining({ name: 'DecodeError' }));
  });

  it('decodes any bytes to a filter or a DecodeError, never anything else', () => {
    const header = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 70 }));
    const shaped = fc.tuple(header, fc.uint8Array({ maxLength: 80 })).map(([[v, k, seed, r, len], bits]) => {
      const out = new Uint8Array(8 + bits.length);
      const view = new DataView(out.buffer);
      view.setUint8(0, v);
      view.setUint8(1, k);
      view.setUint8(2, seed);
      view.setUint8(3, r);
      view.setUint32(4, len);
      out.set(bits, 8);
      return out;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 100 }), shaped), fc.integer({ min: 1, max: 64 }), (bytes, maxBytes) => {
        let outcome: unknown;
        try {
          outcome = BloomFilter.decode(bytes, { maxBytes });
        } catch (err) {
          outcome = err;
        }
        if (outcome instanceof BloomFilter) {
          expect(outcome.encode()).toEqual(bytes);
          expect(outcome.byteLength).toBeLessThanOrEqual(maxBytes);
        } else {
          expect(isHandoffError(outcome, 'InvalidArgument')).toBe(true);
          expect((outcome as Error).name).toBe('DecodeError');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses ids that are not 32 bytes', () => {
    const filter = BloomFilter.create({ expectedCount: 1, falsePositiveRate: 0.1 });
    expect(() => filter.add(random(31))).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
    expect(() => filter.has(random(33))).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
  });
});
