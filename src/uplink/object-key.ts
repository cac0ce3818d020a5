/**
 * Checking an object key as its user typed it, before anything is encrypted or sent. The
 * satellite only ever sees the encrypted key, so its refusals could only speak of bytes the user
 * never saw; here they are stated in the typed name's own terms.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { encryptedPathLength, maxPathLength } from './encryption/index.js';

const PREVIEW = 40;

/** `key` as JSON, cut short when long: error messages quote it. */
export function quoteKey(key: string): string {
  return JSON.stringify(key.length > PREVIEW ? `${key.slice(0, PREVIEW)}…` : key);
}

/**
 * Throws `InvalidArgumentError` for an empty key, or for one whose encryption would be longer
 * than `maxEncryptedLength` (the satellite's limit; unchecked when unknown), naming the most
 * UTF-8 bytes a key with as many '/'-separated parts may have.
 *
 * @example
 * ```ts
 * checkObjectKey('', 'key', 1024); // InvalidArgumentError: "key" must not be empty
 * ```
 */
export function checkObjectKey(key: string, field: string, maxEncryptedLength: number | undefined): void {
  if (typeof key !== 'string') throw new InvalidArgumentError(`"${field}" expected a string, got ${typeof key}`);
  if (key === '') throw new InvalidArgumentError(`"${field}" must not be empty: an object needs a name`);
  if (maxEncryptedLength === undefined || encryptedPathLength(key) <= maxEncryptedLength) return;
  const parts = key.split('/').length;
  const max = maxPathLength(maxEncryptedLength, parts);
  const typed = new TextEncoder().encode(key).length;
  const shape = parts === 1 ? 'a key without "/"' : `a key of ${parts} "/"-separated parts`;
  const limit = max < 0 ? `${shape} cannot fit at all` : `${shape} may have at most ${max}`;
  throw new InvalidArgumentError(
    `"${field}" ${quoteKey(key)} is too long: ${typed} bytes of UTF-8, and ${limit} ` +
      `(each part is stored encrypted, a third longer plus 40 bytes, within the satellite's limit of ${maxEncryptedLength})`,
  );
}
