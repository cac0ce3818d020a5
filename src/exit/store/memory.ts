/**
 * The in-memory exit queue store: tests and embedding. Same contract as the SQL stores (all pass
 * `exitQueueStoreSuite`); every method changes its state synchronously, so each is atomic.
 */
import { compareBytes, equalBytes, toHex } from '../../core/bytes.js';
import type { SegmentCursor } from '../../metainfo/metabase/types.js';
import { FULL_EXIT, type ExitQueueStore, type FinishedItem, type FinishExit, type ListExits, type NewExit, type NewExitQueueItem } from '../queue-store.js';
import type { ExitQueueItem, ExitRecord, TransferError } from '../types.js';
import {
  requireCount,
  requireCursor,
  requireFinishedItem,
  requireFinishExit,
  requireId,
  requireIds,
  requireListExits,
  requireNewExit,
  requireNewItems,
  requireTransferError,
} from './validate.js';

interface Exit {
  record: ExitRecord;
  /** Keyed by the piece id in hex. */
  readonly queue: Map<string, ExitQueueItem>;
}

/**
 * @example
 * ```ts
 * const exits = new MemoryExitQueueStore();
 * const { created } = await exits.startExit(nodeId, Date.now());
 * await exits.enqueue(nodeId, items, cursor);
 * const next = await exits.nextItems(nodeId, 10, inFlight);
 * ```
 */
export class MemoryExitQueueStore implements ExitQueueStore {
  readonly #exits = new Map<string, Exit>();
  /** Archived records, in the order they were archived. */
  readonly #archive: ExitRecord[] = [];

  async startExit(nodeId: Uint8Array, at: number, exit: NewExit = FULL_EXIT): Promise<{ readonly record: ExitRecord; readonly created: boolean }> {
    requireId(nodeId, 'nodeId');
    requireCount(at, 'at');
    requireNewExit(exit);
    const key = toHex(nodeId);
    const known = this.#exits.get(key);
    if (known) return { record: copyRecord(known.record), created: false };
    const record: ExitRecord = {
      nodeId: nodeId.slice(),
      kind: exit.kind,
      targetBytes: exit.targetBytes,
      policy: exit.policy,
      initiatedAt: at,
      startingBytes: 0,
      gatherCursor: undefined,
      gatheredAt: exit.policy === 'time-based' ? at : null,
      piecesQueued: 0,
      piecesTransferred: 0,
      piecesDropped: 0,
      piecesFailed: 0,
      bytesTransferred: 0,
      lastActivityAt: at,
      finishedAt: null,
      outcome: null,
      failureReason: null,
      failureDetail: null,
      receipt: null,
      archivedAt: null,
    };
    this.#exits.set(key, { record, queue: new Map() });
    return { record: copyRecord(record), created: true };
  }

  async getExit(nodeId: Uint8Array): Promise<ExitRecord | undefined> {
    requireId(nodeId, 'nodeId');
    const exit = this.#exits.get(toHex(nodeId));
    return exit && copyRecord(exit.record);
  }

