/**
 * Narrowing an access so the satellite enforces it: the restrictions become a caveat appended to
 * the access's API key (projects/restricted-key.ts), made here without contacting the satellite.
 * The CLI keeps checking them too (grant.ts `checkAllowed`), to fail early with a clear line.
 */
import type { Caveat } from '../../projects/caveat.js';
import { restrictApiKey } from '../../projects/restricted-key.js';
import { encryptPath, encryptPrefix } from '../../uplink/encryption/path-cipher.js';
import type { Access, AccessRestrictions } from './grant.js';

/**
 * The encrypted-key prefix the satellite checks for `prefix` in `bucket`. Names are encrypted a
 * whole component at a time, so the satellite can only hold a key to whole components: `2024/`
 * reaches everything below that folder; `2024` (no slash) reaches the key `2024` and everything
 * below `2024/`, not `2024-old` (the client-side check is a plain text prefix, so it is wider).
 */
export function encryptedRestrictionPrefix(rootKey: Uint8Array, bucket: string, prefix: string): Uint8Array {
  return prefix.endsWith('/') ? encryptPrefix(rootKey, bucket, prefix) : encryptPath(rootKey, bucket, prefix);
}

/** The caveat that says `restrictions` to the satellite. */
export function caveatOf(rootKey: Uint8Array, r: AccessRestrictions): Caveat {
  return {
    ...(r.readOnly ? { readOnly: true } : {}),
    ...(r.notAfter === undefined ? {} : { notAfter: r.notAfter }),
    ...(r.bucket === undefined ? {} : { paths: [{ bucket: r.bucket, encryptedPrefix: r.prefix === undefined || r.prefix === '' ? new Uint8Array(0) : encryptedRestrictionPrefix(rootKey, r.bucket, r.prefix) }] }),
  };
}

/**
 * `access` narrowed to `restrictions` (which must already include the access's own): its API key
 * gets one more caveat when anything changed, so a restricted access shared with someone stays
 * restricted whatever client they use.
 *
 * @example
 * ```ts
 * const shared = restrictAccess(access, { ...access.restrictions, readOnly: true });
 * ```
 */
export function restrictAccess(access: Access, restrictions: AccessRestrictions): Access {
  const same = JSON.stringify(restrictions) === JSON.stringify(access.restrictions);
  if (same && Object.keys(restrictions).length === 0) return access;
  // An access restricted before keys carried caveats has a base key: it gets them all now.
  const apiKey = same && access.apiKey.startsWith('hk1r_') ? access.apiKey : restrictApiKey(access.apiKey, caveatOf(access.rootKey, restrictions));
  return { ...access, apiKey, restrictions };
}
