/**
 * An access: everything a client needs to reach one project's data — the satellite (`<id>@<host:port>`),
 * the project's API key and the root key derived from the passphrase — plus the restrictions
 * the CLI applies to it. Exported as one string (`hfa1…`, like Storj's access grants) and read
 * back with every field checked, so a pasted or forged string gives an `AccessError`, never a
 * crash or a half-read access.
 */
import { NodeId } from '../../crypto/node-id.js';
import { isWellFormedApiKey } from '../../projects/api-key.js';
import { decodeRestrictedApiKey, isRestrictedApiKey } from '../../projects/restricted-key.js';

/** True for a restricted key that decodes (only the satellite can tell whether it verifies). */
function isWellFormedRestrictedKey(text: unknown): text is string {
  if (!isRestrictedApiKey(text)) return false;
  try {
    decodeRestrictedApiKey(text);
    return true;
  } catch {
    return false;
  }
}

/** The prefix of an exported access (format version 1). */
export const ACCESS_PREFIX = 'hfa1';
/** Longest exported access read; anything longer is refused before decoding. */
export const MAX_ACCESS_LENGTH = 8192;

/**
 * What an access may not do. `access export` also writes them into the API key as caveats, which
 * the satellite enforces (restrict.ts); this client checks them first to fail with a clear line.
 */
export interface AccessRestrictions {
  /** No bucket made or removed, no object written, moved or deleted. */
  readonly readOnly?: boolean;
  /** Only this bucket. */
  readonly bucket?: string;
  /** Only keys starting with this (within `bucket`). */
  readonly prefix?: string;
  /** Not after this instant (ms since the epoch). */
  readonly notAfter?: number;
}

export interface Access {
  /** `<id>@<host:port>`, as `handoff satellite run` prints it. */
  readonly satellite: string;
  readonly apiKey: string;
  /** 32 bytes derived from the passphrase in the project (never the passphrase). */
  readonly rootKey: Uint8Array;
  readonly restrictions: AccessRestrictions;
}

