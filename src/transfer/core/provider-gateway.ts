/**
 * How the core reaches providers. The host wires {@link ProviderGateway} to its RPC layer; in a
 * single process {@link LocalProviderGateway} calls each provider's endpoint object directly.
 */
import { UnavailableError } from '../../core/errors.js';
import type { ProviderId, ProviderTransferRequest, ProviderTransferResponse, TaskControl, TaskId } from '../types.js';

/**
 * The core → provider calls. `forwardTransfers` is the seed's
 * `TransferFilesBetweenProvidersForProvider`: one response per request, in order. A provider must
 * treat a task id it already knows as the same transfer (the core may forward again after a
 * crash or a retried idempotent request). `control` resolves once the provider has carried out
 * the cancel, pause or resume; it rejects (with a typed error) when it could not.
 */
export interface ProviderGateway {
  forwardTransfers(provider: ProviderId, requests: readonly ProviderTransferRequest[]): Promise<ProviderTransferResponse[]>;
  control(provider: ProviderId, taskId: TaskId, control: TaskControl): Promise<void>;
}

/** One provider's side of {@link ProviderGateway}, e.g. its integration module in the same process. */
export interface ProviderEndpoint {
  forwardTransfers(requests: readonly ProviderTransferRequest[]): Promise<ProviderTransferResponse[]>;
  control(taskId: TaskId, control: TaskControl): Promise<void>;
}

/**
 * A gateway to providers living in this process.
 *
 * @example
 * ```ts
 * const gateway = new LocalProviderGateway().register('hippo', hippoModule).register('aau', aauModule);
 * ```
 */
export class LocalProviderGateway implements ProviderGateway {
  readonly #endpoints = new Map<ProviderId, ProviderEndpoint>();

  register(provider: ProviderId, endpoint: ProviderEndpoint): this {
    this.#endpoints.set(provider, endpoint);
    return this;
  }

  unregister(provider: ProviderId): this {
    this.#endpoints.delete(provider);
    return this;
  }

  async forwardTransfers(provider: ProviderId, requests: readonly ProviderTransferRequest[]): Promise<ProviderTransferResponse[]> {
    return this.#endpoint(provider).forwardTransfers(requests);
  }

  async control(provider: ProviderId, taskId: TaskId, control: TaskControl): Promise<void> {
    return this.#endpoint(provider).control(taskId, control);
  }

  #endpoint(provider: ProviderId): ProviderEndpoint {
    const endpoint = this.#endpoints.get(provider);
    if (!endpoint) throw new UnavailableError(`provider "${provider}" is not reachable from this core`);
    return endpoint;
  }
}