  async listExits(options: ListExits = {}): Promise<ExitRecord[]> {
    requireListExits(options);
    const out: ExitRecord[] = [];
    const current = [...this.#exits.values()].map((e) => e.record);
    for (const record of options.unfinished ? current : [...current, ...this.#archive]) {
      if (options.nodeId !== undefined && !equalBytes(record.nodeId, options.nodeId)) continue;
      if (options.unfinished && record.finishedAt !== null) continue;
      if (options.finishedFrom !== undefined && (record.finishedAt === null || record.finishedAt < options.finishedFrom)) continue;
      if (options.finishedTo !== undefined && (record.finishedAt === null || record.finishedAt >= options.finishedTo)) continue;
      out.push(copyRecord(record));
    }
    return out.sort((a, b) => a.initiatedAt - b.initiatedAt || compareBytes(a.nodeId, b.nodeId));
  }

  async archiveExit(nodeId: Uint8Array, at: number): Promise<ExitRecord | undefined> {
    requireId(nodeId, 'nodeId');
    requireCount(at, 'at');
    const key = toHex(nodeId);
    const exit = this.#exits.get(key);
    if (!exit || exit.record.finishedAt === null) return undefined;
    const archived: ExitRecord = { ...exit.record, archivedAt: at };
    this.#archive.push(archived);
    this.#exits.delete(key);
    return copyRecord(archived);
  }

  async enqueue(nodeId: Uint8Array, items: readonly NewExitQueueItem[], cursor: SegmentCursor): Promise<void> {
    requireId(nodeId, 'nodeId');
    requireNewItems(items);
    requireCursor(cursor);
    const exit = this.#exits.get(toHex(nodeId));
    if (!exit || exit.record.finishedAt !== null) return;
    let added = 0;
    let bytes = 0;
    for (const item of items) {
      const key = toHex(item.pieceId);
      const queued = exit.queue.get(key);
      if (queued) {
        if (item.durability < queued.durability) exit.queue.set(key, { ...queued, durability: item.durability });
        continue;
      }
      exit.queue.set(key, {
        nodeId: nodeId.slice(),
        pieceId: item.pieceId.slice(),
        rootPieceId: item.rootPieceId.slice(),
        pieceNumber: item.pieceNumber,
        streamId: item.streamId.slice(),
        position: { part: item.position.part, index: item.position.index },
        pieceSize: item.pieceSize,
        durability: item.durability,
        drop: item.drop,
        queuedAt: item.queuedAt,
        failedCount: 0,
        sendCount: 0,
        lastFailedAt: null,
        lastFailedCode: null,
        triedNodes: [],
      });
      added++;
      bytes += item.pieceSize;
    }
    exit.record = {
      ...exit.record,
      gatherCursor: { streamId: cursor.streamId.slice(), position: { part: cursor.position.part, index: cursor.position.index } },
      startingBytes: exit.record.startingBytes + bytes,
      piecesQueued: exit.record.piecesQueued + added,
    };
  }

  async finishGathering(nodeId: Uint8Array, at: number): Promise<void> {
    requireId(nodeId, 'nodeId');
    requireCount(at, 'at');
    const exit = this.#exits.get(toHex(nodeId));
    if (!exit || exit.record.gatheredAt !== null) return;
    if (exit.record.kind === 'partial' && exit.record.finishedAt === null) keepHealthiest(exit, exit.record.targetBytes ?? 0);
    exit.record = { ...exit.record, gatheredAt: at };
  }

  async nextItems(nodeId: Uint8Array, limit: number, exclude: readonly Uint8Array[]): Promise<ExitQueueItem[]> {
    requireId(nodeId, 'nodeId');
    requireCount(limit, 'limit');
    requireIds(exclude, 'exclude');
    const exit = this.#exits.get(toHex(nodeId));
    if (!exit || limit === 0) return [];
    const skip = new Set(exclude.map(toHex));
    const candidates = [...exit.queue.entries()].filter(([key]) => !skip.has(key)).map(([, item]) => item);
    candidates.sort((a, b) => Number(b.drop) - Number(a.drop) || a.durability - b.durability || compareBytes(a.pieceId, b.pieceId));
    return candidates.slice(0, limit).map(copyItem);
  }

  async getItem(nodeId: Uint8Array, pieceId: Uint8Array): Promise<ExitQueueItem | undefined> {
    requireId(nodeId, 'nodeId');
    requireId(pieceId, 'pieceId');
    const item = this.#exits.get(toHex(nodeId))?.queue.get(toHex(pieceId));
    return item && copyItem(item);
  }

  async queueLength(nodeId: Uint8Array): Promise<number> {
    requireId(nodeId, 'nodeId');
    return this.#exits.get(toHex(nodeId))?.queue.size ?? 0;
  }

  async recordSend(nodeId: Uint8Array, pieceId: Uint8Array, replacementNodeId: Uint8Array): Promise<ExitQueueItem | undefined> {
    requireId(nodeId, 'nodeId');
    requireId(pieceId, 'pieceId');
    requireId(replacementNodeId, 'replacementNodeId');
    return this.#update(nodeId, pieceId, (item) => ({
      ...item,
      sendCount: item.sendCount + 1,
      triedNodes: [...item.triedNodes, replacementNodeId.slice()],
    }));
  }

  async recordFailure(
    nodeId: Uint8Array,
    pieceId: Uint8Array,
    failure: { readonly code: TransferError; readonly at: number; readonly counts: boolean },
  ): Promise<ExitQueueItem | undefined> {
    requireId(nodeId, 'nodeId');
    requireId(pieceId, 'pieceId');
    requireTransferError(failure?.code, 'failure.code');
    requireCount(failure.at, 'failure.at');
    return this.#update(nodeId, pieceId, (item) => ({
      ...item,
      lastFailedAt: failure.at,
      lastFailedCode: failure.code,
      failedCount: item.failedCount + (failure.counts ? 1 : 0),
    }));
  }

  async finishItem(nodeId: Uint8Array, pieceId: Uint8Array, result: FinishedItem, at: number): Promise<boolean> {
    requireId(nodeId, 'nodeId');
    requireId(pieceId, 'pieceId');
    requireFinishedItem(result);
    requireCount(at, 'at');
    const exit = this.#exits.get(toHex(nodeId));
    if (!exit || !exit.queue.delete(toHex(pieceId))) return false;
    const r = exit.record;
    exit.record = {
      ...r,
      piecesTransferred: r.piecesTransferred + (result.kind === 'transferred' ? 1 : 0),
      bytesTransferred: r.bytesTransferred + (result.kind === 'transferred' ? result.bytes : 0),
      piecesDropped: r.piecesDropped + (result.kind === 'dropped' ? 1 : 0),
      piecesFailed: r.piecesFailed + (result.kind === 'failed' ? 1 : 0),
      lastActivityAt: Math.max(r.lastActivityAt, at),
    };
    return true;
  }

  async touch(nodeId: Uint8Array, at: number): Promise<void> {
    requireId(nodeId, 'nodeId');
    requireCount(at, 'at');
    const exit = this.#exits.get(toHex(nodeId));
    if (exit) exit.record = { ...exit.record, lastActivityAt: Math.max(exit.record.lastActivityAt, at) };
  }

  async finishExit(nodeId: Uint8Array, finish: FinishExit): Promise<ExitRecord | undefined> {
    requireId(nodeId, 'nodeId');
    requireFinishExit(finish);
    const exit = this.#exits.get(toHex(nodeId));
    if (!exit || exit.record.finishedAt !== null) return undefined;
    exit.record = {
      ...exit.record,
      finishedAt: finish.at,
      outcome: finish.outcome,
      failureReason: finish.reason,
      failureDetail: finish.detail,
      receipt: finish.receipt.slice(),
    };
    exit.queue.clear();
    return copyRecord(exit.record);
  }

  async close(): Promise<void> {}

  #update(nodeId: Uint8Array, pieceId: Uint8Array, change: (item: ExitQueueItem) => ExitQueueItem): ExitQueueItem | undefined {
    const queue = this.#exits.get(toHex(nodeId))?.queue;
    const key = toHex(pieceId);
    const item = queue?.get(key);
    if (!queue || !item) return undefined;
    const next = change(item);
    queue.set(key, next);
    return copyItem(next);
  }
}

