/**
 * The core's {@link ProviderGateway} over RPC: forwards accepted transfers and users' controls to
 * source providers, each reached at the address and pinned to the key the registry names.
 */
import { DecodeError } from '../../core/errors.js';
import type { FolderEntry, FolderPage, FolderPageRequest } from '../core/ports.js';
import type { ProviderGateway } from '../core/provider-gateway.js';
import type { ProviderId, ProviderTransferRequest, ProviderTransferResponse, TaskControl, TaskId } from '../types.js';
import { ProviderClients, type ProviderClientsOptions } from './provider-clients.js';
import { ControlTransfer, ListProviderFolder, StatProviderFile, TransferFilesForProvider } from './provider-methods.js';

/** Options of {@link RpcProviderGateway}: the core's identity and the providers' addresses. */
export interface RpcProviderGatewayOptions extends ProviderClientsOptions {
  /**
   * Longest wait for a provider's answer (default 60 s). A control waits for the provider to stop
   * its transfer process, which may take a few seconds.
   */
  readonly callTimeoutMs?: number;
  /** Longest wait for a folder listing or a stat (default 15 s): a user is waiting on it. */
  readonly listTimeoutMs?: number;
}

/**
 * @example
 * ```ts
 * const gateway = new RpcProviderGateway({ transport: tcpTransport(), identity: coreIdentity, providers });
 * const core = new TransferCore({ store, gateway, ...ports });
 * ```
 */
export class RpcProviderGateway implements ProviderGateway {
  readonly #clients: ProviderClients;
  readonly #timeoutMs: number;
  readonly #listTimeoutMs: number;

  constructor(options: RpcProviderGatewayOptions) {
    this.#clients = new ProviderClients(options);
    this.#timeoutMs = options.callTimeoutMs ?? 60_000;
    this.#listTimeoutMs = options.listTimeoutMs ?? 15_000;
  }

  async forwardTransfers(provider: ProviderId, requests: readonly ProviderTransferRequest[]): Promise<ProviderTransferResponse[]> {
    const items = requests.map((r) => ({ sourcePath: r.sourcePath, destinationPath: r.destinationPath, taskId: r.taskId, destinationProvider: r.destinationProvider }));
    const answer = await this.#clients.clientFor(provider).call(TransferFilesForProvider, { items }, { timeoutMs: this.#timeoutMs });
    if (answer.items.length !== requests.length) {
      throw new DecodeError(`provider "${provider}" answered ${answer.items.length} items for ${requests.length} requests`);
    }
    return answer.items.map((item) =>
      item.outcome === 'accepted' ? { ok: true, capabilities: { canPause: item.canPause } } : { ok: false, reason: item.reason },
    );
  }

  async control(provider: ProviderId, taskId: TaskId, control: TaskControl): Promise<void> {
    await this.#clients.clientFor(provider).call(ControlTransfer, { taskId, control }, { timeoutMs: this.#timeoutMs });
  }

  async listFolder(provider: ProviderId, path: string, page: FolderPageRequest): Promise<FolderPage> {
    const request = { path, ...(page.cursor === undefined ? {} : { cursor: page.cursor }), ...(page.limit === undefined ? {} : { limit: page.limit }) };
    return this.#clients.clientFor(provider).call(ListProviderFolder, request, { timeoutMs: this.#listTimeoutMs });
  }

  async statFile(provider: ProviderId, path: string): Promise<FolderEntry | undefined> {
    const { entry } = await this.#clients.clientFor(provider).call(StatProviderFile, { path }, { timeoutMs: this.#listTimeoutMs });
    return entry ?? undefined;
  }

  /** Closes the connections to every provider. */
  close(): Promise<void> {
    return this.#clients.close();
  }
}
