/**
 * The filesystem {@link PieceStore}: one file per piece (format in piece-file.ts) at
 *
 * ```
 * <root>/<satellite id hex>/<first byte of piece id, hex>/<piece id hex>
 * <root>/tmp/<random>.part          pieces being written
 * <root>/trash/<satellite id hex>/<trashed at, ms>/<piece id hex>   trashed pieces
 * ```
 *
 * A piece is written to a temp file on the same filesystem, fsynced, renamed into place, and the
 * directory fsynced — so a crash never leaves a half piece under its final name, and a committed
 * piece survives a power loss. Opening the store deletes leftover temp files and scans the piece
 * files once to initialize the per-satellite space accounting, which is then kept in memory.
 * One process owns a root at a time.
 *
 * Trashing a piece is one rename into a directory named after the trash time (garbage
 * collection trashes a whole pass under one time), so emptying the trash removes whole
 * directories, and restoring renames each piece back.
 */
import { constants } from 'node:fs';
import { mkdir, open, rename, rm, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { throwIfAborted } from '../core/abort.js';
import { fromHex, toHex } from '../core/bytes.js';
import { AlreadyExistsError, NotFoundError } from '../core/errors.js';
import { getCryptoProvider } from '../crypto/select.js';
import { exists, isCode, pieceSize, readdirOrEmpty, readExactly, readTail, syncDir } from './fs-io.js';
import { fsPieceWriter } from './fs-piece-writer.js';
import { parseHeader, parseTail, PIECE_FILE_TAIL_BYTES } from './piece-file.js';
import {
  allocated, checkChunkSize, checkId, checkPieceKey, checkTrashTime, SpaceUsage, checkRange,
  type PieceEntry, type PieceRange, type PieceReadOptions, type PieceStore, type PieceTrash, type PieceWriter, type StoredPieceHeader,
  type ReadPieceOptions, type WholePiece,
} from './store.js';
import { TrashUsage } from './trash-usage.js';

/** Options of {@link FsPieceStore.open}: its root directory, and whether to fsync. */
export interface FsPieceStoreOptions {
  /** The directory that holds everything; created if missing. */
  readonly root: string;
  /**
   * fsync piece files and their directories at commit (default true). Turn it off only for data
   * you can afford to lose on a power failure; renames stay atomic either way.
   */
  readonly fsync?: boolean;
}

const TMP_DIR = 'tmp';
const TRASH_DIR = 'trash';
const ID_HEX = /^[0-9a-f]{64}$/;
const TRASH_TIME = /^(0|[1-9][0-9]{0,15})$/;
const FAN_OUT_HEX = /^[0-9a-f]{2}$/;

/**
 * @example
 * ```ts
 * const pieces = await FsPieceStore.open({ root: '/var/lib/node/pieces' });
 * console.log(pieces.usedBytes()); // bytes held, from the startup scan
 * ```
 */
export class FsPieceStore implements PieceStore, PieceTrash {
  readonly root: string;
  readonly #tmp: string;
  readonly #trashRoot: string;
  readonly #fsync: boolean;
  readonly #used = new SpaceUsage();
  readonly #trashed = new TrashUsage();
  /** Directories known to exist (and to be durable), so commits skip mkdir. */
  readonly #dirs = new Set<string>();
  /** Keys whose commit is in progress: two writers of one piece cannot both win. */
  readonly #committing = new Set<string>();
  /**
   * Temp files are named `<prefix>-<serial>`: unique within this store's life (one process owns
   * a root, and opening it clears tmp), without random bytes drawn for every piece.
   */
  readonly #tmpPrefix = toHex(getCryptoProvider().randomBytes(6));
  #tmpSerial = 0;

  private constructor(options: FsPieceStoreOptions) {
    this.root = options.root;
    this.#tmp = join(options.root, TMP_DIR);
    this.#trashRoot = join(options.root, TRASH_DIR);
    this.#fsync = options.fsync ?? true;
  }

  /** Opens (creating if needed) the store at `root`, sweeping stale temp files and scanning usage. */
  static async open(options: FsPieceStoreOptions): Promise<FsPieceStore> {
    const store = new FsPieceStore(options);
    await mkdir(store.root, { recursive: true });
    // Anything in tmp was being written when a previous process died: it never became a piece.
    await rm(store.#tmp, { recursive: true, force: true });
    await mkdir(store.#tmp, { recursive: true });
    await store.#scan();
    return store;
  }

  async create(satelliteId: Uint8Array, pieceId: Uint8Array): Promise<PieceWriter> {
    checkPieceKey(satelliteId, pieceId);
    const satellite = toHex(satelliteId);
    const piece = toHex(pieceId);
    const tmpPath = join(this.#tmp, `${this.#tmpPrefix}-${(this.#tmpSerial++).toString(36)}.part`);
    const handle = await open(tmpPath, 'wx');
    return fsPieceWriter(handle, tmpPath, {
      fsync: this.#fsync,
      place: () => this.#place(tmpPath, satellite, piece),
      committed: (size) => this.#used.add(satellite, size),
    });
  }

  async *read(satelliteId: Uint8Array, pieceId: Uint8Array, range: PieceRange, options: PieceReadOptions = {}): AsyncIterable<Uint8Array> {
    checkPieceKey(satelliteId, pieceId);
    const chunkSize = checkChunkSize(options.chunkSize);
    const handle = await this.#openPiece(satelliteId, pieceId);
    try {
      const { size } = await this.#tail(handle, pieceId);
      checkRange(range, size);
      const end = range.offset + range.length;
      for (let at = range.offset; at < end; ) {
        throwIfAborted(options.signal);
        const chunk = new Uint8Array(Math.min(chunkSize, end - at));
        await readExactly(handle, chunk, at);
        at += chunk.length;
        yield chunk;
      }
    } finally {
      await handle.close();
    }
  }

  async header(satelliteId: Uint8Array, pieceId: Uint8Array): Promise<StoredPieceHeader> {
    checkPieceKey(satelliteId, pieceId);
    const handle = await this.#openPiece(satelliteId, pieceId);
    try {
      const { size, headerLength } = await this.#tail(handle, pieceId);
      const bytes = new Uint8Array(headerLength);
      await readExactly(handle, bytes, size);
      const header = parseHeader(bytes, size);
      if (!header) throw unreadable(pieceId);
      return header;
    } finally {
      await handle.close();
    }
  }

  /** One open, one stat and one read of the whole file (data, header and tail together). */
  async readPiece(satelliteId: Uint8Array, pieceId: Uint8Array, options: ReadPieceOptions = {}): Promise<WholePiece> {
    checkPieceKey(satelliteId, pieceId);
    throwIfAborted(options.signal);
    const handle = await this.#openPiece(satelliteId, pieceId);
    try {
      const { size: fileSize } = await handle.stat();
      if (fileSize < PIECE_FILE_TAIL_BYTES) throw unreadable(pieceId);
      // Not zeroed: every byte is read over at once.
      const bytes = options.allocate !== undefined ? allocated(options.allocate, fileSize) : new Uint8Array(Buffer.allocUnsafeSlow(fileSize).buffer, 0, fileSize);
      await readExactly(handle, bytes, 0);
      const tail = parseTail(bytes.subarray(fileSize - PIECE_FILE_TAIL_BYTES), fileSize);
      // A caller's buffer may be reused once it is done with the data: the header (whose byte
      // fields may be views of what it is decoded from) comes from a copy of its own.
      const headerBytes = tail && bytes.subarray(tail.size, tail.size + tail.headerLength);
      const header = tail && headerBytes && parseHeader(options.allocate !== undefined ? headerBytes.slice() : headerBytes, tail.size);
      if (!tail || !header) throw unreadable(pieceId);
      return { header, data: bytes.subarray(0, tail.size) };
    } finally {
      await handle.close();
    }
  }

  async has(satelliteId: Uint8Array, pieceId: Uint8Array): Promise<boolean> {
    checkPieceKey(satelliteId, pieceId);
    return exists(this.#path(toHex(satelliteId), toHex(pieceId)));
  }

  async delete(satelliteId: Uint8Array, pieceId: Uint8Array, knownSize?: number): Promise<boolean> {
    checkPieceKey(satelliteId, pieceId);
    const satellite = toHex(satelliteId);
    const path = this.#path(satellite, toHex(pieceId));
    const size = knownSize ?? (await pieceSize(path));
    try {
      await unlink(path);
    } catch (err) {
      if (isCode(err, 'ENOENT')) return false;
      throw err;
    }
    this.#used.add(satellite, -(size ?? 0));
    return true;
  }

  async *list(satelliteId: Uint8Array): AsyncIterable<PieceEntry> {
    checkId(satelliteId, 'satelliteId');
    const dir = join(this.root, toHex(satelliteId));
    for (const fan of (await readdirOrEmpty(dir)).filter((name) => FAN_OUT_HEX.test(name))) {
      for (const name of await readdirOrEmpty(join(dir, fan))) {
        if (!ID_HEX.test(name) || !name.startsWith(fan)) continue;
        const size = await pieceSize(join(dir, fan, name));
        if (size !== undefined) yield { pieceId: fromHex(name), size };
      }
    }
  }

  usedBytes(satelliteId?: Uint8Array): number {
    return this.#used.of(satelliteId);
  }

  async trash(satelliteId: Uint8Array, pieceId: Uint8Array, trashedAt: number): Promise<boolean> {
    checkPieceKey(satelliteId, pieceId);
    checkTrashTime(trashedAt, 'trashedAt');
    const satellite = toHex(satelliteId);
    const piece = toHex(pieceId);
    const path = this.#path(satellite, piece);
    const size = await pieceSize(path);
    // No size: missing, or a piece with an unreadable tail (still trashed, counted as 0 bytes).
    if (size === undefined && !(await exists(path))) return false;
    const dir = join(this.#trashRoot, satellite, String(trashedAt));
    const target = join(dir, piece);
    await this.#ensureDir(dir);
    // The same id trashed twice at one time: the later copy replaces the earlier one.
    const earlier = await pieceSize(target);
    try {
      await rename(path, target);
    } catch (err) {
      if (isCode(err, 'ENOENT')) return false;
      throw err;
    }
    if (this.#fsync) await syncDir(dir);
    this.#used.add(satellite, -(size ?? 0));
    if (earlier !== undefined) this.#trashed.add(satellite, trashedAt, -1, -earlier);
    this.#trashed.add(satellite, trashedAt, 1, size ?? 0);
    return true;
  }

  async restoreTrash(satelliteId: Uint8Array): Promise<number> {
    checkId(satelliteId, 'satelliteId');
    const satellite = toHex(satelliteId);
    let restored = 0;
    // Newest first: of an id trashed twice, the later copy comes back and the other is dropped.
    for (const time of (await this.#trashTimes(satellite)).sort((a, b) => b - a)) {
      const dir = join(this.#trashRoot, satellite, String(time));
      for (const piece of (await readdirOrEmpty(dir)).filter((name) => ID_HEX.test(name))) {
        const from = join(dir, piece);
        const size = (await pieceSize(from)) ?? 0;
        const key = `${satellite}/${piece}`;
        // A commit of the same id in progress decides the id; the trashed copy waits for the next restore.
        if (this.#committing.has(key)) continue;
        this.#committing.add(key);
        try {
          if (await exists(this.#path(satellite, piece))) {
            await unlink(from);
          } else {
            const fan = join(this.root, satellite, piece.slice(0, 2));
            await this.#ensureDir(fan);
            await rename(from, this.#path(satellite, piece));
            if (this.#fsync) await syncDir(fan);
            this.#used.add(satellite, size);
            restored++;
          }
          this.#trashed.add(satellite, time, -1, -size);
        } finally {
          this.#committing.delete(key);
        }
      }
      this.#dirs.delete(dir);
      await rmdir(dir).catch(() => undefined);
    }
    return restored;
  }

  async emptyTrash(satelliteId: Uint8Array, trashedBefore: number): Promise<number> {
    checkId(satelliteId, 'satelliteId');
    checkTrashTime(trashedBefore, 'trashedBefore');
    const satellite = toHex(satelliteId);
    let removed = 0;
    for (const time of await this.#trashTimes(satellite)) {
      if (time >= trashedBefore) continue;
      const dir = join(this.#trashRoot, satellite, String(time));
      this.#dirs.delete(dir);
      await rm(dir, { recursive: true, force: true });
      removed += this.#trashed.take(satellite, time).pieces;
    }
    return removed;
  }

  trashedBytes(satelliteId?: Uint8Array): number {
    return this.#trashed.bytes(satelliteId);
  }

  trashedSatellites(): Uint8Array[] {
    return this.#trashed.satellites();
  }

  /** The trash times (directory names) of one satellite. */
  async #trashTimes(satellite: string): Promise<number[]> {
    return (await readdirOrEmpty(join(this.#trashRoot, satellite))).filter((name) => TRASH_TIME.test(name)).map(Number);
  }

  /** Moves a finished temp file under its final name, unless that name is taken. */
  async #place(tmpPath: string, satellite: string, piece: string): Promise<void> {
    const key = `${satellite}/${piece}`;
    if (this.#committing.has(key)) throw new AlreadyExistsError(`piece ${piece} is already being stored`);
    this.#committing.add(key);
    try {
      const path = this.#path(satellite, piece);
      if (await exists(path)) throw new AlreadyExistsError(`piece ${piece} already exists`);
      const dir = join(this.root, satellite, piece.slice(0, 2));
      await this.#ensureDir(dir);
      await rename(tmpPath, path);
      if (this.#fsync) await syncDir(dir);
    } finally {
      this.#committing.delete(key);
    }
  }

  /**
   * Makes `dir` and whatever is missing above it. A new directory's entry lives in its parent:
   * with fsync on, the parent of each directory made is synced, so a rename into `dir` cannot
   * survive a crash that loses the directory it went into.
   */
  async #ensureDir(dir: string): Promise<void> {
    if (this.#dirs.has(dir)) return;
    // The first directory made; those below it on the way to `dir` were made too.
    const created = await mkdir(dir, { recursive: true });
    if (created !== undefined && this.#fsync) {
      for (let made = dir; dirname(made) !== made; made = dirname(made)) {
        await syncDir(dirname(made));
        if (made === created) break;
      }
    }
    this.#dirs.add(dir);
  }

  async #openPiece(satelliteId: Uint8Array, pieceId: Uint8Array): Promise<FileHandle> {
    try {
      return await open(this.#path(toHex(satelliteId), toHex(pieceId)), constants.O_RDONLY);
    } catch (err) {
      if (isCode(err, 'ENOENT')) throw new NotFoundError(`piece ${toHex(pieceId)} not found`);
      throw err;
    }
  }

  async #tail(handle: FileHandle, pieceId: Uint8Array): Promise<{ size: number; headerLength: number }> {
    const tail = await readTail(handle);
    if (!tail) throw unreadable(pieceId);
    return tail;
  }

  #path(satellite: string, piece: string): string {
    return join(this.root, satellite, piece.slice(0, 2), piece);
  }

  async #scan(): Promise<void> {
    for (const satellite of (await readdirOrEmpty(this.root)).filter((name) => ID_HEX.test(name))) {
      for await (const entry of this.list(fromHex(satellite))) this.#used.add(satellite, entry.size);
    }
    for (const satellite of (await readdirOrEmpty(this.#trashRoot)).filter((name) => ID_HEX.test(name))) {
      for (const time of await this.#trashTimes(satellite)) {
        const dir = join(this.#trashRoot, satellite, String(time));
        for (const piece of (await readdirOrEmpty(dir)).filter((name) => ID_HEX.test(name))) {
          this.#trashed.add(satellite, time, 1, (await pieceSize(join(dir, piece))) ?? 0);
        }
      }
    }
  }
}

/** A piece whose file is damaged counts as missing (as a node reports bitrot), never as a forgery. */
function unreadable(pieceId: Uint8Array): NotFoundError {
  return new NotFoundError(`piece ${toHex(pieceId)} is unreadable (damaged file)`);
}
