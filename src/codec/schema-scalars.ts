/** Leaf schemas: bytes, strings, numbers, booleans, literals and enums. */
import { asUint8Array } from '../core/bytes.js';
import { InvalidArgumentError } from '../core/errors.js';
import {
  type BigIntDef, type BoolDef, type BytesDef, type EnumDef, type FloatDef, type IntDef, type LiteralDef,
  type LiteralValue, type Schema, type StringDef,
  checkBounds, defineSchema, describeValue, fail, rangeText,
} from './schema.js';

/** Length bounds of `s.bytes()`. */
export interface LengthOptions {
  /** Exact length; same as `min` = `max`. */
  readonly length?: number;
  readonly min?: number;
  readonly max?: number;
}

/** Byte strings (`Uint8Array`, a `Buffer` is accepted and returned as a plain view). */
export function bytes(options: LengthOptions = {}): Schema<Uint8Array> & { readonly def: BytesDef } {
  const min = options.length ?? options.min ?? 0;
  const max = options.length ?? options.max ?? Infinity;
  checkBounds('s.bytes', min, max);
  const expected = min === 0 && max === Infinity ? 'bytes' : `${rangeText(min, max)} bytes`;
  return defineSchema({ kind: 'bytes', min, max }, expected, (value, path) => {
    if (!(value instanceof Uint8Array)) return fail(path, expected, describeValue(value));
    if (value.length < min || value.length > max) return fail(path, expected, String(value.length));
    return asUint8Array(value);
  });
}

/** Length bounds (UTF-8 bytes) and pattern of `s.string()`. */
export interface StringOptions {
  /** Fewest UTF-8 bytes. */
  readonly min?: number;
  /** Most UTF-8 bytes (the wire size, not UTF-16 units or code points). */
  readonly max?: number;
  /** Must match (`test`); anchor it with `^…$` to constrain the whole string. No `g`/`y` flags. */
  readonly pattern?: RegExp;
}

/**
 * Well-formed Unicode strings (no unpaired surrogates), bounded in UTF-8 bytes because that is
 * what a limit protects: the encoded size, the same in every language.
 */
export function string(options: StringOptions = {}): Schema<string> & { readonly def: StringDef } {
  const min = options.min ?? 0;
  const max = options.max ?? Infinity;
  const pattern = options.pattern;
  checkBounds('s.string', min, max);
  if (pattern && (pattern.global || pattern.sticky)) {
    throw new InvalidArgumentError('s.string: a pattern with the g or y flag keeps state between tests');
  }
  const size = min === 0 && max === Infinity ? '' : ` of ${rangeText(min, max)} UTF-8 bytes`;
  const expected = `string${size}${pattern ? ` matching ${String(pattern)}` : ''}`;
  return defineSchema({ kind: 'string', min, max, pattern }, expected, (value, path) => {
    if (typeof value !== 'string') return fail(path, expected, describeValue(value));
    const length = utf8Length(value);
    if (length < 0) return fail(path, 'a well-formed Unicode string', 'an unpaired surrogate');
    if (length < min || length > max) return fail(path, expected, `${length} bytes`);
    if (pattern && !pattern.test(value)) return fail(path, expected, describeValue(value));
    return value;
  });
}

/** UTF-8 length of `text`, or -1 when it holds an unpaired surrogate. */
export function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) length += 1;
    else if (c < 0x800) length += 2;
    else if (c < 0xd800 || c > 0xdfff) length += 3;
    else {
      const next = text.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return -1;
      length += 4;
      i++;
    }
  }
  return length;
}

/** Bounds of `s.int()`. */
export interface IntOptions {
  readonly min?: number;
  readonly max?: number;
}

/**
 * Safe integers as `number`. A `bigint` in range is accepted and converted, because the wire
 * may carry a small value in 8-byte form. Defaults to the whole safe-integer range.
 */
