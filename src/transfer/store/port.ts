/**
 * Where the core keeps transfer tasks: the seed's `transfer_task` table behind one interface, with
 * memory, SQLite and PostgreSQL implementations that pass the same suite
 * (`transferTaskStoreSuite` in `handoff/testing`).
 */
import { FailedPreconditionError, InvalidArgumentError } from '../../core/errors.js';
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
   * a task of the same claim already has the same (initiatedBy, idempotencyKey, requestIndex)
   * (`details.conflict = 'idempotency'`). A task with an idempotency key belongs to the key's
   * current claim (see {@link TransferTaskStore.claimIdempotencyKey}): inserting one for a key
   * nobody holds throws `FailedPreconditionError`.
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
  /**
   * The tasks inserted under the key's current claim, by `requestIndex`; none when nobody holds
   * the key. Tasks of an expired or forgotten claim stay in the store but are no longer found here.
   */
  findByIdempotencyKey(initiatedBy: UserId, key: string): Promise<TransferTask[]>;
  /**
   * Records that `initiatedBy` used `key` at `now` for a request with `fingerprint`, unless the
   * key is already held; returns the fingerprint stored for the key (the first one wins). A claim
   * made before `expiredBefore` has expired: it is replaced as if it were absent, and the tasks
   * inserted under it no longer count for the key (they are not changed).
   */
  claimIdempotencyKey(initiatedBy: UserId, key: string, fingerprint: string, now: number, expiredBefore: number): Promise<string>;
  /**
   * Deletes up to `limit` claims made before `claimedBefore`, oldest first, and returns how many
   * it deleted; a result below `limit` means none is left. Tasks are not changed.
   */
  forgetIdempotencyKeys(claimedBefore: number, limit: number): Promise<number>;
  browse(query: BrowseQuery): Promise<TransferTask[]>;
  /** Releases connections or files. The store is unusable afterwards. */
  close(): Promise<void>;
}

/** For implementations of `insert`: a keyed task whose key nobody holds would belong to no claim. */
export function unclaimed(key: string): FailedPreconditionError {
  return new FailedPreconditionError(`idempotency key ${JSON.stringify(key)} is not claimed; claim it before inserting its tasks`);
}

/** For implementations of `forgetIdempotencyKeys`: a batch is a positive whole number of claims. */
export function assertBatchLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new InvalidArgumentError(`"limit" expected a positive integer, got ${limit}`);
}

/** For implementations of `updateMany`: at most one change per task in one call, or a second would race the first. */
export function assertDistinct(changes: readonly TaskChange[]): void {
  const ids = new Set<TaskId>();
  for (const c of changes) {
    if (ids.has(c.task.id)) throw new InvalidArgumentError(`updateMany got two changes for task ${c.task.id}`);
    ids.add(c.task.id);
  }
}
