import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encode, encodeMessage, type Schema } from '../../src/codec/index.js';
import { NodeExitMessage, SatelliteExitMessage } from '../../src/exit/messages.js';
import { signExitReceipt } from '../../src/exit/receipt.js';
import { arbitraryOf } from '../support/arbitrary.js';
import { buildChain } from './proof-chain.js';

const TYPED_ERRORS = ['DecodeError', 'InvalidArgumentError'];

/** Decodes `bytes` as `schema`: a message the schema accepts (and that round-trips), or a typed error; anything else fails. */
function messageOrTypedError(schema: Schema<unknown>, bytes: Uint8Array): 'message' | 'error' {
  let message: unknown;
  try {
    message = decodeMessage(schema, bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    expect(TYPED_ERRORS).toContain((err as Error).name);
    return 'error';
  }
  expect(schema.parse(message)).toEqual(message);
  expect(decodeMessage(schema, encodeMessage(schema, message))).toEqual(message);
  return 'message';
}

/** Plain MessagePack data of roughly the right vocabulary: the commonest hostile input is well-formed but wrongly shaped. */
const plainValue = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.string({ maxLength: 20 }),
    fc.uint8Array({ maxLength: 70 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.constantFrom('type', 'originalPieceId', 'originalOrderLimit', 'replacementPieceHash', 'error', 'receipt', 'reason', 'limit', 'retryAfterMs', 'pieceSize', 'x'),
      tie('value'),
      { maxKeys: 5 },
    ),
  ),
})).value;

const typeNames = fc.constantFrom('transferSucceeded', 'transferFailed', 'notReady', 'transferPiece', 'deletePiece', 'exitCompleted', 'exitFailed', 'nope');

/** A value tagged with a real case name, so the fuzzing reaches the case bodies. */
const taggedValue = fc.tuple(typeNames, fc.dictionary(fc.constantFrom('originalPieceId', 'error', 'detail', 'retryAfterMs', 'receipt', 'reason', 'limit', 'address', 'piecePrivateKey'), plainValue, { maxKeys: 4 })).map(([type, fields]) => ({ ...fields, type }));

const chain = buildChain();
const receipt = signExitReceipt(chain.satellite, { nodeId: chain.exiting.publicKey, satelliteId: chain.satellite.publicKey, outcome: 'failed', reason: 'VERIFICATION_FAILED', finishedAt: 1_700_000_000_000 });
const realNodeMessage = encodeMessage(NodeExitMessage, chain.message);
const realSatelliteMessage = encodeMessage(SatelliteExitMessage, { type: 'exitFailed', reason: 'VERIFICATION_FAILED', receipt });

const sides: [string, Schema<unknown>, Uint8Array][] = [
  ['node → satellite (NodeExitMessage)', NodeExitMessage, realNodeMessage],
  ['satellite → node (SatelliteExitMessage)', SatelliteExitMessage, realSatelliteMessage],
];

describe.each(sides)('GracefulExit.Process messages, %s', (_name, schema, real) => {
  it('every valid message decodes back to exactly what was encoded', () => {
    fc.assert(
      fc.property(arbitraryOf(schema), (message) => {
        expect(decodeMessage(schema, encodeMessage(schema, message))).toEqual(message);
      }),
      { numRuns: 150 },
    );
  });

  it('a real message with real signatures survives the wire', () => {
    expect(messageOrTypedError(schema, real)).toBe('message');
  });

  it('random bytes decode to a message or a typed error, never anything else', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => void messageOrTypedError(schema, bytes)), { numRuns: 2000 });
  });

  it('random well-formed values of the wrong shape decode to a message or a typed error', () => {
    fc.assert(fc.property(plainValue, (value) => void messageOrTypedError(schema, encode(value))), { numRuns: 1000 });
    fc.assert(fc.property(taggedValue, (value) => void messageOrTypedError(schema, encode(value))), { numRuns: 1000 });
  });

  it('every truncation of a real message is a DecodeError', () => {
    for (let cut = 0; cut < real.length; cut++) {
      expect(() => decodeMessage(schema, real.subarray(0, cut))).toThrowError(expect.objectContaining({ name: 'DecodeError' }));
    }
  });

  it('any single-byte mutation of a real message decodes to a message or a typed error', () => {
    fc.assert(
      fc.property(fc.nat({ max: real.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const mutated = real.slice();
        mutated[at] = byte;
        messageOrTypedError(schema, mutated);
      }),
      { numRuns: 600 },
    );
  });

  it('a message over the frame cap is refused with a typed error', () => {
    expect(() => decodeMessage(schema, real, { maxBytes: real.length - 1 })).toThrowError(expect.objectContaining({ name: expect.stringMatching(/^(DecodeError|InvalidArgumentError)$/) }));
  });
});

describe('GracefulExit.Process messages: the shapes the protocol relies on', () => {
  it('refuses a transfer failure with an error code outside the protocol', () => {
    const bytes = encode({ type: 'transferFailed', originalPieceId: chain.originalPieceId, error: 'BORED' });
    expect(() => decodeMessage(NodeExitMessage, bytes)).toThrowError(expect.objectContaining({ name: 'DecodeError', message: expect.stringMatching(/error/) }));
  });

  it('refuses a satellite-side message on the node side and the reverse', () => {
    expect(() => decodeMessage(NodeExitMessage, realSatelliteMessage)).toThrowError(expect.objectContaining({ name: 'DecodeError' }));
    expect(() => decodeMessage(SatelliteExitMessage, realNodeMessage)).toThrowError(expect.objectContaining({ name: 'DecodeError' }));
  });

  it('refuses a piece id of the wrong length, naming the field', () => {
    const bytes = encode({ type: 'deletePiece', originalPieceId: new Uint8Array(31) });
    expect(() => decodeMessage(SatelliteExitMessage, bytes)).toThrowError(expect.objectContaining({ name: 'DecodeError', message: expect.stringMatching(/originalPieceId.*32 bytes, got 31/) }));
  });

  it('drops fields the schema does not declare (a node cannot smuggle a caller id into its report)', () => {
    const bytes = encode({ type: 'transferFailed', originalPieceId: chain.originalPieceId, error: 'UNKNOWN', nodeId: chain.replacement.publicKey });
    expect(decodeMessage(NodeExitMessage, bytes)).toEqual({ type: 'transferFailed', originalPieceId: chain.originalPieceId, error: 'UNKNOWN' });
  });
});
