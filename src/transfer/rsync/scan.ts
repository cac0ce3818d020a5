/**
 * The fixed total behind our percentage: the bytes of every regular file under the source,
 * measured once before the first run (symlinks are sent as links, so they count as nothing).
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError } from '../../core/errors.js';

/** The size of a source tree. */
export interface TreeSize {
  readonly bytes: number;
  readonly files: number;
  readonly kind: 'file' | 'directory' | 'other';
}

/**
 * Sums the sizes of the regular files under `path` (or of `path` itself). Throws `NotFoundError`
 * when `path` does not exist. Entries that vanish while scanning are skipped.
 *
 * @example
 * ```ts
 * const { bytes } = await measureTree('/data/projects/run-17');
 * ```
 */
export async function measureTree(path: string): Promise<TreeSize> {
  let root;
  try {
    root = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`the source ${path} does not exist`, { cause: err });
    throw err;
  }
  if (root.isFile()) return { bytes: root.size, files: 1, kind: 'file' };
  if (!root.isDirectory()) return { bytes: 0, files: 0, kind: 'other' };
  let bytes = 0;
  let files = 0;
  const pending = [path];
  while (pending.length > 0) {
    const dir = pending.pop() as string;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) pending.push(full);
      else if (entry.isFile()) {
        try {
          bytes += (await lstat(full)).size;
          files += 1;
        } catch {
          // vanished meanwhile: rsync will report it (exit 24)
        }
      }
    }
  }
  return { bytes, files, kind: 'directory' };
}
