/**
 * Canonical MessagePack: the bytes a signature covers. Written here rather than delegated to
 * msgpackr so that the encoding is fixed by this spec, not by a library version:
 *
 * - integers (`number` or `bigint`; the same value gives the same bytes) in the shortest form:
 *   positive fixint, negative fixint, then uint8/16/32/64 for non-negative values and
 *   int8/16/32/64 for negative ones;
 * - strings as str (UTF-8, must be well-formed), byte strings as bin, arrays as array, each with
 *   the shortest length header;
 * - `true`, `false`, `null` as themselves.
 *
 * Floats, `undefined`, objects and maps are refused: they have no single obvious encoding.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { utf8 } from '../core/bytes.js';
import { isWellFormed } from './msgpack.js';

/** A value {@link canonicalEncode} accepts. */
export type CanonicalValue = Uint8Array | string | number | bigint | boolean | null | readonly CanonicalValue[];

/** Arrays nested deeper than this are refused (it also stops cycles). */
const MAX_CANONICAL_DEPTH = 32;

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);

/**
 * The canonical MessagePack encoding of `values` as one array.
 *
 * @example
 * ```ts
 * canonicalEncode(['handoff/order-limit/v1', pieceId, 1024n, 'PUT']);
 * ```
 */
export function canonicalEncode(values: readonly CanonicalValue[]): Uint8Array {
  const writer = new Writer();
  writeValue(writer, values, 0, 'values');
  return writer.finish();
}

function writeValue(w: Writer, value: unknown, depth: number, path: string): void {
  if (value === null) {
    w.byte(0xc0);
    return;
  }
  switch (typeof value) {
    case 'boolean':
      w.byte(value ? 0xc3 : 0xc2);
      return;
    case 'number':
      if (!Number.isSafeInteger(value)) refuse(path, `${value}, not a safe integer (floats have no canonical form)`);
      return writeInt(w, BigInt(value));
    case 'bigint':
      if (value < I64_MIN || value > U64_MAX) refuse(path, `${value}, outside the 64-bit range`);
      return writeInt(w, value);
    case 'string': {
      if (!isWellFormed(value)) refuse(path, 'a string with an unpaired surrogate');
      const encoded = utf8(value);
      writeHeader(w, encoded.length, 0xa0, 32, 0xd9, 0xda, 0xdb);
      w.bytes(encoded);
      return;
    }
    case 'object':
      break;
    default:
      refuse(path, typeof value);
  }
  if (value instanceof Uint8Array) {
    writeHeader(w, value.length, -1, 0, 0xc4, 0xc5, 0xc6);
    w.bytes(value);
    return;
  }
  if (Array.isArray(value)) {
    if (depth >= MAX_CANONICAL_DEPTH) refuse(path, `arrays nested deeper than ${MAX_CANONICAL_DEPTH}`);
    writeHeader(w, value.length, 0x90, 16, -1, 0xdc, 0xdd);
    for (let i = 0; i < value.length; i++) writeValue(w, value[i], depth + 1, `${path}[${i}]`);
    return;
  }
  refuse(path, 'an object (only bytes, strings, integers, booleans, null and arrays are canonical)');
}

/**
 * A length header: the fix form when `length < fixLimit`, else the 8/16/32-bit form (a `-1`
 * marker means the kind has no such form: bin has no fix form, arrays no 8-bit one).
 */
function writeHeader(w: Writer, length: number, fix: number, fixLimit: number, h8: number, h16: number, h32: number): void {
  if (length < fixLimit) w.byte(fix | length);
  else if (h8 >= 0 && length < 0x100) w.byte(h8).uint(length, 1);
  else if (length < 0x10000) w.byte(h16).uint(length, 2);
  else if (length <= 0xffffffff) w.byte(h32).uint(length, 4);
  else throw new InvalidArgumentError('canonical value is longer than 2^32 - 1');
}

function writeInt(w: Writer, n: bigint): void {
  if (n >= 0n) {
    if (n < 0x80n) w.byte(Number(n));
    else if (n < 0x100n) w.byte(0xcc).uint(Number(n), 1);
    else if (n < 0x10000n) w.byte(0xcd).uint(Number(n), 2);
    else if (n < 0x100000000n) w.byte(0xce).uint(Number(n), 4);
    else w.byte(0xcf).big(n);
  } else {
    if (n >= -0x20n) w.byte(0x100 + Number(n));
    else if (n >= -0x80n) w.byte(0xd0).uint(0x100 + Number(n), 1);
    else if (n >= -0x8000n) w.byte(0xd1).uint(0x10000 + Number(n), 2);
    else if (n >= -0x80000000n) w.byte(0xd2).uint(0x100000000 + Number(n), 4);
    else w.byte(0xd3).big(BigInt.asUintN(64, n));
  }
}

function refuse(path: string, what: string): never {
  throw new InvalidArgumentError(`"${path}" has no canonical encoding: ${what}`);
}

/** An append-only byte buffer that doubles as it grows. */
class Writer {
  private buf = new Uint8Array(256);
  private length = 0;

  byte(b: number): this {
    this.reserve(1);
    this.buf[this.length++] = b;
    return this;
  }

  /** Big-endian unsigned integer of `size` bytes (`value` < 2^32). */
  uint(value: number, size: 1 | 2 | 4): this {
    this.reserve(size);
    for (let i = size - 1; i >= 0; i--) {
      this.buf[this.length + i] = value & 0xff;
      value = Math.floor(value / 256);
    }
    this.length += size;
    return this;
  }

  /** Big-endian 64-bit unsigned integer. */
  big(value: bigint): this {
    this.reserve(8);
    new DataView(this.buf.buffer).setBigUint64(this.length, value);
    this.length += 8;
    return this;
  }

  bytes(data: Uint8Array): this {
    this.reserve(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
}
