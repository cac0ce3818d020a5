/**
 * The in-memory node exit store: tests and embedding. Same contract as the SQL stores (all pass
 * `nodeExitStoreSuite`).
 */
import { compareBytes, equalBytes, toHex } from '../../core/bytes.js';
import { FULL_NODE_EXIT, type NodeExitFinish, type NodeExitStart, type NodeExitStore } from '../node-store.js';
import type { NodeExitStatus } from '../types.js';
import { requireCount, requireId, requireNodeExitFinish, requireNodeExitStart } from '../store/validate.js';

/**
 * @example
 * ```ts
 * const exits = new MemoryNodeExitStore();
 * await exits.start(satelliteId, bytesHeld, Date.now());
 * await exits.addTransferred(satelliteId, pieceSize);
 * ```
 */
export class MemoryNodeExitStore implements NodeExitStore {
  readonly #exits = new Map<string, NodeExitStatus>();
  /** Archived exits, in the order they were archived. */
  readonly #archive: NodeExitStatus[] = [];

  async start(satelliteId: Uint8Array, startingBytes: number, at: number, exit: NodeExitStart = FULL_NODE_EXIT): Promise<NodeExitStatus> {
    requireId(satelliteId, 'satelliteId');
    requireCount(startingBytes, 'startingBytes');
    requireCount(at, 'at');
    requireNodeExitStart(exit);
    const key = toHex(satelliteId);
    let status = this.#exits.get(key);
    if (!status) {
      status = {
        satelliteId: satelliteId.slice(),
        state: 'exiting',
        kind: exit.kind,
        targetBytes: exit.targetBytes,
        policy: exit.policy,
        bandwidth: exit.bandwidth,
        startedAt: at,
        startingBytes,
        bytesTransferred: 0,
        piecesTransferred: 0,
        piecesFailed: 0,
        bytesDeleted: 0,
        piecesDeleted: 0,
        finishedAt: null,
        failureReason: null,
        receipt: null,
        wiped: false,
        archivedAt: null,
      };
      this.#exits.set(key, status);
    }
    return copy(status);
  }

  async get(satelliteId: Uint8Array): Promise<NodeExitStatus | undefined> {
    requireId(satelliteId, 'satelliteId');
    const status = this.#exits.get(toHex(satelliteId));
    return status && copy(status);
  }

  async list(): Promise<NodeExitStatus[]> {
    return [...this.#exits.values()].sort(oldestFirst).map(copy);
  }

  async history(satelliteId?: Uint8Array): Promise<NodeExitStatus[]> {
    if (satelliteId !== undefined) requireId(satelliteId, 'satelliteId');
    const mine = satelliteId === undefined ? this.#archive : this.#archive.filter((s) => equalBytes(s.satelliteId, satelliteId));
    return [...mine].sort(oldestFirst).map(copy);
  }

  async archive(satelliteId: Uint8Array, at: number): Promise<boolean> {
    requireId(satelliteId, 'satelliteId');
    requireCount(at, 'at');
    const key = toHex(satelliteId);
    const status = this.#exits.get(key);
    if (!status || status.state === 'exiting') return false;
    this.#archive.push({ ...status, archivedAt: at });
    this.#exits.delete(key);
    return true;
  }

  async addTransferred(satelliteId: Uint8Array, bytes: number): Promise<void> {
    requireId(satelliteId, 'satelliteId');
    requireCount(bytes, 'bytes');
    this.#change(satelliteId, (s) =>
      s.state === 'exiting' ? { ...s, bytesTransferred: s.bytesTransferred + bytes, piecesTransferred: s.piecesTransferred + 1 } : s,
    );
  }

  async addFailed(satelliteId: Uint8Array): Promise<void> {
    requireId(satelliteId, 'satelliteId');
    this.#change(satelliteId, (s) => (s.state === 'exiting' ? { ...s, piecesFailed: s.piecesFailed + 1 } : s));
  }

  async addDeleted(satelliteId: Uint8Array, bytes: number): Promise<void> {
    requireId(satelliteId, 'satelliteId');
    requireCount(bytes, 'bytes');
    this.#change(satelliteId, (s) => ({ ...s, bytesDeleted: s.bytesDeleted + bytes, piecesDeleted: s.piecesDeleted + 1 }));
  }

  async finish(satelliteId: Uint8Array, finish: NodeExitFinish): Promise<NodeExitStatus | undefined> {
    requireId(satelliteId, 'satelliteId');
    requireNodeExitFinish(finish);
    const status = this.#exits.get(toHex(satelliteId));
    if (!status || status.state !== 'exiting') return undefined;
    const finished: NodeExitStatus = {
      ...status,
      state: finish.state,
      failureReason: finish.failureReason,
      receipt: finish.receipt.slice(),
      finishedAt: finish.at,
    };
    this.#exits.set(toHex(satelliteId), finished);
    return copy(finished);
  }

  async markWiped(satelliteId: Uint8Array): Promise<void> {
    requireId(satelliteId, 'satelliteId');
    this.#change(satelliteId, (s) => (s.state === 'exiting' ? s : { ...s, wiped: true }));
  }

  async close(): Promise<void> {}

  #change(satelliteId: Uint8Array, change: (status: NodeExitStatus) => NodeExitStatus): void {
    const key = toHex(satelliteId);
    const status = this.#exits.get(key);
    if (status) this.#exits.set(key, change(status));
  }
}

function oldestFirst(a: NodeExitStatus, b: NodeExitStatus): number {
  return a.startedAt - b.startedAt || compareBytes(a.satelliteId, b.satelliteId) || (a.archivedAt ?? 0) - (b.archivedAt ?? 0);
}

function copy(status: NodeExitStatus): NodeExitStatus {
  return { ...status, satelliteId: status.satelliteId.slice(), receipt: status.receipt && status.receipt.slice() };
}
