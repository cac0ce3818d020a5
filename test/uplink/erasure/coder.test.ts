import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RedundancyScheme } from '../../../src/metainfo/metabase/types.js';
import { pieceSizeFor } from '../../../src/metainfo/redundancy.js';
import { createErasureCoder } from '../../../src/uplink/erasure/index.js';

function scheme(required: number, total: number, shareSize = 256): RedundancyScheme {
  return { algorithm: 'reed-solomon', shareSize, required, repair: required, success: total, total };
}

/** A random (k, n) with k ≤ n ≤ 40, a share size, a segment, and which k pieces survive. */
const smallCase = fc
  .record({ total: fc.integer({ min: 1, max: 40 }), shareSize: fc.constantFrom(256, 512), segment: fc.uint8Array({ maxLength: 12_000 }) })
  .chain(({ total, shareSize, segment }) =>
    fc.integer({ min: 1, max: total }).chain((required) =>
      fc.record({
        scheme: fc.constant(scheme(required, total, shareSize)),
        segment: fc.constant(segment),
        survivors: fc.shuffledSubarray([...Array(total).keys()], { minLength: required, maxLength: required }),
      }),
    ),
  );

function pick(pieces: Uint8Array[], numbers: readonly number[]): Map<number, Uint8Array> {
  return new Map(numbers.map((number) => [number, pieces[number]!]));
}

describe('erasure coding a segment', () => {
  it('rebuilds the segment byte for byte from any k of its n pieces (k ≤ n ≤ 40)', () => {
    fc.assert(
      fc.property(smallCase, ({ scheme, segment, survivors }) => {
        const coder = createErasureCoder(scheme);
        const pieces = coder.encodeSegment(segment);
        expect(pieces).toHaveLength(scheme.total);
        for (const piece of pieces) expect(piece.length).toBe(pieceSizeFor(segment.length, scheme));
        expect(coder.decodeSegment(pick(pieces, survivors), segment.length)).toEqual(segment);
      }),
      { numRuns: 150 },
    );
  });

  it.each([
    ['the dev scheme', 4, 10],
    ['the production scheme', 29, 110],
    ['a mid-size scheme', 29, 80],
  ])('rebuilds with %s (%i of %i) from random survivors, including no data piece at all', (_name, required, total) => {
    const coder = createErasureCoder(scheme(required, total));
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 3 * coder.stripeSize }), fc.shuffledSubarray([...Array(total).keys()], { minLength: required, maxLength: required }), (segment, survivors) => {
        const pieces = coder.encodeSegment(segment);
        expect(coder.decodeSegment(pick(pieces, survivors), segment.length)).toEqual(segment);
        const parityOnly = [...Array(required).keys()].map((i) => total - 1 - i);
        expect(coder.decodeSegment(pick(pieces, parityOnly), segment.length)).toEqual(segment);
      }),
      { numRuns: 15 },
    );
  });

  it('decodes through every one of the 210 erasure patterns of 4/10 with one coder, and again', () => {
    const coder = createErasureCoder(scheme(4, 10));
    const segment = Uint8Array.from({ length: 3 * coder.stripeSize - 5 }, (_, i) => (i * 101) & 255);
    const pieces = coder.encodeSegment(segment);
    const patterns = [...Array(1 << 10).keys()].map((mask) => [...Array(10).keys()].filter((n) => (mask >> n) & 1)).filter((p) => p.length === 4);
    expect(patterns).toHaveLength(210);
    for (let round = 0; round < 2; round++) {
      for (const pattern of patterns) expect(coder.decodeSegment(pick(pieces, pattern), segment.length)).toEqual(segment);
    }
  });

  it('keeps the segment in the data pieces: piece j is share j of every stripe, zero-padded', () => {
    const coder = createErasureCoder(scheme(2, 4));
    const segment = Uint8Array.from({ length: 600 }, (_, i) => (i % 251) + 1);
    const [first, second] = coder.encodeSegment(segment);
    expect(first!.length).toBe(512);
    expect(first!.subarray(0, 256)).toEqual(segment.subarray(0, 256));
    expect(second!.subarray(0, 256)).toEqual(segment.subarray(256, 512));
    expect(first!.subarray(256, 344)).toEqual(segment.subarray(512, 600));
    expect(first!.subarray(344).every((byte) => byte === 0)).toBe(true);
    expect(second!.subarray(256).every((byte) => byte === 0)).toBe(true);
  });

  it('gives an empty segment one stripe of zeros, which decodes back to nothing', () => {
    const coder = createErasureCoder(scheme(4, 10));
    const pieces = coder.encodeSegment(new Uint8Array(0));
    expect(coder.pieceSize(0)).toBe(256);
    expect(pieces.every((piece) => piece.length === 256 && piece.every((byte) => byte === 0))).toBe(true);
    expect(coder.decodeSegment(pick(pieces, [6, 7, 8, 9]), 0)).toEqual(new Uint8Array(0));
  });

  it('uses more than k pieces only when asked to verify, and accepts pieces in any order or container', () => {
    const coder = createErasureCoder(scheme(3, 7));
    const segment = Uint8Array.from({ length: 2000 }, (_, i) => i * 7);
    const pieces = coder.encodeSegment(segment);
    const pairs: Array<[number, Uint8Array]> = [[6, pieces[6]!], [2, pieces[2]!], [4, pieces[4]!], [0, pieces[0]!], [5, pieces[5]!]];
    expect(coder.decodeSegment(pairs, segment.length)).toEqual(segment);
    expect(coder.decodeSegment(pairs, segment.length, { verify: true })).toEqual(segment);
  });

  it('decodes pieces whose bytes do not start on a word boundary (network buffers)', () => {
    const coder = createErasureCoder(scheme(4, 10));
    const segment = Uint8Array.from({ length: 3000 }, (_, i) => i * 13);
    const pieces = coder.encodeSegment(segment);
    const shifted = [5, 6, 7, 9].map((number) => {
      const buffer = new Uint8Array(pieces[number]!.length + 3);
      buffer.set(pieces[number]!, 3);
      return [number, buffer.subarray(3)] as const;
    });
    expect(coder.decodeSegment(shifted, segment.length, { verify: true })).toEqual(segment);
  });

  it('decodes from parity across many batches, from pieces at every alignment, and one coder gives the same bytes decode after decode', () => {
    // The coder reuses its scratch (unaligned words, rebuilt pieces) from one decode to the
    // next: no decode may see another's bytes, whatever it rebuilds or how big it is.
    const coder = createErasureCoder(scheme(4, 10));
    const segments = [700_001, 300_000, 1_000].map((length, s) => Uint8Array.from({ length }, (_, i) => (i * 31 + s * 7 + (i >> 9)) & 255));
    const shifted = (piece: Uint8Array, by: number): Uint8Array => {
      const buffer = new Uint8Array(piece.length + by);
      buffer.set(piece, by);
      return buffer.subarray(by);
    };
    for (const pattern of [[0, 1, 2, 9], [4, 5, 6, 7], [1, 3, 5, 8], [0, 1, 2, 3]]) {
      for (const segment of segments) {
        const pieces = coder.encodeSegment(segment);
        const input = pattern.map((number, i) => [number, shifted(pieces[number]!, i)] as const);
        expect(Buffer.from(coder.decodeSegment(input, segment.length)).equals(segment)).toBe(true);
        const into = new Uint8Array((pieces[0]!.length / 256) * coder.stripeSize + 10).fill(0xee);
        const stripes = coder.decodeStripes(input, { into });
        expect(Buffer.from(stripes.subarray(0, segment.length)).equals(segment)).toBe(true);
      }
    }
  });
});

