/**
 * The uplink side of server-side move and copy: encrypt the new key, unwrap every segment key
 * with the old path's content key and wrap it with the new one under a fresh nonce, re-wrap the
 * metadata key, and let the satellite apply it all at once. Small objects take two round trips;
 * large ones stream their keys in chunks (page → re-wrap → put, pipelined), so memory stays
 * bounded by about three chunks whatever the object's size. No storage node is contacted.
 */
import { equalBytes } from '../core/bytes.js';
import { FailedPreconditionError, InvalidArgumentError, isHandoffError } from '../core/errors.js';
import { sleep, throwIfAborted } from '../core/abort.js';
import * as Metainfo from '../metainfo/methods.js';
import type { ObjectInfo } from '../metainfo/schemas.js';
import type { RpcClient } from '../rpc/client.js';
import type { UnaryMethod } from '../rpc/method.js';
import { encryptPath } from '../uplink/encryption/path-cipher.js';
import { explainMissingObject } from '../uplink/missing-object.js';
import { checkObjectKey } from '../uplink/object-key.js';
import { rekeyObject, type ObjectRekeying } from '../uplink/encryption/rekey.js';
import type { SegmentKey } from '../metainfo/metabase/move.js';
import { WRAP_NONCE_LENGTH, WRAPPED_KEY_LENGTH } from '../uplink/encryption/key-wrap.js';
import { unpackSegmentKeys, writeEntry } from './key-page.js';
import { MAX_MOVE_CHUNK } from './methods.js';
import * as M from './methods.js';

/** What the move functions need: a connection to the satellite, the API key and the root key. */
export interface MoveClientDeps {
  readonly client: Pick<RpcClient, 'call'>;
  readonly header: { readonly apiKey: string };
  /** The root key the objects were encrypted under (32 bytes). */
  readonly rootKey: Uint8Array;
  /** The satellite's limit on encrypted keys, so a new key too long is refused in its typed terms (unchecked when absent). */
  readonly maxKeyLength?: number;
}

export interface MoveProgress {
  /** Segment keys re-wrapped and accepted by the satellite so far. */
  readonly segmentsDone: number;
  readonly segmentCount: number;
}

export interface MoveObjectOptions {
  /** Another bucket of the same project (default: the same bucket). */
  readonly newBucket?: string;
  /** Move this version (default: the latest committed one). */
  readonly version?: number;
  /** Replace an object at the destination (default: AlreadyExists). */
  readonly overwrite?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: MoveProgress) => void;
  /** Segment keys per request, 1–10,000 (default 10,000). Objects with more move in chunks. */
  readonly chunkSize?: number;
}

/** Where the object is now. */
export interface MovedObject {
  readonly bucket: string;
  readonly key: string;
  /** The satellite's record: encrypted key, version (highest at the destination + 1), stream id, sizes. */
  readonly object: ObjectInfo;
}

type Call = <Req, Res>(method: UnaryMethod<Req, Res>, request: Req) => Promise<Res>;

/** Keys re-wrapped between two returns to the event loop, so a pending page travels meanwhile. */
const REWRAP_SLICE = 1000;
const RETRIES = 3;

/**
 * Renames `oldKey` to `newKey` without moving data. After it returns, `newKey` downloads
 * byte-identical to what `oldKey` held, and `oldKey` is gone. Every step is retry-safe: a lost
 * connection is retried, and a repeated Finish returns the move that already happened.
 *
 * @example
 * ```ts
 * const moved = await moveObject({ client, header: { apiKey }, rootKey }, 'photos', '2024/a.jpg', 'archive/a.jpg');
 * ```
 */
export function moveObject(deps: MoveClientDeps, bucket: string, oldKey: string, newKey: string, options: MoveObjectOptions = {}): Promise<MovedObject> {
  return rekeyAndApply('move', deps, bucket, oldKey, newKey, options);
}

