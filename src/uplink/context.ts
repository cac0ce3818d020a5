/**
 * What every uplink operation shares: the satellite client and API key, the root key, the pool
 * of node clients, erasure coders by scheme, and the settings.
 */
import { abortReason } from '../core/abort.js';
import { toHex } from '../core/bytes.js';
import { CanceledError, NotFoundError, isHandoffError } from '../core/errors.js';
import type { Identity } from '../crypto/identity.js';
import { NodeId } from '../crypto/node-id.js';
import type { RedundancyScheme } from '../metainfo/metabase/types.js';
import * as M from '../metainfo/methods.js';
import { RpcClient, type CallOptions } from '../rpc/client.js';
import type { UnaryMethod } from '../rpc/method.js';
import type { Transport } from '../transport/types.js';
import { reportingTransport } from './dial-failure-report.js';
import { ChunkPool } from './erasure/chunk-pool.js';
import { createErasureCoder, type ErasureCoder } from './erasure/index.js';
import { encryptPath, pathContentKey } from './encryption/index.js';
import { explainMissingObject, isBucketNotFound } from './missing-object.js';
import { checkObjectKey } from './object-key.js';
import type { UplinkSettings } from './options.js';

/** Authenticated RPC clients to storage nodes, one per (address, node id), pinned to that id. */
export class NodeClients {
  readonly #clients = new Map<string, RpcClient>();
  readonly #transport: Transport;
  readonly #identity: Identity;
  readonly #onDialFailure: ((nodeId: Uint8Array) => void) | undefined;

  /** `onDialFailure` is told about every node a dial to failed (the uplink reports it to the satellite). */
  constructor(transport: Transport, identity: Identity, onDialFailure?: (nodeId: Uint8Array) => void) {
    this.#transport = transport;
    this.#identity = identity;
    this.#onDialFailure = onDialFailure;
  }

  get(address: string, nodeId: Uint8Array): RpcClient {
    const key = `${address}\u0000${toHex(nodeId)}`;
    let client = this.#clients.get(key);
    if (!client) {
      // One spare: the next segment's piece on this node (while this one's still streams), or a
      // piece after a long-tail cancel, finds a connection ready instead of waiting out a
      // handshake with a node busy serving.
      const transport = this.#onDialFailure ? reportingTransport(this.#transport, nodeId, this.#onDialFailure) : this.#transport;
      client = new RpcClient({ transport, address, identity: this.#identity, expectedPeer: NodeId.fromPublicKey(nodeId), spareConnections: 1 });
      this.#clients.set(key, client);
    }
    return client;
  }

  async close(): Promise<void> {
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.all(clients.map((c) => c.close()));
  }
}

/** An object's location in plaintext and the keys derived for it. */
export interface ObjectLocation {
  readonly bucket: string;
  readonly key: string;
  readonly encryptedKey: Uint8Array;
  /** Wraps the content keys and the metadata key of this object. */
  readonly contentKey: Uint8Array;
}

export class UplinkContext {
  readonly #coders = new Map<string, ErasureCoder>();
  /** Piece chunks of uploads, lent to the encoder and given back by the piece uploads (see `ChunkPool`). */
  readonly pieceChunks = new ChunkPool();
  #maxKeyLength: Promise<number | undefined> | undefined;

  /** `maxKeyLength`: the satellite's limit on encrypted keys, when connect already asked for it. */
  constructor(
    readonly satellite: RpcClient,
    readonly apiKey: string,
    readonly rootKey: Uint8Array,
    readonly nodes: NodeClients,
    readonly settings: UplinkSettings,
    maxKeyLength?: number,
  ) {
    if (maxKeyLength !== undefined) this.#maxKeyLength = Promise.resolve(maxKeyLength);
  }

  get header(): { apiKey: string } {
    return { apiKey: this.apiKey };
  }

  /** Calls the satellite, turning an aborted signal into `CanceledError`. */
  call<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, signal?: AbortSignal): Promise<Res> {
    const options: CallOptions = signal === undefined ? {} : { signal };
    return this.satellite.call(method, request, options);
  }

  /** The erasure coder for `scheme` (made once per scheme). */
  coder(scheme: RedundancyScheme): ErasureCoder {
    const key = `${scheme.required}/${scheme.repair}/${scheme.success}/${scheme.total}/${scheme.shareSize}`;
    let coder = this.#coders.get(key);
    if (!coder) this.#coders.set(key, (coder = createErasureCoder(scheme)));
    return coder;
  }

  /**
   * The satellite's limit on an encrypted object key: told at connect, or asked once (an uplink
   * given a raw root key has not asked); undefined from a satellite that does not say.
   */
  maxKeyLength(): Promise<number | undefined> {
    // Shared by concurrent callers, so no one caller's signal may cancel it.
    this.#maxKeyLength ??= this.call(M.GetProjectInfo, { header: this.header }).then(
      (info) => info.maxKeyLength,
      (err: unknown) => {
        this.#maxKeyLength = undefined; // ask again next time
        throw err;
      },
    );
    return this.#maxKeyLength;
  }

