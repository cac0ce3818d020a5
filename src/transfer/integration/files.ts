/**
 * The files a provider serves, as the core names them (`/<drive>/<path inside the drive>`): the
 * {@link ProviderFiles} port the integration module answers `FilesProvider.ListFolder` and
 * `FilesProvider.Stat` from, the one mapping from a core path to a path under the provider's
 * root (shared with the plugins' source and destination paths), the paging rules, and
 * {@link MemoryProviderFiles} for embedding and tests. The filesystem implementation is
 * `filesystemFiles` in `fs-files.ts` (Node only, so not exported from `handoff/transfer`).
 */
import { InvalidArgumentError, NotFoundError } from '../../core/errors.js';
import { MAX_ENTRY_NAME_LENGTH, MAX_FOLDER_PAGE, type FolderEntry, type FolderPage, type FolderPageRequest } from '../core/ports.js';
import { normalizePath } from '../core/requests.js';

/**
 * A provider's files. Both methods take a core path; a path that is not absolute, has `.` or
 * `..` segments or NUL is an `InvalidArgumentError`, and nothing outside the provider's root is
 * ever read (a path that would lead there is a `NotFoundError`, as a missing one is).
 */
export interface ProviderFiles {
  /**
   * One page of the folder `path`: files and folders only (links and special files are not
   * listed, as the plugins do not transfer them), names in ascending order. `NotFoundError`
   * when the folder does not exist, `InvalidArgumentError` when `path` is a file.
   */
  list(path: string, page?: FolderPageRequest): Promise<FolderPage>;
  /** What is at `path` (its name is the last segment), or undefined when nothing is. */
  stat(path: string): Promise<FolderEntry | undefined>;
}

/**
 * The local path of a core path under `root`: `/4123/results` is `<root>/4123/results`. The
 * providers' plugins map task paths with it too, so a listing and a transfer read the same place.
 * Refuses what {@link normalizePath} refuses (relative paths, `.` and `..`, NUL), so the result
 * is always under `root` — before links are followed; {@link filesystemFiles} checks those too.
 *
 * @example
 * ```ts
 * localPath('/srv/files', '/4123/results/a.csv'); // '/srv/files/4123/results/a.csv'
 * localPath('/srv/files', '/4123/../etc');        // throws InvalidArgumentError
 * ```
 */
export function localPath(root: string, corePath: string): string {
  // No node:path here: this module is part of the browser-safe `handoff/transfer`.
  return `${root.replace(/\/+$/, '')}${normalizePath('path', corePath)}`;
}

/** A page request checked: a limit in 1..{@link MAX_FOLDER_PAGE} (default the most) and an optional cursor. */
export function checkPageRequest(page: FolderPageRequest = {}): { cursor: string | undefined; limit: number } {
  const limit = page.limit ?? MAX_FOLDER_PAGE;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_FOLDER_PAGE) {
    throw new InvalidArgumentError(`"limit" expected a whole number from 1 to ${MAX_FOLDER_PAGE}, got ${String(limit)}`);
  }
  const cursor = page.cursor;
  if (cursor !== undefined && (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > MAX_ENTRY_NAME_LENGTH * 4)) {
    throw new InvalidArgumentError('"cursor" expected the nextCursor of an earlier page');
  }
  return { cursor, limit };
}

/** Orders names by UTF-16 code units: the same order everywhere, whatever the locale. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True for a name a listing may carry: no `/` or NUL, not `.` or `..`, not empty, not too long. */
export function isListableName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0') && name.length <= MAX_ENTRY_NAME_LENGTH;
}

/**
 * The names of one page out of a folder's names (any order): those after the cursor, sorted, at
 * most `limit`, and whether more follow.
 */
export function pageOfNames(names: readonly string[], request: { cursor: string | undefined; limit: number }): { names: string[]; more: boolean } {
  return pageOfSortedNames(sortedListableNames(names), request);
}

