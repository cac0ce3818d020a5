/**
 * The one MessagePack configuration every handoff message uses: standard maps (no msgpackr
 * records), no extensions of any kind, 64-bit integers as `bigint`, bytes as plain
 * `Uint8Array`. Anything {@link encode} writes, {@link decode} reads back.
 */
import { Packr, Unpackr, type Options } from 'msgpackr';
import { DecodeError, InvalidArgumentError } from '../core/errors.js';
import { scanMessage } from './scan.js';

/** Largest message {@link decode} accepts unless told otherwise: 4 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** Deepest nesting of arrays and maps {@link encode} writes and {@link decode} accepts by default. */
export const DEFAULT_MAX_DEPTH = 64;

/** Limits for decoding one message. */
export interface DecodeOptions {
  /** Largest accepted input in bytes, checked before any byte is parsed. Default 4 MiB. */
  readonly maxBytes?: number;
  /** Deepest accepted nesting of arrays and maps. Default {@link DEFAULT_MAX_DEPTH}. */
  readonly maxDepth?: number;
  /**
   * Default `true`: every decoded byte string is a fresh copy, so the caller may reuse or
   * overwrite the input buffer at once. Pass `false` only when the input buffer is never
   * written again (e.g. a frame allocated for this one message): decoded byte strings are then
   * views into it, which saves a copy of large payloads.
   */
  readonly copyBytes?: boolean;
}

// Plain MessagePack: maps (not records), float64 for non-integers, no extension types. msgpackr
// drops object keys whose value is `undefined` when `skipValues` lists it.
// (`skipValues` is missing from msgpackr's typings, hence the widened type.)
const packOptions: Options & { skipValues: unknown[] } = {
  useRecords: false,
  variableMapSize: true,
  moreTypes: false,
  structuredClone: false,
  bundleStrings: false,
  skipValues: [undefined],
};
const packr = new Packr(packOptions);

const unpackOptions: Options = {
  useRecords: false,
  mapsAsObjects: true,
  int64AsType: 'bigint',
  moreTypes: false,
  structuredClone: false,
};
const copyingUnpackr = new Unpackr({ ...unpackOptions, copyBuffers: true });
const borrowingUnpackr = new Unpackr({ ...unpackOptions, copyBuffers: false });

/**
 * Encodes plain data as MessagePack: `null`, booleans, numbers, `bigint` (64-bit range),
 * well-formed strings, `Uint8Array` (as bin), arrays and plain objects. Object keys whose value
 * is `undefined` are left out. Anything else (`undefined` elsewhere, `Map`, `Date`, class
 * instances, functions, cycles, nesting deeper than {@link DEFAULT_MAX_DEPTH}) throws
 * `InvalidArgumentError` naming the offending path.
 *
 * The result owns its `ArrayBuffer` (offset 0, exact length), so it may be transferred or sent
 * through `.buffer` safely.
 *
 * @example
 * ```ts
 * const bytes = encode({ pieceId: new Uint8Array(32), size: 1024n });
 * ```
 */
export function encode(value: unknown): Uint8Array {
  assertEncodable(value, [], 0);
  return packPlain(value);
}

/**
 * Packs a value already known to be plain data (e.g. the output of a schema's `parse`),
 * skipping the structural check {@link encode} does.
 *
 * @internal
 */
export function packPlain(value: unknown): Uint8Array {
  let packed: Uint8Array;
  try {
    packed = packr.pack(value);
  } catch (err) {
    throw new InvalidArgumentError(`cannot encode message: ${errorText(err)}`, { cause: err });
  }
  // msgpackr returns a window into a shared slab it keeps writing into; hand out a private copy.
  const out = new Uint8Array(packed.length);
  out.set(packed);
  return out;
}

/**
 * Decodes one MessagePack message. The size cap is checked first; then a linear scan rejects
 * extensions, non-string map keys, a `__proto__` key, invalid UTF-8, excessive nesting,
 * truncation and trailing bytes; only then does msgpackr build the value. Every failure is a
 * `DecodeError`.
 *
 * Maps come back as plain objects, 8-byte integers as `bigint` (smaller ones as `number`),
 * bin as plain `Uint8Array` — copies by default, see {@link DecodeOptions.copyBytes}.
 *
 * @example
 * ```ts
 * const value = decode(frame, { maxBytes: 1024 * 1024 });
 * ```
 */
