/**
 * `handoff cp`: a plan (which file goes to which key, or which object to which file), then the
 * plan run a few at a time over the uplink. Files stream in and out, whatever their size; a
 * download lands under a temporary name and is renamed only when whole, so Ctrl-C or a failure
 * never leaves a half file under a final name (and an upload never commits half an object).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Uplink } from '../../uplink/uplink.js';
import { UsageError } from '../args.js';
import { CommandError } from '../commands/reach.js';
import { asFolder, formatObjectUrl, isRemote, parseObjectUrl, type ObjectUrl } from './url.js';

/** One file or object to copy. */
export type CopyItem =
  | { readonly kind: 'upload'; readonly path: string; readonly bucket: string; readonly key: string; readonly size: number }
  | { readonly kind: 'download'; readonly bucket: string; readonly key: string; readonly path: string; readonly size: number }
  | { readonly kind: 'copy'; readonly bucket: string; readonly key: string; readonly toBucket: string; readonly toKey: string; readonly size: number };

/** Where an item comes from and goes, as the operator writes them. */
export function describe(item: CopyItem): { source: string; destination: string } {
  if (item.kind === 'upload') return { source: item.path, destination: formatObjectUrl(item.bucket, item.key) };
  if (item.kind === 'download') return { source: formatObjectUrl(item.bucket, item.key), destination: item.path };
  return { source: formatObjectUrl(item.bucket, item.key), destination: formatObjectUrl(item.toBucket, item.toKey) };
}

async function statOrUndefined(path: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CommandError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Every regular file under `dir`, as paths relative to it with `/` separators, sorted. */
async function filesUnder(dir: string): Promise<Array<{ rel: string; size: number }>> {
  const found: Array<{ rel: string; size: number }> = [];
  const walk = async (at: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) found.push({ rel: relative(dir, path).split(sep).join('/'), size: (await stat(path)).size });
      // Symbolic links, sockets and devices are not files to copy.
    }
  };
  await walk(dir);
  return found.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/**
 * `root` joined with an object's relative key, refused when the key would climb out of `root`
 * (`../x`, an absolute path): a bucket's names must not write anywhere else on this disk.
 */
export function localPathFor(root: string, relKey: string): string {
  const parts = relKey.split('/');
  if (relKey === '' || parts.some((p) => p === '..' || p === '.' || p === '') || relKey.includes('\0') || relKey.includes('\\')) {
    throw new CommandError(`the object key ${JSON.stringify(relKey)} is not a safe file name here: copy it alone to a path you choose`);
  }
  const path = resolve(root, ...parts);
  if (!path.startsWith(resolve(root) + sep)) throw new CommandError(`the object key ${JSON.stringify(relKey)} would be written outside ${root}`);
  return path;
}

/** What `cp SRC DST` means, as a list of items. */
export async function planCopy(uplink: Uplink, src: string, dst: string, recursive: boolean, signal?: AbortSignal): Promise<CopyItem[]> {
  if (!isRemote(src) && !isRemote(dst)) throw new UsageError('one of SRC and DST must be in the network (hf://bucket/key); for local copies use your shell');
  if (!isRemote(src)) return planUpload(src, parseObjectUrl(dst), recursive);
  const from = parseObjectUrl(src);
  if (isRemote(dst)) {
    if (recursive) throw new UsageError('copying a prefix inside the network is not supported: hf:// to hf:// copies one object (mv moves prefixes)');
    if (from.key === '' || from.key.endsWith('/')) throw new UsageError(`${src} is a folder: name one object`);
    const to = parseObjectUrl(dst);
    const toKey = to.key === '' || to.key.endsWith('/') ? `${to.key}${basename(from.key)}` : to.key;
    const info = await uplink.stat(from.bucket, from.key, signal === undefined ? {} : { signal });
    return [{ kind: 'copy', bucket: from.bucket, key: from.key, toBucket: to.bucket, toKey, size: info.size }];
  }
  return planDownload(uplink, from, dst, recursive, signal);
}

