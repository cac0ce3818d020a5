/**
 * The sorted names of recently listed folders, so that paging through a big folder reads it
 * once instead of once per page: reading a folder of 100,000 names costs 100–150 ms of CPU,
 * and a browser pages through it 1,000 names at a time.
 *
 * A folder's names change only when an entry is created, removed or renamed in it, and each of
 * those moves the folder's modification time. So a cached listing serves while the folder's
 * `mtime` and `ctime` are the ones it was read with, for at most {@link FolderNamesCacheOptions.ttlMs}.
 * One exception, from filesystems whose clocks are coarse (a jiffy on Linux, 2 s on FAT): a
 * change in the same tick as the read leaves the time unchanged. A listing read less than
 * {@link FolderNamesCacheOptions.settleMs} after the folder's last change is therefore never
 * kept — a folder being written into is read afresh on every page, as before. Small folders
 * (under {@link FolderNamesCacheOptions.minNames}) are not kept either: they read in a
 * millisecond or two.
 */

/** The folder's identity and times, from `stat`. */
export interface FolderStamp {
  readonly dev: number;
  readonly ino: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

export interface FolderNamesCacheOptions {
  /** Longest a listing serves (default 60 s). */
  readonly ttlMs?: number;
  /** How long a folder must have been unchanged when read for its listing to be kept (default 3 s). */
  readonly settleMs?: number;
  /** Fewest names a folder must have to be kept (default 1,000). */
  readonly minNames?: number;
  /** Most names kept across all folders (default 1,000,000: about 50 MiB of short names). */
  readonly maxNames?: number;
  /** Most folders kept (default 32). */
  readonly maxFolders?: number;
  /** The clock, for tests (default `Date.now`). */
  readonly now?: () => number;
}

interface Cached {
  readonly stamp: FolderStamp;
  readonly names: readonly string[];
  readonly readAt: number;
}

export class FolderNamesCache {
  readonly #ttlMs: number;
  readonly #settleMs: number;
  readonly #minNames: number;
  readonly #maxNames: number;
  readonly #maxFolders: number;
  readonly #now: () => number;
  /** By real path, least recently used first. */
  readonly #folders = new Map<string, Cached>();
  #names = 0;

  constructor(options: FolderNamesCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#settleMs = options.settleMs ?? 3_000;
    this.#minNames = options.minNames ?? 1_000;
    this.#maxNames = options.maxNames ?? 1_000_000;
    this.#maxFolders = options.maxFolders ?? 32;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The folder's sorted names: the kept ones while the folder is unchanged, else `read()`'s
   * (sorted by the caller), kept when the folder had settled.
   */
  async names(path: string, stamp: FolderStamp, read: () => Promise<readonly string[]>): Promise<readonly string[]> {
    const now = this.#now();
    this.#dropExpired(now);
    const cached = this.#folders.get(path);
    if (cached !== undefined) {
      this.#drop(path, cached);
      if (sameStamp(cached.stamp, stamp)) {
        this.#keep(path, cached);
        return cached.names;
      }
    }
    const names = await read();
    const settled = now - Math.max(stamp.mtimeMs, stamp.ctimeMs) >= this.#settleMs;
    if (settled && names.length >= this.#minNames && names.length <= this.#maxNames) this.#keep(path, { stamp, names, readAt: now });
    return names;
  }

  /** How many folders are kept (for tests and metrics). */
  get size(): number {
    return this.#folders.size;
  }

  #keep(path: string, entry: Cached): void {
    this.#folders.set(path, entry);
    this.#names += entry.names.length;
    for (const [oldest, old] of this.#folders) {
      if (this.#names <= this.#maxNames && this.#folders.size <= this.#maxFolders) break;
      this.#drop(oldest, old);
    }
  }

  /** Every listing past its time goes, listed again or not: memory is not held for folders nobody pages. */
  #dropExpired(now: number): void {
    for (const [path, entry] of this.#folders) if (now - entry.readAt >= this.#ttlMs) this.#drop(path, entry);
  }

  #drop(path: string, entry: Cached): void {
    this.#folders.delete(path);
    this.#names -= entry.names.length;
  }
}

function sameStamp(a: FolderStamp, b: FolderStamp): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}