  /**
   * For `.catch` on a call that looks `key` up: rethrows its NotFound naming the object as typed
   * and saying why it may be missing (see {@link explainMissingObject}).
   */
  missingObject(bucket: string, key: string, version: number | undefined, signal?: AbortSignal): (err: unknown) => Promise<never> {
    const look = { call: <Req, Res>(method: UnaryMethod<Req, Res>, request: Req) => this.call(method, request, signal), header: this.header, rootKey: this.rootKey };
    return (err) => explainMissingObject(look, bucket, key, version, err);
  }

  /** Where `key` is, encrypted; `InvalidArgumentError` for a key that is empty or too long (see {@link checkObjectKey}). */
  async locate(bucket: string, key: string): Promise<ObjectLocation> {
    checkObjectKey(key, 'key', await this.maxKeyLength());
    return { bucket, key, encryptedKey: encryptPath(this.rootKey, bucket, key), contentKey: pathContentKey(this.rootKey, bucket, key) };
  }
}

/** A `NotFoundError` for an object, saying what else could explain it: names are encrypted. */
export function objectNotFound(bucket: string, key: string, version: number | undefined, cause: unknown): NotFoundError {
  const what = version === undefined ? `object ${JSON.stringify(key)}` : `version ${version} of object ${JSON.stringify(key)}`;
  return new NotFoundError(
    `${what} not found in bucket ${JSON.stringify(bucket)} (object names are encrypted: an object written with another passphrase or root key is invisible under this one)`,
    { cause },
  );
}

/** Rethrows a NotFound from the satellite as {@link objectNotFound}; anything else unchanged. */
export function explainNotFound(err: unknown, bucket: string, key: string, version: number | undefined): never {
  if (isHandoffError(err, 'NotFound') && !isBucketNotFound(err)) throw objectNotFound(bucket, key, version, err);
  throw err;
}

/** The typed error for a fired signal, else `err`. */
export function failureOf(err: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return isHandoffError(err, 'Canceled') || isHandoffError(err, 'DeadlineExceeded') ? err : abortReason(signal);
  return err;
}

/**
 * Child controllers that follow `parent` through one listener (many listeners on one signal
 * trip Node's leak warning), each of which can also be aborted alone.
 */
export class AbortFanout {
  readonly #children = new Set<AbortController>();
  readonly #parent: AbortSignal | undefined;
  readonly #follow = (): void => {
    for (const child of this.#children) child.abort(this.#parent?.reason ?? new CanceledError('operation canceled'));
  };

  constructor(parent: AbortSignal | undefined) {
    this.#parent = parent;
    parent?.addEventListener('abort', this.#follow, { once: true });
  }

  /** A new child; {@link release} it when its work ends. */
  child(): AbortController {
    const controller = new AbortController();
    if (this.#parent?.aborted) controller.abort(this.#parent.reason ?? new CanceledError('operation canceled'));
    else this.#children.add(controller);
    return controller;
  }

  release(child: AbortController): void {
    this.#children.delete(child);
  }

  dispose(): void {
    this.#parent?.removeEventListener('abort', this.#follow);
    this.#children.clear();
  }
}

/** A child controller that follows `parent` and can also be aborted alone. */
export function childController(parent: AbortSignal | undefined): { controller: AbortController; dispose(): void } {
  const controller = new AbortController();
  if (!parent) return { controller, dispose() {} };
  const follow = (): void => controller.abort(parent.reason ?? new CanceledError('operation canceled'));
  if (parent.aborted) follow();
  else parent.addEventListener('abort', follow, { once: true });
  return { controller, dispose: () => parent.removeEventListener('abort', follow) };
}
