/**
 * Moving every object under a prefix: list with decrypted names, move each to the same
 * relative key under the new prefix, report per object. Resumable: moved objects leave the old
 * prefix, so a second run picks up the rest; an object found already at its destination with
 * the same stream id (moved by an interrupted or concurrent run) is `skipped`, not failed.
 */
import { InvalidArgumentError, isHandoffError } from '../core/errors.js';
import { throwIfAborted } from '../core/abort.js';
import { equalBytes } from '../core/bytes.js';
import * as Metainfo from '../metainfo/methods.js';
import type { ObjectInfo } from '../metainfo/schemas.js';
import { decryptPath, encryptPath, encryptPrefix } from '../uplink/encryption/path-cipher.js';
import { moveObject, retryingCall, type MoveClientDeps } from './client.js';

/** What happened to one object of a prefix move. */
export type PrefixMoveStatus = 'moved' | 'skipped' | 'failed' | 'planned';

/** What happened to one object. */
export interface PrefixMoveEntry {
  /** The object's key (plaintext); for an object this root key cannot decrypt, its encrypted key in hex. */
  readonly key: string;
  readonly newKey: string;
  readonly status: PrefixMoveStatus;
  /** The object at its destination (moved, skipped). */
  readonly object?: ObjectInfo;
  readonly error?: Error;
}

/** Options of a prefix move: concurrency, overwrite, resume, cancellation. */
export interface MoveObjectsOptions {
  /** Move into another bucket of the project (default: the same one). */
  readonly newBucket?: string;
  readonly overwrite?: boolean;
  /** Objects moved at once (default 4). */
  readonly concurrency?: number;
  /** List and report what would move (`planned`), move nothing. */
  readonly dryRun?: boolean;
  /** Called once per object, as soon as its outcome is known. */
  readonly onObject?: (entry: PrefixMoveEntry) => void;
  readonly signal?: AbortSignal;
  /** Segment keys per request for each object's move. */
  readonly chunkSize?: number;
}

/** What a prefix move did, object by object. */
export interface PrefixMoveReport {
  readonly moved: number;
  readonly skipped: number;
  readonly failed: number;
  readonly planned: number;
  /** The failed entries (the others went to `onObject` only, so a huge prefix costs no memory). */
  readonly failures: PrefixMoveEntry[];
}

const PAGE = 1000;

function requirePrefix(prefix: string, field: string): void {
  if (typeof prefix !== 'string' || (prefix !== '' && !prefix.endsWith('/'))) {
    throw new InvalidArgumentError(`"${field}" must be empty or end with "/", got ${JSON.stringify(prefix)}`);
  }
}

/**
 * Moves every object under `oldPrefix` to the same relative key under `newPrefix`.
 *
 * @example
 * ```ts
 * const report = await moveObjects(deps, 'photos', '2023/', 'archive/2023/', { concurrency: 8, onObject: (e) => console.log(e.status, e.key) });
 * ```
 */
export async function moveObjects(
  deps: MoveClientDeps,
  bucket: string,
  oldPrefix: string,
  newPrefix: string,
  options: MoveObjectsOptions = {},
): Promise<PrefixMoveReport> {
  requirePrefix(oldPrefix, 'oldPrefix');
  requirePrefix(newPrefix, 'newPrefix');
  const newBucket = options.newBucket ?? bucket;
  const ontoItself = newBucket === bucket && newPrefix === oldPrefix;
  // A destination inside the source would list moved objects again, and move them again.
  if (newBucket === bucket && !ontoItself && newPrefix.startsWith(oldPrefix)) {
    throw new InvalidArgumentError(`"newPrefix" ${JSON.stringify(newPrefix)} is inside "oldPrefix" ${JSON.stringify(oldPrefix)}`);
  }
  const concurrency = options.concurrency ?? 4;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new InvalidArgumentError(`"concurrency" expected a positive integer, got ${String(concurrency)}`);
  const { signal } = options;
  const call = retryingCall(deps, signal);
  const counts = { moved: 0, skipped: 0, failed: 0, planned: 0 };
  const failures: PrefixMoveEntry[] = [];
  const report = (entry: PrefixMoveEntry) => {
    counts[entry.status]++;
    if (entry.status === 'failed') failures.push(entry);
    options.onObject?.(entry);
  };

  const one = async (object: ObjectInfo): Promise<void> => {
    let key: string;
    try {
      key = decryptPath(deps.rootKey, bucket, object.encryptedKey);
    } catch (err) {
      const hex = Array.from(object.encryptedKey, (b) => b.toString(16).padStart(2, '0')).join('');
      report({ key: hex, newKey: '', status: 'failed', error: err as Error });
      return;
    }
    const newKey = newPrefix + key.slice(oldPrefix.length);
    if (options.dryRun) return report({ key, newKey, status: 'planned' });
    if (ontoItself) return report({ key, newKey, status: 'skipped', object });
    try {
      const moved = await moveObject(deps, bucket, key, newKey, {
        ...(newBucket === bucket ? {} : { newBucket }),
        version: object.version,
        ...(options.overwrite ? { overwrite: true } : {}),
        ...(signal ? { signal } : {}),
        ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }),
      });
      report({ key, newKey, status: 'moved', object: moved.object });
    } catch (err) {
      if (signal?.aborted) throw err;
      const already = await alreadyMoved(err, object, newKey);
      report(already ? { key, newKey, status: 'skipped', object: already } : { key, newKey, status: 'failed', error: err as Error });
    }
  };

  /** The destination, if it holds this very stream: the move happened in an earlier or concurrent run. */
  const alreadyMoved = async (err: unknown, object: ObjectInfo, newKey: string): Promise<ObjectInfo | undefined> => {
    if (!isHandoffError(err, 'FailedPrecondition') && !isHandoffError(err, 'NotFound') && !isHandoffError(err, 'AlreadyExists')) return undefined;
    try {
      const found = await call(Metainfo.GetObject, { header: deps.header, bucket: newBucket, encryptedKey: encryptPath(deps.rootKey, newBucket, newKey) });
      return equalBytes(found.object.streamId, object.streamId) ? found.object : undefined;
    } catch {
      return undefined;
    }
  };

  const prefix = encryptPrefix(deps.rootKey, bucket, oldPrefix);
  let cursor: Uint8Array | undefined;
  for (;;) {
    throwIfAborted(signal);
    const page = await call(Metainfo.ListObjects, { header: deps.header, bucket, prefix, ...(cursor ? { cursor } : {}), recursive: true, limit: PAGE });
    const objects = page.items.flatMap((item) => (item.kind === 'object' ? [item.object] : []));
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, objects.length) }, async () => {
        while (next < objects.length) {
          throwIfAborted(signal);
          await one(objects[next++]!);
        }
      }),
    );
    if (page.more === undefined) break;
    cursor = page.more;
  }
  return { ...counts, failures };
}