/** An access that cannot be read or used: malformed, forged, expired, or out of its restrictions. */
export class AccessError extends Error {
  override readonly name = 'AccessError';
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Throws `AccessError` unless `text` is `<node id>@<host:port>`. */
export function checkSatelliteRef(text: unknown): string {
  if (typeof text !== 'string' || text.length > 300) throw new AccessError('the satellite is <id>@<host:port>, as handoff satellite run prints it');
  const at = text.indexOf('@');
  if (at < 0 || !/^[^\s@/]+:\d{1,5}$/.test(text.slice(at + 1))) throw new AccessError(`the satellite is <id>@<host:port>, as handoff satellite run prints it; got ${JSON.stringify(text)}`);
  try {
    NodeId.parse(text.slice(0, at));
  } catch (err) {
    throw new AccessError(`${JSON.stringify(text.slice(0, at))} is not a satellite id`, { cause: err });
  }
  return text;
}

function restrictionsOf(value: unknown): AccessRestrictions {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AccessError('the access\'s restrictions are not an object');
  const r = value as Record<string, unknown>;
  for (const key of Object.keys(r)) if (!['readOnly', 'bucket', 'prefix', 'notAfter'].includes(key)) throw new AccessError(`the access has an unknown restriction ${JSON.stringify(key)}: it was made by a newer handoff`);
  if (r.readOnly !== undefined && typeof r.readOnly !== 'boolean') throw new AccessError('"readOnly" must be true or false');
  if (r.bucket !== undefined && (typeof r.bucket !== 'string' || !BUCKET.test(r.bucket))) throw new AccessError('"bucket" is not a bucket name');
  if (r.prefix !== undefined && (typeof r.prefix !== 'string' || r.prefix.length > 1024 || r.bucket === undefined)) throw new AccessError('"prefix" must be text of at most 1024 characters, within a bucket');
  if (r.notAfter !== undefined && (typeof r.notAfter !== 'number' || !Number.isSafeInteger(r.notAfter) || r.notAfter < 0)) throw new AccessError('"notAfter" must be a time in milliseconds');
  return {
    ...(r.readOnly === true ? { readOnly: true } : {}),
    ...(r.bucket === undefined ? {} : { bucket: r.bucket as string }),
    ...(r.prefix === undefined ? {} : { prefix: r.prefix as string }),
    ...(r.notAfter === undefined ? {} : { notAfter: r.notAfter as number }),
  };
}

/**
 * `access` as one string: `hfa1` and the base64url of a JSON object `{ v: 1, satellite, apiKey,
 * rootKey (base64url), restrictions }`.
 *
 * @example
 * ```ts
 * const text = encodeAccess(access);
 * const same = decodeAccess(text);
 * ```
 */
export function encodeAccess(access: Access): string {
  const json = JSON.stringify({ v: 1, satellite: access.satellite, apiKey: access.apiKey, rootKey: Buffer.from(access.rootKey).toString('base64url'), restrictions: access.restrictions });
  return ACCESS_PREFIX + Buffer.from(json, 'utf8').toString('base64url');
}

/** Reads an exported access; `AccessError` naming what is wrong for anything else. */
export function decodeAccess(text: string): Access {
  if (typeof text !== 'string' || !text.startsWith(ACCESS_PREFIX)) throw new AccessError(`an access string starts with ${ACCESS_PREFIX} (handoff access export NAME prints one)`);
  if (text.length > MAX_ACCESS_LENGTH) throw new AccessError(`an access string is at most ${MAX_ACCESS_LENGTH} characters, got ${text.length}`);
  const body = text.slice(ACCESS_PREFIX.length).trim();
  if (!/^[A-Za-z0-9_-]*$/.test(body)) throw new AccessError('the access string is damaged (not base64url): copy it whole');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch (err) {
    throw new AccessError('the access string is damaged: copy it whole', { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AccessError('the access string is damaged: copy it whole');
  const v = value as Record<string, unknown>;
  if (v.v !== 1) throw new AccessError(`the access string has format ${JSON.stringify(v.v)}; this handoff reads format 1`);
  const satellite = checkSatelliteRef(v.satellite);
  if (!isWellFormedApiKey(v.apiKey) && !isWellFormedRestrictedKey(v.apiKey)) throw new AccessError('the access string holds no well-formed API key');
  if (typeof v.rootKey !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(v.rootKey)) throw new AccessError('the access string holds no 32-byte key');
  const rootKey = new Uint8Array(Buffer.from(v.rootKey, 'base64url'));
  if (rootKey.length !== 32) throw new AccessError('the access string holds no 32-byte key');
  return { satellite, apiKey: v.apiKey, rootKey, restrictions: restrictionsOf(v.restrictions) };
}

/** What an operation touches, for {@link checkAllowed}. */
export interface AccessUse {
  readonly write: boolean;
  /** Undefined: the project as a whole (list or make buckets). */
  readonly bucket?: string;
  /** A key or a key prefix within `bucket`. */
  readonly key?: string;
}

/** Throws `AccessError` when `access`'s restrictions do not allow `use` at `now`. */
export function checkAllowed(access: Access, use: AccessUse, now: number): void {
  const r = access.restrictions;
  if (r.notAfter !== undefined && now > r.notAfter) throw new AccessError(`this access expired at ${new Date(r.notAfter).toISOString()}`);
  if (use.write && r.readOnly) throw new AccessError('this access is read-only');
  if (r.bucket !== undefined) {
    if (use.bucket === undefined) {
      if (use.write) throw new AccessError(`this access is restricted to bucket ${r.bucket}`);
    } else if (use.bucket !== r.bucket) {
      throw new AccessError(`this access is restricted to bucket ${r.bucket}, not ${use.bucket}`);
    }
  }
  if (r.prefix !== undefined && use.bucket !== undefined) {
    const key = use.key ?? '';
    // A listing above the prefix is narrowed to it by the caller; anything else must be inside it.
    if (!key.startsWith(r.prefix) && !(use.write === false && r.prefix.startsWith(key))) throw new AccessError(`this access is restricted to hf://${r.bucket}/${r.prefix}`);
  }
}

/** The restrictions in words, for `access show`. */
export function describeRestrictions(r: AccessRestrictions): string {
  const parts = [
    ...(r.readOnly ? ['read-only'] : []),
    ...(r.bucket === undefined ? [] : [`only hf://${r.bucket}/${r.prefix ?? ''}`]),
    ...(r.notAfter === undefined ? [] : [`until ${new Date(r.notAfter).toISOString()}`]),
  ];
  return parts.length === 0 ? 'none' : parts.join(', ');
}
