/**
 * The filesystem store's {@link PieceWriter}: one piece written to its temp file, each chunk held
 * back until the next arrives (the last goes out with the header), then fsynced, closed and
 * placed under its final name at commit; the temp file is discarded on any failure or abort.
 */
import { unlink, type FileHandle } from 'node:fs/promises';
import { FailedPreconditionError } from '../core/errors.js';
import { writeAll, writeAllParts } from './fs-io.js';
import { encodeTrailer } from './piece-file.js';
import type { PieceCommit, PieceWriter, StoredPieceHeader } from './store.js';

/**
 * A writer of the piece file open at `handle` (the temp file `tmpPath`): `place` moves it under its
 * final name once written (and fsynced, with `fsync`), and `committed` is told its data size after.
 */
export function fsPieceWriter(
  handle: FileHandle,
  tmpPath: string,
  { fsync, place, committed }: { readonly fsync: boolean; place(): Promise<void>; committed(size: number): void },
): PieceWriter {
  let size = 0;
  /**
   * The latest chunk, not written yet: it goes out with the next chunk, or with the header at
   * commit — one write fewer per piece (a piece is often a single chunk).
   */
  let held: Uint8Array | undefined;
  /** Called once `held` is in the file (see `PieceWriter.write`). */
  let heldRelease: (() => void) | undefined;
  let state: 'open' | 'committing' | 'committed' | 'aborted' = 'open';
  const ensureOpen = (): void => {
    if (state !== 'open') throw new FailedPreconditionError(`piece writer is ${state}`);
  };
  const discard = async (): Promise<void> => {
    state = 'aborted';
    held = undefined;
    heldRelease = undefined;
    await handle.close().catch(() => undefined);
    await unlink(tmpPath).catch(() => undefined);
  };
  return {
    get size() {
      return size;
    },
    write: async (chunk, release) => {
      ensureOpen();
      const previous = held;
      const previousRelease = heldRelease;
      held = chunk;
      heldRelease = release;
      size += chunk.length;
      if (previous === undefined) return;
      try {
        await writeAll(handle, previous);
      } catch (err) {
        await discard();
        throw err;
      }
      previousRelease?.();
    },
    commit: async (commit: PieceCommit) => {
      ensureOpen();
      state = 'committing';
      try {
        const header: StoredPieceHeader = { orderLimit: commit.orderLimit, uplinkPieceHash: commit.uplinkPieceHash, size, storedAt: commit.storedAt };
        const trailer = encodeTrailer(header);
        await writeAllParts(handle, held === undefined ? [trailer] : [held, trailer]);
        const release = heldRelease;
        held = undefined;
        heldRelease = undefined;
        release?.();
        if (fsync) await handle.sync();
        await handle.close();
        await place();
        state = 'committed';
        committed(size);
      } catch (err) {
        await discard();
        throw err;
      }
    },
    abort: async () => {
      if (state === 'open') await discard();
    },
  };
}
