/** The storage node's admin endpoint as local commands call it, authenticated as the node itself. */
import { adminClient, type AdminClientOptions } from '../../admin/client.js';
import { NodeId } from '../../crypto/node-id.js';
import type { RpcClient } from '../../rpc/client.js';
import { NodeAdminExitStatus, NodeAdminListSatellites, NodeAdminStartExit, NodeAdminWatchExits, type AdminExitStatus, type AdminSatellite } from './methods.js';

const CALL_TIMEOUT_MS = 30_000;

/**
 * @example
 * ```ts
 * const admin = NodeAdminClient.connect({ identity: await Identity.load('./node-1/identity.pem'), addressFile: adminAddressFile('./node-1/identity.pem'), what: 'the storage node in ./node-1' });
 * for (const satellite of await admin.listSatellites()) console.log(satellite.address, satellite.usedBytes);
 * for await (const status of admin.watchExits()) console.log(status.percent);
 * await admin.close();
 * ```
 */
export class NodeAdminClient {
  readonly #rpc: RpcClient;

  private constructor(rpc: RpcClient) {
    this.#rpc = rpc;
  }

  /** Reads the address file; throws `AdminEndpointError` when the node is not running. */
  static connect(options: AdminClientOptions): NodeAdminClient {
    return new NodeAdminClient(adminClient(options));
  }

  async listSatellites(): Promise<AdminSatellite[]> {
    return (await this.#rpc.call(NodeAdminListSatellites, {}, { timeoutMs: CALL_TIMEOUT_MS })).satellites;
  }

  /** Starts the exit from one satellite, or from every one not exited yet; one result each. */
  async startExit(scope: { readonly satelliteId: Uint8Array | NodeId } | 'all'): Promise<Array<{ satelliteId: Uint8Array; status: AdminExitStatus | null; error: { code: string; message: string } | null }>> {
    const request = scope === 'all' ? { scope: 'all' as const } : { scope: 'one' as const, satelliteId: scope.satelliteId instanceof NodeId ? scope.satelliteId.bytes : scope.satelliteId };
    // Asking the satellite can take a while (a busy satellite); the node itself answers within its own timeout.
    return (await this.#rpc.call(NodeAdminStartExit, request, { timeoutMs: 120_000 })).results;
  }

  async exitStatus(): Promise<AdminExitStatus[]> {
    return (await this.#rpc.call(NodeAdminExitStatus, {}, { timeoutMs: CALL_TIMEOUT_MS })).exits;
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
