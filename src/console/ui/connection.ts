/**
 * The page's link to the core: the SDK's own TransferClient over WebSocket, with the key the
 * user loads from their identity file. The key stays in this page's memory; nothing is stored.
 */
import { Identity } from '../../crypto/identity.js';
import { NodeId } from '../../crypto/node-id.js';
import { webSocketTransport } from '../../transport/websocket.js';
import { TransferClient } from '../../transfer/session/transfer-client.js';
import type { ConsoleConfig } from '../server.js';
import { ConsoleClient } from '../service/client.js';

/** A signed-in user's two clients of the core, both proving the same key. */
export interface Session {
  readonly transfers: TransferClient;
  readonly console: ConsoleClient;
}

/** `config.json` as the console server serves it. */
export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch('./config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  const body = (await response.json()) as Partial<ConsoleConfig>;
  if (typeof body.coreId !== 'string' || typeof body.coreAddress !== 'string') throw new Error('config.json: no coreId and coreAddress');
  return { coreId: body.coreId, coreAddress: body.coreAddress };
}

/**
 * A client acting as the identity in `pem`. It proves the key on its first call; a key the core
 * does not know fails there with `UnauthenticatedError`.
 */
export async function signIn(config: ConsoleConfig, pem: string): Promise<Session> {
  const identity = Identity.fromPem(pem);
  const where = { transport: webSocketTransport(), coreAddress: config.coreAddress, coreId: NodeId.parse(config.coreId), identity };
  const transfers = new TransferClient({ ...where, callTimeoutMs: 30_000 });
  const console = new ConsoleClient(where);
  try {
    await transfers.browse({ limit: 1 });
    return { transfers, console };
  } catch (err) {
    await Promise.all([transfers.close(), console.close()]);
    throw err;
  }
}
