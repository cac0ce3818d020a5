/**
 * The storage node's admin calls over any RPC client that proves the node's key: what
 * `NodeAdminClient` does once connected. Apart from client.ts so a browser (the console's exit
 * page) can use it without the address file's `node:fs`.
 */
import { NodeId } from '../../crypto/node-id.js';
import type { RpcClient } from '../../rpc/client.js';
import type { Infer } from '../../codec/index.js';
import type { ExitBandwidthChoice } from '../../exit/types.js';
import { NodeAdminExitStatus, NodeAdminListSatellites, NodeAdminRejoin, NodeAdminStartExit, NodeAdminWatchExits, type AdminExitStatus, type AdminSatellite } from './methods.js';

/** One satellite's answer to a start: its exit's status, or why nothing was started. */
export type StartExitResult = Infer<typeof NodeAdminStartExit.response>['results'][number];

const bytesOf = (id: Uint8Array | NodeId): Uint8Array => (id instanceof NodeId ? id.bytes : id);

const CALL_TIMEOUT_MS = 30_000;

/** The admin methods of a storage node, over an RPC client the caller made. */
export class NodeAdminCalls {
  readonly #rpc: RpcClient;

  /**
   * `rpc` must be pinned to the node's id (`expectedPeer`) and prove the node's own key; the
   * console's exit page makes one over WebSocket (it has no address file).
   */
  constructor(rpc: RpcClient) {
    this.#rpc = rpc;
  }

  async listSatellites(): Promise<AdminSatellite[]> {
    return (await this.overview()).satellites;
  }

  /** What the node offers: satellites, its allocation (lowered by partial exits) and its bandwidth this month. */
  async overview(): Promise<Infer<typeof NodeAdminListSatellites.response>> {
    return this.#rpc.call(NodeAdminListSatellites, {}, { timeoutMs: CALL_TIMEOUT_MS });
  }

  /**
   * Starts a full exit from one satellite or from every one not exited yet, or with `bytes` a
   * partial exit from one; one result each. A result's `error.bandwidthChoiceRequired` asks for
   * `options.bandwidth` (nothing was started).
   */
  async startExit(
    scope: { readonly satelliteId: Uint8Array | NodeId; readonly bytes?: number } | 'all',
    options: { readonly bandwidth?: ExitBandwidthChoice } = {},
  ): Promise<StartExitResult[]> {
    const bandwidth = options.bandwidth === undefined ? {} : { bandwidth: options.bandwidth };
    const request =
      scope === 'all'
        ? { scope: 'all' as const, ...bandwidth }
        : scope.bytes === undefined
          ? { scope: 'one' as const, satelliteId: bytesOf(scope.satelliteId), ...bandwidth }
          : { scope: 'partial' as const, satelliteId: bytesOf(scope.satelliteId), bytes: scope.bytes, ...bandwidth };
    // Asking the satellite can take a while (a busy satellite); the node itself answers within its own timeout.
    return (await this.#rpc.call(NodeAdminStartExit, request, { timeoutMs: 120_000 })).results;
  }

  /** Rejoins a satellite the node exited gracefully; resolves when the satellite recorded it. */
  async rejoin(satelliteId: Uint8Array | NodeId): Promise<{ rejoinedAt: number }> {
    return this.#rpc.call(NodeAdminRejoin, { satelliteId: bytesOf(satelliteId) }, { timeoutMs: 60_000 });
  }

  async exitStatus(): Promise<AdminExitStatus[]> {
    return (await this.exitReport()).exits;
  }

  /** The current exits and the archived ones (after a later exit or a rejoin). */
  async exitReport(): Promise<{ exits: AdminExitStatus[]; history: AdminExitStatus[] }> {
    const { exits, history } = await this.#rpc.call(NodeAdminExitStatus, {}, { timeoutMs: CALL_TIMEOUT_MS });
    return { exits, history };
  }

  /**
   * The current status of the watched exits (default: every exit in progress), then each change,
   * until every one has finished or `signal` fires.
   */
  async *watchExits(satelliteIds: readonly Uint8Array[] = [], options: { signal?: AbortSignal } = {}): AsyncGenerator<AdminExitStatus> {
    const stream = await this.#rpc.stream(NodeAdminWatchExits, options.signal === undefined ? {} : { signal: options.signal });
    try {
      await stream.send({ satelliteIds: [...satelliteIds] });
      await stream.closeSend();
      for await (const status of stream) yield status;
    } finally {
      stream.cancel();
    }
  }

  close(): Promise<void> {
    return this.#rpc.close();
  }
}
