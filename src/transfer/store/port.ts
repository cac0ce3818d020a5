/**
 * Where the core keeps transfer tasks: the seed's `transfer_task` table behind one interface, with
 * memory, SQLite and PostgreSQL implementations that pass the same suite
 * (`transferTaskStoreSuite` in `handoff/testing`).
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { NewTransferTask } from '../lifecycle.js';
import type { ProviderId, TaskId, TaskState, TransferTask, UserId } from '../types.js';

/** The states in which a task still holds its route (see {@link TransferRoute}). */
export const ACTIVE_STATES: readonly TaskState[] = ['INITIATED', 'RUNNING', 'PAUSED'];

/** What makes two transfers identical: at most one active task may hold a route. */
export interface TransferRoute {
  readonly sourceProvider: ProviderId;
  readonly sourcePath: string;
  readonly destinationProvider: ProviderId;
  readonly destinationPath: string;
}

/**
 * A compare-and-swap of one task: write `task`'s mutable fields (state, progress, status,
 * failure reason, capabilities, paused-by-user, last update, revision) only if the stored
 * revision is still `expectedRevision`. The other fields never change after insert.
 */
export interface TaskChange {
  readonly task: TransferTask;
  readonly expectedRevision: number;
}

/**
 * A page of one user's tasks, newest first (by id, which is stable while tasks change).
 * A task matches when it is in `states` (if given), has `provider` as its source or destination
 * (if given), and is either active or had its last update in `[since, until)`.
 */
export interface BrowseQuery {
  readonly initiatedBy: UserId;
  readonly states?: readonly TaskState[];
  readonly provider?: ProviderId;
  /** Inclusive lower bound (ms) on `lastUpdate` of finished tasks. */
  readonly since?: number;
  /** Exclusive upper bound (ms) on `lastUpdate` of finished tasks. */
  readonly until?: number;
  /** Only tasks with an id below this one (the previous page's last id). */
  readonly beforeId?: TaskId;
  readonly limit: number;
}

/**
 * The store port. Implementations must make {@link TransferTaskStore.update} and
 * {@link TransferTaskStore.updateMany} atomic per task (two racing changes to one task cannot
 * both apply) and enforce the two uniqueness rules of {@link TransferTaskStore.insert}.
 *
 * @example
 * ```ts
 * const store = await SqliteTransferTaskStore.open({ path: 'core.db' });
 * const core = new TransferCore({ store, ...ports });
 * ```
 */
export interface TransferTaskStore {
  /**
   * Stores a new task and gives it an id (increasing, never reused). Throws `AlreadyExistsError`
   * when an active task already holds the same route (`details.conflict = 'active-route'`), or
   * a task already has the same (initiatedBy, idempotencyKey, requestIndex)
   * (`details.conflict = 'idempotency'`).
   */
  insert(task: NewTransferTask): Promise<TransferTask>;
  get(id: TaskId): Promise<TransferTask | undefined>;
  /** The tasks among `ids` that exist, in any order. One read for a whole bulk update. */
  getMany(ids: readonly TaskId[]): Promise<TransferTask[]>;
  /** One compare-and-swap. Throws `AbortedError` when the revision moved, `NotFoundError` when there is no such task. */
  update(change: TaskChange): Promise<void>;
  /**
   * Many compare-and-swaps in one statement or transaction; per change, true when it applied and
   * false when the revision moved or the task is gone. At most one change per task id.
   */
  updateMany(changes: readonly TaskChange[]): Promise<boolean[]>;
  /** The active task holding `route`, if any. */
  findActive(route: TransferRoute): Promise<TransferTask | undefined>;
  /** The tasks created by one idempotent request, by `requestIndex`. */
  findByIdempotencyKey(initiatedBy: UserId, key: string): Promise<TransferTask[]>;
  /**
   * Records that `initiatedBy` used `key` for a request with `fingerprint`, unless the key was
   * used before; returns the fingerprint stored for the key (the first one wins).
   */
  claimIdempotencyKey(initiatedBy: UserId, key: string, fingerprint: string, now: number): Promise<string>;
  browse(query: BrowseQuery): Promise<TransferTask[]>;
  /** Releases connections or files. The store is unusable afterwards. */
  close(): Promise<void>;
}

/** For implementations of `updateMany`: at most one change per task in one call, or a second would race the first. */
export function assertDistinct(changes: readonly TaskChange[]): void {
  const ids = new Set<TaskId>();
  for (const c of changes) {
    if (ids.has(c.task.id)) throw new InvalidArgumentError(`updateMany got two changes for task ${c.task.id}`);
    ids.add(c.task.id);
  }
}
