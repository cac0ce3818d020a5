import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Schema, decode, decodeMessage, encode, encodeMessage, s } from '../../src/codec/index.js';
import { arbitraryOf } from '../support/arbitrary.js';

// Representative shapes: nested objects, arrays, optionals, nullables, variants, maps, u64/i64, bytes.
const OrderLimit = s.object({
  satelliteId: s.bytes({ length: 32 }),
  pieceId: s.bytes({ length: 32 }),
  action: s.enum(['PUT', 'GET', 'GET_AUDIT', 'PUT_REPAIR', 'PUT_GRACEFUL_EXIT', 'DELETE'] as const),
  limit: s.u64(),
  serial: s.u64({ min: 1n, max: 1000n }),
  expiresAt: s.int({ min: 0 }),
  signature: s.optional(s.bytes({ length: 64 })),
});

const ExitMessage = s.variant('type', {
  transferPiece: s.object({
    limit: OrderLimit,
    replacement: s.nullable(s.bytes({ max: 40 })),
    attempts: s.int({ min: 0, max: 10 }),
  }),
  deletePiece: s.object({ pieceId: s.bytes({ length: 32 }) }),
  exitCompleted: s.object({
    nodeId: s.bytes({ length: 32 }),
    completedAt: s.i64(),
    reason: s.optional(s.enum(['done', 'disqualified'] as const)),
  }),
  progress: s.object({
    ratio: s.float({ min: 0, max: 1 }),
    counts: s.map(s.u64(), { maxKeys: 4 }),
    note: s.string({ max: 40 }),
    ok: s.bool(),
    protocol: s.literal(1),
  }),
});

const Batch = s.object({
  version: s.literal('v1'),
  items: s.array(ExitMessage, { max: 4 }),
  tags: s.array(s.string({ pattern: /^[a-z]{1,8}$/ }), { max: 3 }),
  cursor: s.optional(s.nullable(s.bytes())),
  deadline: s.nullable(s.float()),
});

const schemas: [string, Schema<unknown>][] = [
  ['an order limit', OrderLimit],
  ['an exit message variant', ExitMessage],
  ['a batch of nested messages', Batch],
];

/** Random plain data: valid MessagePack of the wrong shape, the commonest hostile input. */
const plainValue = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }),
    fc.double(),
    fc.string(),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom('type', 'pieceId', 'limit', 'items', 'version', 'x'), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** Either a message the schema accepts (and that survives another round trip), or a DecodeError. */
function decodesOrRejects(schema: Schema<unknown>, bytes: Uint8Array): void {
  let message: unknown;
  try {
    message = decodeMessage(schema, bytes);
  } catch (err) {
    if (!(err instanceof Error) || err.name !== 'DecodeError') throw err;
    return;
  }
  expect(schema.parse(message)).toEqual(message);
  expect(decodeMessage(schema, encodeMessage(schema, message))).toEqual(message);
}

describe.each(schemas)('messages: %s', (_name, schema) => {
  const messages = arbitraryOf(schema);

  it('decode back to exactly what was encoded', () => {
    fc.assert(
      fc.property(messages, (message) => {
        const bytes = encodeMessage(schema, message);
        expect(decodeMessage(schema, bytes)).toEqual(message);
        // The generic encoder writes the same bytes: the schema only filtered and normalized.
        expect(encode(message)).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('reject every truncation of a valid encoding with DecodeError', () => {
    fc.assert(
      fc.property(messages, fc.nat(), (message, cut) => {
        const bytes = encodeMessage(schema, message);
        const prefix = bytes.subarray(0, cut % bytes.length);
        expect(() => decodeMessage(schema, prefix)).toThrowError(expect.objectContaining({ name: 'DecodeError' }));
      }),
      { numRuns: 500 },
    );
  });

  it('decode any single-byte mutation to a valid message or DecodeError', () => {
    fc.assert(
      fc.property(messages, fc.nat(), fc.integer({ min: 0, max: 255 }), (message, at, byte) => {
        const bytes = encodeMessage(schema, message);
        bytes[at % bytes.length] = byte;
        decodesOrRejects(schema, bytes);
      }),
      { numRuns: 1000 },
    );
  });

  it('decode random bytes and random well-formed data to a valid message or DecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => decodesOrRejects(schema, bytes)), { numRuns: 1000 });
    fc.assert(fc.property(plainValue, (value) => decodesOrRejects(schema, encode(value))), { numRuns: 500 });
  });
});

describe('decodeMessage', () => {
  it('turns a shape failure into DecodeError that keeps the field path', () => {
    const limits = s.object({ limits: s.array(s.object({ pieceId: s.bytes({ length: 32 }) })) });
    const bytes = encode({ limits: [{ pieceId: new Uint8Array(32) }, { pieceId: new Uint8Array(31) }] });
    expect(() => decodeMessage(limits, bytes)).toThrowError(
      expect.objectContaining({ name: 'DecodeError', message: '"limits[1].pieceId" expected 32 bytes, got 31' }),
    );
  });

  it('refuses to encode a message that does not match its schema, and drops undeclared fields', () => {
    const Ping = s.object({ nonce: s.bytes({ length: 4 }) });
    expect(() => encodeMessage(Ping, { nonce: new Uint8Array(3) })).toThrowError(
      expect.objectContaining({ name: 'InvalidArgumentError', message: '"nonce" expected 4 bytes, got 3' }),
    );
    const extra = { nonce: new Uint8Array(4), secret: 'not for the wire' };
    expect(decode(encodeMessage(Ping, extra))).toEqual({ nonce: new Uint8Array(4) });
  });

  it('refuses to encode an absent top-level message', () => {
    expect(() => encodeMessage(s.optional(s.int()), undefined)).toThrowError('a message cannot be absent');
  });

  it('passes the size cap through', () => {
    const Blob = s.object({ data: s.bytes() });
    const bytes = encodeMessage(Blob, { data: new Uint8Array(100) });
    expect(() => decodeMessage(Blob, bytes, { maxBytes: 50 })).toThrowError(/over the 50-byte limit/);
  });

  it('decodes random data without a schema to a value or DecodeError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decode(bytes);
        } catch (err) {
          expect((err as Error).name).toBe('DecodeError');
        }
      }),
      { numRuns: 2000 },
    );
  });
});