export function int(options: IntOptions = {}): Schema<number> & { readonly def: IntDef } {
  const min = options.min ?? Number.MIN_SAFE_INTEGER;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min > max) {
    throw new InvalidArgumentError(`s.int: invalid bounds [${min}, ${max}]`);
  }
  const full = min === Number.MIN_SAFE_INTEGER && max === Number.MAX_SAFE_INTEGER;
  const expected = full ? 'safe integer' : `integer in [${min}, ${max}]`;
  return defineSchema({ kind: 'int', min, max }, expected, (value, path) => {
    let n: number;
    if (typeof value === 'bigint') {
      if (value < BigInt(min) || value > BigInt(max)) return fail(path, expected, describeValue(value));
      n = Number(value);
    } else if (typeof value === 'number' && Number.isInteger(value)) {
      if (value < min || value > max) return fail(path, expected, describeValue(value));
      n = value;
    } else {
      return fail(path, expected, describeValue(value));
    }
    return n === 0 ? 0 : n; // -0 becomes 0: the wire cannot tell them apart
  });
}

/** Bounds of `s.u64()` / `s.i64()`. */
export interface BigIntOptions {
  readonly min?: bigint;
  readonly max?: bigint;
}

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

function bigIntSchema(kind: 'u64' | 'i64', floor: bigint, ceiling: bigint, options: BigIntOptions): Schema<bigint> & { readonly def: BigIntDef } {
  const min = options.min ?? floor;
  const max = options.max ?? ceiling;
  if (min < floor || max > ceiling || min > max) throw new InvalidArgumentError(`s.${kind}: invalid bounds [${min}, ${max}]`);
  const expected = min === floor && max === ceiling ? kind : `${kind} in [${min}, ${max}]`;
  return defineSchema({ kind, min, max }, expected, (value, path) => {
    let n: bigint;
    if (typeof value === 'bigint') n = value;
    else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
    else return fail(path, expected, describeValue(value));
    if (n < min || n > max) return fail(path, expected, describeValue(value));
    return n;
  });
}

/** Unsigned 64-bit integers as `bigint`; a safe-integer `number` is accepted and converted. */
export function u64(options: BigIntOptions = {}): Schema<bigint> & { readonly def: BigIntDef } {
  return bigIntSchema('u64', 0n, U64_MAX, options);
}

/** Signed 64-bit integers as `bigint`; a safe-integer `number` is accepted and converted. */
export function i64(options: BigIntOptions = {}): Schema<bigint> & { readonly def: BigIntDef } {
  return bigIntSchema('i64', I64_MIN, I64_MAX, options);
}

/** Bounds of `s.float()`. */
export interface FloatOptions {
  readonly min?: number;
  readonly max?: number;
}

/** Finite numbers (no NaN or ±Infinity); `-0` is normalized to `0`. */
export function float(options: FloatOptions = {}): Schema<number> & { readonly def: FloatDef } {
  const min = options.min ?? -Number.MAX_VALUE;
  const max = options.max ?? Number.MAX_VALUE;
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) {
    throw new InvalidArgumentError(`s.float: invalid bounds [${min}, ${max}]`);
  }
  const full = min === -Number.MAX_VALUE && max === Number.MAX_VALUE;
  const expected = full ? 'finite number' : `number in [${min}, ${max}]`;
  return defineSchema({ kind: 'float', min, max }, expected, (value, path) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      return fail(path, expected, describeValue(value));
    }
    return value === 0 ? 0 : value;
  });
}

/** `true` or `false`. */
export function bool(): Schema<boolean> & { readonly def: BoolDef } {
  return defineSchema({ kind: 'bool' }, 'boolean', (value, path) => {
    if (typeof value !== 'boolean') return fail(path, 'boolean', describeValue(value));
    return value;
  });
}

/** Exactly `value` (compared with `===`). */
export function literal<const V extends LiteralValue>(value: V): Schema<V> & { readonly def: LiteralDef } {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new InvalidArgumentError('s.literal: the value must be finite');
  const expected = describeValue(value);
  return defineSchema({ kind: 'literal', value }, expected, (input, path) => {
    if (input !== value) return fail(path, expected, describeValue(input));
    return value;
  });
}

/** One of a fixed list of strings: `s.enum(['PUT', 'GET'] as const)`. */
export function enumOf<const V extends readonly [string, ...string[]]>(values: V): Schema<V[number]> & { readonly def: EnumDef } {
  const allowed = new Set<string>(values);
  if (values.length === 0 || allowed.size !== values.length) {
    throw new InvalidArgumentError('s.enum: values must be a non-empty list without duplicates');
  }
  const expected = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  return defineSchema({ kind: 'enum', values: [...values] }, expected, (value, path) => {
    if (typeof value !== 'string' || !allowed.has(value)) return fail(path, expected, describeValue(value));
    return value as V[number];
  });
}
