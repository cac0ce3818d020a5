/**
 * {@link ProviderFiles} over a local folder, the one `handoff provider run --root` serves: the
 * core's `/<drive>/…` is `<root>/<drive>/…` ({@link localPath}). Links are followed only while
 * they stay under the root; a path that leads out of it reads as missing.
 */
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { sep } from 'node:path';
import { InvalidArgumentError, isHandoffError, NotFoundError } from '../../core/errors.js';
import type { FolderEntry, FolderPage, FolderPageRequest } from '../core/ports.js';
import { normalizePath } from '../core/requests.js';
import { checkPageRequest, localPath, pageOfSortedNames, sortedListableNames, type ProviderFiles } from './files.js';
import { FolderNamesCache, type FolderNamesCacheOptions } from './folder-names.js';

const MISSING = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG']);

function isMissing(err: unknown): boolean {
  return typeof err === 'object' && err !== null && MISSING.has((err as NodeJS.ErrnoException).code ?? '');
}

/** Options of {@link filesystemFiles}. */
export interface FilesystemFilesOptions {
  /**
   * Keeps the sorted names of big folders between pages while they are unchanged
   * ({@link FolderNamesCache}); `false` reads the folder for every page. Default: on, with its defaults.
   */
  readonly listingCache?: FolderNamesCacheOptions | false;
}

/**
 * The files under `root`.
 *
 * @example
 * ```ts
 * const files = filesystemFiles('/srv/provider-a');
 * await files.list('/4123/results', { limit: 100 }); // <root>/4123/results, first 100 names
 * ```
 */
export function filesystemFiles(root: string, options: FilesystemFilesOptions = {}): ProviderFiles {
  const cache = options.listingCache === false ? undefined : new FolderNamesCache(options.listingCache);
  let realRoot: Promise<string> | undefined;
  const rootOnce = () => (realRoot ??= realpath(root));

  /** The real location of `corePath`, if it exists under the root (links followed). */
  const locate = async (corePath: string): Promise<string | undefined> => {
    const local = localPath(root, corePath);
    const base = await rootOnce();
    let real: string;
    try {
      real = await realpath(local);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    const inside = real === base || real.startsWith(base.endsWith(sep) ? base : base + sep);
    return inside ? real : undefined;
  };

  return {
    async list(path: string, page?: FolderPageRequest): Promise<FolderPage> {
      const request = checkPageRequest(page);
      const folder = normalizePath('path', path);
      const real = await locate(folder);
      if (real === undefined) throw new NotFoundError(`"${folder}" does not exist`);
      const folderStat = await stat(real);
      if (!folderStat.isDirectory()) throw new InvalidArgumentError(`"${folder}" is a file, not a folder`);
      const read = async () => sortedListableNames(await namesIn(real, folder));
      const sorted = cache === undefined ? await read() : await cache.names(real, folderStat, read);
      const { names, more } = pageOfSortedNames(sorted, request);
      const entries: FolderEntry[] = [];
      for (const name of names) {
        const entry = await entryAt(`${real}${sep}${name}`, name);
        if (entry) entries.push(entry);
      }
      return { entries, nextCursor: more ? names.at(-1)! : null };
    },

    async stat(path: string): Promise<FolderEntry | undefined> {
      const normal = normalizePath('path', path);
      const real = await locate(normal);
      if (real === undefined) return undefined;
      try {
        const s = await stat(real);
        if (!s.isFile() && !s.isDirectory()) return undefined;
        return { name: normal.slice(normal.lastIndexOf('/') + 1), kind: s.isDirectory() ? 'folder' : 'file', size: s.isDirectory() ? 0 : s.size, modifiedAt: time(s.mtimeMs) };
      } catch (err) {
        if (isMissing(err) || isHandoffError(err)) return undefined;
        throw err;
      }
    },
  };
}

/** The names of the files and folders in `real` (links and special files drop out, as the plugins skip them). */
async function namesIn(real: string, folder: string): Promise<string[]> {
  let dirents;
  try {
    dirents = await readdir(real, { withFileTypes: true });
  } catch (err) {
    if (isMissing(err)) throw new NotFoundError(`"${folder}" does not exist`);
    throw err;
  }
  // Dirent types are lstat's.
  return dirents.filter((d) => d.isFile() || d.isDirectory()).map((d) => d.name);
}

/** One entry, or undefined when it vanished (or changed into something unlisted) since readdir. */
async function entryAt(full: string, name: string): Promise<FolderEntry | undefined> {
  try {
    const s = await lstat(full);
    if (s.isDirectory()) return { name, kind: 'folder', size: 0, modifiedAt: time(s.mtimeMs) };
    if (s.isFile()) return { name, kind: 'file', size: s.size, modifiedAt: time(s.mtimeMs) };
    return undefined;
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/** Whole milliseconds, never before the epoch (the wire carries no negative times). */
function time(ms: number): number {
  return Math.max(0, Math.floor(ms));
}
