/**
 * In-memory implementations of the integration module's ports, for embedding and tests: a core
 * that records the updates it receives (and can be taken down), and a network of providers that
 * call each other's handlers directly.
 */
import { UnavailableError } from '../../core/errors.js';
import type { ProviderId, TransferTaskUpdate } from '../types.js';
import type { CoreLink, PeerHandler, PeerNegotiationRequest, PeerNegotiationResponse, PeerProvider, PeerReleaseRequest, UpdateOutcome } from './ports.js';

/**
 * A core that accepts every update and records it.
 *
 * @example
 * ```ts
 * const core = new MemoryCoreLink();
 * core.available = false;      // pushes now fail; the module keeps its updates
 * core.updates;                // everything received, in order
 * ```
 */
export class MemoryCoreLink implements CoreLink {
  /** Every update received, in order. */
  readonly updates: TransferTaskUpdate[] = [];
  /** While false, every push rejects with `UnavailableError`. */
  available = true;
  /** Optional per-item refusal: return a reason to refuse the item. */
  refuse: ((update: TransferTaskUpdate) => string | undefined) | undefined;
  readonly #listeners = new Set<(update: TransferTaskUpdate) => void>();

  async updateTransferTasks(updates: readonly TransferTaskUpdate[]): Promise<readonly UpdateOutcome[]> {
    if (!this.available) throw new UnavailableError('the core is unavailable');
    return updates.map((update) => {
      const reason = this.refuse?.(update);
      if (reason !== undefined) return { ok: false, reason };
      const copy = structuredClone(update);
      this.updates.push(copy);
      for (const listener of this.#listeners) listener(copy);
      return { ok: true };
    });
  }

  /** Calls `listener` for every accepted update; returns a function that stops it. */
  onUpdate(listener: (update: TransferTaskUpdate) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The updates received for one task. */
  updatesFor(taskId: number): TransferTaskUpdate[] {
    return this.updates.filter((u) => u.taskId === taskId);
  }
}

/**
 * Providers in one process: each registers its handler, and {@link linkFor} gives a provider its
 * `PeerProvider`, which calls the other side's handler with the caller's id filled in.
 *
 * @example
 * ```ts
 * const network = new MemoryPeerNetwork();
 * const a = await ProviderIntegration.open({ providerId: 'a', peers: network.linkFor('a'), ... });
 * network.register('a', a);
 * ```
 */
export class MemoryPeerNetwork {
  readonly #handlers = new Map<ProviderId, PeerHandler>();
  readonly #unreachable = new Set<ProviderId>();

  register(provider: ProviderId, handler: PeerHandler): void {
    this.#handlers.set(provider, handler);
  }

  unregister(provider: ProviderId): void {
    this.#handlers.delete(provider);
  }

  /** Makes calls to `provider` fail with `UnavailableError` (false) or work again (true). */
  setReachable(provider: ProviderId, reachable: boolean): void {
    if (reachable) this.#unreachable.delete(provider);
    else this.#unreachable.add(provider);
  }

  linkFor(caller: ProviderId): PeerProvider {
    return {
      negotiate: (provider: ProviderId, request: PeerNegotiationRequest): Promise<PeerNegotiationResponse> =>
        this.#handler(provider).then((h) => h.handlePeerNegotiation(caller, structuredClone(request))),
      release: (provider: ProviderId, request: PeerReleaseRequest): Promise<void> =>
        this.#handler(provider).then((h) => h.handlePeerRelease(caller, structuredClone(request))),
    };
  }

  async #handler(provider: ProviderId): Promise<PeerHandler> {
    const handler = this.#handlers.get(provider);
    if (!handler || this.#unreachable.has(provider)) throw new UnavailableError(`provider "${provider}" is unreachable`);
    return handler;
  }
}
