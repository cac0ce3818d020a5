/**
 * Listing a bucket by encrypted prefix, page by page, decrypting every name on the way. Path
 * components are encrypted one by one, so the satellite can fold sub-folders without reading
 * them; a name that does not decrypt under this root key stops the listing with
 * `UnauthenticatedError` rather than showing garbage.
 */
import * as M from '../metainfo/methods.js';
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

const PAGE = 1000;

/** See {@link Uplink.listObjects}. */
export async function* listObjects(ctx: UplinkContext, bucket: string, options: ListObjectsOptions = {}): AsyncGenerator<ListItem, void, undefined> {
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
      if (item.kind === 'prefix') {
        yield { kind: 'prefix', prefix: decryptPrefix(rootKey, bucket, item.key) };
        continue;
      }
      const key = decryptPath(rootKey, bucket, item.object.encryptedKey);
      const contentKey = pathContentKey(rootKey, bucket, key);
      try {
        yield { kind: 'object', ...objectInfoFrom(item.object, key, contentKey) };
      } finally {
        contentKey.fill(0);
      }
    }
    if (page.more === undefined) return;
    cursor = page.more;
    // Where inside one key's versions the page ended, so no version is skipped.
    cursorVersion = page.moreVersion;
  }
}
