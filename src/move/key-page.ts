/**
 * Pages of segment keys on the wire, packed: a million-segment move sends a million keys each
 * way, and as one byte string a page costs a few hundred nanoseconds a key to build and read,
 * against several microseconds as ten thousand msgpack maps validated one by one. Each entry:
 *
 *   u32 part ‖ u32 index ‖ u16 keyLength ‖ encryptedKey ‖ u8 nonceLength ‖ encryptedKeyNonce
 *
 * (big-endian; lengths 1–256 and 1–32, the bounds a segment commit accepts). A page that does not parse is an InvalidArgument.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { MAX_PART_NUMBER, MAX_SEGMENT_INDEX } from '../metainfo/schemas.js';
import type { SegmentKey } from '../metainfo/metabase/move.js';

export const MAX_WRAPPED_KEY_BYTES = 256;
export const MAX_WRAP_NONCE_BYTES = 32;
/** The largest entry: position, both lengths, the longest key and nonce. */
export const MAX_ENTRY_BYTES = 8 + 2 + MAX_WRAPPED_KEY_BYTES + 1 + MAX_WRAP_NONCE_BYTES;

/** Bytes `keys` take packed. */
export function packedSize(keys: readonly { encryptedKey: Uint8Array; encryptedKeyNonce: Uint8Array }[]): number {
  let size = 0;
  for (const key of keys) size += 11 + key.encryptedKey.length + key.encryptedKeyNonce.length;
  return size;
}

/** Writes one entry at `at`; returns the offset after it. */
export function writeEntry(out: Uint8Array, view: DataView, at: number, part: number, index: number, key: Uint8Array, nonce: Uint8Array): number {
  view.setUint32(at, part);
  view.setUint32(at + 4, index);
  view.setUint16(at + 8, key.length);
  out.set(key, at + 10);
  let next = at + 10 + key.length;
  out[next] = nonce.length;
  out.set(nonce, next + 1);
  next += 1 + nonce.length;
  return next;
}

/**
 * Packs keys into one page.
 *
 * @example
 * ```ts
 * const page = packSegmentKeys(await metabase.listSegmentKeys(streamId, { limit: 10_000 }));
 * ```
 */
export function packSegmentKeys(keys: readonly SegmentKey[]): Uint8Array {
  const out = new Uint8Array(packedSize(keys));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const key of keys) {
    if (key.encryptedKey.length < 1 || key.encryptedKey.length > MAX_WRAPPED_KEY_BYTES) throw new InvalidArgumentError(`"encryptedKey" must be 1–${MAX_WRAPPED_KEY_BYTES} bytes`);
    if (key.encryptedKeyNonce.length < 1 || key.encryptedKeyNonce.length > MAX_WRAP_NONCE_BYTES) throw new InvalidArgumentError(`"encryptedKeyNonce" must be 1–${MAX_WRAP_NONCE_BYTES} bytes`);
    at = writeEntry(out, view, at, key.position.part, key.position.index, key.encryptedKey, key.encryptedKeyNonce);
  }
  return out;
}

/**
 * Visits each entry of a page in order, with views into `page` (no copies); throws
 * InvalidArgument (naming `field`) on a truncated entry, an empty or oversized key or nonce, or
 * a position out of range. Returns the number of entries.
 */
export function forEachSegmentKey(
  page: Uint8Array,
  visit: (part: number, index: number, encryptedKey: Uint8Array, encryptedKeyNonce: Uint8Array) => void,
  field = 'segmentKeys',
  maxEntries = Number.POSITIVE_INFINITY,
): number {
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  let count = 0;
  for (let at = 0; at < page.length; count++) {
    const bad = (what: string) => new InvalidArgumentError(`"${field}" entry ${count}: ${what}`);
    if (count >= maxEntries) throw new InvalidArgumentError(`"${field}" holds more than ${maxEntries} keys`);
    if (at + 10 > page.length) throw bad('truncated');
    const part = view.getUint32(at);
    const index = view.getUint32(at + 4);
    if (part > MAX_PART_NUMBER) throw bad(`part ${part} is over ${MAX_PART_NUMBER}`);
    if (index > MAX_SEGMENT_INDEX) throw bad(`index ${index} is over ${MAX_SEGMENT_INDEX}`);
    const keyLength = view.getUint16(at + 8);
    if (keyLength < 1 || keyLength > MAX_WRAPPED_KEY_BYTES) throw bad(`key of ${keyLength} bytes`);
    const nonceAt = at + 10 + keyLength;
    if (nonceAt + 1 > page.length) throw bad('truncated');
    const nonceLength = page[nonceAt]!;
    if (nonceLength < 1 || nonceLength > MAX_WRAP_NONCE_BYTES) throw bad(`nonce of ${nonceLength} bytes`);
    const end = nonceAt + 1 + nonceLength;
    if (end > page.length) throw bad('truncated');
    visit(part, index, page.subarray(at + 10, nonceAt), page.subarray(nonceAt + 1, end));
    at = end;
  }
  return count;
}

/** Unpacks a page into keys (views into `page`), refusing more than `maxEntries`. */
export function unpackSegmentKeys(page: Uint8Array, field = 'segmentKeys', maxEntries = Number.POSITIVE_INFINITY): SegmentKey[] {
  const keys: SegmentKey[] = [];
  forEachSegmentKey(page, (part, index, encryptedKey, encryptedKeyNonce) => keys.push({ position: { part, index }, encryptedKey, encryptedKeyNonce }), field, maxEntries);
  return keys;
}
