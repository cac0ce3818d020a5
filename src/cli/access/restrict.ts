/**
 * Narrowing an access so the satellite enforces it: the restrictions become a caveat appended to
 * the access's API key (projects/restricted-key.ts), made here without contacting the satellite.
 * The CLI keeps checking them too (grant.ts `checkAllowed`), to fail early with a clear line.
 */
import type { Caveat } from '../../projects/caveat.js';
import { decodeRestrictedApiKey, isRestrictedApiKey, restrictApiKey } from '../../projects/restricted-key.js';
import { decryptPath, decryptPrefix, encryptPath, encryptPrefix } from '../../uplink/encryption/path-cipher.js';
import { AccessError, type Access, type AccessRestrictions } from './grant.js';

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
  const apiKey = same && isRestrictedApiKey(access.apiKey) ? access.apiKey : restrictApiKey(access.apiKey, caveatOf(access.rootKey, restrictions));
  return { ...access, apiKey, restrictions };
}

/**
 * What a restricted API key's caveats say, in the CLI's terms, for an access made from such a
 * key (`access new --api-key hk1r_…`): the CLI then checks early what the satellite enforces.
 * The narrowest one-path caveat gives the bucket and prefix (decrypted with `rootKey`); a caveat
 * naming several paths cannot be said as one `--only`, and is refused.
 */
export function restrictionsOfKey(apiKey: string, rootKey: Uint8Array): AccessRestrictions {
  if (!isRestrictedApiKey(apiKey)) return {};
  let readOnly = false;
  let notAfter: number | undefined;
  let narrowest: { bucket: string; prefix: string } | undefined;
  for (const caveat of decodeRestrictedApiKey(apiKey).caveats) {
    if (caveat.readOnly) readOnly = true;
    if (caveat.notAfter !== undefined) notAfter = Math.min(notAfter ?? Infinity, caveat.notAfter);
    if (caveat.paths === undefined) continue;
    const [path, ...more] = caveat.paths;
    if (path === undefined || more.length > 0) throw new AccessError('this API key is restricted to several buckets or prefixes (or none); handoff accesses name one');
    let prefix: string;
    try {
      const p = path.encryptedPrefix;
      prefix = p.length === 0 ? '' : p[p.length - 1] === 0x2f ? decryptPrefix(rootKey, path.bucket, p) : decryptPath(rootKey, path.bucket, p);
    } catch (err) {
      throw new AccessError('this API key is restricted to a prefix written under another passphrase', { cause: err });
    }
    if (narrowest === undefined || (path.bucket === narrowest.bucket && prefix.startsWith(narrowest.prefix))) narrowest = { bucket: path.bucket, prefix };
  }
  return {
    ...(readOnly ? { readOnly: true } : {}),
    ...(narrowest === undefined ? {} : { bucket: narrowest.bucket, ...(narrowest.prefix === '' ? {} : { prefix: narrowest.prefix }) }),
    ...(notAfter === undefined ? {} : { notAfter }),
  };
}
