/**
 * The `PieceStore` port: where a storage node keeps the pieces it holds, keyed by (satellite id,
 * piece id), each stored together with the proof of how it arrived (the satellite's original
 * order limit and the uplink-signed piece hash — graceful exit hands both to the satellite).
 *
 * Implementations: {@link MemoryPieceStore} (tests, embedding) and {@link FsPieceStore}
 * (durable: temp file, fsync, rename). Both pass `pieceStoreSuite` from `handoff/testing`.
 */
import { toHex } from '../core/bytes.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { OrderLimit } from '../orders/order-limit.js';
import type { PieceHash } from '../orders/piece-hash.js';

/** What a node stores beside a piece's bytes. */
export interface StoredPieceHeader {
  /** The satellite-signed order limit the piece was uploaded under, exactly as received. */
  readonly orderLimit: OrderLimit;
  /** The uplink's signed `{pieceId, hash, pieceSize, timestamp}` for the piece. */
  readonly uplinkPieceHash: PieceHash;
  /** Bytes of piece data. */
  readonly size: number;
  /** When the node committed the piece (ms since the epoch). */
  readonly storedAt: number;
}

/** Options of {@link PieceStore.readPiece} and {@link readWholePiece}. */
export interface ReadPieceOptions {
  readonly signal?: AbortSignal;
  /**
   * Where the bytes go: called with a size, returns a buffer of at least that many bytes (a
   * {@link PieceBufferPool}'s `take`), so a caller that reads many pieces can reuse memory. The
   * piece's `data` is then a view of that buffer; its header never is. A store may ignore it.
   */
  readonly allocate?: (size: number) => Uint8Array;
}

/** A whole piece with its header, as {@link PieceStore.readPiece} returns it. */
export interface WholePiece {
  readonly header: StoredPieceHeader;
  /** `header.size` bytes. */
  readonly data: Uint8Array;
}

/** What `commit` records; the size is the number of bytes written. */
export type PieceCommit = Omit<StoredPieceHeader, 'size'>;

/**
 * A piece being written. Nothing is visible under the piece's key until `commit` resolves, and
 * after `abort` (or a crash) nothing of it remains.
 */
export interface PieceWriter {
  /** Bytes written so far. */
  readonly size: number;
  /**
   * Appends `chunk`. The store may keep `chunk` itself rather than a copy (the memory store
   * does), so the caller must not modify it afterwards — the rule of Node's `Writable.write`.
   *
   * `release`, when given, is called once the store will never read `chunk` again (the file
   * store: once its bytes are in the file, which may be after a later `write` or at `commit`),
   * so the caller may reuse its memory — a node hands a received frame back to the transport's
   * pool (`releaseFrame`). A store that keeps the chunk, or fails or is aborted before writing it,
   * never calls it, and the memory is left to the garbage collector.
   */
  write(chunk: Uint8Array, release?: () => void): Promise<void>;
  /**
   * Makes the piece durable and visible with its header. Rejects with `AlreadyExistsError` when
   * the key already holds a piece (nothing is overwritten; the written bytes are discarded).
   */
  commit(header: PieceCommit): Promise<void>;
  /** Discards everything written. Safe to call more than once, and after a failed commit. */
  abort(): Promise<void>;
}

/** A byte range of a piece. */
export interface PieceRange {
  readonly offset: number;
  readonly length: number;
}

/** Which part of a piece to read, and cancellation. */
export interface PieceReadOptions {
  /** Largest chunk yielded (default {@link DEFAULT_READ_CHUNK_BYTES}). */
  readonly chunkSize?: number;
  readonly signal?: AbortSignal;
}

/** A piece id and its data size, as `list` yields them. */
export interface PieceEntry {
  readonly pieceId: Uint8Array;
  readonly size: number;
}

/** Chunk size of reads unless told otherwise: 256 KiB. */
export const DEFAULT_READ_CHUNK_BYTES = 256 * 1024;

/**
 * Storage for pieces, keyed by (satelliteId, pieceId), both 32 bytes.
 *
 * @example
 * ```ts
 * const writer = await pieces.create(satelliteId, pieceId);
 * for (const chunk of chunks) await writer.write(chunk);
 * await writer.commit({ orderLimit, uplinkPieceHash, storedAt: Date.now() });
 * for await (const chunk of pieces.read(satelliteId, pieceId, { offset: 0, length: 1024 })) use(chunk);
 * ```
 */
