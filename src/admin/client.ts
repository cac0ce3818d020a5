/** Dialing a party's admin endpoint as the party itself, from the address file beside its identity. */
import type { Identity } from '../crypto/identity.js';
import { RpcClient } from '../rpc/client.js';
import { tcpTransport } from '../transport/tcp.js';
import type { Transport } from '../transport/types.js';
import { AdminEndpointError, processExists, readAdminAddress } from './address-file.js';

export interface AdminClientOptions {
  /** The party's own identity: the only one its endpoint serves. */
  readonly identity: Identity;
  readonly addressFile: string;
  /** Names the party in errors, e.g. `the storage node in ./node-1`. */
  readonly what: string;
  readonly transport?: Transport;
}

/**
 * An RPC client for the admin endpoint named in `addressFile`, pinned to the identity's own node
 * id: a process that took the port after the party died is refused in the handshake.
 */
export function adminClient(options: AdminClientOptions): RpcClient {
  const record = readAdminAddress(options.addressFile, options.what);
  if (record.nodeId !== options.identity.id.toString()) {
    throw new AdminEndpointError(`${options.addressFile} belongs to ${record.nodeId}, not to this identity (${options.identity.id.toString()})`);
  }
  if (!processExists(record.pid)) throw new AdminEndpointError(`${options.what} is not running (process ${record.pid}, which wrote ${options.addressFile}, is gone)`);
  return new RpcClient({ transport: options.transport ?? tcpTransport(), address: record.address, identity: options.identity, expectedPeer: options.identity.id, maxIdleConnections: 1 });
}
