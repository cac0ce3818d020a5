/**
 * The exit page's link to the storage node: the SDK's node admin calls (NodeAdminCalls, what
 * NodeAdminClient does once connected) over WebSocket, proving the node's own key (its
 * identity.pem), the only caller the owner-only admin endpoint serves. The key stays in this
 * page's memory.
 */
import { Identity } from '../../crypto/identity.js';
import { NodeId } from '../../crypto/node-id.js';
import { NodeAdminCalls } from '../../node/admin/calls.js';
import { RpcClient } from '../../rpc/client.js';
import { webSocketTransport } from '../../transport/websocket.js';
import type { ConsoleConfig } from '../server.js';

/**
 * An admin client acting as the identity in `pem`; refuses another key before dialing (the
 * endpoint would answer PermissionDenied), then proves it with a first call.
 */
export async function signInAsNode(config: ConsoleConfig, pem: string): Promise<NodeAdminCalls> {
  const identity = Identity.fromPem(pem);
  const nodeId = NodeId.parse(config.coreId);
  if (!identity.id.equals(nodeId)) throw new Error(`this identity is ${identity.id.toString()}, not storage node ${nodeId.toString()}: sign in with the node's own identity.pem`);
  const rpc = new RpcClient({ transport: webSocketTransport(), address: config.coreAddress, identity, expectedPeer: nodeId, maxIdleConnections: 1 });
  const admin = new NodeAdminCalls(rpc);
  try {
    await admin.overview();
    return admin;
  } catch (err) {
    await admin.close();
    throw err;
  }
}