export interface PieceStore {
  /** Starts writing a piece; see {@link PieceWriter}. */
  create(satelliteId: Uint8Array, pieceId: Uint8Array): Promise<PieceWriter>;
  /**
   * Streams `range` of a piece in chunks of at most `chunkSize` bytes, without loading the piece.
   * Throws (on iteration) `NotFoundError` for a missing piece and `InvalidArgumentError` for a
   * range that is not inside it. A chunk may be a view of the store's own memory (the memory
   * store yields views of the chunks it was written, to serve a download without a copy): the
   * caller must not modify it.
   */
  read(satelliteId: Uint8Array, pieceId: Uint8Array, range: PieceRange, options?: PieceReadOptions): AsyncIterable<Uint8Array>;
  /** The stored header; `NotFoundError` when there is no such (readable) piece. */
  header(satelliteId: Uint8Array, pieceId: Uint8Array): Promise<StoredPieceHeader>;
  /**
   * The whole piece and its header in one call, for callers that need both (a graceful exit sends
   * whole pieces): the filesystem store opens and reads the file once instead of once per call.
   * Optional — {@link readWholePiece} falls back to `header` and `read`. `NotFoundError` like `header`.
   */
  readPiece?(satelliteId: Uint8Array, pieceId: Uint8Array, options?: ReadPieceOptions): Promise<WholePiece>;
  has(satelliteId: Uint8Array, pieceId: Uint8Array): Promise<boolean>;
  /**
   * Removes a piece; true when there was one. `size`, when the caller has just read the piece's
   * header, spares the store reading it again for its space accounting (the filesystem store then
   * only unlinks); a store that keeps sizes itself ignores it.
   */
  delete(satelliteId: Uint8Array, pieceId: Uint8Array, size?: number): Promise<boolean>;
  /** Every piece held for a satellite, in no particular order. */
  list(satelliteId: Uint8Array): AsyncIterable<PieceEntry>;
  /** Bytes of committed piece data, for one satellite or (without an argument) all of them. */
  usedBytes(satelliteId?: Uint8Array): number;
}

/**
 * A whole piece and its header: {@link PieceStore.readPiece} when the store has it, else its
 * header and then its bytes.
 *
 * @example
 * ```ts
 * const { header, data } = await readWholePiece(pieces, satelliteId, pieceId);
 * ```
 */
export async function readWholePiece(store: PieceStore, satelliteId: Uint8Array, pieceId: Uint8Array, options: ReadPieceOptions = {}): Promise<WholePiece> {
  if (store.readPiece !== undefined) return store.readPiece(satelliteId, pieceId, options);
  const header = await store.header(satelliteId, pieceId);
  const data = options.allocate === undefined ? new Uint8Array(header.size) : allocated(options.allocate, header.size);
  let at = 0;
  for await (const chunk of store.read(satelliteId, pieceId, { offset: 0, length: header.size }, options)) {
    data.set(chunk, at);
    at += chunk.length;
  }
  return { header, data };
}

/** `size` bytes from a caller's allocator, which must give at least that many. */
export function allocated(allocate: (size: number) => Uint8Array, size: number): Uint8Array {
  const buffer = allocate(size);
  if (!(buffer instanceof Uint8Array) || buffer.length < size) throw new RangeError(`the allocator gave ${buffer?.length} bytes where ${size} were needed`);
  return buffer.subarray(0, size);
}

/**
 * A trash beside the pieces, which garbage collection needs: a piece the satellite no longer
 * references is first moved here (out of sight: not readable, listed or counted in
 * `usedBytes`), deleted for good only after a retention period, and can be brought back until
 * then. Both shipped stores have one; a store without it (a test double) simply gets no garbage
 * collection (see {@link hasTrash}).
 *
 * @example
 * ```ts
 * if (hasTrash(pieces)) {
 *   await pieces.trash(satelliteId, pieceId, Date.now());
 *   await pieces.restoreTrash(satelliteId);                       // a mistake: bring it all back
 *   await pieces.emptyTrash(satelliteId, Date.now() - 7 * 86_400_000); // or delete what is old
 * }
 * ```
 */
