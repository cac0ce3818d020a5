/**
 * The storage node's admin endpoint: what `handoff node exit-satellite` and `exit-status` call on
 * a running node. Loopback only, apart from the public port, for the node's own identity.
 */
import { AdminEndpoint } from '../../admin/endpoint.js';
import type { Transport } from '../../transport/types.js';
import type { StorageNode } from '../storage-node.js';
import type { ExitProgressFeed } from './progress-feed.js';
import { registerNodeAdmin } from './service.js';

/** Options of {@link startNodeAdmin}: the node and where its admin address file goes. */
export interface NodeAdminOptions {
  readonly node: StorageNode;
  /** Fed by the node's `onExitProgress`. */
  readonly progress: ExitProgressFeed;
  /** Where its address is written (`adminAddressFile(identityPath)`); removed on close. */
  readonly addressFile: string;
  /** A loopback `host:port` (default `127.0.0.1:0`). */
  readonly address?: string;
  /** Default TCP; `tcpTransport({ acceptWebSocket: true })` lets the console's exit page dial it. */
  readonly transport?: Transport;
  readonly onError?: (error: unknown, method: string) => void;
}

/**
 * Starts the node's admin endpoint.
 *
 * @example
 * ```ts
 * const progress = new ExitProgressFeed();
 * const node = await StorageNode.start({ ...options, identity, onExitProgress: progress.publish });
 * const admin = await startNodeAdmin({ node, progress, addressFile: adminAddressFile('./node-1/identity.pem') });
 * // … later: close the endpoint before the node
 * await admin.close();
 * await node.close();
 * ```
 */
export function startNodeAdmin(options: NodeAdminOptions): Promise<AdminEndpoint> {
  return AdminEndpoint.start({
    identity: options.node.identity,
    addressFile: options.addressFile,
    ...(options.address === undefined ? {} : { address: options.address }),
    ...(options.transport === undefined ? {} : { transport: options.transport }),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
    register: (admin) => registerNodeAdmin(admin, options.node, options.progress),
  });
}

export { serveNodeConsole, type NodeConsoleOptions } from './console.js';
export { NodeAdminClient } from './client.js';
export { NodeAdminCalls, type StartExitResult } from './calls.js';
export { ExitProgressFeed } from './progress-feed.js';
export { registerNodeAdmin, toAdminExitStatus, stillServes, type NodeAdminTarget } from './service.js';
export { NodeAdminListSatellites, NodeAdminStartExit, NodeAdminRejoin, NodeAdminExitStatus, NodeAdminWatchExits, AdminExitStatus, AdminSatellite, AdminBandwidth } from './methods.js';
