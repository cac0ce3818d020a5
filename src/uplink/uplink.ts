/**
 * The uplink: what an application imports to store and read objects. It encrypts names,
 * content and metadata on the client, erasure-codes segments into pieces, talks the object
 * protocol to the satellite and moves pieces to and from storage nodes directly.
 */
import { systemClock } from '../core/clock.js';
import { InvalidArgumentError } from '../core/errors.js';
import { Identity } from '../crypto/identity.js';
import { NodeId } from '../crypto/node-id.js';
import * as M from '../metainfo/methods.js';
import { RpcClient } from '../rpc/client.js';
import type { UploadData } from './byte-source.js';
import { NodeClients, UplinkContext } from './context.js';
import { DialFailureReporter } from './dial-failure-report.js';
import { DEFAULT_BLOCK_SIZE, deriveRootKey, MAX_BLOCK_SIZE, rootKeyFromBytes } from './encryption/index.js';
import { ObjectListing } from './listing.js';
import { abortMultipart, beginMultipart, commitMultipart, uploadPart, type BeginMultipartOptions, type CommitMultipartOptions, type MultipartUpload, type PartInfo } from './multipart.js';
import { downloadObject, openDownload, type ObjectDownload } from './object-download.js';
import { objectInfoFrom, type ObjectInfo } from './object-info.js';
import { uploadObject } from './object-upload.js';
import { copyObject, moveObject, type MoveClientDeps, type MoveObjectOptions } from '../move/client.js';
import { moveObjects, type MoveObjectsOptions, type PrefixMoveReport } from '../move/prefix.js';
import { pathContentKey } from './encryption/index.js';
import { DEFAULT_MAX_INLINE_SIZE, DEFAULT_SEGMENT_SIZE, type DownloadOptions, type ListObjectsOptions, type LongCallOptions, type UplinkOptions, type UplinkSettings, type UploadOptions } from './options.js';

/** A bucket of the project. */
export interface BucketInfo {
  readonly name: string;
  readonly createdAt: Date;
}

/** Options of the calls that address one version of an object. */
export interface VersionOptions {
  /** Default: the latest committed version. */
  readonly version?: number;
  readonly signal?: AbortSignal;
}

function count(value: number | undefined, fallback: number, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new InvalidArgumentError(`"${name}" expected an integer from ${min} to ${max}, got ${String(value)}`);
  return v;
}

function settingsOf(options: UplinkOptions): UplinkSettings {
  return {
    segmentSize: count(options.segmentSize, DEFAULT_SEGMENT_SIZE, 'segmentSize', 1),
    maxInlineSize: count(options.maxInlineSize, DEFAULT_MAX_INLINE_SIZE, 'maxInlineSize', 0),
    blockSize: count(options.blockSize, DEFAULT_BLOCK_SIZE, 'blockSize', 1, MAX_BLOCK_SIZE),
    extraDownloadPieces: count(options.extraDownloadPieces, 0, 'extraDownloadPieces', 0, 254),
    downloadAhead: count(options.downloadAhead, 1, 'downloadAhead', 0, 64),
    clock: options.clock ?? systemClock,
  };
}

/**
 * Where the satellite is and who it must be: `satelliteAddress` may be `<id>@<host:port>` as
 * `handoff satellite run` prints it (the id then pins the satellite, like `satelliteId`).
 */
function satelliteOf(options: Pick<UplinkOptions, 'satelliteAddress' | 'satelliteId'>): { address: string; pinned: NodeId | undefined } {
  const text = options.satelliteAddress;
  const at = typeof text === 'string' ? text.indexOf('@') : -1;
  const address = at < 0 ? text : text.slice(at + 1);
  const fromRef = at < 0 ? undefined : NodeId.parse(text.slice(0, at));
  const given = typeof options.satelliteId === 'string' ? NodeId.parse(options.satelliteId) : options.satelliteId;
  if (fromRef !== undefined && given !== undefined && !fromRef.equals(given)) {
    throw new InvalidArgumentError('"satelliteAddress" names another satellite id than "satelliteId"');
  }
  return { address, pinned: given ?? fromRef };
}