async function planUpload(src: string, to: ObjectUrl, recursive: boolean): Promise<CopyItem[]> {
  const found = await statOrUndefined(src);
  if (found === undefined) throw new CommandError(`${src}: no such file or folder`);
  if (found.isDirectory()) {
    if (!recursive) throw new UsageError(`${src} is a folder: add --recursive to copy what is in it`);
    const prefix = asFolder(to.key);
    return (await filesUnder(src)).map(({ rel, size }) => ({ kind: 'upload', path: join(src, ...rel.split('/')), bucket: to.bucket, key: prefix + rel, size }));
  }
  if (!found.isFile()) throw new CommandError(`${src} is not a regular file`);
  const key = to.key === '' || to.key.endsWith('/') ? `${to.key}${basename(src)}` : to.key;
  return [{ kind: 'upload', path: src, bucket: to.bucket, key, size: found.size }];
}

async function planDownload(uplink: Uplink, from: ObjectUrl, dst: string, recursive: boolean, signal?: AbortSignal): Promise<CopyItem[]> {
  if (recursive) {
    const prefix = asFolder(from.key);
    const items: CopyItem[] = [];
    for await (const item of uplink.listObjects(from.bucket, { prefix, recursive: true, ...(signal === undefined ? {} : { signal }) })) {
      if (item.kind !== 'object') continue;
      items.push({ kind: 'download', bucket: from.bucket, key: item.key, path: localPathFor(dst, item.key.slice(prefix.length)), size: item.size });
    }
    return items;
  }
  if (from.key === '' || from.key.endsWith('/')) throw new UsageError(`${formatObjectUrl(from.bucket, from.key)} is a folder: add --recursive to copy what is in it`);
  const info = await uplink.stat(from.bucket, from.key, signal === undefined ? {} : { signal });
  const there = await statOrUndefined(dst);
  const path = there?.isDirectory() || dst.endsWith('/') || dst.endsWith(sep) ? join(dst, basename(from.key)) : dst;
  return [{ kind: 'download', bucket: from.bucket, key: from.key, path, size: info.size }];
}

export interface RunCopyOptions {
  /** Items in flight at once. */
  readonly parallel: number;
  readonly signal: AbortSignal;
  /** Told of bytes as they move. */
  readonly onBytes: (bytes: number) => void;
  /** Told of each item as it ends. */
  readonly onItem: (item: CopyItem, error?: Error) => void;
}

/** Copies one item. */
async function copyOne(uplink: Uplink, item: CopyItem, signal: AbortSignal, onBytes: (bytes: number) => void): Promise<void> {
  let reported = 0;
  const onProgress = ({ bytesDone }: { bytesDone: number }): void => {
    if (bytesDone > reported) onBytes(bytesDone - reported);
    reported = Math.max(reported, bytesDone);
  };
  if (item.kind === 'upload') {
    await uplink.upload(item.bucket, item.key, createReadStream(item.path), { size: item.size, signal, onProgress });
  } else if (item.kind === 'copy') {
    await uplink.copyObject(item.bucket, item.key, item.toKey, { ...(item.toBucket === item.bucket ? {} : { newBucket: item.toBucket }), overwrite: true, signal });
    onBytes(item.size);
    return;
  } else {
    await mkdir(dirname(item.path), { recursive: true });
    const partial = `${item.path}.handoff-partial-${randomBytes(4).toString('hex')}`;
    try {
      const download = await uplink.downloadStream(item.bucket, item.key, { signal, onProgress });
      await pipeline(Readable.from(download), createWriteStream(partial, { flags: 'wx' }), { signal });
      await rename(partial, item.path);
    } catch (err) {
      await unlink(partial).catch(() => {});
      throw err;
    }
  }
  if (item.size > reported) onBytes(item.size - reported);
}

/** Runs `items`, `parallel` at a time; resolves with those that failed (empty: all copied). */
export async function runCopy(uplink: Uplink, items: readonly CopyItem[], options: RunCopyOptions): Promise<Array<{ item: CopyItem; error: Error }>> {
  const failed: Array<{ item: CopyItem; error: Error }> = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !options.signal.aborted) {
      const item = items[next++]!;
      try {
        await copyOne(uplink, item, options.signal, options.onBytes);
        options.onItem(item);
      } catch (err) {
        if (options.signal.aborted) return;
        failed.push({ item, error: err as Error });
        options.onItem(item, err as Error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.parallel, items.length)) }, worker));
  return failed;
}
