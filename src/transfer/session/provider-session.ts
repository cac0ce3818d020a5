/**
 * A client's session with one provider for one task (seed 004 "Exchange of keys"): an RPC client
 * that proves the client's key in every connection's handshake, pinned to the provider's key,
 * carrying the core's grant. The provider serves it only while the grant verifies and names the
 * very key the connection proved.
 */
import { FailedPreconditionError } from '../../core/errors.js';
import type { Identity } from '../../crypto/identity.js';
import type { NodeId } from '../../crypto/node-id.js';
import { RpcClient } from '../../rpc/client.js';
import type { Transport } from '../../transport/types.js';
import { AuthorizeTransferKey, IssueTransferKey } from '../rpc/provider-methods.js';
import type { ProviderId } from '../types.js';
import { grantToWire, sessionRole, type SessionGrant, type SessionRole } from './grant.js';

/** Where a session leads and the grant that opens it, as the core offers it. */
export interface SessionOffer {
  readonly provider: ProviderId;
  readonly nodeId: NodeId;
  readonly address: string;
  readonly grant: SessionGrant;
}

/** Options of a {@link ProviderSession}: the provider, the core and the grant checks. */
export interface ProviderSessionOptions {
  readonly transport: Transport;
  /** The client's identity: the key the grant names. */
  readonly identity: Identity;
  readonly offer: SessionOffer;
  /** Longest wait for the provider's answer (default 60 s: generating a key spawns ssh-keygen). */
  readonly callTimeoutMs?: number;
}

/**
 * @example
 * ```ts
 * const { source, destination } = await client.openSessions(taskId);
 * const publicKey = await source.issueTransferKey();
 * await destination.authorizeTransferKey(publicKey);
 * await Promise.all([source.close(), destination.close()]);
 * ```
 */
export class ProviderSession {
  readonly provider: ProviderId;
  readonly grant: SessionGrant;
  /** What this provider is in the task: the source issues the key, the destination authorizes it. */
  readonly role: SessionRole;
  readonly #client: RpcClient;
  readonly #timeoutMs: number;

  constructor(options: ProviderSessionOptions) {
    const { offer } = options;
    this.provider = offer.provider;
    this.grant = offer.grant;
    this.role = sessionRole(offer.grant);
    this.#client = new RpcClient({ transport: options.transport, address: offer.address, identity: options.identity, expectedPeer: offer.nodeId });
    this.#timeoutMs = options.callTimeoutMs ?? 60_000;
  }

  /** At the source: has it generate (once) the task's key pair, and returns the public key. */
  async issueTransferKey(): Promise<string> {
    this.#require('source', 'issue a transfer key');
    const { publicKey } = await this.#client.call(IssueTransferKey, { grant: grantToWire(this.grant) }, { timeoutMs: this.#timeoutMs });
    return publicKey;
  }

  /** At the destination: has it authorize `publicKey` for this task only. */
  async authorizeTransferKey(publicKey: string): Promise<void> {
    this.#require('destination', 'authorize a transfer key');
    await this.#client.call(AuthorizeTransferKey, { grant: grantToWire(this.grant), publicKey }, { timeoutMs: this.#timeoutMs });
  }

  close(): Promise<void> {
    return this.#client.close();
  }

  #require(role: SessionRole, what: string): void {
    if (this.role !== role) {
      throw new FailedPreconditionError(`provider "${this.provider}" is the ${this.role} of task ${this.grant.taskId}: only the ${role} can ${what}`);
    }
  }
}