/**
 * Copies `oldKey` to `newKey` without moving data: a new object whose segments share the
 * source's pieces under re-wrapped keys. Deleting either never deletes pieces the other uses.
 *
 * @example
 * ```ts
 * await copyObject(deps, 'photos', 'a.jpg', 'a-copy.jpg', { newBucket: 'backup' });
 * ```
 */
export function copyObject(deps: MoveClientDeps, bucket: string, oldKey: string, newKey: string, options: MoveObjectOptions = {}): Promise<MovedObject> {
  return rekeyAndApply('copy', deps, bucket, oldKey, newKey, options);
}

async function rekeyAndApply(mode: 'move' | 'copy', deps: MoveClientDeps, bucket: string, oldKey: string, newKey: string, options: MoveObjectOptions): Promise<MovedObject> {
  const { signal } = options;
  throwIfAborted(signal);
  const chunkSize = options.chunkSize ?? MAX_MOVE_CHUNK;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_MOVE_CHUNK) {
    throw new InvalidArgumentError(`"chunkSize" expected an integer in [1, ${MAX_MOVE_CHUNK}], got ${String(chunkSize)}`);
  }
  checkObjectKey(oldKey, 'oldKey', deps.maxKeyLength);
  checkObjectKey(newKey, 'newKey', deps.maxKeyLength);
  const newBucket = options.newBucket ?? bucket;
  const call = retryingCall(deps, signal);
  const { header } = deps;
  const version = options.version === undefined ? {} : { version: options.version };
  // A missing source is named as typed, with why it may be missing (another passphrase).
  const missing = (err: unknown) => explainMissingObject({ call, header, rootKey: deps.rootKey }, bucket, oldKey, options.version, err);
  if (newBucket === bucket && newKey === oldKey) {
    // Onto itself: nothing to re-key.
    const { object } = await call(Metainfo.GetObject, { header, bucket, encryptedKey: encryptPath(deps.rootKey, bucket, oldKey), ...version }).catch(missing);
    return { bucket, key: newKey, object };
  }
  const rekey = rekeyObject(deps.rootKey, { bucket, path: oldKey }, { bucket: newBucket, path: newKey });
  try {
    const begin = await call(mode === 'move' ? M.BeginMoveObject : M.BeginCopyObject, {
      header,
      bucket,
      encryptedKey: rekey.oldEncryptedKey,
      ...version,
      ...(newBucket === bucket ? {} : { newBucket }),
      newEncryptedKey: rekey.newEncryptedKey,
      ...(options.overwrite ? { overwrite: true } : {}),
      segmentLimit: chunkSize,
    }).catch(missing);
    const progress = (segmentsDone: number) => options.onProgress?.({ segmentsDone, segmentCount: begin.segmentCount });
    let metadataKey: { encryptedMetadataKey: Uint8Array; encryptedMetadataKeyNonce: Uint8Array } | undefined;
    let segmentKeys: Uint8Array | undefined;
    try {
      if (begin.metadataKey) metadataKey = rewrapMetadataKey(rekey, begin.metadataKey);
      const first = unpackSegmentKeys(begin.segmentKeys);
      if (begin.operationId === undefined) {
        segmentKeys = await rewrapPage(rekey, first, signal);
      } else {
        await streamChunks(call, header, rekey, begin.operationId, first, begin.moreSegments, chunkSize, progress, signal);
      }
    } catch (err) {
      // A key that does not open under the old path: a wrong root key — or keys another move
      // re-wrapped while these were read. The second is this move losing a race; say so.
      if (isHandoffError(err, 'Unauthenticated') && !(await stillThere(call, header, bucket, rekey.oldEncryptedKey, begin))) {
        throw new FailedPreconditionError('object was changed during move', { cause: err });
      }
      throw err;
    }
    const { object } = await call(mode === 'move' ? M.FinishMoveObject : M.FinishCopyObject, {
      header,
      moveToken: begin.moveToken,
      ...(metadataKey ? { metadataKey } : {}),
      ...(segmentKeys ? { segmentKeys } : {}),
    });
    if (segmentKeys) progress(begin.segmentCount);
    return { bucket: newBucket, key: newKey, object };
  } finally {
    rekey.dispose();
  }
}

