/**
 * How the core reaches providers. The host wires {@link ProviderGateway} to its RPC layer; in a
 * single process {@link LocalProviderGateway} calls each provider's endpoint object directly.
 */
import { FailedPreconditionError, UnavailableError } from '../../core/errors.js';
import type { FolderEntry, FolderPage, FolderPageRequest } from './ports.js';
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
  /**
   * One page of a folder at `provider` (for a user the core has checked). Optional: a core whose
   * gateway cannot list refuses `listFolder` with `FailedPreconditionError`.
   */
  listFolder?(provider: ProviderId, path: string, page: FolderPageRequest): Promise<FolderPage>;
  /** What is at `path` at `provider`, or undefined when nothing is. Optional, as `listFolder`. */
  statFile?(provider: ProviderId, path: string): Promise<FolderEntry | undefined>;
}

/** One provider's side of {@link ProviderGateway}, e.g. its integration module in the same process. */
export interface ProviderEndpoint {
  forwardTransfers(requests: readonly ProviderTransferRequest[]): Promise<ProviderTransferResponse[]>;
  control(taskId: TaskId, control: TaskControl): Promise<void>;
  /** The provider's files, when it lists them (a `ProviderIntegration` does once given `files`). */
  listFolder?(path: string, page?: FolderPageRequest): Promise<FolderPage>;
  statFile?(path: string): Promise<FolderEntry | undefined>;
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

  async listFolder(provider: ProviderId, path: string, page: FolderPageRequest): Promise<FolderPage> {
    const endpoint = this.#endpoint(provider);
    if (!endpoint.listFolder) throw new FailedPreconditionError(`provider "${provider}" does not list its files`);
    return endpoint.listFolder(path, page);
  }

  async statFile(provider: ProviderId, path: string): Promise<FolderEntry | undefined> {
    const endpoint = this.#endpoint(provider);
    if (!endpoint.statFile) throw new FailedPreconditionError(`provider "${provider}" does not list its files`);
    return endpoint.statFile(path);
  }

  #endpoint(provider: ProviderId): ProviderEndpoint {
    const endpoint = this.#endpoints.get(provider);
    if (!endpoint) throw new UnavailableError(`provider "${provider}" is not reachable from this core`);
    return endpoint;
  }
}
