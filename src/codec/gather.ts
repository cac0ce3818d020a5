/**
 * MessagePack encoding for the wire's hot path. The value must be plain data that a schema
 * already checked (null, booleans, numbers, bigints, strings, `Uint8Array`, arrays, plain
 * objects); object keys whose value is `undefined` are left out.
 *
 * Large byte strings are not copied: they are returned as their own parts between the encoded
 * headers, so a transport can write `[header, ...parts]` straight to a socket. A 1 MiB piece
 * chunk then costs no copy on the way out. Concatenated, the parts are ordinary MessagePack.
 */
import { InvalidArgumentError } from '../core/errors.js';

/** Byte strings at least this long travel as their own part, uncopied. */
export const GATHER_THRESHOLD = 16 * 1024;

const encoder = new TextEncoder();

/**
 * Where a message is written first: one buffer reused by every encode, whose bytes are copied
 * out into a part of exactly their size. A buffer of its own per message (256 bytes, beyond what
 * V8 keeps on its heap) was an allocation outside the heap, and later a finalization, for every
 * RPC frame; a part of a small message's size is a cheap copy in the heap.
 */
const SCRATCH_BYTES = 4096;
let scratch: Uint8Array | undefined = new Uint8Array(SCRATCH_BYTES);

class PartsWriter {
  readonly parts: Uint8Array[] = [];
  /** The shared scratch while this writer writes there, or a buffer of this writer's own. */
  buf: Uint8Array;
  pos = 0;
  /** The shared scratch, lent to this writer while it runs (`undefined`: it had to make its own). */
  readonly #shared: Uint8Array | undefined;

  constructor(shared: Uint8Array | undefined) {
    this.#shared = shared;
    this.buf = shared ?? new Uint8Array(256);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    // After a flush that used the whole buffer what is left is empty: doubling 0 never grows.
    let size = Math.max(256, this.buf.length * 2);
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf[this.pos++] = v >>> 8;
    this.buf[this.pos++] = v & 0xff;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf[this.pos++] = v >>> 24;
    this.buf[this.pos++] = (v >>> 16) & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
  }

  /** A view of the next `n` bytes, for the rare 8-byte numbers (no DataView per writer). */
  view(n: number): DataView {
    this.ensure(n);
    return new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, n);
  }

  raw(bytes: Uint8Array): void {
    if (bytes.length >= GATHER_THRESHOLD) {
      this.flush();
      this.parts.push(bytes);
      return;
    }
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /**
   * Moves the bytes written so far into `parts`: copied out of the shared scratch (which is then
   * written from its start again), else a view of this writer's own buffer (later writes go after it).
   */
  flush(): void {
    if (this.pos === 0) return;
    if (this.buf === this.#shared) {
      this.parts.push(this.buf.slice(0, this.pos));
    } else {
      this.parts.push(this.buf.subarray(0, this.pos));
      this.buf = this.buf.subarray(this.pos);
    }
    this.pos = 0;
  }
}

function header(w: PartsWriter, length: number, fix: number, fixMax: number, c8: number, c16: number, c32: number): void {
  if (length < fixMax) w.byte(fix | length);
  else if (c8 !== 0 && length < 0x100) {
    w.byte(c8);
    w.byte(length);
  } else if (length < 0x10000) {
    w.byte(c16);
    w.u16(length);
  } else {
    w.byte(c32);
    w.u32(length);
  }
}

function writeInteger(w: PartsWriter, n: number): void {
  if (n >= 0) {
    if (n < 0x80) w.byte(n);
    else if (n < 0x100) (w.byte(0xcc), w.byte(n));
    else if (n < 0x10000) (w.byte(0xcd), w.u16(n));
    else if (n < 0x100000000) (w.byte(0xce), w.u32(n));
    else writeFloat(w, n);
  } else if (n >= -32) w.byte(n & 0xff);
  else if (n >= -0x80) (w.byte(0xd0), w.byte(n & 0xff));
  else if (n >= -0x8000) (w.byte(0xd1), w.u16(n & 0xffff));
  else if (n >= -0x80000000) (w.byte(0xd2), w.u32(n >>> 0));
  else writeFloat(w, n);
}

