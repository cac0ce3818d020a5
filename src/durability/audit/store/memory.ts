/** The in-memory containment store: tests and embedding. */
import { equalBytes } from '../../../core/bytes.js';
import type { SegmentPosition, StreamId } from '../../../metainfo/metabase/types.js';
import type { ContainmentStore } from '../containment-store.js';
import type { PendingAudit } from '../types.js';
import { pendingKey, requireKey, requireLimit, requireNodeId, requirePending } from './validate.js';

const copy = (p: PendingAudit): PendingAudit => ({
  ...p, nodeId: p.nodeId.slice(), streamId: p.streamId.slice(), rootPieceId: p.rootPieceId.slice(), position: { ...p.position },
});

/**
 * @example
 * ```ts
 * const containment = new MemoryContainmentStore();
 * const pending = await containment.list(10);
 * ```
 */
export class MemoryContainmentStore implements ContainmentStore {
  readonly #pending = new Map<string, PendingAudit>();

  async contain(pending: PendingAudit): Promise<boolean> {
    requirePending(pending);
    const key = pendingKey(pending.nodeId, pending.streamId, pending.position);
    if (this.#pending.has(key)) return false;
    this.#pending.set(key, copy(pending));
    return true;
  }

  async get(nodeId: Uint8Array, streamId: StreamId, position: SegmentPosition): Promise<PendingAudit | undefined> {
    requireKey(nodeId, streamId, position);
    const found = this.#pending.get(pendingKey(nodeId, streamId, position));
    return found && copy(found);
  }

  async list(limit: number): Promise<PendingAudit[]> {
    requireLimit(limit);
    return [...this.#pending.entries()]
      .sort(([ka, a], [kb, b]) => a.containedAt - b.containedAt || (ka < kb ? -1 : ka > kb ? 1 : 0))
      .slice(0, limit)
      .map(([, p]) => copy(p));
  }

  async listForNode(nodeId: Uint8Array): Promise<PendingAudit[]> {
    requireNodeId(nodeId);
    return [...this.#pending.values()].filter((p) => equalBytes(p.nodeId, nodeId)).sort((a, b) => a.containedAt - b.containedAt).map(copy);
  }

  async incrementReverify(nodeId: Uint8Array, streamId: StreamId, position: SegmentPosition): Promise<PendingAudit | undefined> {
    requireKey(nodeId, streamId, position);
    const key = pendingKey(nodeId, streamId, position);
    const found = this.#pending.get(key);
    if (found === undefined) return undefined;
    const next = { ...found, reverifyCount: found.reverifyCount + 1 };
    this.#pending.set(key, next);
    return copy(next);
  }

  async release(nodeId: Uint8Array, streamId: StreamId, position: SegmentPosition): Promise<boolean> {
    requireKey(nodeId, streamId, position);
    return this.#pending.delete(pendingKey(nodeId, streamId, position));
  }

  async count(): Promise<number> {
    return this.#pending.size;
  }

  async close(): Promise<void> {}
}
