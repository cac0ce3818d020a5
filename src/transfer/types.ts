/**
 * Shared vocabulary of the provider-transfer world (seed 004): task states, the records the core
 * keeps, and the plugin interface an integration module runs.
 */

/**
 * `INITIATED` accepted by the source provider, not started; `RUNNING` making progress; `PAUSED`
 * temporarily not making progress (user request or recoverable error); `SUCCESS` finished;
 * `FAILURE` cannot continue because of an error; `HALTED` stopped on purpose before finishing —
 * canceled by the user, or stopped by the provider's policy (e.g. paused longer than it allows).
 * The last three are terminal.
 */
export type TaskState = 'INITIATED' | 'RUNNING' | 'PAUSED' | 'SUCCESS' | 'FAILURE' | 'HALTED';

/** The states a transfer task never leaves. */
export const TERMINAL_STATES: readonly TaskState[] = ['SUCCESS', 'FAILURE', 'HALTED'];

/** True for a state a transfer task never leaves (success, failure, halted). */
export function isTerminal(state: TaskState): boolean {
  return TERMINAL_STATES.includes(state);
}

/** What a plugin can do besides start and cancel. Pause implies resume (seed 004). */
export interface PluginCapabilities {
  readonly canPause: boolean;
}

/** The state and percentage a plugin reports for one of its transfers. */
export interface FileTransferState {
  readonly state: TaskState;
  /** 0..100, or -1 while the total is not yet known (indeterminate). */
  readonly progress: number;
  /** Human-readable detail: rate, ETA, last error. */
  readonly status?: string;
}

/** A task id: the core's `transfer_task.id` (a bigserial; always a safe integer here). */
export type TaskId = number;

/** A provider's id as the core knows it (e.g. `"ucloud"`, `"hippo"`). */
export type ProviderId = string;

/**
 * The core → source provider request for one accepted item (the seed's
 * `TransferFilesBetweenProvidersForProvider.RequestItem`).
 */
export interface ProviderTransferRequest {
  readonly taskId: TaskId;
  readonly sourcePath: string;
  readonly destinationPath: string;
  readonly destinationProvider: ProviderId;
}

/** The source provider's answer per item: accepted (with what its plugin can do) or refused. */
export type ProviderTransferResponse =
  | { readonly ok: true; readonly capabilities: PluginCapabilities }
  | { readonly ok: false; readonly reason: string };

/** One item of `UpdateTransferTask` (seed 004), sent only by the task's source provider. */
export interface TransferTaskUpdate {
  readonly taskId: TaskId;
  readonly newState?: TaskState;
  /** 0..100 inclusive; never lower than the last accepted value. */
  readonly newProgress?: number;
  readonly newStatus?: string;
}

/** What a user may ask of a running task; forwarded by the core to the source provider. */
export type TaskControl = 'cancel' | 'pause' | 'resume';

/** A user of the core, as the host's authentication names them (e.g. `"alice#1231"`). */
export type UserId = string;

/**
 * One transfer task as the core keeps it: the seed's `transfer_task` row plus what the core needs
 * to decide (destination provider, the provider's capabilities, the idempotency key, why it
 * failed, whether the user asked for the pause). Changed only through the lifecycle's `transition`.
 */
export interface TransferTask {
  readonly id: TaskId;
  readonly initiatedBy: UserId;
  /** The source provider: the only party that may push updates (`transfer_task.provider_id`). */
  readonly sourceProvider: ProviderId;
  readonly sourcePath: string;
  readonly destinationProvider: ProviderId;
  /** The destination folder. */
  readonly destinationPath: string;
  readonly state: TaskState;
  /** 0..100 inclusive, never decreasing; 100 once `SUCCESS`. */
  readonly progress: number;
  /** The provider's latest human-readable detail (rate, ETA, last error), or null. */
  readonly status: string | null;
  /** Why the task ended in `FAILURE` or `HALTED`, or null. */
  readonly failureReason: string | null;
  /** What the source provider's plugin can do; null until the provider has accepted the task. */
  readonly capabilities: PluginCapabilities | null;
  /** True from the moment the provider acknowledged a user's pause until it acknowledged a resume. */
  readonly pausedByUser: boolean;
  /** The client's idempotency key and this item's position in that request, or null. */
  readonly idempotencyKey: string | null;
  readonly requestIndex: number | null;
  /** Milliseconds since the Unix epoch. */
  readonly createdAt: number;
  readonly lastUpdate: number;
  /** Incremented by every change; stores compare-and-swap against it. */
  readonly revision: number;
}
