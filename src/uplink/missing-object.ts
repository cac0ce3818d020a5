/**
 * Saying why an object is not found. Names are encrypted under the root key, so an object
 * uploaded under another passphrase sits under a name this key never produces, and the
 * satellite can only answer "not found". The uplink then looks once at the top of the bucket —
 * the only place such an object can show, since keys are derived down the path — and when it
 * finds names this key cannot decrypt, the error says the object may be one of them.
 */
import { isHandoffError, NotFoundError } from '../core/errors.js';
import * as M from '../metainfo/methods.js';
import type { UnaryMethod } from '../rpc/method.js';
import { decryptItem } from './listing.js';
import { quoteKey } from './object-key.js';

/** A satellite call (with the caller's signal, if any, already bound). */
export type SatelliteCall = <Req, Res>(method: UnaryMethod<Req, Res>, request: Req) => Promise<Res>;

/** What looking at the bucket's top takes. */
export interface BucketLook {
  readonly call: SatelliteCall;
  readonly header: { readonly apiKey: string };
  readonly rootKey: Uint8Array;
}

/** Top-level entries looked at: one listing page (sub-folders fold, so it covers most buckets). */
const LOOK_LIMIT = 1000;

/** True for the satellite's "bucket … not found", which needs no explaining. */
export function isBucketNotFound(err: unknown): boolean {
  return isHandoffError(err, 'NotFound') && /^bucket ".*" not found$/.test(err.message);
}

/**
 * Rethrows an object's NotFound (from the satellite, for `key` in `bucket`) as a `NotFoundError`
 * naming the object as its user typed it, and why it may be missing: when the bucket's top holds
 * names this key cannot decrypt, that they were stored under a different passphrase or root key.
 * A missing bucket, and every other error, is rethrown unchanged.
 */
export async function explainMissingObject(look: BucketLook, bucket: string, key: string, version: number | undefined, err: unknown): Promise<never> {
  if (!isHandoffError(err, 'NotFound') || isBucketNotFound(err)) throw err;
  const what = version === undefined ? `object ${quoteKey(key)}` : `version ${version} of object ${quoteKey(key)}`;
  const where = `${what} not found in bucket ${JSON.stringify(bucket)}`;
  const foreign = await undecryptableAtTop(look, bucket).catch(() => undefined);
  if (foreign === undefined || (foreign.count === 0 && foreign.more)) {
    throw new NotFoundError(`${where} (object names are encrypted: an object stored under another passphrase or root key is invisible under this one)`, { cause: err });
  }
  if (foreign.count === 0) throw new NotFoundError(where, { cause: err });
  const count = `${foreign.count}${foreign.more ? ' or more' : ''} ${foreign.count === 1 && !foreign.more ? 'entry' : 'entries'}`;
  throw new NotFoundError(
    `${where} under this passphrase or root key; the bucket holds ${count} whose names this key cannot decrypt, ` +
      `stored under a different passphrase or root key — the object may be among them (a passphrase mistyped at upload, or at connect)`,
    { cause: err, details: { undecryptableEntries: foreign.count } },
  );
}

/** How many of the first top-level entries of `bucket` this key cannot decrypt, and whether more entries follow. */
async function undecryptableAtTop(look: BucketLook, bucket: string): Promise<{ count: number; more: boolean }> {
  const page = await look.call(M.ListObjects, { header: look.header, bucket, prefix: new Uint8Array(0), recursive: false, limit: LOOK_LIMIT });
  let count = 0;
  for (const item of page.items) if ('error' in decryptItem(look.rootKey, bucket, item)) count++;
  return { count, more: page.more !== undefined };
}
