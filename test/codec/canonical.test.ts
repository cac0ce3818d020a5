import fc from 'fast-check';
import { Packr, Unpackr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { type CanonicalValue, canonicalEncode } from '../../src/codec/index.js';
import { toHex, utf8 } from '../../src/core/bytes.js';

const msgpackr = new Packr({ useRecords: false });
const reader = new Unpackr({ useRecords: false, int64AsType: 'bigint' });

/** Canonical values; `wide` adds bigints and integers beyond 32 bits. */
function canonicalValues(wide: boolean): fc.Arbitrary<CanonicalValue> {
  const integers = wide
    ? fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }))
    : fc.oneof(fc.integer(), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: -200, max: 300 }));
  return fc.letrec<{ value: CanonicalValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      integers,
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: 'binary-ascii', minLength: 20, maxLength: 300 }),
      fc.uint8Array({ maxLength: 300 }),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 20 }),
    ),
  })).value;
}

/** Every integer as bigint, so values compare regardless of the decoder's number/bigint split. */
function integersAsBigInt(value: unknown): unknown {
  if (typeof value === 'number') return BigInt(value);
  if (Array.isArray(value)) return value.map(integersAsBigInt);
  return value;
}

const hex = (values: CanonicalValue[]) => toHex(canonicalEncode(values));

describe('canonical encoding', () => {
  it('writes each integer in its shortest MessagePack form', () => {
    const vectors: [number | bigint, string][] = [
      [0, '00'], [127, '7f'], [128, 'cc80'], [255, 'ccff'], [256, 'cd0100'], [65535, 'cdffff'],
      [65536, 'ce00010000'], [0xffffffff, 'ceffffffff'], [2 ** 32, 'cf0000000100000000'],
      [(1n << 64n) - 1n, 'cfffffffffffffffff'], [-1, 'ff'], [-32, 'e0'], [-33, 'd0df'], [-128, 'd080'],
      [-129, 'd1ff7f'], [-32768, 'd18000'], [-32769, 'd2ffff7fff'], [-(2 ** 31), 'd280000000'],
      [-(2 ** 31) - 1, 'd3ffffffff7fffffff'], [-(1n << 63n), 'd38000000000000000'],
    ];
    for (const [n, expected] of vectors) expect(hex([n])).toBe(`91${expected}`);
  });

  it('writes strings, bytes and arrays with the shortest length header', () => {
    expect(hex(['', 'a'.repeat(31), 'a'.repeat(32)])).toBe(`93a0bf${'61'.repeat(31)}d920${'61'.repeat(32)}`);
    expect(hex([new Uint8Array(0), new Uint8Array(256)])).toBe(`92c400c50100${'00'.repeat(256)}`);
    expect(hex([[], new Array<null>(15).fill(null), new Array<null>(16).fill(null)])).toBe(
      `9390${'9f' + 'c0'.repeat(15)}${'dc0010' + 'c0'.repeat(16)}`,
    );
    expect(hex([true, false, null])).toBe('93c3c2c0');
    expect(hex(['handoff/order-limit/v1', 5])).toBe(`92b6${toHex(utf8('handoff/order-limit/v1'))}05`);
  });

  it('gives a number and a bigint of the same value the same bytes', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: BigInt(Number.MIN_SAFE_INTEGER), max: BigInt(Number.MAX_SAFE_INTEGER) }), (n) => {
        expect(canonicalEncode([n])).toEqual(canonicalEncode([Number(n)]));
      }),
      { numRuns: 500 },
    );
  });

  it('matches msgpackr byte for byte where msgpackr is canonical (no bigint, 32-bit integers)', () => {
    fc.assert(
      fc.property(fc.array(canonicalValues(false), { maxLength: 8 }), (values) => {
        expect(toHex(canonicalEncode(values))).toBe(toHex(msgpackr.pack(values)));
      }),
      { numRuns: 1000 },
    );
  });

  it('decodes back with msgpackr to the same values, bigints and wide integers included', () => {
    fc.assert(
      fc.property(fc.array(canonicalValues(true), { maxLength: 8 }), (values) => {
        const decoded: unknown = reader.unpack(canonicalEncode(values));
        expect(integersAsBigInt(decoded)).toEqual(integersAsBigInt(values));
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses anything without a single obvious encoding', () => {
    const refused: [unknown, RegExp][] = [
      [1.5, /"values\[0\]" has no canonical encoding: 1.5, not a safe integer/],
      [Number.NaN, /not a safe integer/],
      [2 ** 53, /not a safe integer/],
      [1n << 64n, /outside the 64-bit range/],
      [-(1n << 63n) - 1n, /outside the 64-bit range/],
      [undefined, /undefined/],
      [{ a: 1 }, /an object/],
      [new Uint16Array(1), /an object/],
      [new Map(), /an object/],
      ['\udc00', /unpaired surrogate/],
    ];
    for (const [value, message] of refused) {
      expect(() => canonicalEncode([value as CanonicalValue])).toThrowError(message);
    }
    expect(() => canonicalEncode([[1, [2.5]]])).toThrowError(/"values\[0\]\[1\]\[0\]"/);
    let deep: CanonicalValue = [];
    for (let i = 0; i < 40; i++) deep = [deep];
    expect(() => canonicalEncode([deep])).toThrowError(/nested deeper than 32/);
  });
});
