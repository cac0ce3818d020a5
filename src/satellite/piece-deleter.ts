/**
 * Best-effort deletion of pieces no segment references any more (object deleted, upload
 * aborted or expired): the satellite signs a DELETE limit per piece and sends it to the node.
 * Failures are dropped: nodes that miss a delete find the garbage by other means later.
 */
import type { Clock } from '../core/clock.js';
import type { Identity } from '../crypto/identity.js';
import type { SegmentRecord } from '../metainfo/metabase/types.js';
import { derivePieceId } from '../orders/piece-id.js';
import { signPieceLimit } from '../orders/piece-limit.js';
import type { OverlayStore } from '../overlay/port.js';
import { deletePiece } from '../piecestore/client.js';
import { RpcClient } from '../rpc/client.js';
import { NodeId } from '../crypto/node-id.js';
import type { Transport } from '../transport/types.js';

interface PendingDelete {
  nodeId: Uint8Array;
  pieceId: Uint8Array;
}

export class PieceDeleter {
  readonly #queue: PendingDelete[] = [];
  readonly #clients = new Map<string, RpcClient>();
  #active = 0;
  #idle: Array<() => void> = [];
  #closed = false;

  constructor(
    private readonly deps: { identity: Identity; overlay: OverlayStore; transport: Transport; clock: Clock; concurrency?: number; maxQueue?: number },
  ) {}

  /** Queues deletes for every remote piece of `segments` (dropped beyond the queue limit). */
  enqueue(segments: readonly SegmentRecord[]): void {
    if (this.#closed) return;
    const max = this.deps.maxQueue ?? 100_000;
    for (const segment of segments) {
      for (const piece of segment.pieces) {
        if (this.#queue.length >= max) return;
        this.#queue.push({ nodeId: piece.nodeId, pieceId: derivePieceId(segment.rootPieceId, piece.nodeId, piece.number) });
      }
    }
    this.#pump();
  }

  /** Queues the delete of one piece on one node (e.g. a graceful-exit replacement no segment uses). */
  enqueuePiece(nodeId: Uint8Array, pieceId: Uint8Array): void {
    if (this.#closed || this.#queue.length >= (this.deps.maxQueue ?? 100_000)) return;
    this.#queue.push({ nodeId, pieceId });
    this.#pump();
  }

  /** Resolves once the queue is empty and nothing is in flight. */
  async drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#active > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#queue.length = 0;
    // Closing the clients first ends deletes in flight at once (a node that is down would hold
    // close() for the whole call deadline); no delete makes a client after this.
    await Promise.all([...this.#clients.values()].map((client) => client.close()));
    await this.drain();
  }

  #pump(): void {
    const concurrency = this.deps.concurrency ?? 4;
    while (this.#active < concurrency && this.#queue.length > 0) {
      const next = this.#queue.shift()!;
      this.#active++;
      void this.#delete(next)
        .catch(() => undefined)
        .finally(() => {
          this.#active--;
          this.#pump();
          if (this.#active === 0 && this.#queue.length === 0) for (const wake of this.#idle.splice(0)) wake();
        });
    }
  }

  async #delete({ nodeId, pieceId }: PendingDelete): Promise<void> {
    const node = await this.deps.overlay.get(nodeId);
    if (this.#closed || !node || node.status === 'exited' || node.status === 'disqualified') return;
    const { identity, clock, transport } = this.deps;
    // A delete carries no data: no piece key is involved.
    const limit = signPieceLimit(identity, { action: 'DELETE', nodeId, pieceId, limitBytes: 0, piecePublicKey: new Uint8Array(32) }, clock.now(), 3600_000);
    const key = Buffer.from(nodeId).toString('hex');
    let client = this.#clients.get(key);
    if (!client || client.address !== node.address) {
      await client?.close();
      if (this.#closed) return;
      client = new RpcClient({ transport, address: node.address, identity, expectedPeer: NodeId.fromPublicKey(nodeId), maxIdleConnections: 1 });
      this.#clients.set(key, client);
    }
    await deletePiece(client, limit, { timeoutMs: 10_000 });
  }
}
