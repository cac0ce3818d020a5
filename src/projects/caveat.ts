/**
 * Caveats: what a restricted API key may not do. A key carries a chain of them and a call is
 * allowed only when every caveat allows it, so adding one can only narrow a key, never widen it.
 *
 * Paths are the satellite's view: a bucket name and a byte prefix of the *encrypted* object key.
 * Object keys are encrypted component by component deterministically (uplink/encryption/
 * path-cipher.ts), so a plaintext prefix of whole components ("photos/2024/") encrypts to a byte
 * prefix of every key below it; the satellite enforces it without reading a name.
 */
import { decodeMessage, encodeMessage } from '../codec/message.js';
import { s } from '../codec/s.js';
import { equalBytes } from '../core/bytes.js';

/** One restriction step. An absent field restricts nothing. */
export interface Caveat {
  /** No writes and no deletes (see {@link AccessRequest}'s `op`). */
  readonly readOnly?: boolean;
  /** Milliseconds since the epoch; the key is refused after it. */
  readonly notAfter?: number;
  /** Only these buckets, each optionally only below an encrypted-key prefix. An empty list allows no bucket. */
  readonly paths?: readonly CaveatPath[];
}

export interface CaveatPath {
  readonly bucket: string;
  /** Empty: the whole bucket. */
  readonly encryptedPrefix: Uint8Array;
}

/** Longest caveat in bytes: a restricted key travels in every request header. */
export const MAX_CAVEAT_BYTES = 2048;

const CaveatSchema = s.object({
  readOnly: s.optional(s.bool()),
  notAfter: s.optional(s.int({ min: 0 })),
  paths: s.optional(s.array(s.object({ bucket: s.string({ min: 1, max: 63 }), encryptedPrefix: s.bytes({ max: MAX_CAVEAT_BYTES }) }), { max: 16 })),
});

/** The bytes a caveat travels as, and that the key's tag chain covers. */
export function encodeCaveat(caveat: Caveat): Uint8Array {
  return encodeMessage(CaveatSchema, {
    ...(caveat.readOnly ? { readOnly: true } : {}),
    ...(caveat.notAfter === undefined ? {} : { notAfter: caveat.notAfter }),
    ...(caveat.paths === undefined ? {} : { paths: caveat.paths.map((p) => ({ bucket: p.bucket, encryptedPrefix: p.encryptedPrefix })) }),
  });
}

/** Reverses {@link encodeCaveat}; `DecodeError` for anything else. */
export function decodeCaveat(bytes: Uint8Array): Caveat {
  return decodeMessage(CaveatSchema, bytes, { maxBytes: MAX_CAVEAT_BYTES });
}

/**
 * What a call wants, as the satellite sees it.
 * - `read`: get/download an object (`encryptedKey` given) or see a bucket (no key).
 * - `list`: list objects in `bucket` below the encrypted prefix `encryptedKey`.
 * - `write`: anything that changes data — create/delete a bucket (no key), upload, commit,
 *   abort, delete an object, and both ends of a move or copy.
 * A request without a bucket (project info, list buckets) concerns no data and passes every
 * path caveat.
 */
export interface AccessRequest {
  readonly op: 'read' | 'list' | 'write';
  readonly bucket?: string;
  readonly encryptedKey?: Uint8Array;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && equalBytes(bytes.subarray(0, prefix.length), prefix);
}

/** Why `caveat` refuses `request` at `now`, or `undefined` when it allows it. */
export function caveatRefusal(caveat: Caveat, request: AccessRequest, now: number): string | undefined {
  if (caveat.notAfter !== undefined && now > caveat.notAfter) return `the API key expired at ${new Date(caveat.notAfter).toISOString()}`;
  if (caveat.readOnly && request.op === 'write') return 'the API key is read-only';
  if (caveat.paths === undefined || request.bucket === undefined) return undefined;
  const inBucket = caveat.paths.filter((p) => p.bucket === request.bucket);
  if (inBucket.length === 0) return `the API key does not reach bucket ${JSON.stringify(request.bucket)}`;
  const key = request.encryptedKey;
  // A bucket-wide call (no key) reads the bucket's name only; changing the bucket needs all of it.
  const allowed =
    key === undefined ? request.op !== 'write' || inBucket.some((p) => p.encryptedPrefix.length === 0) : inBucket.some((p) => startsWith(key, p.encryptedPrefix));
  return allowed ? undefined : `the API key reaches only part of bucket ${JSON.stringify(request.bucket)}`;
}

/** Whether any caveat lets `bucket` be seen at all (for filtering a bucket listing). */
export function bucketVisible(caveats: readonly Caveat[], bucket: string): boolean {
  return caveats.every((c) => c.paths === undefined || c.paths.some((p) => p.bucket === bucket));
}
