import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../../src/core/bytes.js';
import { GATHER_THRESHOLD, decode, encode, encodeParts } from '../../src/codec/index.js';

const plain = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
    fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }).filter((b) => b < -(1n << 53n) || b > (1n << 53n)),
    fc.string(),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }).filter((k) => k !== '__proto__'), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** Whether each part still holds the bytes of its copy (a byte-wise compare: deep equality of 16 KiB arrays is slow). */
function unchanged(parts: Uint8Array[], copies: Uint8Array[]): boolean {
  return parts.length === copies.length && parts.every((part, i) => Buffer.compare(part, copies[i]!) === 0);
}

describe('gather encoding for the wire', () => {
  it('keeps writing after a large byte string lands exactly where the buffer is full', () => {
    // 1 (array) + 2 (bin8 header) + 250 + 3 (bin16 header) = 256 bytes, the first buffer, then a
    // part of its own, then one more byte to write into what the flush left: nothing.
    const value = [new Uint8Array(250).fill(1), new Uint8Array(GATHER_THRESHOLD).fill(2), 7];
    expect(decode(concatBytes(...encodeParts(value)))).toEqual(decode(encode(value)));
  });

  it('concatenated parts are ordinary msgpack: they decode to the value', () => {
    fc.assert(
      fc.property(plain, (value) => {
        const bytes = concatBytes(...encodeParts(value));
        expect(decode(bytes)).toEqual(decode(encode(value)));
      }),
      { numRuns: 500 },
    );
  });

  it('passes large byte strings through uncopied, as their own part', () => {
    const chunk = new Uint8Array(GATHER_THRESHOLD * 4).fill(7);
    const parts = encodeParts([5, { data: chunk, n: 1 }]);
    expect(parts.some((part) => part === chunk)).toBe(true);
    const decoded = decode(concatBytes(...parts)) as [number, { data: Uint8Array; n: number }];
    expect(decoded[1].data.length).toBe(chunk.length);
    expect(decoded[1].n).toBe(1);
  });

  it('parts own their bytes: a later encode (which reuses the writer buffer) changes none of them', () => {
    fc.assert(
      fc.property(plain, plain, fc.boolean(), (first, second, big) => {
        // A large byte string in the middle makes the writer hand over what it wrote so far mid-encode.
        const value = big ? [first, new Uint8Array(GATHER_THRESHOLD).fill(3), first] : first;
        const parts = encodeParts(value);
        const before = parts.map((part) => part.slice());
        encodeParts(second);
        encodeParts([second, new Uint8Array(GATHER_THRESHOLD).fill(4), second]);
        expect(unchanged(parts, before)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('messages larger than the reused buffer, with and without large byte strings, encode whole', () => {
    for (const size of [4093, 4094, 4095, 4096, 4097, 9000]) {
      const small = { text: 'x'.repeat(size) };
      expect(decode(concatBytes(...encodeParts(small)))).toEqual(small);
      const mixed = ['y'.repeat(size), new Uint8Array(GATHER_THRESHOLD).fill(6), 'z'.repeat(size)];
      const parts = encodeParts(mixed);
      const copy = parts.map((part) => part.slice());
      encodeParts(['w'.repeat(size)]);
      expect(unchanged(parts, copy)).toBe(true);
      const [head, bytes, tail] = decode(concatBytes(...parts)) as [string, Uint8Array, string];
      expect([head, tail]).toEqual([mixed[0], mixed[2]]);
      expect(unchanged([bytes], [mixed[1] as Uint8Array])).toBe(true);
    }
  });

  it('leaves out object keys whose value is undefined', () => {
    expect(decode(concatBytes(...encodeParts({ a: 1, b: undefined })))).toEqual({ a: 1 });
  });
});