/**
 * A connection to one satellite's project, with the key that encrypts everything in it.
 *
 * @example
 * ```ts
 * const uplink = await Uplink.connect({ transport: tcpTransport(), satelliteAddress, apiKey, passphrase: 'correct horse battery staple' });
 * await uplink.createBucket('photos');
 * await uplink.upload('photos', '2024/beach.jpg', bytes, { contentType: 'image/jpeg' });
 * const back = await uplink.download('photos', '2024/beach.jpg');
 * for await (const item of uplink.listObjects('photos', { prefix: '2024/' })) console.log(item);
 * await uplink.close();
 * ```
 */
export class Uplink {
  /** The satellite this uplink talks to (pinned after the first handshake). */
  readonly satelliteId: NodeId;
  readonly #ctx: UplinkContext;

  private constructor(satelliteId: NodeId, ctx: UplinkContext) {
    this.satelliteId = satelliteId;
    this.#ctx = ctx;
  }

  /**
   * Connects to the satellite and derives the root key: from `rootKey` as given, or from
   * `passphrase` with Argon2id salted by the project's salt (`Metainfo.GetProjectInfo`; about
   * 0.6 s at the default cost).
   */
  /**
   * The root key `passphrase` gives in the API key's project (Argon2id salted by the project's
   * salt), without connecting an uplink — so a tool can derive it once and keep it (`rootKey`).
   *
   * @example
   * ```ts
   * const rootKey = await Uplink.deriveRootKey({ transport: tcpTransport(), satelliteAddress, apiKey, passphrase: 'correct horse battery staple' });
   * const uplink = await Uplink.connect({ transport: tcpTransport(), satelliteAddress, apiKey, rootKey });
   * ```
   */
  static async deriveRootKey(options: Pick<UplinkOptions, 'transport' | 'satelliteAddress' | 'satelliteId' | 'apiKey' | 'kdf' | 'identity'> & { readonly passphrase: string | Uint8Array }): Promise<Uint8Array> {
    if (typeof options.apiKey !== 'string' || options.apiKey.length === 0) throw new InvalidArgumentError('"apiKey" expected a non-empty string');
    const { address, pinned } = satelliteOf(options);
    const satellite = new RpcClient({ transport: options.transport, address, identity: options.identity ?? Identity.generate(), ...(pinned ? { expectedPeer: pinned } : {}) });
    try {
      const info = await satellite.call(M.GetProjectInfo, { header: { apiKey: options.apiKey } });
      return await deriveRootKey(options.passphrase, info.projectSalt, options.kdf ?? {});
    } finally {
      await satellite.close();
    }
  }

  static async connect(options: UplinkOptions): Promise<Uplink> {
    if (typeof options.apiKey !== 'string' || options.apiKey.length === 0) throw new InvalidArgumentError('"apiKey" expected a non-empty string');
    if (options.passphrase === undefined && options.rootKey === undefined) throw new InvalidArgumentError('give a "passphrase" or a "rootKey"');
    const settings = settingsOf(options);
    const identity = options.identity ?? Identity.generate();
    const { address, pinned } = satelliteOf(options);
    const satellite = new RpcClient({ transport: options.transport, address, identity, ...(pinned ? { expectedPeer: pinned } : {}) });
    try {
      const satelliteId = pinned ?? (await satellite.connect());
      let rootKey: Uint8Array;
      let maxKeyLength: number | undefined;
      if (options.rootKey !== undefined) {
        rootKey = rootKeyFromBytes(options.rootKey);
      } else {
        // The project's own salt: one passphrase gives an unrelated root key in every project.
        const info = await satellite.call(M.GetProjectInfo, { header: { apiKey: options.apiKey } });
        rootKey = await deriveRootKey(options.passphrase, info.projectSalt, options.kdf ?? {});
        maxKeyLength = info.maxKeyLength;
      }
      // Nodes it cannot dial are reported, so the satellite checks them at once (docs/durability.md).
      const reporter = new DialFailureReporter(satellite, options.apiKey, settings.clock);
      const nodes = new NodeClients(options.transport, identity, (nodeId) => reporter.report(nodeId));
      return new Uplink(satelliteId, new UplinkContext(satellite, options.apiKey, rootKey, nodes, settings, maxKeyLength));
    } catch (err) {
      await satellite.close();
      throw err;
    }
  }

