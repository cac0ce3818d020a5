import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RedundancyScheme } from '../../../src/metainfo/metabase/types.js';
import { createErasureCoder, CorruptPieceError, pieceHash, verifyPiece } from '../../../src/uplink/erasure/index.js';
import { getCryptoProvider } from '../../../src/crypto/index.js';

function scheme(required: number, total: number): RedundancyScheme {
  return { algorithm: 'reed-solomon', shareSize: 256, required, repair: required, success: total, total };
}

/** A scheme with room for k + 2 pieces, a segment, the pieces handed over, and one bad byte among them. */
const tamperCase = fc
  .integer({ min: 3, max: 30 })
  .chain((total) => fc.integer({ min: 1, max: total - 2 }).map((required) => scheme(required, total)))
  .chain((s) =>
    fc.record({
      scheme: fc.constant(s),
      segment: fc.uint8Array({ minLength: 1, maxLength: 6000 }),
      chosen: fc.shuffledSubarray([...Array(s.total).keys()], { minLength: s.required + 2, maxLength: s.required + 2 }),
      victim: fc.nat(),
      offset: fc.nat(),
      flip: fc.integer({ min: 1, max: 255 }),
    }),
  );

function tamper(pieces: Uint8Array[], number: number, offset: number, flip: number): Uint8Array[] {
  const copy = pieces.map((piece) => piece.slice());
  copy[number]![offset % copy[number]!.length]! ^= flip;
  return copy;
}

describe('a corrupted piece', () => {
  it('is caught by its hash before it is used', () => {
    const coder = createErasureCoder(scheme(4, 10));
    const pieces = coder.encodeSegment(Uint8Array.from({ length: 4096 }, (_, i) => i));
    const signed = pieces.map(pieceHash);
    expect(pieceHash(pieces[3]!)).toEqual(getCryptoProvider().sha256(pieces[3]!));
    expect(pieces.every((piece, n) => verifyPiece(piece, signed[n]!))).toBe(true);
    const bad = tamper(pieces, 3, 77, 0x40);
    expect(verifyPiece(bad[3]!, signed[3]!)).toBe(false);
    expect(verifyPiece(pieces[3]!, signed[4]!)).toBe(false);
  });

  it('is detected, without hashes, when k + 1 pieces are at hand', () => {
    fc.assert(
      fc.property(tamperCase, ({ scheme, segment, chosen, victim, offset, flip }) => {
        const coder = createErasureCoder(scheme);
        const handed = chosen.slice(0, scheme.required + 1);
        const bad = handed[victim % handed.length]!;
        const pieces = tamper(coder.encodeSegment(segment), bad, offset, flip);
        const given = handed.map((n) => [n, pieces[n]!] as const);
        expect(coder.checkPieces(given)).toEqual({ status: 'detected', corrupt: [], suspects: [...handed].sort((a, b) => a - b) });
        expect(() => coder.decodeSegment(given, segment.length, { verify: true })).toThrow(expect.objectContaining({ name: 'CorruptPieceError', code: 'InvalidArgument', corrupt: [] }));
      }),
      { numRuns: 120 },
    );
  });

  it('is named when k + 2 pieces are at hand (leave one out), and the others still decode', () => {
    fc.assert(
      fc.property(tamperCase, ({ scheme, segment, chosen, victim, offset, flip }) => {
        const coder = createErasureCoder(scheme);
        const bad = chosen[victim % chosen.length]!;
        const pieces = tamper(coder.encodeSegment(segment), bad, offset, flip);
        const given = new Map(chosen.map((n) => [n, pieces[n]!]));
        expect(coder.checkPieces(given)).toEqual({ status: 'identified', corrupt: [bad] });
        let caught: unknown;
        try {
          coder.decodeSegment(given, segment.length, { verify: true });
        } catch (err) {
          caught = err;
        }
        expect(caught).toBeInstanceOf(CorruptPieceError);
        expect((caught as CorruptPieceError).corrupt).toEqual([bad]);
        expect((caught as CorruptPieceError).message).toBe(`piece ${bad} is corrupt`);
        given.delete(bad);
        expect(coder.decodeSegment(given, segment.length, { verify: true })).toEqual(segment);
      }),
      { numRuns: 120 },
    );
  });

  it('goes unnoticed by the code alone with exactly k pieces, which is why hashes matter', () => {
    const coder = createErasureCoder(scheme(4, 10));
    const segment = Uint8Array.from({ length: 1024 }, (_, i) => i);
    const pieces = tamper(coder.encodeSegment(segment), 7, 5, 1);
    const given = new Map([4, 5, 6, 7].map((n) => [n, pieces[n]!]));
    expect(coder.checkPieces(given)).toEqual({ status: 'unchecked' });
    expect(coder.decodeSegment(given, segment.length, { verify: true })).not.toEqual(segment);
  });

  it('is found one after another when several pieces are bad in different stripes', () => {
    const coder = createErasureCoder(scheme(4, 10));
    const segment = Uint8Array.from({ length: 8 * coder.stripeSize }, (_, i) => i * 3);
    const pieces = tamper(tamper(coder.encodeSegment(segment), 2, 3 * 256 + 9, 0x11), 8, 6 * 256, 0x80);
    expect(coder.checkPieces(pieces.map((piece, n) => [n, piece] as const))).toEqual({ status: 'identified', corrupt: [2, 8] });
    // With only k + 2 pieces, naming the first bad piece leaves k + 1: enough to see that
    // another one is bad, not to say which.
    const few = new Map([0, 1, 2, 3, 8, 9].map((n) => [n, pieces[n]!]));
    expect(coder.checkPieces(few)).toEqual({ status: 'detected', corrupt: [2], suspects: [0, 1, 3, 8, 9] });
    expect(() => coder.decodeSegment(few, segment.length, { verify: true })).toThrow(
      'piece 2 is corrupt; pieces 0, 1, 3, 8, 9 disagree and at least one is corrupt (two pieces more than required are needed to tell which)',
    );
  });

  it('finds nothing wrong in pieces that agree', () => {
    const coder = createErasureCoder(scheme(3, 6));
    const pieces = coder.encodeSegment(Uint8Array.from({ length: 2000 }, (_, i) => i ^ 0x5a));
    expect(coder.checkPieces(pieces.map((piece, n) => [n, piece] as const))).toEqual({ status: 'consistent' });
  });
});
