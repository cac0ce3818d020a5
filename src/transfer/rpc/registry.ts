/**
 * Who is who on the transfer network. The core and the integration modules know providers by
 * their `ProviderId` ("hippo"), the network knows them by their `NodeId` (the key each proves in
 * the handshake). The registry maps one to the other, and to where a provider listens; every
 * handler decides who called from `ctx.peer` through it, never from a request field.
 */
import { InvalidArgumentError, UnavailableError } from '../../core/errors.js';
import type { NodeId } from '../../crypto/node-id.js';
import type { ProviderId } from '../types.js';

/** One provider: its id, its key and its RPC address. */
export interface ProviderContact {
  readonly provider: ProviderId;
  readonly nodeId: NodeId;
  /** Where its RPC server listens, e.g. `hippo.example.org:7100`. */
  readonly address: string;
}

/**
 * A registry of providers, passed in by the host (the core's provider table, or a provider's
 * list of peers).
 *
 * @example
 * ```ts
 * const providers = new ProviderRegistry()
 *   .add({ provider: 'hippo', nodeId: hippoId, address: 'hippo.example.org:7100' })
 *   .add({ provider: 'aau', nodeId: aauId, address: 'aau.example.org:7100' });
 * providers.byNode(ctx.peer)?.provider; // 'hippo' when hippo's key called
 * ```
 */
export class ProviderRegistry {
  readonly #byProvider = new Map<ProviderId, ProviderContact>();
  readonly #byNode = new Map<string, ProviderContact>();

  constructor(contacts: Iterable<ProviderContact> = []) {
    for (const contact of contacts) this.add(contact);
  }

  /**
   * Adds a provider, or replaces the entry of the same provider (a new address or key). One key
   * names one provider: a key already registered for another provider is an `InvalidArgumentError`.
   */
  add(contact: ProviderContact): this {
    const key = contact.nodeId.toString();
    const holder = this.#byNode.get(key);
    if (holder && holder.provider !== contact.provider) {
      throw new InvalidArgumentError(`node ${key} is already registered as provider "${holder.provider}"`);
    }
    this.remove(contact.provider);
    const entry = { provider: contact.provider, nodeId: contact.nodeId, address: contact.address };
    this.#byProvider.set(contact.provider, entry);
    this.#byNode.set(key, entry);
    return this;
  }

  /** Forgets a provider: its key is no longer accepted as a provider, nor its address dialed. */
  remove(provider: ProviderId): this {
    const entry = this.#byProvider.get(provider);
    if (entry) {
      this.#byProvider.delete(provider);
      this.#byNode.delete(entry.nodeId.toString());
    }
    return this;
  }

  /** The contact of `provider`, if registered. */
  byProvider(provider: ProviderId): ProviderContact | undefined {
    return this.#byProvider.get(provider);
  }

  /** The provider whose key is `nodeId`, if any. */
  byNode(nodeId: NodeId): ProviderContact | undefined {
    return this.#byNode.get(nodeId.toString());
  }

  /** The contact of `provider`; `UnavailableError` when it is not registered. */
  require(provider: ProviderId): ProviderContact {
    const entry = this.#byProvider.get(provider);
    if (!entry) throw new UnavailableError(`provider "${provider}" is not in the provider registry`);
    return entry;
  }

  /** Every registered provider. */
  list(): ProviderContact[] {
    return [...this.#byProvider.values()];
  }
}
