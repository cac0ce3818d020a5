/**
 * The integration module as a destination: accepts the key the client delivers, answers the
 * source's negotiation (same plugin type? ready? where to send?) and cleans up when the source
 * reports the end. Only the provider that the task's key was granted for may negotiate or
 * release it.
 */
import type { Clock } from '../../core/clock.js';
import { FailedPreconditionError, InvalidArgumentError, PermissionDeniedError } from '../../core/errors.js';
import type { FileTransferReceiver, TransferKeyGrant } from '../plugin.js';
import { isTerminal, type ProviderId } from '../types.js';
import type { PeerNegotiationRequest, PeerNegotiationResponse, PeerReleaseRequest } from './ports.js';
import type { IncomingTask, IntegrationStore } from './store.js';

export class DestinationSide {
  readonly #providerId: ProviderId;
  readonly #store: IntegrationStore;
  readonly #receiver: FileTransferReceiver | undefined;
  readonly #clock: Clock;

  constructor(providerId: ProviderId, store: IntegrationStore, receiver: FileTransferReceiver | undefined, clock: Clock) {
    this.#providerId = providerId;
    this.#store = store;
    this.#receiver = receiver;
    this.#clock = clock;
  }

  async authorizeTransferKey(grant: TransferKeyGrant): Promise<void> {
    const receiver = this.#receiver;
    if (!receiver?.authorizeTransferKey) {
      throw new FailedPreconditionError(`provider "${this.#providerId}" has no transfer receiver that takes keys`);
    }
    checkId(grant.taskId);
    checkText('sourceProvider', grant.sourceProvider);
    checkText('destinationPath', grant.destinationPath);
    const known = this.#store.getIncoming(grant.taskId);
    if (known && known.sourceProvider !== grant.sourceProvider) {
      throw new PermissionDeniedError(`task ${grant.taskId} is being received from provider "${known.sourceProvider}", not "${grant.sourceProvider}"`);
    }
    if (known && known.destinationPath !== grant.destinationPath) {
      throw new FailedPreconditionError(`task ${grant.taskId} was granted for destination ${known.destinationPath}, not ${grant.destinationPath}`);
    }
    if (known?.releasedAt != null) throw new FailedPreconditionError(`task ${grant.taskId} has already ended at this provider`);
    if (!known) {
      this.#store.putIncoming({
        taskId: grant.taskId,
        sourceProvider: grant.sourceProvider,
        destinationPath: grant.destinationPath,
        entryName: null,
        pluginType: receiver.type,
        createdAt: this.#clock.now(),
        releasedAt: null,
      });
      await this.#store.flush?.();
    }
    await receiver.authorizeTransferKey(grant);
  }

  async negotiate(caller: ProviderId, request: PeerNegotiationRequest): Promise<PeerNegotiationResponse> {
    const receiver = this.#receiver;
    if (!receiver) return { ok: false, retryable: false, reason: `provider "${this.#providerId}" does not receive transfers` };
    if (request.pluginType !== receiver.type) {
      return {
        ok: false,
        retryable: false,
        reason: `the providers run different transfer plugins: the source "${caller}" runs "${request.pluginType}", the destination "${this.#providerId}" runs "${receiver.type}"`,
      };
    }
    const known = this.#store.getIncoming(request.taskId);
    const refusal = this.#checkCaller(known, caller, request.taskId) ?? (known && known.destinationPath !== request.destinationPath
      ? `task ${request.taskId} was granted for destination ${known.destinationPath}, not ${request.destinationPath}`
      : undefined);
    if (refusal) return { ok: false, retryable: false, reason: refusal };
    if (known?.releasedAt != null) return { ok: false, retryable: false, reason: `task ${request.taskId} has already ended at the destination` };
    this.#store.putIncoming({
      taskId: request.taskId,
      sourceProvider: caller,
      destinationPath: request.destinationPath,
      entryName: request.entryName,
      pluginType: receiver.type,
      createdAt: known?.createdAt ?? this.#clock.now(),
      releasedAt: null,
    });
    await this.#store.flush?.();
    const prepared = await receiver.prepare({ taskId: request.taskId, sourceProvider: caller, destinationPath: request.destinationPath, entryName: request.entryName });
    return prepared.ready
      ? { ok: true, pluginType: receiver.type, parameters: prepared.parameters }
      : { ok: false, retryable: prepared.retryable, reason: prepared.reason };
  }

  async release(caller: ProviderId, request: PeerReleaseRequest): Promise<void> {
    if (!isTerminal(request.outcome)) throw new InvalidArgumentError(`"outcome" expected a terminal state, got ${JSON.stringify(request.outcome)}`);
    const known = this.#store.getIncoming(request.taskId);
    if (!known || !this.#receiver) return; // nothing was ever granted or negotiated here
    const refusal = this.#checkCaller(known, caller, request.taskId);
    if (refusal) throw new PermissionDeniedError(refusal);
    if (known.releasedAt !== null) return;
    await this.#receiver.release(request.taskId, request.outcome, { destinationPath: known.destinationPath, entryName: known.entryName });
    this.#store.putIncoming({ ...known, releasedAt: this.#clock.now() });
    await this.#store.flush?.();
  }

  async sweep(now: number): Promise<void> {
    await this.#receiver?.sweep?.(now);
  }

  #checkCaller(known: IncomingTask | undefined, caller: ProviderId, taskId: number): string | undefined {
    if (known && known.sourceProvider !== caller) return `task ${taskId} belongs to source provider "${known.sourceProvider}", not "${caller}"`;
    return undefined;
  }
}

function checkId(taskId: number): void {
  if (!Number.isSafeInteger(taskId) || taskId < 0) throw new InvalidArgumentError(`"taskId" expected a non-negative safe integer, got ${String(taskId)}`);
}

function checkText(field: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > 4096) throw new InvalidArgumentError(`"${field}" expected a non-empty string`);
}
