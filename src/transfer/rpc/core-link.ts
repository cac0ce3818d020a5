/**
 * An integration module's {@link CoreLink} over RPC: pushes the seed's `UpdateTransferTask` to the
 * core with this provider's key (the core reads the provider from the key, never from the items).
 */
import type { Infer } from '../../codec/index.js';
import { DecodeError, isHandoffError } from '../../core/errors.js';
import type { Identity } from '../../crypto/identity.js';
import type { NodeId } from '../../crypto/node-id.js';
import { RpcClient } from '../../rpc/client.js';
import type { Transport } from '../../transport/types.js';
import { MAX_BULK_ITEMS } from '../core/requests.js';
import type { CoreLink, UpdateOutcome } from '../integration/ports.js';
import type { TransferTaskUpdate } from '../types.js';
import { UpdateTransferTask, updateItemSchema } from './core-methods.js';

/** Options of {@link RpcCoreLink}: where the core is and who it is. */
export interface RpcCoreLinkOptions {
  readonly transport: Transport;
  /** This provider's identity: the key the core's registry knows it by. */
  readonly identity: Identity;
  readonly coreAddress: string;
  /** The core's node id; any other server is refused. */
  readonly coreId: NodeId;
  /** Longest wait for the core's answer (default 30 s). */
  readonly callTimeoutMs?: number;
}

/**
 * @example
 * ```ts
 * const core = new RpcCoreLink({ transport: tcpTransport(), identity: hippoIdentity, coreAddress, coreId });
 * const im = await ProviderIntegration.open({ providerId: 'hippo', core, ... });
 * ```
 */
export class RpcCoreLink implements CoreLink {
  readonly #client: RpcClient;
  readonly #timeoutMs: number;

  constructor(options: RpcCoreLinkOptions) {
    this.#client = new RpcClient({ transport: options.transport, address: options.coreAddress, identity: options.identity, expectedPeer: options.coreId });
    this.#timeoutMs = options.callTimeoutMs ?? 30_000;
  }

  async updateTransferTasks(updates: readonly TransferTaskUpdate[]): Promise<readonly UpdateOutcome[]> {
    const outcomes: UpdateOutcome[] = new Array(updates.length);
    const sendable: { index: number; item: Infer<typeof updateItemSchema> }[] = [];
    updates.forEach((update, index) => {
      try {
        sendable.push({ index, item: updateItemSchema.parse(update, `updates[${index}]`) });
      } catch (err) {
        // Refused here, alone: an item the wire cannot carry must not hold back the others forever.
        if (!isHandoffError(err, 'InvalidArgument')) throw err;
        outcomes[index] = { ok: false, reason: err.message };
      }
    });
    for (let start = 0; start < sendable.length; start += MAX_BULK_ITEMS) {
      const chunk = sendable.slice(start, start + MAX_BULK_ITEMS);
      const answer = await this.#client.call(UpdateTransferTask, { items: chunk.map((c) => c.item) }, { timeoutMs: this.#timeoutMs });
      if (answer.items.length !== chunk.length) throw new DecodeError(`the core answered ${answer.items.length} items for ${chunk.length} updates`);
      answer.items.forEach((result, k) => {
        outcomes[chunk[k]!.index] = result.outcome === 'applied' ? { ok: true } : { ok: false, reason: `${result.code}: ${result.reason}` };
      });
    }
    return outcomes;
  }

  close(): Promise<void> {
    return this.#client.close();
  }
}
