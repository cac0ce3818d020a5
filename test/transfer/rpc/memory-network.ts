/**
 * The transfer network on the in-memory transport with scripted plugin and receiver: each party
 * is its own host, so every call crosses the RPC layer with its handshake and schemas.
 */
import { memoryNetwork } from '../../../src/transport/memory.js';
import type { Clock } from '../../../src/core/clock.js';
import type { TaskId } from '../../../src/transfer/types.js';
import { FakePlugin, FakeReceiver } from '../integration/fakes.js';
import { createTransferNetwork, type TransferNetwork } from './network.js';

/** A fake source plugin that also records which task keys it issued. */
export class KeyCountingPlugin extends FakePlugin {
  readonly issued: TaskId[] = [];

  override async issueTransferKey(taskId: TaskId): Promise<string> {
    this.issued.push(taskId);
    return super.issueTransferKey(taskId);
  }
}

export interface MemoryTransferNetwork extends TransferNetwork {
  readonly plugin: KeyCountingPlugin;
  readonly receiver: FakeReceiver;
}

export async function createMemoryTransferNetwork(options: { pollIntervalMs?: number; providerClock?: Clock } = {}): Promise<MemoryTransferNetwork> {
  const net = memoryNetwork();
  const plugin = new KeyCountingPlugin();
  const receiver = new FakeReceiver();
  const network = await createTransferNetwork({
    transportFor: (party) => net.transport({ host: party === 'client' ? `client-${Math.random().toString(36).slice(2)}` : party }),
    listenAddress: (party) => `${party}:0`,
    plugin,
    receiver,
    ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
    ...(options.providerClock === undefined ? {} : { providerClock: options.providerClock }),
  });
  return { ...network, plugin, receiver };
}
