/** The storage node's admin endpoint as local commands call it, authenticated as the node itself. */
import { adminClient, type AdminClientOptions } from '../../admin/client.js';
import { NodeAdminCalls } from './calls.js';

export type { StartExitResult } from './calls.js';

/**
 * @example
 * ```ts
 * const admin = NodeAdminClient.connect({ identity: await Identity.load('./node-1/identity.pem'), addressFile: adminAddressFile('./node-1/identity.pem'), what: 'the storage node in ./node-1' });
 * for (const satellite of await admin.listSatellites()) console.log(satellite.address, satellite.usedBytes);
 * for await (const status of admin.watchExits()) console.log(status.percent);
 * await admin.close();
 * ```
 */
export class NodeAdminClient extends NodeAdminCalls {
  /** Reads the address file; throws `AdminEndpointError` when the node is not running. */
  static connect(options: AdminClientOptions): NodeAdminClient {
    return new NodeAdminClient(adminClient(options));
  }
}