/**
 * A partial exit's choice: the pieces of the healthiest segments (highest durability, then piece
 * id) until their sizes reach `target`, each as a transfer; the rest leave the queue uncounted.
 */
function keepHealthiest(exit: Exit, target: number): void {
  const items = [...exit.queue.values()].sort((a, b) => b.durability - a.durability || compareBytes(a.pieceId, b.pieceId));
  let kept = 0;
  let bytes = 0;
  exit.queue.clear();
  for (const item of items) {
    if (bytes >= target) break;
    exit.queue.set(toHex(item.pieceId), { ...item, drop: false });
    kept++;
    bytes += item.pieceSize;
  }
  exit.record = { ...exit.record, piecesQueued: kept, startingBytes: bytes };
}

function copyRecord(r: ExitRecord): ExitRecord {
  return {
    ...r,
    nodeId: r.nodeId.slice(),
    gatherCursor: r.gatherCursor && { streamId: r.gatherCursor.streamId.slice(), position: { ...r.gatherCursor.position } },
    receipt: r.receipt && r.receipt.slice(),
  };
}

function copyItem(item: ExitQueueItem): ExitQueueItem {
  return {
    ...item,
    nodeId: item.nodeId.slice(),
    pieceId: item.pieceId.slice(),
    rootPieceId: item.rootPieceId.slice(),
    streamId: item.streamId.slice(),
    position: { ...item.position },
    triedNodes: item.triedNodes.map((id) => id.slice()),
  };
}
