import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode, encodeMessage } from '../../src/codec/index.js';
import { Identity } from '../../src/crypto/identity.js';
import { ExitReceiptSchema, MAX_RECEIPT_BYTES, type ExitReceipt } from '../../src/exit/messages.js';
import { decodeExitReceipt, encodeExitReceipt, signExitReceipt, verifyExitReceipt } from '../../src/exit/receipt.js';
import { EXIT_FAILURE_REASONS } from '../../src/exit/types.js';
import { arbitraryOf } from '../support/arbitrary.js';
import { flipped } from './proof-chain.js';

const satellite = Identity.generate();
const node = Identity.generate();
const finishedAt = 1_700_000_000_000;

const completed = signExitReceipt(satellite, { nodeId: node.publicKey, satelliteId: satellite.publicKey, outcome: 'completed', finishedAt });
const failed = signExitReceipt(satellite, { nodeId: node.publicKey, satelliteId: satellite.publicKey, outcome: 'failed', reason: 'VERIFICATION_FAILED', finishedAt });

/** Calls `fn`; returns the thrown error's name, or undefined when it returned. Anything not an Error fails the test. */
function errorName(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return (err as Error).name;
  }
}

describe('exit receipts: what a node keeps to prove how its exit ended', () => {
  it('a completed exit\'s receipt verifies offline with only the satellite\'s id, and the node\'s', () => {
    expect(completed.reason).toBeUndefined();
    expect(verifyExitReceipt(completed, satellite.publicKey)).toBe(true);
    expect(verifyExitReceipt(completed, satellite.id, { nodeId: node.id })).toBe(true);
    expect(verifyExitReceipt(completed, satellite.publicKey, { nodeId: node.publicKey })).toBe(true);
  });

  it('a failed exit\'s receipt carries its reason, for every reason', () => {
    for (const reason of EXIT_FAILURE_REASONS) {
      const receipt = signExitReceipt(satellite, { nodeId: node.publicKey, satelliteId: satellite.publicKey, outcome: 'failed', reason, finishedAt });
      expect(receipt.reason).toBe(reason);
      expect(verifyExitReceipt(receipt, satellite.publicKey, { nodeId: node.publicKey })).toBe(true);
    }
  });

  it('is not accepted as another satellite\'s receipt', () => {
    expect(verifyExitReceipt(completed, Identity.generate().publicKey)).toBe(false);
  });

  it('signed by another key in this satellite\'s name does not verify', () => {
    const impostor = Identity.generate();
    const forged = signExitReceipt(impostor, { nodeId: node.publicKey, satelliteId: satellite.publicKey, outcome: 'completed', finishedAt });
    expect(verifyExitReceipt(forged, satellite.publicKey)).toBe(false);
  });

  it('is not accepted as the receipt of another node (a node cannot borrow a neighbour\'s)', () => {
    expect(verifyExitReceipt(completed, satellite.publicKey, { nodeId: Identity.generate().publicKey })).toBe(false);
    const relabelled: ExitReceipt = { ...completed, nodeId: Identity.generate().publicKey };
    expect(verifyExitReceipt(relabelled, satellite.publicKey)).toBe(false);
  });

  it('a failed exit relabelled as completed, or its reason, time or signature changed, does not verify', () => {
    const { reason: _reason, ...withoutReason } = failed;
    const tampered: [string, ExitReceipt][] = [
      ['outcome flipped to completed (reason removed)', { ...withoutReason, outcome: 'completed' }],
      ['another reason', { ...failed, reason: 'DISQUALIFIED' }],
      ['another time', { ...failed, finishedAt: finishedAt + 1 }],
      ['one bit of the signature', { ...failed, signature: flipped(failed.signature, 10) }],
    ];
    for (const [what, receipt] of tampered) expect(verifyExitReceipt(receipt, satellite.publicKey), what).toBe(false);
    expect(verifyExitReceipt({ ...completed, finishedAt: finishedAt - 1 }, satellite.publicKey)).toBe(false);
  });

  it('a completed receipt with a reason, or a failed one without, is refused even when the satellite signed it', () => {
    const completedWithReason = signExitReceipt(satellite, { nodeId: node.publicKey, satelliteId: satellite.publicKey, outcome: 'completed', reason: 'DISQUALIFIED', finishedAt });
    const failedWithoutReason = signExitReceipt(satellite, { nodeId: node.publicKey, satelliteId: satellite.publicKey, outcome: 'failed', finishedAt });
    expect(verifyExitReceipt(completedWithReason, satellite.publicKey)).toBe(false);
    expect(verifyExitReceipt(failedWithoutReason, satellite.publicKey)).toBe(false);
  });

  it('survives being stored: encode then decode gives the same receipt, which still verifies', () => {
    for (const receipt of [completed, failed]) {
      const stored = encodeExitReceipt(receipt);
      expect(stored.length).toBeLessThanOrEqual(MAX_RECEIPT_BYTES);
      const read = decodeExitReceipt(stored);
      expect(read).toEqual(receipt);
      expect(verifyExitReceipt(read, satellite.publicKey, { nodeId: node.publicKey })).toBe(true);
    }
  });

  it('encode then decode is the identity for any receipt the schema accepts', () => {
    fc.assert(
      fc.property(arbitraryOf(ExitReceiptSchema), (receipt) => {
        expect(decodeExitReceipt(encodeExitReceipt(receipt))).toEqual(receipt);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses oversized input before decoding it, with a typed error', () => {
    const huge = new Uint8Array(MAX_RECEIPT_BYTES + 1);
    expect(errorName(() => decodeExitReceipt(huge))).toBe('InvalidArgumentError');
    // Even a well-formed receipt padded past the limit is refused on size alone.
    const padded = new Uint8Array(MAX_RECEIPT_BYTES + 10);
    padded.set(encodeExitReceipt(completed));
    expect(() => decodeExitReceipt(padded)).toThrowError(new RegExp(`at most ${MAX_RECEIPT_BYTES} bytes, got ${MAX_RECEIPT_BYTES + 10}`));
  });

  it('a receipt of the wrong shape is a DecodeError naming the field', () => {
    const bytes = encodeMessage(ExitReceiptSchema, completed).slice();
    // A valid MessagePack value of another shape.
    const wrong = encode({ nodeId: node.publicKey, outcome: 'completed' });
    expect(errorName(() => decodeExitReceipt(wrong))).toBe('DecodeError');
    expect(errorName(() => decodeExitReceipt(bytes.subarray(0, bytes.length - 1)))).toBe('DecodeError');
  });

  it('random bytes decode to a receipt or a typed error, never a crash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: MAX_RECEIPT_BYTES + 64 }), (bytes) => {
        const name = errorName(() => decodeExitReceipt(bytes));
        expect([undefined, 'DecodeError', 'InvalidArgumentError']).toContain(name);
        if (bytes.length > MAX_RECEIPT_BYTES) expect(name).toBe('InvalidArgumentError');
      }),
      { numRuns: 1000 },
    );
  });

  it('any single-byte mutation of a stored receipt decodes to a typed error or a receipt that no longer verifies', () => {
    const stored = encodeExitReceipt(failed);
    fc.assert(
      fc.property(fc.nat({ max: stored.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        fc.pre(stored[at] !== byte);
        const mutated = stored.slice();
        mutated[at] = byte;
        let receipt: ExitReceipt;
        try {
          receipt = decodeExitReceipt(mutated);
        } catch (err) {
          expect(['DecodeError', 'InvalidArgumentError']).toContain((err as Error).name);
          return;
        }
        // A mutation inside a field name or a type tag may still decode to the same receipt.
        if (isDeepStrictEqual(receipt, failed)) return;
        expect(verifyExitReceipt(receipt, satellite.publicKey, { nodeId: node.publicKey })).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});
