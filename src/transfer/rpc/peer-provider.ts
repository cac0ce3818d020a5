/**
 * An integration module's {@link PeerProvider} over RPC: the negotiation and release calls to
 * other providers, made with this provider's key so the other side knows who asks.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { PeerNegotiationRequest, PeerNegotiationResponse, PeerProvider, PeerReleaseRequest } from '../integration/ports.js';
import type { ProviderId } from '../types.js';
import { parametersFromWire } from './parameters.js';
import { ProviderClients, type ProviderClientsOptions } from './provider-clients.js';
import { NegotiateTransfer, ReleaseTransfer } from './provider-methods.js';

/** Options of {@link RpcPeerProvider}: the provider's identity and its peers' addresses. */
export interface RpcPeerProviderOptions extends ProviderClientsOptions {
  /** Longest wait for another provider's answer (default 30 s). */
  readonly callTimeoutMs?: number;
}

/**
 * @example
 * ```ts
 * const peers = new RpcPeerProvider({ transport: tcpTransport(), identity: hippoIdentity, providers });
 * const im = await ProviderIntegration.open({ providerId: 'hippo', peers, ... });
 * ```
 */
export class RpcPeerProvider implements PeerProvider {
  readonly #clients: ProviderClients;
  readonly #timeoutMs: number;

  constructor(options: RpcPeerProviderOptions) {
    this.#clients = new ProviderClients(options);
    this.#timeoutMs = options.callTimeoutMs ?? 30_000;
  }

  async negotiate(provider: ProviderId, request: PeerNegotiationRequest): Promise<PeerNegotiationResponse> {
    const { taskId, pluginType, destinationPath, entryName } = request;
    const answer = await this.#clients
      .clientFor(provider)
      .call(NegotiateTransfer, { taskId, pluginType, destinationPath, entryName }, { timeoutMs: this.#timeoutMs });
    if (answer.outcome === 'refused') return { ok: false, retryable: answer.retryable, reason: answer.reason };
    return { ok: true, pluginType: answer.pluginType, parameters: parametersFromWire(answer.parameters) };
  }

  async release(provider: ProviderId, request: PeerReleaseRequest): Promise<void> {
    const outcome = request.outcome;
    if (outcome !== 'SUCCESS' && outcome !== 'FAILURE' && outcome !== 'HALTED') {
      throw new InvalidArgumentError(`"outcome" expected a terminal state, got ${JSON.stringify(outcome)}`);
    }
    await this.#clients.clientFor(provider).call(ReleaseTransfer, { taskId: request.taskId, outcome }, { timeoutMs: this.#timeoutMs });
  }

  /** Closes the connections to every provider. */
  close(): Promise<void> {
    return this.#clients.close();
  }
}