/** Numbers beyond 32 bits travel as float64 (exact for safe integers), as msgpackr does: they decode as numbers, while 64-bit integers decode as bigints. */
function writeFloat(w: PartsWriter, n: number): void {
  const view = w.view(9);
  view.setUint8(0, 0xcb);
  view.setFloat64(1, n);
  w.pos += 9;
}

function writeBig(w: PartsWriter, n: bigint): void {
  if (n >= 0n) {
    if (n > 0xffffffffffffffffn) throw new InvalidArgumentError(`cannot encode ${n}: outside the 64-bit range`);
    const view = w.view(9);
    view.setUint8(0, 0xcf);
    view.setBigUint64(1, n);
  } else {
    if (n < -0x8000000000000000n) throw new InvalidArgumentError(`cannot encode ${n}: outside the 64-bit range`);
    const view = w.view(9);
    view.setUint8(0, 0xd3);
    view.setBigInt64(1, n);
  }
  w.pos += 9;
}

function write(w: PartsWriter, value: unknown, depth: number): void {
  if (depth > 64) throw new InvalidArgumentError('cannot encode: nesting deeper than 64');
  if (value === null || value === undefined) return w.byte(0xc0);
  switch (typeof value) {
    case 'boolean':
      return w.byte(value ? 0xc3 : 0xc2);
    case 'number':
      if (Number.isSafeInteger(value)) return writeInteger(w, value);
      return writeFloat(w, value);
    case 'bigint':
      return writeBig(w, value);
    case 'string': {
      // Short ASCII-only strings (method names, enums, field names) skip the TextEncoder.
      if (value.length < 32 && writeShortAscii(w, value)) return;
      const encoded = encoder.encode(value);
      header(w, encoded.length, 0xa0, 32, 0xd9, 0xda, 0xdb);
      w.raw(encoded);
      return;
    }
    case 'object':
      break;
    default:
      throw new InvalidArgumentError(`cannot encode a ${typeof value}`);
  }
  if (value instanceof Uint8Array) {
    header(w, value.length, 0, 0, 0xc4, 0xc5, 0xc6);
    w.raw(value);
    return;
  }
  if (Array.isArray(value)) {
    header(w, value.length, 0x90, 16, 0, 0xdc, 0xdd);
    for (const item of value) write(w, item, depth + 1);
    return;
  }
  // Keys and values read in place: Object.entries and a filter made three arrays per object.
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  let count = 0;
  for (let i = 0; i < keys.length; i++) if (record[keys[i]!] !== undefined) count++;
  header(w, count, 0x80, 16, 0, 0xde, 0xdf);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const v = record[key];
    if (v === undefined) continue;
    write(w, key, depth + 1);
    write(w, v, depth + 1);
  }
}

/** Writes `text` as a fixstr when it is ASCII (its length is under 32); `false`, writing nothing, otherwise. */
function writeShortAscii(w: PartsWriter, text: string): boolean {
  const n = text.length;
  w.ensure(n + 1);
  const buf = w.buf;
  const at = w.pos + 1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return false;
    buf[at + i] = c;
  }
  buf[w.pos] = 0xa0 | n;
  w.pos = at + n;
  return true;
}

/**
 * Encodes schema-checked plain data as MessagePack parts (see the module comment). The parts
 * alias the caller's large byte strings: do not modify them until the parts are sent.
 *
 * @example
 * ```ts
 * const parts = encodeParts([5, { data: chunk }]); // [header bytes, chunk]
 * ```
 */
export function encodeParts(value: unknown): Uint8Array[] {
  const shared = scratch;
  // Taken while in use: an encode that somehow ran inside this one gets a buffer of its own.
  scratch = undefined;
  const w = new PartsWriter(shared);
  try {
    write(w, value, 0);
    w.flush();
  } finally {
    if (shared !== undefined) scratch = shared;
  }
  return w.parts;
}

/** Total length of `parts`. */
export function partsLength(parts: readonly Uint8Array[]): number {
  let n = 0;
  for (const part of parts) n += part.length;
  return n;
}
