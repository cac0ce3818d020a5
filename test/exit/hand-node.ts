/**
 * An exiting node driven by hand: the test speaks `GracefulExit.Process` itself with the node's
 * identity and reads the node's stored pieces to build proofs — honest ones with the node's own
 * transfer code, or whatever forgery the story needs.
 */
import { expect } from 'vitest';
import type { Identity } from '../../src/crypto/identity.js';
import { NodeId } from '../../src/crypto/node-id.js';
import { GracefulExitProcess, type NodeExitMessage, type SatelliteExitMessage } from '../../src/exit/messages.js';
import { transferPiece } from '../../src/exit/piece-transfer.js';
import type { TransferPieceMessage } from '../../src/exit/worker.js';
import type { StoredPieceHeader } from '../../src/piecestore/store.js';
import { RpcClient } from '../../src/rpc/client.js';
import type { ClientStream } from '../../src/rpc/client-stream.js';
import type { ExitNetwork, ExitNodeHandle } from './harness.js';

export type ExitStream = ClientStream<NodeExitMessage, SatelliteExitMessage>;
export type TransferSucceeded = Extract<NodeExitMessage, { type: 'transferSucceeded' }>;

export class HandDrivenNode {
  readonly #satellite: RpcClient;
  readonly #peers = new Map<string, RpcClient>();

  /** Speaks for `handle` (stop its real node first), as `identity` (the node's own by default). */
  constructor(
    readonly network: ExitNetwork,
    readonly handle: ExitNodeHandle,
    readonly identity: Identity = handle.identity,
  ) {
    this.#satellite = new RpcClient({ transport: network.transport(`hand-${handle.index}`), address: network.satellite.address, identity, expectedPeer: network.satellite.id });
  }

  get satelliteId(): Uint8Array {
    return this.network.satellite.id.bytes;
  }

  open(): Promise<ExitStream> {
    return this.#satellite.stream(GracefulExitProcess);
  }

  /** The first `Process` call starts the exit (answered NotReady); then the satellite gathers. */
  async initiate(): Promise<void> {
    const stream = await this.open();
    expect((await stream.receive())?.type).toBe('notReady');
    expect(await stream.receive()).toBeUndefined();
    await this.network.satellite.exits.gather();
  }

  /**
   * Opens a new stream after abandoning one, and takes its first message. The satellite may not
   * have seen the old stream go yet (it refuses a second one): asks again, a bounded number of times.
   */
  async reconnect(): Promise<{ stream: ExitStream; first: SatelliteExitMessage }> {
    for (let attempt = 1; ; attempt++) {
      const stream = await this.open();
      try {
        const first = await stream.receive();
        if (first === undefined) throw new Error('the satellite ended the stream without a message');
        return { stream, first };
      } catch (err) {
        if ((err as Error).name !== 'FailedPreconditionError' || attempt >= 50) throw err;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  }

  /** The node's stored piece: its header (original limit and uplink hash) and bytes. */
  async stored(pieceId: Uint8Array): Promise<{ header: StoredPieceHeader; data: Uint8Array }> {
    const header = await this.handle.pieces.header(this.satelliteId, pieceId);
    const data = new Uint8Array(header.size);
    let at = 0;
    for await (const chunk of this.handle.pieces.read(this.satelliteId, pieceId, { offset: 0, length: header.size })) {
      data.set(chunk, at);
      at += chunk.length;
    }
    return { header, data };
  }

  /** A client for another node, as this node. */
  dial(address: string, nodeId: Uint8Array): RpcClient {
    const key = `${address}/${NodeId.fromPublicKey(nodeId).toString()}`;
    let client = this.#peers.get(key);
    if (client === undefined) {
      client = new RpcClient({ transport: this.network.transport(`hand-${this.handle.index}`), address, identity: this.identity, expectedPeer: NodeId.fromPublicKey(nodeId) });
      this.#peers.set(key, client);
    }
    return client;
  }

  /** Makes the transfer the satellite asked for, as the real worker does, and returns the report. */
  transfer(ask: TransferPieceMessage): Promise<NodeExitMessage> {
    return transferPiece({ satelliteId: this.satelliteId, pieces: this.handle.pieces, dialNode: (address, nodeId) => this.dial(address, nodeId), minBytesPerSecond: 5_000, timeoutFloorMs: 30_000 }, ask);
  }

  /**
   * Works honestly through `stream` until the exit ends: every TransferPiece made and reported,
   * every DeletePiece obeyed. `taken` are messages already taken off the stream, to handle first.
   * Returns the final message and what was reported as succeeded.
   */
  async runHonestly(stream: ExitStream, taken: readonly SatelliteExitMessage[] = []): Promise<{ final: SatelliteExitMessage; succeeded: TransferSucceeded[] }> {
    const succeeded: TransferSucceeded[] = [];
    const handle = async (message: SatelliteExitMessage): Promise<boolean> => {
      if (message.type === 'transferPiece') {
        const report = await this.transfer(message);
        expect(report.type).toBe('transferSucceeded');
        await stream.send(report);
        succeeded.push(report as TransferSucceeded);
      } else if (message.type === 'deletePiece') {
        await this.handle.pieces.delete(this.satelliteId, message.originalPieceId);
      } else {
        return true;
      }
      return false;
    };
    for (const message of taken) if (await handle(message)) return { final: message, succeeded };
    for (;;) {
      const message = await stream.receive();
      if (message === undefined) throw new Error('the satellite ended the stream before the exit ended');
      if (await handle(message)) return { final: message, succeeded };
    }
  }

  async close(): Promise<void> {
    await this.#satellite.close();
    for (const client of this.#peers.values()) await client.close();
  }
}

/** Reads `stream` until a message of `type`, keeping every message seen on the way in `seen`. */
export async function receiveUntil<T extends SatelliteExitMessage['type']>(stream: ExitStream, type: T, seen: SatelliteExitMessage[] = []): Promise<Extract<SatelliteExitMessage, { type: T }>> {
  for (;;) {
    const message = await stream.receive();
    if (message === undefined) throw new Error(`the stream ended before a ${type} message`);
    seen.push(message);
    if (message.type === type) return message as Extract<SatelliteExitMessage, { type: T }>;
  }
}
