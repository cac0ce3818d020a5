/**
 * Listing a bucket by encrypted prefix, page by page, decrypting every name on the way. Path
 * components are encrypted one by one, so the satellite can fold sub-folders without reading
 * them. An entry this root key cannot decrypt — written under another passphrase or root key,
 * or altered — is skipped and counted, never shown as garbage and never allowed to stop the
 * listing of everything else, as Storj's uplink does.
 *
 * Keys are derived down the path from the bucket, so a foreign entry differs from the first
 * component on: it can only turn up where the listing starts at the bucket's top (prefix `''`).
 * Below any prefix this key encrypted, every entry was written under this key too.
 */
import type { Infer } from '../codec/index.js';
import { isHandoffError } from '../core/errors.js';
import * as M from '../metainfo/methods.js';
import type { ObjectInfo as WireObjectInfo } from '../metainfo/schemas.js';
import type { UplinkContext } from './context.js';
import { decryptPath, decryptPrefix, encryptPrefix, pathContentKey } from './encryption/index.js';
import { objectInfoFrom, type ObjectInfo } from './object-info.js';
import type { ListObjectsOptions } from './options.js';

/** An object in a listing. */
export type ListedObject = ObjectInfo & { readonly kind: 'object' };
/** A sub-folder folded into one entry (non-recursive listings): its full path, ending in `/`. */
export interface ListedPrefix {
  readonly kind: 'prefix';
  readonly prefix: string;
}
/** One entry of {@link listObjects}: an object, or (non-recursive listings) a folded sub-folder. */
export type ListItem = ListedObject | ListedPrefix;

/**
 * An entry a listing skipped because this root key cannot decrypt it: its name (or, rarely, its
 * metadata) was written under another passphrase or root key, or altered.
 */
export interface UndecryptableEntry {
  /** A folded sub-folder counts once, however many objects are below it. */
  readonly kind: 'object' | 'prefix';
  /** Its name as the satellite stores it. */
  readonly encryptedKey: Uint8Array;
  /** The object's version and stream (objects only). */
  readonly version?: number;
  readonly streamId?: Uint8Array;
  /** The `UnauthenticatedError` that decrypting it gave. */
  readonly error: Error;
}

/**
 * What {@link Uplink.listObjects} returns: the entries this key can decrypt, and how many it
 * could not. Each `for await` lists afresh.
 *
 * @example
 * ```ts
 * const listing = uplink.listObjects('photos', { recursive: true });
 * for await (const item of listing) console.log(item.kind === 'object' ? item.key : item.prefix);
 * if (listing.undecryptable > 0) console.warn(`${listing.undecryptable} entries were written under another passphrase`);
 * ```
 */
export class ObjectListing implements AsyncIterable<ListItem> {
  readonly #ctx: UplinkContext;
  readonly #bucket: string;
  readonly #options: ListObjectsOptions;
  #undecryptable = 0;

  constructor(ctx: UplinkContext, bucket: string, options: ListObjectsOptions) {
    this.#ctx = ctx;
    this.#bucket = bucket;
    this.#options = options;
  }

  /** Entries skipped so far by the latest iteration because this key cannot decrypt them. */
  get undecryptable(): number {
    return this.#undecryptable;
  }

  [Symbol.asyncIterator](): AsyncIterator<ListItem> {
    this.#undecryptable = 0;
    return listObjects(this.#ctx, this.#bucket, this.#options, (entry) => {
      this.#undecryptable++;
      this.#options.onUndecryptable?.(entry);
    });
  }
}

const PAGE = 1000;

type Listed = Infer<typeof M.ListObjects.response>['items'][number];

/**
 * `item` decrypted, or the entry to report when this key cannot decrypt it. Anything but an
 * authentication failure is thrown.
 */
export function decryptItem(rootKey: Uint8Array, bucket: string, item: Listed): ListItem | UndecryptableEntry {
  try {
    if (item.kind === 'prefix') return { kind: 'prefix', prefix: decryptPrefix(rootKey, bucket, item.key) };
    return { kind: 'object', ...decryptObject(rootKey, bucket, item.object) };
  } catch (err) {
    if (!isHandoffError(err, 'Unauthenticated')) throw err;
    return item.kind === 'prefix'
      ? { kind: 'prefix', encryptedKey: item.key, error: err }
      : { kind: 'object', encryptedKey: item.object.encryptedKey, version: item.object.version, streamId: item.object.streamId, error: err };
  }
}

function decryptObject(rootKey: Uint8Array, bucket: string, object: WireObjectInfo): ObjectInfo {
  const key = decryptPath(rootKey, bucket, object.encryptedKey);
  const contentKey = pathContentKey(rootKey, bucket, key);
  try {
    return objectInfoFrom(object, key, contentKey);
  } finally {
    contentKey.fill(0);
  }
}

/** See {@link Uplink.listObjects}; `skipped` hears of every entry this key cannot decrypt. */
export async function* listObjects(
  ctx: UplinkContext,
  bucket: string,
  options: ListObjectsOptions,
  skipped: (entry: UndecryptableEntry) => void,
): AsyncGenerator<ListItem, void, undefined> {
  const { rootKey } = ctx;
  const prefix = encryptPrefix(rootKey, bucket, options.prefix ?? '');
  let cursor: Uint8Array | undefined;
  let cursorVersion: { version: number; streamId: Uint8Array } | undefined;
  for (;;) {
    const page = await ctx.call(
      M.ListObjects,
      {
        header: ctx.header,
        bucket,
        prefix,
        ...(cursor === undefined ? {} : { cursor }),
        ...(cursorVersion === undefined ? {} : { cursorVersion }),
        recursive: options.recursive ?? false,
        limit: PAGE,
        ...(options.pending ? { includePending: true } : {}),
        ...(options.allVersions ? { allVersions: true } : {}),
      },
      options.signal,
    );
    for (const item of page.items) {
      const entry = decryptItem(rootKey, bucket, item);
      if ('error' in entry) skipped(entry);
      else yield entry;
    }
    if (page.more === undefined) return;
    cursor = page.more;
    // Where inside one key's versions the page ended, so no version is skipped.
    cursorVersion = page.moreVersion;
  }
}