  async createBucket(name: string, options: { signal?: AbortSignal } = {}): Promise<BucketInfo> {
    const bucket = await this.#ctx.call(M.CreateBucket, { header: this.#ctx.header, name }, options.signal);
    return { name: bucket.name, createdAt: new Date(bucket.createdAt) };
  }

  /** Every bucket of the project, by name. */
  async listBuckets(options: { signal?: AbortSignal } = {}): Promise<BucketInfo[]> {
    const out: BucketInfo[] = [];
    for (;;) {
      const cursor = out.at(-1)?.name;
      const { buckets } = await this.#ctx.call(M.ListBuckets, { header: this.#ctx.header, limit: 1000, ...(cursor === undefined ? {} : { cursor }) }, options.signal);
      out.push(...buckets.map((b) => ({ name: b.name, createdAt: new Date(b.createdAt) })));
      if (buckets.length < 1000) return out;
    }
  }

  /** Deletes an empty bucket, or (with `force`) a bucket and everything in it. */
  async deleteBucket(name: string, options: { force?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    await this.#ctx.call(M.DeleteBucket, { header: this.#ctx.header, name, ...(options.force ? { force: true } : {}) }, options.signal);
  }

  /**
   * Stores `data` as a new version of `key`: encrypted, cut into segments, erasure-coded and
   * spread over storage nodes (or inline in the satellite when it is small). Streams are read
   * as they are uploaded, never whole. Another upload to the same key at the same time also
   * succeeds, as another version.
   */
  upload(bucket: string, key: string, data: UploadData, options: UploadOptions = {}): Promise<ObjectInfo> {
    return uploadObject(this.#ctx, bucket, key, data, options);
  }

  /** The object's plaintext (or the `offset`/`length` range of it) in one array. */
  download(bucket: string, key: string, options: DownloadOptions = {}): Promise<Uint8Array> {
    return downloadObject(this.#ctx, bucket, key, options);
  }

  /**
   * Opens a download: resolves once the object is found (so a missing object rejects here)
   * with its info and an async iterable of plaintext chunks; `.readable()` gives a web stream.
   */
  downloadStream(bucket: string, key: string, options: DownloadOptions = {}): Promise<ObjectDownload> {
    return openDownload(this.#ctx, bucket, key, options);
  }

  /** The object's info, without its data. */
  async stat(bucket: string, key: string, options: VersionOptions = {}): Promise<ObjectInfo> {
    const location = await this.#ctx.locate(bucket, key);
    const request = { header: this.#ctx.header, bucket, encryptedKey: location.encryptedKey, ...(options.version === undefined ? {} : { version: options.version }) };
    const { object } = await this.#ctx.call(M.GetObject, request, options.signal).catch(this.#ctx.missingObject(bucket, key, options.version, options.signal));
    return objectInfoFrom(object, key, location.contentKey);
  }

  /**
   * Objects (and, unless `recursive`, folded sub-folders) below `prefix`, names decrypted, in
   * the order of their encrypted names. Entries this key cannot decrypt (written under another
   * passphrase or root key) are skipped: the listing's `undecryptable` counts them, and
   * `onUndecryptable` hears of each.
   */
  listObjects(bucket: string, options: ListObjectsOptions = {}): ObjectListing {
    return new ObjectListing(this.#ctx, bucket, options);
  }

  /**
   * Deletes the latest version (or `version`); returns what was deleted, undefined when nothing
   * was. `NotFoundError` when the bucket does not exist.
   */
  async deleteObject(bucket: string, key: string, options: VersionOptions = {}): Promise<ObjectInfo | undefined> {
    const location = await this.#ctx.locate(bucket, key);
    const request = { header: this.#ctx.header, bucket, encryptedKey: location.encryptedKey, ...(options.version === undefined ? {} : { version: options.version }) };
    const { object } = await this.#ctx.call(M.DeleteObject, request, options.signal);
    return object === undefined ? undefined : objectInfoFrom(object, key, location.contentKey);
  }

  /** Starts a multipart upload; see {@link Uplink.uploadPart}. */
  beginMultipartUpload(bucket: string, key: string, options: BeginMultipartOptions = {}): Promise<MultipartUpload> {
    return beginMultipart(this.#ctx, bucket, key, options);
  }

  /** Uploads one part (1–10,000); parts may come in any order and at the same time. */
  uploadPart(upload: MultipartUpload, partNumber: number, data: UploadData, options: LongCallOptions = {}): Promise<PartInfo> {
    return uploadPart(this.#ctx, upload, partNumber, data, options);
  }

  /** Makes the uploaded parts one object version, ordered by part number. */
  commitMultipartUpload(upload: MultipartUpload, options: CommitMultipartOptions = {}): Promise<ObjectInfo> {
    return commitMultipart(this.#ctx, upload, options);
  }

  /** Drops the upload and every part uploaded so far. */
  abortMultipartUpload(upload: MultipartUpload, options: { signal?: AbortSignal } = {}): Promise<void> {
    return abortMultipart(this.#ctx, upload, options);
  }

  /** Closes every connection and wipes the root key; the uplink cannot be used after. */
  /**
   * Renames an object on the satellite without re-uploading it: only its encrypted name and the
   * wrapped keys change, no piece moves and no node is contacted (docs/move.md). Objects of any
   * size; `newBucket` moves across buckets of the project; `overwrite` replaces an existing
   * destination (otherwise `AlreadyExistsError`).
   *
   * @example
   * ```ts
   * await uplink.moveObject('photos', 'inbox/a.jpg', '2024/a.jpg');
   * ```
   */
  async moveObject(bucket: string, oldKey: string, newKey: string, options: MoveObjectOptions = {}): Promise<ObjectInfo> {
    const moved = await moveObject(await this.#moveDeps(), bucket, oldKey, newKey, options);
    return this.#info(moved.bucket, moved.key, moved.object);
  }

  /** Copies an object on the satellite: a new object whose segments share the same pieces (docs/move.md). */
  async copyObject(bucket: string, oldKey: string, newKey: string, options: MoveObjectOptions = {}): Promise<ObjectInfo> {
    const copied = await copyObject(await this.#moveDeps(), bucket, oldKey, newKey, options);
    return this.#info(copied.bucket, copied.key, copied.object);
  }

  /**
   * Moves every object under `oldPrefix` to the same relative key under `newPrefix`, reporting
   * each; resumable (objects an interrupted run already moved are `skipped`).
   */
  async moveObjects(bucket: string, oldPrefix: string, newPrefix: string, options: MoveObjectsOptions = {}): Promise<PrefixMoveReport> {
    return moveObjects(await this.#moveDeps(), bucket, oldPrefix, newPrefix, options);
  }

  async #moveDeps(): Promise<MoveClientDeps> {
    const maxKeyLength = await this.#ctx.maxKeyLength();
    return { client: this.#ctx.satellite, header: this.#ctx.header, rootKey: this.#ctx.rootKey, clock: this.#ctx.settings.clock, ...(maxKeyLength === undefined ? {} : { maxKeyLength }) };
  }

  #info(bucket: string, key: string, wire: Parameters<typeof objectInfoFrom>[0]): ObjectInfo {
    const contentKey = pathContentKey(this.#ctx.rootKey, bucket, key);
    try {
      return objectInfoFrom(wire, key, contentKey);
    } finally {
      contentKey.fill(0);
    }
  }

  async close(): Promise<void> {
    await this.#ctx.satellite.close();
    await this.#ctx.nodes.close();
    this.#ctx.rootKey.fill(0);
  }
}
