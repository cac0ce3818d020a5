/** The console's calls to its methods on the core (`Console.*`), with the user's key; browser-safe. */
import type { Identity } from '../../crypto/identity.js';
import type { NodeId } from '../../crypto/node-id.js';
import { RpcClient } from '../../rpc/client.js';
import type { Transport } from '../../transport/types.js';
import { GetSettings, SetSettings, TaskHistory, type ConsoleSettings, type HistoryEntry } from './methods.js';

export class ConsoleClient {
  readonly #rpc: RpcClient;

  constructor(options: { transport: Transport; coreAddress: string; coreId: NodeId; identity: Identity }) {
    this.#rpc = new RpcClient({ transport: options.transport, address: options.coreAddress, identity: options.identity, expectedPeer: options.coreId });
  }

  settings(): Promise<ConsoleSettings> {
    return this.#rpc.call(GetSettings, {});
  }

  saveSettings(settings: ConsoleSettings): Promise<ConsoleSettings> {
    return this.#rpc.call(SetSettings, settings);
  }

  /** The task's states, oldest first; `NotFoundError` for another user's task. */
  async history(taskId: number): Promise<HistoryEntry[]> {
    return (await this.#rpc.call(TaskHistory, { taskId })).entries;
  }

  close(): Promise<void> {
    return this.#rpc.close();
  }
}
