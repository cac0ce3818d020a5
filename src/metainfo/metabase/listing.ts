/**
 * The bucket listing, written once for every store: a store only answers ordered range scans
 * ({@link ListScan}) and this module folds them into pages — collapsing prefixes, honouring the
 * exclusive cursor, filling `limit` entries and telling whether anything follows. Sharing it is
 * what makes the memory, SQLite and PostgreSQL listings agree entry for entry.
 */
import { compareBytes } from '../../core/bytes.js';
import type { ListedEntry, ListObjects, ListPage, VersionCursor } from './port.js';
import type { ObjectRecord } from './types.js';
import { validateListObjects } from './validate.js';

/** The key separator of non-recursive listings: `/`. */
export const SEPARATOR = 0x2f;

/**
 * Where a scan starts: at `key` (`from`), after every row of `key` (`after`), or after one entry
 * of `key` (`after` with `version`).
 */
export type ScanStart =
  | { readonly mode: 'from'; readonly key: Uint8Array }
  | { readonly mode: 'after'; readonly key: Uint8Array; readonly version?: VersionCursor | undefined };

export interface ScanQuery {
  readonly start: ScanStart;
  /** Exclusive upper bound of keys; undefined for none. */
  readonly end: Uint8Array | undefined;
  readonly limit: number;
  readonly includePending: boolean;
  readonly allVersions: boolean;
}

/**
 * Rows of one bucket ordered by (key, version descending, streamId), starting at `start`, below
 * `end`, at most `limit`, keeping only visible rows: committed ones (only the key's highest
 * committed version unless `allVersions`) and, with `includePending`, pending ones.
 */
export type ListScan = (query: ScanQuery) => Promise<ObjectRecord[]> | ObjectRecord[];

/** Orders rows the way every scan returns them: key, then version descending, then streamId. */
export function compareListed(a: ObjectRecord, b: ObjectRecord): number {
  return compareBytes(a.objectKey, b.objectKey) || b.version - a.version || compareBytes(a.streamId, b.streamId);
}

/** True when `row` lies at or after `start` in scan order. */
export function isAtOrAfter(row: ObjectRecord, start: ScanStart): boolean {
  const byKey = compareBytes(row.objectKey, start.key);
  if (start.mode === 'from') return byKey >= 0;
  if (byKey !== 0 || start.version === undefined) return byKey > 0;
  const v = start.version;
  return row.version < v.version || (row.version === v.version && compareBytes(row.streamId, v.streamId) > 0);
}

/** The smallest byte string above every string starting with `prefix`; undefined if none exists. */
export function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  let n = prefix.length;
  while (n > 0 && prefix[n - 1] === 0xff) n--;
  if (n === 0) return undefined;
  const end = prefix.slice(0, n);
  end[n - 1]! += 1;
  return end;
}

/** The collapsed prefix of `key` (through its first `/` at or after `from`), or undefined. */
function collapsedPrefix(key: Uint8Array, from: number): Uint8Array | undefined {
  const at = key.indexOf(SEPARATOR, from);
  return at < 0 ? undefined : key.slice(0, at + 1);
}

/** Whether `key` starts with `prefix`. */
function startsWith(key: Uint8Array, prefix: Uint8Array): boolean {
  return key.length >= prefix.length && compareBytes(key.subarray(0, prefix.length), prefix) === 0;
}

/**
 * Runs one page of `list` over `scan`. Validates `list` first.
 *
 * A folder's rows fold into its one entry, so the scan seeks past them (to the successor of the
 * folder's prefix) rather than reading them. Row counts stay O(entries + folders): the first scan
 * asks for a page, and each later one for twice the entries the previous scan produced (plus
 * one), so a bucket of large folders costs one short scan per folder — not a page of rows each.
 */
export async function listObjectsPage(list: ListObjects, scan: ListScan): Promise<ListPage> {
  validateListObjects(list);
  const { prefix, limit } = list;
  const end = prefixEnd(prefix);
  const cursor = list.cursor !== undefined && compareBytes(list.cursor, prefix) >= 0 ? list.cursor : undefined;
  let start: ScanStart = cursor === undefined ? { mode: 'from', key: prefix } : { mode: 'after', key: cursor, version: list.cursorVersion };
  const entries: ListedEntry[] = [];
  const options = { end, includePending: list.includePending === true, allVersions: list.allVersions === true };
  let batch = limit + 1;

  for (;;) {
    // One row more than the page needs tells whether anything follows.
    const want = Math.min(limit - entries.length + 1, batch);
    const rows = await scan({ ...options, start, limit: want });
    const before = entries.length;
    // The folder whose rows are being passed over, if the last row seen was inside one.
    let folder: Uint8Array | undefined;
    for (const row of rows) {
      if (folder !== undefined && startsWith(row.objectKey, folder)) continue;
      folder = undefined;
      if (entries.length === limit) return page(entries, true);
      const collapsed = list.recursive ? undefined : collapsedPrefix(row.objectKey, prefix.length);
      if (collapsed !== undefined) {
        // A prefix the cursor is inside (or names) was listed on an earlier page.
        if (cursor === undefined || compareBytes(collapsed, cursor) > 0) entries.push({ kind: 'prefix', key: collapsed });
        folder = collapsed;
        continue;
      }
      entries.push({ kind: 'object', object: row });
      start = { mode: 'after', key: row.objectKey, version: { version: row.version, streamId: row.streamId } };
    }
    if (rows.length < want) return page(entries, false);
    // A collapsed prefix ends in `/`, never 0xff, so its successor exists.
    if (folder !== undefined) start = { mode: 'from', key: prefixEnd(folder)! };
    batch = 2 * (entries.length - before) + 1;
  }
}

function page(entries: ListedEntry[], more: boolean): ListPage {
  const last = entries[entries.length - 1];
  if (!more || last === undefined) return { entries, more: undefined };
  if (last.kind === 'prefix') return { entries, more: last.key };
  return { entries, more: last.object.objectKey, moreVersion: { version: last.object.version, streamId: last.object.streamId } };
}
