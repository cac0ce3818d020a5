/**
 * The in-memory node exit store: tests and embedding. Same contract as the SQL stores (all pass
 * `nodeExitStoreSuite`).
 */
import { compareBytes, toHex } from '../../core/bytes.js';
import type { NodeExitFinish, NodeExitStore } from '../node-store.js';
import type { NodeExitStatus } from '../types.js';
import { requireCount, requireId, requireNodeExitFinish } from '../store/validate.js';

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

  async start(satelliteId: Uint8Array, startingBytes: number, at: number): Promise<NodeExitStatus> {
    requireId(satelliteId, 'satelliteId');
    requireCount(startingBytes, 'startingBytes');
    requireCount(at, 'at');
    const key = toHex(satelliteId);
    let status = this.#exits.get(key);
    if (!status) {
      status = {
        satelliteId: satelliteId.slice(),
        state: 'exiting',
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
    return [...this.#exits.values()].sort((a, b) => a.startedAt - b.startedAt || compareBytes(a.satelliteId, b.satelliteId)).map(copy);
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

function copy(status: NodeExitStatus): NodeExitStatus {
  return { ...status, satelliteId: status.satelliteId.slice(), receipt: status.receipt && status.receipt.slice() };
}
