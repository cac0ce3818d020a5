/**
 * Small filesystem helpers for the piece store: exact reads and writes, directory fsync, and
 * reading a piece file's tail (format in piece-file.ts).
 */
import { constants, statSync } from 'node:fs';
import { open, readdir, type FileHandle } from 'node:fs/promises';
import { NotFoundError } from '../core/errors.js';
import { parseTail, PIECE_FILE_TAIL_BYTES } from './piece-file.js';

export async function readTail(handle: FileHandle): Promise<{ size: number; headerLength: number } | undefined> {
  const { size: fileSize } = await handle.stat();
  if (fileSize < PIECE_FILE_TAIL_BYTES) return undefined;
  const tail = new Uint8Array(PIECE_FILE_TAIL_BYTES);
  await readExactly(handle, tail, fileSize - PIECE_FILE_TAIL_BYTES);
  return parseTail(tail, fileSize);
}

/** The data size of the piece file at `path`; undefined when it is missing or damaged. */
export async function pieceSize(path: string): Promise<number | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY);
  } catch {
    return undefined;
  }
  try {
    return (await readTail(handle))?.size;
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

export async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length; ) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done);
    done += bytesWritten;
  }
}

export async function readExactly(handle: FileHandle, into: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < into.length; ) {
    const { bytesRead } = await handle.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new NotFoundError('piece file ended early (damaged file)');
    done += bytesRead;
  }
}

/** fsync a directory, so renames and new entries in it are durable. Not possible everywhere (Windows): skipped there. */
export async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(dir, constants.O_RDONLY);
  } catch (err) {
    if (isCode(err, 'EISDIR') || isCode(err, 'EPERM') || isCode(err, 'EACCES')) return;
    throw err;
  }
  try {
    await handle.sync();
  } catch (err) {
    if (!isCode(err, 'EINVAL') && !isCode(err, 'EPERM') && !isCode(err, 'EBADF')) throw err;
  } finally {
    await handle.close();
  }
}

/**
 * Whether `path` exists. A synchronous stat on purpose: a lookup in the kernel's directory cache
 * takes microseconds, while the asynchronous one costs a thread-pool round trip and, for the
 * usual answer on an upload ("no such piece yet"), an ENOENT exception with its stack.
 */
export async function exists(path: string): Promise<boolean> {
  return statSync(path, { throwIfNoEntry: false }) !== undefined;
}

/** Writes every byte of `parts`, in order, with as few system calls as the kernel allows. */
export async function writeAllParts(handle: FileHandle, parts: Uint8Array[]): Promise<void> {
  let rest = parts.filter((part) => part.length > 0);
  while (rest.length > 0) {
    let { bytesWritten } = await handle.writev(rest);
    // A short write: skip what went out, go on with the rest.
    while (rest.length > 0 && bytesWritten >= rest[0]!.length) bytesWritten -= rest.shift()!.length;
    if (bytesWritten > 0) rest[0] = rest[0]!.subarray(bytesWritten);
  }
}

export async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return [];
    throw err;
  }
}

export function isCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