describe('bad input to the decoder', () => {
  const coder = createErasureCoder(scheme(4, 10));
  const segment = Uint8Array.from({ length: 5000 }, (_, i) => i);
  const pieces = coder.encodeSegment(segment);

  it('refuses fewer than k pieces with a clear precondition error', () => {
    expect(() => coder.decodeSegment(pick(pieces, [1, 5, 8]), segment.length)).toThrow(
      expect.objectContaining({ name: 'FailedPreconditionError', code: 'FailedPrecondition', message: 'need 4 pieces, have 3' }),
    );
    expect(() => coder.decodeStripes([])).toThrow(expect.objectContaining({ name: 'FailedPreconditionError', message: 'need 4 pieces, have 0' }));
  });

  it('refuses pieces of inconsistent or wrong length', () => {
    const short = pick(pieces, [0, 1, 2]).set(3, pieces[3]!.subarray(0, 256));
    expect(() => coder.decodeSegment(short, segment.length)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError', message: expect.stringContaining('inconsistent lengths') }));
    expect(() => coder.decodeStripes(short)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
    expect(() => coder.decodeSegment(pick(pieces, [0, 1, 2, 3]), segment.length + coder.stripeSize)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
    const ragged = new Map([0, 1, 2, 3].map((n) => [n, pieces[n]!.subarray(0, 100)]));
    expect(() => coder.decodeStripes(ragged)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError', message: expect.stringContaining('multiple of the share size') }));
  });

  it('refuses unknown or repeated piece numbers and nonsense sizes', () => {
    const withPieces = (entries: Array<[number, Uint8Array]>) => () => coder.decodeSegment(entries, segment.length);
    expect(withPieces([[0, pieces[0]!], [1, pieces[1]!], [2, pieces[2]!], [10, pieces[9]!]])).toThrow(expect.objectContaining({ name: 'InvalidArgumentError', message: 'piece number 10 is outside 0..9' }));
    expect(withPieces([[0, pieces[0]!], [1, pieces[1]!], [2, pieces[2]!], [2, pieces[2]!]])).toThrow(expect.objectContaining({ name: 'InvalidArgumentError', message: 'piece 2 is given twice' }));
    expect(withPieces([[0, pieces[0]!], [1, pieces[1]!], [2, pieces[2]!], [1.5, pieces[3]!]])).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
    expect(() => coder.decodeSegment(pick(pieces, [0, 1, 2, 3]), -1)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
  });

  it('refuses a scheme the satellite would refuse', () => {
    expect(() => createErasureCoder(scheme(5, 4))).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
    expect(() => createErasureCoder(scheme(2, 4, 100))).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
    expect(() => createErasureCoder(scheme(2, 256))).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
  });
});
