/**
 * A {@link PieceStore} in memory, for tests and embedding. Behaves exactly like the filesystem
 * store (same suite), minus durability.
 */
import { throwIfAborted } from '../core/abort.js';
import { fromHex, toHex } from '../core/bytes.js';
import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from '../core/errors.js';
import {
  checkChunkSize, checkPieceKey, checkRange, checkId, checkTrashTime, SpaceUsage,
  type PieceCommit, type PieceEntry, type PieceRange, type PieceReadOptions, type PieceStore, type PieceTrash, type PieceWriter, type StoredPieceHeader,
  type ReadPieceOptions, type WholePiece,
} from './store.js';

interface StoredPiece {
  /** The bytes as written, chunk by chunk: committing copies nothing again. */
  readonly chunks: readonly Uint8Array[];
  readonly header: StoredPieceHeader;
}

interface TrashedPiece {
  /** Piece id, hex. */
  readonly piece: string;
  readonly stored: StoredPiece;
  readonly trashedAt: number;
}

/** Copies `[from, to)` of a piece kept as consecutive `chunks` into one new array. */
function copyRange(chunks: readonly Uint8Array[], from: number, to: number): Uint8Array {
  const out = new Uint8Array(to - from);
  let start = 0;
  for (const chunk of chunks) {
    const end = start + chunk.length;
    if (end > from && start < to) out.set(chunk.subarray(Math.max(0, from - start), Math.min(chunk.length, to - start)), Math.max(0, start - from));
    if (end >= to) break;
    start = end;
  }
  return out;
}

/**
 * @example
 * ```ts
 * const pieces = new MemoryPieceStore();
 * ```
 */
export class MemoryPieceStore implements PieceStore, PieceTrash {
  /** satellite hex → piece hex → piece. */
  readonly #satellites = new Map<string, Map<string, StoredPiece>>();
  readonly #used = new SpaceUsage();
  /** satellite hex → trashed pieces (an id may be there twice, trashed at two times, as on disk). */
  readonly #trash = new Map<string, TrashedPiece[]>();

  async create(satelliteId: Uint8Array, pieceId: Uint8Array): Promise<PieceWriter> {
    checkPieceKey(satelliteId, pieceId);
    const satellite = toHex(satelliteId);
    const piece = toHex(pieceId);
    const chunks: Uint8Array[] = [];
    let size = 0;
    let state: 'open' | 'committed' | 'aborted' = 'open';
    const ensureOpen = (): void => {
      if (state !== 'open') throw new FailedPreconditionError(`piece writer is ${state}`);
    };
    return {
      get size() {
        return size;
      },
      write: async (chunk) => {
        ensureOpen();
        // Kept as it is (the writer's contract); a small view is copied so it does not pin a
        // big buffer (a network read holding other messages, say) for the piece's lifetime.
        chunks.push(chunk.length * 2 < chunk.buffer.byteLength ? chunk.slice() : chunk);
        size += chunk.length;
      },
      commit: async (commit: PieceCommit) => {
        ensureOpen();
        const pieces = this.#pieces(satellite, true);
        if (pieces.has(piece)) {
          state = 'aborted';
          chunks.length = 0;
          throw new AlreadyExistsError(`piece ${piece} already exists`);
        }
        state = 'committed';
        const header: StoredPieceHeader = { orderLimit: commit.orderLimit, uplinkPieceHash: commit.uplinkPieceHash, size, storedAt: commit.storedAt };
        pieces.set(piece, { chunks, header });
        this.#used.add(satellite, size);
      },
      abort: async () => {
        if (state !== 'open') return;
        state = 'aborted';
        chunks.length = 0;
      },
    };
  }

  async *read(satelliteId: Uint8Array, pieceId: Uint8Array, range: PieceRange, options: PieceReadOptions = {}): AsyncIterable<Uint8Array> {
    checkPieceKey(satelliteId, pieceId);
    const chunkSize = checkChunkSize(options.chunkSize);
    const stored = this.#get(satelliteId, pieceId);
    checkRange(range, stored.header.size);
    const end = range.offset + range.length;
    const chunks = stored.chunks;
    // The stored chunk holding `at`, and its first byte's piece offset: reads move forward only.
    let index = 0;
    let start = 0;
    for (let at = range.offset; at < end; at += chunkSize) {
      throwIfAborted(options.signal);
      const to = Math.min(end, at + chunkSize);
      while (index < chunks.length - 1 && start + chunks[index]!.length <= at) start += chunks[index++]!.length;
      const chunk = chunks[index];
      // Inside one stored chunk (a download reads in the size the uplink wrote): a view, not a
      // copy — the bytes are never modified once written (see PieceStore.read).
      if (chunk !== undefined && to <= start + chunk.length) yield chunk.subarray(at - start, to - start);
      else yield copyRange(chunks, at, to);
    }
  }

  async header(satelliteId: Uint8Array, pieceId: Uint8Array): Promise<StoredPieceHeader> {
    checkPieceKey(satelliteId, pieceId);
    return this.#get(satelliteId, pieceId).header;
  }

