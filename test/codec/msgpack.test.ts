import { Unpackr, pack } from 'msgpackr';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_MAX_MESSAGE_BYTES, decode, encode } from '../../src/codec/index.js';
import { fromHex, toHex } from '../../src/core/bytes.js';

function decodeError(run: () => unknown): Error {
  try {
    run();
  } catch (err) {
    expect((err as Error).name).toBe('DecodeError');
    return err as Error;
  }
  throw new Error('expected a DecodeError, but decoding succeeded');
}

describe('msgpack encode/decode', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('round-trips plain data: bytes stay plain Uint8Arrays and 8-byte integers come back as bigint', () => {
    const value = {
      pieceId: new Uint8Array(32).fill(7),
      size: 1n << 40n,
      negative: -(1n << 62n),
      count: 3,
      ratio: 0.25,
      name: 'pièce ✓',
      flags: [true, false, null],
      nested: { empty: new Uint8Array(0), list: [] },
    };
    const decoded = decode(encode(value)) as typeof value;
    expect(decoded).toEqual(value);
    expect(decoded.pieceId.constructor).toBe(Uint8Array);
    expect(typeof decoded.size).toBe('bigint');
  });

  it('leaves out object keys whose value is undefined', () => {
    expect(toHex(encode({ a: 1, b: undefined }))).toBe(toHex(encode({ a: 1 })));
    expect(decode(encode({ a: 1, b: undefined }))).toEqual({ a: 1 });
  });

  it('encodes a Buffer as bin and decodes it as a plain Uint8Array', () => {
    const decoded = decode(Buffer.from(encode({ data: Buffer.from('xyz') }))) as { data: Uint8Array };
    expect(decoded.data.constructor).toBe(Uint8Array);
    expect([...decoded.data]).toEqual([0x78, 0x79, 0x7a]);
  });

  it('gives every encoding its own exactly sized buffer', () => {
    const first = encode({ a: 'first' });
    const second = encode({ a: 'second' });
    expect(first.byteOffset).toBe(0);
    expect(first.buffer.byteLength).toBe(first.length);
    expect(first.buffer).not.toBe(second.buffer);
  });

  it('copies decoded bytes by default, so the caller may reuse its input buffer', () => {
    const frame = encode({ data: new Uint8Array([1, 2, 3]) });
    const decoded = decode(frame) as { data: Uint8Array };
    frame.fill(0);
    expect([...decoded.data]).toEqual([1, 2, 3]);
  });

  it('decoded bytes and strings stay as they were when later messages are decoded', () => {
    // Small messages are decoded from a copy in a buffer every decode reuses: nothing decoded may refer to it.
    for (const size of [1, 100, 4000, 4096, 4097, 70_000]) {
      const first = decode(encode({ data: new Uint8Array(size).fill(1), text: 'a'.repeat(size % 300) })) as { data: Uint8Array; text: string };
      decode(encode({ data: new Uint8Array(size).fill(2), text: 'b'.repeat(size % 300) }));
      expect(first.data.every((b) => b === 1)).toBe(true);
      expect(first.text).toBe('a'.repeat(size % 300));
    }
  });

  it('a message that fails its scan leaves the next one decoding normally', () => {
    decodeError(() => decode(new Uint8Array([0x92, 0x01])));
    expect(decode(encode([1, new Uint8Array([5])]))).toEqual([1, new Uint8Array([5])]);
  });

  it('returns views into the input with copyBytes: false', () => {
    const frame = encode({ data: new Uint8Array([1, 2, 3]) });
    const decoded = decode(frame, { copyBytes: false }) as { data: Uint8Array };
    expect(decoded.data.buffer).toBe(frame.buffer);
    expect(decoded.data.constructor).toBe(Uint8Array);
  });

  it('does not attach anything to the caller\'s input array', () => {
    const frame = encode({ a: 1 });
    decode(frame);
    expect(Object.keys(frame).filter((key) => !/^\d+$/.test(key))).toEqual([]);
  });

  it('refuses values that do not round-trip, naming where they are', () => {
    const cases: [unknown, string][] = [
      [{ list: [1, undefined] }, '"list[1]" cannot be encoded: undefined'],
      [{ when: new Date(0) }, '"when" cannot be encoded: an instance of Date'],
      [{ words: new Uint16Array(2) }, '"words" cannot be encoded: Uint16Array'],
      [{ set: new Map() }, '"set" cannot be encoded: an instance of Map'],
      [{ big: 1n << 64n }, '"big" cannot be encoded: 18446744073709551616, outside the 64-bit integer range'],
      [{ text: 'a\ud800' }, '"text" cannot be encoded: a string with an unpaired surrogate'],
      [{ fn: () => 1 }, '"fn" cannot be encoded: function'],
      [undefined, 'cannot be encoded: undefined'],
      [JSON.parse('{"__proto__": 1}'), '"__proto__" cannot be encoded: the key "__proto__"'],
    ];
    for (const [value, message] of cases) {
      expect(() => encode(value)).toThrow(message);
    }
    const cycle: { self?: unknown } = {};
    cycle.self = [cycle];
    expect(() => encode(cycle)).toThrowError(/nesting deeper than 64 levels/);
  });

  it('turns every kind of malformed input into DecodeError', () => {
    const cases: [string, RegExp][] = [
      ['', /truncated/],
      ['c1', /invalid type byte 0xc1/],
      ['a3616263ff', /trailing bytes/],
      ['0102', /1 trailing bytes/],
      ['92 01'.replace(' ', ''), /truncated/],
      ['c4 05 0102'.replaceAll(' ', ''), /truncated/],
      ['d40000', /extension/], // msgpackr's "undefined"
      ['d6ffffffffff', /extension/], // timestamp
      ['d47240', /extension/], // msgpackr record definition
      ['81 01 02'.replaceAll(' ', ''), /map key at byte 1 is not a string/],
      ['a2c328', /not valid UTF-8/], // overlong/invalid sequence
      ['a3eda080', /not valid UTF-8/], // an encoded surrogate
      ['ddffffffff', /truncated/], // four billion elements promised in five bytes
      ['c6ffffffff', /truncated/], // a 4 GiB bin promised
    ];
    for (const [hex, message] of cases) {
      expect(decodeError(() => decode(fromHex(hex))).message).toMatch(message);
    }
  });

  it('refuses a __proto__ key instead of renaming it', () => {
    const bytes = pack(JSON.parse('{"__proto__": {"admin": true}}'));
    expect(decodeError(() => decode(bytes)).message).toBe('map key "__proto__" is not allowed');
  });

  it('refuses deep nesting without recursing through it', () => {
    const depth = 100_000;
    const deep = new Uint8Array(depth + 1).fill(0x91);
    deep[depth] = 0xc0;
    expect(decodeError(() => decode(deep)).message).toBe('message nests deeper than 64 levels');
    expect(decode(deep.subarray(depth - 10), { maxDepth: 10 })).toEqual([[[[[[[[[[null]]]]]]]]]]);
    expect(decodeError(() => decode(deep.subarray(depth - 11), { maxDepth: 10 })).message).toMatch(/deeper than 10/);
  });

  it('checks the size cap before parsing anything', () => {
    const unpack = vi.spyOn(Unpackr.prototype, 'unpack');
    // A 5 MiB bin whose bytes are all valid: only the cap can reject it.
    const big = encode({ data: new Uint8Array(5 * 1024 * 1024) });
    expect(decodeError(() => decode(big)).message).toBe(
      `message is ${big.length} bytes, over the ${DEFAULT_MAX_MESSAGE_BYTES}-byte limit`,
    );
    expect(unpack).not.toHaveBeenCalled();
    expect((decode(big, { maxBytes: 6 * 1024 * 1024 }) as { data: Uint8Array }).data.length).toBe(5 * 1024 * 1024);
    expect(decodeError(() => decode(encode('hello'), { maxBytes: 5 })).message).toMatch(/over the 5-byte limit/);
  });

  it('decodes what another msgpack encoder wrote in standard form', () => {
    // msgpackr's default (record-free) module-level pack: float64, int64 and str16 forms.
    const value = { n: 2 ** 40, s: 'x'.repeat(300), b: new Uint8Array([9]) };
    const decoded = decode(pack(value)) as typeof value;
    expect(decoded.n).toBe(2 ** 40);
    expect(decoded.s).toBe(value.s);
    expect([...decoded.b]).toEqual([9]);
  });
});