export function decode(bytes: Uint8Array, options: DecodeOptions = {}): unknown {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  // A NaN cap would compare false and silently disable the check.
  if (!(maxBytes >= 0) || !(maxDepth >= 0)) throw new InvalidArgumentError('decode: maxBytes and maxDepth must be non-negative numbers');
  if (!(bytes instanceof Uint8Array)) throw new DecodeError(`expected message bytes, got ${typeof bytes}`);
  if (bytes.byteLength > maxBytes) {
    throw new DecodeError(`message is ${bytes.byteLength} bytes, over the ${maxBytes}-byte limit`);
  }
  const copying = options.copyBytes !== false;
  if (copying && bytes.byteLength <= STAGING_BYTES && staging !== undefined) return decodeStaged(bytes, staging, maxDepth);
  // A fresh plain view: slices of it are plain Uint8Arrays (not Buffers), and msgpackr caches a
  // DataView on its input object, which must not be the caller's.
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  scanMessage(view, maxDepth);
  return unpackChecked(copying ? copyingUnpackr : borrowingUnpackr, view, undefined);
}

/**
 * Small messages decoded with copies of their byte strings are decoded from a copy in this one
 * buffer, whose DataView msgpackr caches on it once: a fresh view per message cost msgpackr a
 * new DataView and a property added to a typed array, about a third of decoding an RPC frame.
 * Nothing decoded refers to it (strings are decoded, byte strings copied).
 */
const STAGING_BYTES = 4096;
let staging: Uint8Array | undefined = new Uint8Array(STAGING_BYTES);

function decodeStaged(bytes: Uint8Array, buffer: Uint8Array, maxDepth: number): unknown {
  // Taken while in use: a decode that somehow ran inside this one takes the other path.
  staging = undefined;
  try {
    buffer.set(bytes);
    const message = buffer.subarray(0, bytes.byteLength);
    scanMessage(message, maxDepth);
    return unpackChecked(copyingUnpackr, buffer, bytes.byteLength);
  } finally {
    staging = buffer;
  }
}

/** msgpackr's value of `source` (up to `end`), after the scan passed it. */
function unpackChecked(unpackr: Unpackr, source: Uint8Array, end: number | undefined): unknown {
  try {
    return unpackr.unpack(source, end);
  } catch (err) {
    // The scan should leave nothing for msgpackr to reject; this keeps the contract if it does.
    throw new DecodeError(`invalid message: ${errorText(err)}`, { cause: err });
  }
}

type Trail = (string | number)[];

function assertEncodable(value: unknown, trail: Trail, depth: number): void {
  switch (typeof value) {
    case 'boolean':
    case 'number':
      return;
    case 'string':
      if (!isWellFormed(value)) refuse(trail, 'a string with an unpaired surrogate');
      return;
    case 'bigint':
      if (value < -(1n << 63n) || value >= 1n << 64n) refuse(trail, `${value}, outside the 64-bit integer range`);
      return;
    case 'object':
      break;
    default:
      refuse(trail, typeof value);
  }
  if (value === null || value instanceof Uint8Array) return;
  if (depth >= DEFAULT_MAX_DEPTH) refuse(trail, `nesting deeper than ${DEFAULT_MAX_DEPTH} levels (a cycle?)`);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      trail.push(i);
      if (value[i] === undefined) refuse(trail, 'undefined (only object fields may be undefined)');
      assertEncodable(value[i], trail, depth + 1);
      trail.pop();
    }
    return;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    refuse(trail, ArrayBuffer.isView(value) ? value.constructor.name : `an instance of ${describeClass(value)}`);
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    trail.push(key);
    if (key === '__proto__') refuse(trail, 'the key "__proto__"');
    const field = record[key];
    if (field !== undefined) assertEncodable(field, trail, depth + 1);
    trail.pop();
  }
}

function refuse(trail: Trail, what: string): never {
  const path = formatTrail(trail);
  throw new InvalidArgumentError(`${path ? `"${path}" ` : ''}cannot be encoded: ${what}`);
}

function formatTrail(trail: Trail): string {
  let path = '';
  for (const part of trail) path += typeof part === 'number' ? `[${part}]` : path ? `.${part}` : part;
  return path;
}

function describeClass(value: object): string {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name ? name : 'a class';
}

/** True when `text` has no unpaired UTF-16 surrogate (so it has exactly one UTF-8 encoding). */
export function isWellFormed(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c > 0xdbff) return false;
    const next = text.charCodeAt(i + 1);
    if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
    i++;
  }
  return true;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