/** A folder's listable names, sorted: what {@link pageOfSortedNames} pages through. */
export function sortedListableNames(names: readonly string[]): string[] {
  return names.filter(isListableName).sort(compareNames);
}

/** {@link pageOfNames} over names already sorted and listable: the cursor found by binary search. */
export function pageOfSortedNames(sorted: readonly string[], request: { cursor: string | undefined; limit: number }): { names: string[]; more: boolean } {
  const after = request.cursor;
  let start = 0;
  if (after !== undefined) {
    let end = sorted.length;
    while (start < end) {
      const mid = (start + end) >>> 1;
      if (sorted[mid]! > after) end = mid;
      else start = mid + 1;
    }
  }
  return { names: sorted.slice(start, start + request.limit), more: sorted.length > start + request.limit };
}

interface MemoryNode {
  readonly kind: 'file' | 'folder';
  readonly size: number;
  readonly modifiedAt: number;
}

/**
 * A provider's files in memory.
 *
 * @example
 * ```ts
 * const files = new MemoryProviderFiles().addFolder('/4123/results').addFile('/4123/results/a.csv', 120);
 * await files.list('/4123/results'); // { entries: [{ name: 'a.csv', kind: 'file', size: 120, … }], nextCursor: null }
 * ```
 */
export class MemoryProviderFiles implements ProviderFiles {
  readonly #nodes = new Map<string, MemoryNode>();

  /** Adds a folder and every folder above it. */
  addFolder(path: string, modifiedAt = 0): this {
    const normal = normalizePath('path', path);
    this.#parents(normal, modifiedAt);
    this.#nodes.set(normal, { kind: 'folder', size: 0, modifiedAt });
    return this;
  }

  /** Adds a file of `size` bytes and every folder above it. */
  addFile(path: string, size = 0, modifiedAt = 0): this {
    const normal = normalizePath('path', path);
    this.#parents(normal, modifiedAt);
    this.#nodes.set(normal, { kind: 'file', size, modifiedAt });
    return this;
  }

  /** Removes `path` and everything under it. */
  remove(path: string): this {
    const normal = normalizePath('path', path);
    for (const key of [...this.#nodes.keys()]) if (key === normal || key.startsWith(`${normal}/`)) this.#nodes.delete(key);
    return this;
  }

  async list(path: string, page?: FolderPageRequest): Promise<FolderPage> {
    const request = checkPageRequest(page);
    const folder = normalizePath('path', path);
    const node = this.#nodes.get(folder);
    if (!node) throw new NotFoundError(`"${folder}" does not exist`);
    if (node.kind !== 'folder') throw new InvalidArgumentError(`"${folder}" is a file, not a folder`);
    const children = [...this.#nodes.keys()].filter((k) => k.startsWith(`${folder}/`) && !k.slice(folder.length + 1).includes('/'));
    const { names, more } = pageOfNames(children.map((k) => k.slice(folder.length + 1)), request);
    const entries = names.map((name) => ({ name, ...this.#nodes.get(`${folder}/${name}`)! }));
    return { entries, nextCursor: more ? names.at(-1)! : null };
  }

  async stat(path: string): Promise<FolderEntry | undefined> {
    const normal = normalizePath('path', path);
    const node = this.#nodes.get(normal);
    return node && { name: normal.slice(normal.lastIndexOf('/') + 1), ...node };
  }

  #parents(path: string, modifiedAt: number): void {
    const segments = path.split('/').slice(1, -1);
    for (let i = 1; i <= segments.length; i++) {
      const parent = `/${segments.slice(0, i).join('/')}`;
      if (this.#nodes.get(parent)?.kind === 'file') throw new InvalidArgumentError(`"${parent}" is a file, not a folder`);
      if (!this.#nodes.has(parent)) this.#nodes.set(parent, { kind: 'folder', size: 0, modifiedAt });
    }
  }
}
