/**
 * The memory store's chunked-move table: operations by id with the keys stored so far, by
 * packed position — what the SQL stores keep in `metabase_move_operations` and
 * `metabase_move_keys`.
 */
import { compareBytes, equalBytes, toHex } from '../../core/bytes.js';
import type { MoveOperation, SegmentKey } from './move.js';
import type { ProjectId } from './types.js';

const copy = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes);

export function cloneOperation(op: MoveOperation, changes: Partial<MoveOperation> = {}): MoveOperation {
  const merged = { ...op, ...changes };
  return {
    ...merged,
    operationId: copy(merged.operationId),
    projectId: copy(merged.projectId),
    streamId: copy(merged.streamId),
    finishedStreamId: merged.finishedStreamId === undefined ? undefined : copy(merged.finishedStreamId),
  };
}

export function cloneKey(key: SegmentKey): SegmentKey {
  return { position: { ...key.position }, encryptedKey: copy(key.encryptedKey), encryptedKeyNonce: copy(key.encryptedKeyNonce) };
}

interface Entry {
  operation: MoveOperation;
  /** Packed position → the re-wrapped key stored for it. */
  readonly keys: Map<number, SegmentKey>;
}

export class MemoryMoveTable {
  readonly #entries = new Map<string, Entry>();

  has(operationId: Uint8Array): boolean {
    return this.#entries.has(toHex(operationId));
  }

  insert(operation: MoveOperation): void {
    this.#entries.set(toHex(operation.operationId), { operation: cloneOperation(operation), keys: new Map() });
  }

  /** The live entry of an operation of `projectId` that has not expired at `now`. */
  live(projectId: ProjectId, operationId: Uint8Array, now: number): Entry | undefined {
    const entry = this.#entries.get(toHex(operationId));
    if (!entry || !equalBytes(entry.operation.projectId, projectId) || entry.operation.expiresAt <= now) return undefined;
    return entry;
  }

  /** Marks an operation finished; its keys are no longer needed. */
  finish(entry: Entry, finishedStreamId: Uint8Array): void {
    entry.operation = cloneOperation(entry.operation, { finishedStreamId });
    entry.keys.clear();
  }

  /** Deletes up to `limit` operations expired at `now`, soonest first; returns how many. */
  deleteExpired(now: number, limit: number): number {
    const expired = [...this.#entries.values()]
      .map((e) => e.operation)
      .filter((op) => op.expiresAt <= now)
      .sort((a, b) => a.expiresAt - b.expiresAt || compareBytes(a.operationId, b.operationId))
      .slice(0, limit);
    for (const op of expired) this.#entries.delete(toHex(op.operationId));
    return expired.length;
  }
}