  async readPiece(satelliteId: Uint8Array, pieceId: Uint8Array, options: ReadPieceOptions = {}): Promise<WholePiece> {
    checkPieceKey(satelliteId, pieceId);
    throwIfAborted(options.signal);
    const stored = this.#get(satelliteId, pieceId);
    return { header: stored.header, data: copyRange(stored.chunks, 0, stored.header.size) };
  }

  async has(satelliteId: Uint8Array, pieceId: Uint8Array): Promise<boolean> {
    checkPieceKey(satelliteId, pieceId);
    return this.#pieces(toHex(satelliteId), false)?.has(toHex(pieceId)) ?? false;
  }

  async delete(satelliteId: Uint8Array, pieceId: Uint8Array): Promise<boolean> {
    checkPieceKey(satelliteId, pieceId);
    const satellite = toHex(satelliteId);
    const pieces = this.#pieces(satellite, false);
    const stored = pieces?.get(toHex(pieceId));
    if (!pieces || !stored) return false;
    pieces.delete(toHex(pieceId));
    this.#used.add(satellite, -stored.header.size);
    return true;
  }

  async *list(satelliteId: Uint8Array): AsyncIterable<PieceEntry> {
    checkId(satelliteId, 'satelliteId');
    // A snapshot, so deleting while listing is safe.
    const entries = [...(this.#pieces(toHex(satelliteId), false)?.entries() ?? [])];
    for (const [piece, stored] of entries) yield { pieceId: fromHex(piece), size: stored.header.size };
  }

  usedBytes(satelliteId?: Uint8Array): number {
    return this.#used.of(satelliteId);
  }

  async trash(satelliteId: Uint8Array, pieceId: Uint8Array, trashedAt: number): Promise<boolean> {
    checkPieceKey(satelliteId, pieceId);
    checkTrashTime(trashedAt, 'trashedAt');
    const satellite = toHex(satelliteId);
    const piece = toHex(pieceId);
    const pieces = this.#pieces(satellite, false);
    const stored = pieces?.get(piece);
    if (!pieces || !stored) return false;
    pieces.delete(piece);
    this.#used.add(satellite, -stored.header.size);
    let trashed = this.#trash.get(satellite);
    if (!trashed) this.#trash.set(satellite, (trashed = []));
    // The same id trashed twice at one time: the later copy replaces the earlier one (as on disk).
    const earlier = trashed.findIndex((entry) => entry.piece === piece && entry.trashedAt === trashedAt);
    if (earlier >= 0) trashed.splice(earlier, 1);
    trashed.push({ piece, stored, trashedAt });
    return true;
  }

  async restoreTrash(satelliteId: Uint8Array): Promise<number> {
    checkId(satelliteId, 'satelliteId');
    const satellite = toHex(satelliteId);
    const trashed = this.#trash.get(satellite) ?? [];
    this.#trash.delete(satellite);
    let restored = 0;
    // Newest first: of an id trashed twice, the later copy comes back.
    for (const entry of [...trashed].sort((a, b) => b.trashedAt - a.trashedAt)) {
      const pieces = this.#pieces(satellite, true);
      if (pieces.has(entry.piece)) continue;
      pieces.set(entry.piece, entry.stored);
      this.#used.add(satellite, entry.stored.header.size);
      restored++;
    }
    return restored;
  }

  async emptyTrash(satelliteId: Uint8Array, trashedBefore: number): Promise<number> {
    checkId(satelliteId, 'satelliteId');
    checkTrashTime(trashedBefore, 'trashedBefore');
    const satellite = toHex(satelliteId);
    const trashed = this.#trash.get(satellite) ?? [];
    const kept = trashed.filter((entry) => entry.trashedAt >= trashedBefore);
    if (kept.length > 0) this.#trash.set(satellite, kept);
    else this.#trash.delete(satellite);
    return trashed.length - kept.length;
  }

  trashedBytes(satelliteId?: Uint8Array): number {
    if (satelliteId !== undefined) checkId(satelliteId, 'satelliteId');
    const lists = satelliteId === undefined ? [...this.#trash.values()] : [this.#trash.get(toHex(satelliteId)) ?? []];
    let total = 0;
    for (const list of lists) for (const entry of list) total += entry.stored.header.size;
    return total;
  }

  trashedSatellites(): Uint8Array[] {
    return [...this.#trash.keys()].map(fromHex);
  }

  #get(satelliteId: Uint8Array, pieceId: Uint8Array): StoredPiece {
    const stored = this.#pieces(toHex(satelliteId), false)?.get(toHex(pieceId));
    if (!stored) throw new NotFoundError(`piece ${toHex(pieceId)} not found`);
    return stored;
  }

  #pieces(satellite: string, create: true): Map<string, StoredPiece>;
  #pieces(satellite: string, create: false): Map<string, StoredPiece> | undefined;
  #pieces(satellite: string, create: boolean): Map<string, StoredPiece> | undefined {
    let pieces = this.#satellites.get(satellite);
    if (!pieces && create) {
      pieces = new Map();
      this.#satellites.set(satellite, pieces);
    }
    return pieces;
  }
}
