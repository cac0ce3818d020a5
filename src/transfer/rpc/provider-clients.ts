/**
 * One pooled RPC client per provider, pinned to the key the registry names for it, so a call
 * meant for "hippo" can only ever reach the holder of hippo's key. @internal
 */
import type { Identity } from '../../crypto/identity.js';
import { RpcClient } from '../../rpc/client.js';
import type { Transport } from '../../transport/types.js';
import type { ProviderId } from '../types.js';
import type { ProviderContact, ProviderRegistry } from './registry.js';

/** How an adapter reaches providers. */
export interface ProviderClientsOptions {
  readonly transport: Transport;
  /** This party's identity, proven to every provider it calls. */
  readonly identity: Identity;
  readonly providers: ProviderRegistry;
}

export class ProviderClients {
  readonly #o: ProviderClientsOptions;
  readonly #clients = new Map<ProviderId, { contact: ProviderContact; client: RpcClient }>();

  constructor(options: ProviderClientsOptions) {
    this.#o = options;
  }

  /** The client for `provider`; `UnavailableError` when the registry does not know it. */
  clientFor(provider: ProviderId): RpcClient {
    const contact = this.#o.providers.require(provider);
    const held = this.#clients.get(provider);
    if (held && held.contact.address === contact.address && held.contact.nodeId.equals(contact.nodeId)) return held.client;
    // The registry changed (new address or key): the old connections lead to the wrong place.
    if (held) void held.client.close();
    const client = new RpcClient({ transport: this.#o.transport, address: contact.address, identity: this.#o.identity, expectedPeer: contact.nodeId });
    this.#clients.set(provider, { contact, client });
    return client;
  }

  async close(): Promise<void> {
    const held = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.all(held.map(({ client }) => client.close()));
  }
}
