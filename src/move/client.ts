/**
 * The uplink side of server-side move and copy: encrypt the new key, unwrap every segment key
 * with the old path's content key and wrap it with the new one under a fresh nonce, re-wrap the
 * metadata key, and let the satellite apply it all at once. Small objects take two round trips;
 * large ones stream their keys in chunks (page → re-wrap → put, pipelined), so memory stays
 * bounded by about three chunks whatever the object's size. No storage node is contacted.
 *
 * The decisions are the pure machine of flow.ts; these functions wire it to an `RpcClient`
 * and the root key through the runner of flow-runner.ts.
 */
import { systemClock, type Clock } from '../core/clock.js';
import { throwIfAborted } from '../core/abort.js';
import { isHandoffError } from '../core/errors.js';
import type { ObjectInfo } from '../metainfo/schemas.js';
import type { RpcClient } from '../rpc/client.js';
import type { UnaryMethod } from '../rpc/method.js';
import { encryptPath } from '../uplink/encryption/path-cipher.js';
import { explainMissingObject } from '../uplink/missing-object.js';
import { checkObjectKey } from '../uplink/object-key.js';
import { rekeyObject, type ObjectRekeying } from '../uplink/encryption/rekey.js';
import type { SegmentKey } from '../metainfo/metabase/move.js';
import { WRAP_NONCE_LENGTH, WRAPPED_KEY_LENGTH } from '../uplink/encryption/key-wrap.js';
import { writeEntry } from './key-page.js';
import { DEFAULT_MOVE_RETRY, moveChunkSize, type MovePlan } from './flow.js';
import { delay, runMoveFlow, type MoveFlowHost } from './flow-runner.js';

/** What the move functions need: a connection to the satellite, the API key and the root key. */
export interface MoveClientDeps {
  readonly client: Pick<RpcClient, 'call'>;
  readonly header: { readonly apiKey: string };
  /** The root key the objects were encrypted under (32 bytes). */
  readonly rootKey: Uint8Array;
  /** The satellite's limit on encrypted keys, so a new key too long is refused in its typed terms (unchecked when absent). */
  readonly maxKeyLength?: number;
  /** Times the waits between retries of a lost call (default the system clock). */
  readonly clock?: Clock;
}

/** How far a move or copy is, for `onProgress`. */
export interface MoveProgress {
  /** Segment keys re-wrapped and accepted by the satellite so far. */
  readonly segmentsDone: number;
  readonly segmentCount: number;
}

/** Options of a move or copy: destination bucket, overwrite, cancellation, progress. */
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
  const chunkSize = moveChunkSize(options.chunkSize);
  checkObjectKey(oldKey, 'oldKey', deps.maxKeyLength);
  checkObjectKey(newKey, 'newKey', deps.maxKeyLength);
  const newBucket = options.newBucket ?? bucket;
  // Onto itself there is nothing to re-key: the flow only reports the object.
  const rekey = newBucket === bucket && newKey === oldKey ? undefined : rekeyObject(deps.rootKey, { bucket, path: oldKey }, { bucket: newBucket, path: newKey });
  const oldEncryptedKey = rekey?.oldEncryptedKey ?? encryptPath(deps.rootKey, bucket, oldKey);
  const plan: MovePlan = {
    mode,
    header: deps.header,
    bucket,
    newBucket,
    oldEncryptedKey,
    newEncryptedKey: rekey?.newEncryptedKey ?? oldEncryptedKey,
    version: options.version,
    overwrite: options.overwrite === true,
    chunkSize,
  };
  try {
    const object = await runMoveFlow(moveFlowHost(deps, rekey, { bucket, key: oldKey, version: options.version }, signal), plan, { signal, onProgress: options.onProgress });
    return { bucket: newBucket, key: newKey, object };
  } finally {
    rekey?.dispose();
  }
}

/** The flow's host over an RPC client and the object's re-keying. */
function moveFlowHost(deps: MoveClientDeps, rekey: ObjectRekeying | undefined, source: { bucket: string; key: string; version: number | undefined }, signal: AbortSignal | undefined): MoveFlowHost {
  const clock = deps.clock ?? systemClock;
  return {
    clock,
    call: (method, request, callSignal) => deps.client.call(method, request, { signal: callSignal }),
    rewrap: (keys, rewrapSignal) => rewrapKeyPage(rekey!, keys, rewrapSignal),
    rewrapMetadata: (m) => {
      const wrapped = rekey!.rewrap({ encryptedKey: m.encryptedMetadataKey, encryptedKeyNonce: m.encryptedMetadataKeyNonce });
      return { encryptedMetadataKey: wrapped.encryptedKey, encryptedMetadataKeyNonce: wrapped.encryptedKeyNonce };
    },
    explainMissing: (error) => explainMissingObject({ call: retryingCall(deps, signal), header: deps.header, rootKey: deps.rootKey }, source.bucket, source.key, source.version, error),
  };
}

/**
 * Re-wraps keys for the new path into a packed page (what a `rewrap` effect of the move flow
 * asks for), returning to the event loop every thousand keys so a pending page travels meanwhile.
 *
 * @example
 * ```ts
 * const page = await rewrapKeyPage(rekey, effect.keys, signal);
 * ```
 */
export async function rewrapKeyPage(rekey: ObjectRekeying, keys: readonly SegmentKey[], signal?: AbortSignal): Promise<Uint8Array> {
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

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

/**
 * Calls that retry when the connection was lost, as the move flow does (prefix moves list and
 * look objects up with it). Waits on `deps.clock`.
 */
export function retryingCall(deps: MoveClientDeps, signal: AbortSignal | undefined): Call {
  const clock = deps.clock ?? systemClock;
  const { retryAttempts, retryBackoffMs } = DEFAULT_MOVE_RETRY;
  return async (method, request) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await deps.client.call(method, request, signal ? { signal } : {});
      } catch (err) {
        if (attempt >= retryAttempts || !isHandoffError(err, 'Unavailable') || signal?.aborted) throw err;
        await delay(clock, retryBackoffMs * attempt, signal);
      }
    }
  };
}
