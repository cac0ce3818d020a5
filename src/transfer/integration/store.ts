/**
 * What the integration module keeps about its tasks (seed 004: "the source provider keeps track
 * of each on-going transfer by a task ID and process ID"), and the outbox of updates the core
 * has not acknowledged yet. Written before anything is announced, so a restart loses nothing.
 */
import type { TransferParameters } from '../plugin.js';
import type { ProviderId, TaskId, TaskState, TransferTaskUpdate } from '../types.js';

/** Why a task is PAUSED: the user asked, an error to retry, or a full destination to wait out. */
export type PauseCause = 'user' | 'error' | 'out-of-space';

/** A task this provider sends (it is the source). */
export interface OutgoingTask {
  readonly taskId: TaskId;
  readonly pluginType: string;
  /** The source as the core names it. */
  readonly sourcePath: string;
  /** The source as a local path. */
  readonly localSourcePath: string;
  readonly destinationProvider: ProviderId;
  readonly destinationPath: string;
  /** The name of the transferred entry inside the destination folder. */
  readonly entryName: string;
  readonly verifyChecksums: boolean;
  /** The destination's negotiated parameters; null until negotiated. */
  readonly parameters: TransferParameters | null;
  readonly state: TaskState;
  /** Highest percentage reported (0..100): the floor progress never goes below. */
  readonly progress: number;
  readonly status: string | null;
  /** The transfer process, while one runs. */
  readonly pid: number | null;
  /** Consecutive attempts without progress. */
  readonly attempts: number;
  readonly pausedAt: number | null;
  readonly pauseCause: PauseCause | null;
  /** When to retry (launch, resume or release), ms since the epoch. */
  readonly nextAttemptAt: number | null;
  readonly lastError: string | null;
  /** Terminal, but the plugin and the destination have not yet been told to clean up. */
  readonly releasePending: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A task this provider receives (it is the destination). */
export interface IncomingTask {
  readonly taskId: TaskId;
  readonly sourceProvider: ProviderId;
  readonly destinationPath: string;
  /** Learned at negotiation; null before. */
  readonly entryName: string | null;
  readonly pluginType: string;
  readonly createdAt: number;
  /** When the source reported the end and this side cleaned up; null while open. */
  readonly releasedAt: number | null;
}

/** An update waiting in the outbox. */
export interface PendingUpdate {
  readonly seq: number;
  readonly update: TransferTaskUpdate;
}

/** Which outgoing tasks to list. */
export type OutgoingFilter = 'active' | 'release-pending' | 'all';

/**
 * The integration module's store. Synchronous: the module reads it in the middle of its state
 * machine; a store over an asynchronous database keeps an image in memory and writes behind
 * (see {@link IntegrationStore.flush}). One running module owns a store's data.
 *
 * @example
 * ```ts
 * const store = SqliteIntegrationStore.open({ path: '/var/lib/handoff/im.db' });
 * ```
 */
export interface IntegrationStore {
  /** Inserts a new task; false (and nothing changes) when the id exists. */
  insertOutgoing(task: OutgoingTask, update: TransferTaskUpdate | null): boolean;
  getOutgoing(taskId: TaskId): OutgoingTask | undefined;
  listOutgoing(filter: OutgoingFilter): OutgoingTask[];
  /**
   * Replaces the task's row and appends `update` to the outbox in one transaction. The update is
   * merged into the task's latest pending one when that is newer than `mergeAfterSeq` (not being
   * pushed right now) and at most one of the two changes the state, so state changes keep their
   * order and a long run of progress updates takes one row.
   */
  saveOutgoing(task: OutgoingTask, update: TransferTaskUpdate | null, mergeAfterSeq: number): void;
  /** The oldest `limit` outbox entries. */
  pendingUpdates(limit: number): PendingUpdate[];
  /** Drops outbox entries up to and including `seq`. */
  acknowledgeUpdates(seq: number): void;
  putIncoming(task: IncomingTask): void;
  getIncoming(taskId: TaskId): IncomingTask | undefined;
  /**
   * Resolves once everything written so far is durable. A store whose writes are durable when
   * the call returns (SQLite) has none; one that writes behind (PostgreSQL, whose driver is
   * asynchronous) has it, and the module awaits it before it tells the core, a peer or a
   * receiver anything, so what was announced survives a crash.
   */
  flush?(): Promise<void>;
  close(): void | Promise<void>;
}