export interface PieceTrash {
  /**
   * Moves a piece into the satellite's trash, stamped `trashedAt` (ms since the epoch). Returns
   * false when there was no such piece.
   */
  trash(satelliteId: Uint8Array, pieceId: Uint8Array, trashedAt: number): Promise<boolean>;
  /**
   * Moves every trashed piece of the satellite back. A piece stored again under the same id in
   * the meantime wins, and its trashed copy is dropped. Returns how many pieces came back.
   */
  restoreTrash(satelliteId: Uint8Array): Promise<number>;
  /** Deletes for good the satellite's pieces trashed before `trashedBefore`; returns how many. */
  emptyTrash(satelliteId: Uint8Array, trashedBefore: number): Promise<number>;
  /** Bytes of piece data in the trash, for one satellite or (without an argument) all of them. */
  trashedBytes(satelliteId?: Uint8Array): number;
  /** The satellites with anything in the trash. */
  trashedSatellites(): Uint8Array[];
}

/** True when `store` has a {@link PieceTrash} (every method of it). */
export function hasTrash<T extends PieceStore>(store: T): store is T & PieceTrash {
  const candidate = store as Partial<PieceTrash>;
  return (
    typeof candidate.trash === 'function' && typeof candidate.restoreTrash === 'function' && typeof candidate.emptyTrash === 'function' &&
    typeof candidate.trashedBytes === 'function' && typeof candidate.trashedSatellites === 'function'
  );
}

/** Refuses a trash time that is not a non-negative safe integer. */
export function checkTrashTime(time: number, field: string): void {
  if (!Number.isSafeInteger(time) || time < 0) throw new InvalidArgumentError(`"${field}" expected a non-negative integer, got ${time}`);
}

/** Refuses ids that are not 32 bytes, naming the field. */
export function checkPieceKey(satelliteId: Uint8Array, pieceId: Uint8Array): void {
  checkId(satelliteId, 'satelliteId');
  checkId(pieceId, 'pieceId');
}

export function checkId(id: Uint8Array, field: string): void {
  if (!(id instanceof Uint8Array)) throw new InvalidArgumentError(`"${field}" expected 32 bytes, got ${typeof id}`);
  if (id.length !== 32) throw new InvalidArgumentError(`"${field}" expected 32 bytes, got ${id.length}`);
}

/**
 * Bytes held per satellite, kept in memory by the stores (the filesystem store fills it from a
 * scan at open).
 */
export class SpaceUsage {
  readonly #bySatellite = new Map<string, number>();

  /** Adds `bytes` (negative to subtract) to the satellite with hex id `satellite`. */
  add(satellite: string, bytes: number): void {
    this.#bySatellite.set(satellite, (this.#bySatellite.get(satellite) ?? 0) + bytes);
  }

  /** {@link PieceStore.usedBytes}: for one satellite, or all of them. */
  of(satelliteId?: Uint8Array): number {
    if (satelliteId === undefined) {
      let total = 0;
      for (const n of this.#bySatellite.values()) total += n;
      return total;
    }
    checkId(satelliteId, 'satelliteId');
    return this.#bySatellite.get(toHex(satelliteId)) ?? 0;
  }
}

/** Refuses ranges that are not inside a piece of `size` bytes. */
export function checkRange(range: PieceRange, size: number): void {
  const { offset, length } = range;
  if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidArgumentError(`"offset" expected a non-negative integer, got ${offset}`);
  if (!Number.isSafeInteger(length) || length < 0) throw new InvalidArgumentError(`"length" expected a non-negative integer, got ${length}`);
  if (offset + length > size) {
    throw new InvalidArgumentError(`range [${offset}, ${offset + length}) is outside the piece of ${size} bytes`);
  }
}

export function checkChunkSize(chunkSize: number | undefined): number {
  const size = chunkSize ?? DEFAULT_READ_CHUNK_BYTES;
  if (!Number.isSafeInteger(size) || size < 1) throw new InvalidArgumentError(`"chunkSize" expected a positive integer, got ${size}`);
  return size;
}