/** True when the stream Begin located is still the object's version `begin.version` at the source. */
async function stillThere(call: Call, header: { apiKey: string }, bucket: string, encryptedKey: Uint8Array, begin: { streamId: Uint8Array; version: number }): Promise<boolean> {
  try {
    const { object } = await call(Metainfo.GetObject, { header, bucket, encryptedKey, version: begin.version });
    return equalBytes(object.streamId, begin.streamId);
  } catch (err) {
    if (isHandoffError(err, 'NotFound')) return false;
    throw err;
  }
}

/** Page → re-wrap → put, with the next page and the previous put in flight while re-wrapping. */
async function streamChunks(
  call: Call,
  header: { apiKey: string },
  rekey: ObjectRekeying,
  operationId: Uint8Array,
  first: readonly SegmentKey[],
  firstHasMore: boolean,
  chunkSize: number,
  progress: (done: number) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  let keys = first;
  let more = firstHasMore;
  let done = 0;
  let putting: Promise<void> | undefined;
  while (keys.length > 0) {
    const after = keys[keys.length - 1]!.position;
    const next = more ? call(M.GetMoveSegments, { header, operationId, after, limit: chunkSize }) : undefined;
    next?.catch(() => {}); // awaited below; this only keeps an early exit from leaving it unhandled
    const count = keys.length;
    const rewrapped = await rewrapPage(rekey, keys, signal);
    if (putting) await putting;
    putting = call(M.PutMoveKeys, { header, operationId, segmentKeys: rewrapped }).then(() => progress((done += count)));
    putting.catch(() => {});
    if (!next) break;
    const page = await next;
    keys = unpackSegmentKeys(page.segmentKeys);
    more = page.moreSegments;
  }
  if (putting) await putting;
}

/** Re-wraps keys into a packed page, returning to the event loop every few hundred keys. */
async function rewrapPage(rekey: ObjectRekeying, keys: readonly SegmentKey[], signal: AbortSignal | undefined): Promise<Uint8Array> {
  // A fresh wrap is always a 48-byte key under a 24-byte nonce.
  const out = new Uint8Array(keys.length * (11 + WRAPPED_KEY_LENGTH + WRAP_NONCE_LENGTH));
  const view = new DataView(out.buffer);
  let at = 0;
  for (let i = 0; i < keys.length; i++) {
    if (i > 0 && i % REWRAP_SLICE === 0) {
      await yieldToEventLoop();
      throwIfAborted(signal);
    }
    const key = keys[i]!;
    const wrapped = rekey.rewrap(key);
    at = writeEntry(out, view, at, key.position.part, key.position.index, wrapped.encryptedKey, wrapped.encryptedKeyNonce);
  }
  return out;
}

function rewrapMetadataKey(rekey: ObjectRekeying, m: { encryptedMetadataKey: Uint8Array; encryptedMetadataKeyNonce: Uint8Array }) {
  const wrapped = rekey.rewrap({ encryptedKey: m.encryptedMetadataKey, encryptedKeyNonce: m.encryptedMetadataKeyNonce });
  return { encryptedMetadataKey: wrapped.encryptedKey, encryptedMetadataKeyNonce: wrapped.encryptedKeyNonce };
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

/**
 * Calls that retry when the connection was lost. Every move call may repeat: Begin only reads
 * (or opens an operation that expires), a page is a read, a put replaces its own keys, and
 * Finish returns the move that already happened.
 */
export function retryingCall(deps: MoveClientDeps, signal: AbortSignal | undefined): Call {
  return async (method, request) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await deps.client.call(method, request, signal ? { signal } : {});
      } catch (err) {
        if (attempt >= RETRIES || !isHandoffError(err, 'Unavailable') || signal?.aborted) throw err;
        await sleep(50 * attempt, signal);
      }
    }
  };
}
