/**
 * A small world for core tests: two providers' drives, a user allowed to move data from hippo to
 * aau, a scripted gateway that records what the core forwards, and a recording notifier.
 */
import { ManualClock } from '../../../src/core/clock.js';
import { UnavailableError } from '../../../src/core/errors.js';
import {
  InMemoryNotificationSettings,
  InMemoryProviderDirectory,
  RecordingNotifier,
  TransferCore,
  type ProviderGateway,
} from '../../../src/transfer/core/index.js';
import { MemoryTransferTaskStore } from '../../../src/transfer/store/memory.js';
import type { TransferTaskStore } from '../../../src/transfer/store/port.js';
import type {
  ProviderId,
  ProviderTransferRequest,
  ProviderTransferResponse,
  TaskControl,
  TaskId,
  TransferTask,
} from '../../../src/transfer/types.js';

export const T0 = 1_700_000_000_000;

/** Records every call and answers as scripted (accept, pausable, by default). */
export class ScriptedGateway implements ProviderGateway {
  readonly forwarded: { provider: ProviderId; requests: readonly ProviderTransferRequest[] }[] = [];
  readonly controls: { provider: ProviderId; taskId: TaskId; control: TaskControl }[] = [];
  answer: (provider: ProviderId, request: ProviderTransferRequest) => ProviderTransferResponse = () => ({ ok: true, capabilities: { canPause: true } });
  /** When set, `forwardTransfers` rejects with it (or returns it if it is not an Error). */
  forwardOutcome: Error | unknown[] | undefined;
  controlError: Error | undefined;
  /** Runs inside `control`, before it resolves: lets a test act as the provider meanwhile. */
  duringControl: (() => Promise<void>) | undefined;

  async forwardTransfers(provider: ProviderId, requests: readonly ProviderTransferRequest[]): Promise<ProviderTransferResponse[]> {
    this.forwarded.push({ provider, requests });
    if (this.forwardOutcome instanceof Error) throw this.forwardOutcome;
    if (this.forwardOutcome) return this.forwardOutcome as ProviderTransferResponse[];
    return requests.map((r) => this.answer(provider, r));
  }

  async control(provider: ProviderId, taskId: TaskId, control: TaskControl): Promise<void> {
    this.controls.push({ provider, taskId, control });
    await this.duringControl?.();
    if (this.controlError) throw this.controlError;
  }

  unreachable(): void {
    this.forwardOutcome = new UnavailableError('connection refused');
  }
}

export interface Fixture {
  core: TransferCore;
  store: TransferTaskStore;
  world: InMemoryProviderDirectory;
  gateway: ScriptedGateway;
  notifier: RecordingNotifier;
  settings: InMemoryNotificationSettings;
  clock: ManualClock;
  /** Every `task` event, in order. */
  events: { task: TransferTask; previous: TransferTask | undefined }[];
  /** Submits one item from hippo's drive 4123 to aau's /5243/inbox and returns its task id. */
  start(sourcePath?: string, user?: string): Promise<TaskId>;
  /** Pushes one update as hippo and returns its result. */
  push(item: Record<string, unknown>, provider?: ProviderId): Promise<unknown>;
}

export function createFixture(store: TransferTaskStore = new MemoryTransferTaskStore()): Fixture {
  const clock = new ManualClock(T0);
  const world = new InMemoryProviderDirectory()
    .addDrive('4123', 'hippo')
    .addDrive('5243', 'aau')
    .addDrive('6000', 'sdu')
    .grant('alice', '4123', 'read', 'edit')
    .grant('alice', '5243', 'read', 'edit')
    .grant('alice', '6000', 'read', 'edit')
    .allocate('alice', 'hippo')
    .allocate('alice', 'aau')
    .allocate('alice', 'sdu')
    .addFolder('/4123/results')
    .addFile('/4123/results.csv')
    .addFolder('/5243/inbox')
    .addFile('/5243/notes.txt')
    .addFolder('/6000/incoming');
  const gateway = new ScriptedGateway();
  const notifier = new RecordingNotifier();
  const settings = new InMemoryNotificationSettings();
  const core = new TransferCore({
    store, drives: world, permissions: world, allocations: world, files: world, gateway, notifier, notificationSettings: settings, clock,
  });
  const events: Fixture['events'] = [];
  core.events.on('task', (task, previous) => events.push({ task, previous }));
  return {
    core, store, world, gateway, notifier, settings, clock, events,
    async start(sourcePath = '/4123/results', user = 'alice') {
      const [result] = await core.transferFilesBetweenProviders(user, [{ sourcePath, destinationPath: '/5243/inbox' }]);
      if (!result?.ok) throw new Error(`transfer refused: ${JSON.stringify(result)}`);
      return result.taskId;
    },
    async push(item, provider = 'hippo') {
      const [result] = await core.updateTransferTask(provider, [item]);
      return result;
    },
  };
}
