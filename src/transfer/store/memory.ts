/**
 * The in-memory store: for tests and for embedding the core where nothing must survive a restart.
 * Same rules as the SQL stores (uniqueness, compare-and-swap), checked in plain code.
 */
import { AbortedError, AlreadyExistsError, FailedPreconditionError, NotFoundError } from '../../core/errors.js';
import type { NewTransferTask } from '../lifecycle.js';
import { isTerminal, type TaskId, type TransferTask, type UserId } from '../types.js';
import { assertBatchLimit, assertDistinct, unclaimed, type BrowseQuery, type TaskChange, type TransferRoute, type TransferTaskStore } from './port.js';

/**
 * @example
 * ```ts
 * const core = new TransferCore({ store: new MemoryTransferTaskStore(), ...ports });
 * ```
 */
export class MemoryTransferTaskStore implements TransferTaskStore {
  readonly #tasks = new Map<TaskId, TransferTask>();
  /** Idempotency claims by {@link claimId}. */
  readonly #claims = new Map<string, { fingerprint: string; claimedAt: number }>();
  /** For each task inserted under an idempotency key: when that key's claim was made. */
  readonly #claimedAtOf = new Map<TaskId, number>();
  #nextId = 1;
  #closed = false;

  async insert(task: NewTransferTask): Promise<TransferTask> {
    this.#open();
    if (!isTerminal(task.state) && this.#active(task)) {
      throw new AlreadyExistsError('an identical transfer is already active', { details: { conflict: 'active-route' } });
    }
    let claimedAt: number | undefined;
    if (task.idempotencyKey !== null) {
      claimedAt = this.#claims.get(claimId(task.initiatedBy, task.idempotencyKey))?.claimedAt;
      if (claimedAt === undefined) throw unclaimed(task.idempotencyKey);
      const twin = this.#ofClaim(task.initiatedBy, task.idempotencyKey).some((t) => t.requestIndex === task.requestIndex);
      if (twin) throw new AlreadyExistsError('this request item already has a task', { details: { conflict: 'idempotency' } });
    }
    const stored = freeze({ ...task, id: this.#nextId++ });
    this.#tasks.set(stored.id, stored);
    if (claimedAt !== undefined) this.#claimedAtOf.set(stored.id, claimedAt);
    return stored;
  }

  async get(id: TaskId): Promise<TransferTask | undefined> {
    this.#open();
    return this.#tasks.get(id);
  }

  async getMany(ids: readonly TaskId[]): Promise<TransferTask[]> {
    this.#open();
    const found: TransferTask[] = [];
    for (const id of new Set(ids)) {
      const task = this.#tasks.get(id);
      if (task) found.push(task);
    }
    return found;
  }

  async update(change: TaskChange): Promise<void> {
    this.#open();
    const current = this.#tasks.get(change.task.id);
    if (!current) throw new NotFoundError(`transfer task ${change.task.id} not found`);
    if (!this.#swap(change)) {
      throw new AbortedError(`transfer task ${change.task.id} changed concurrently (revision ${current.revision}, expected ${change.expectedRevision})`);
    }
  }

  async updateMany(changes: readonly TaskChange[]): Promise<boolean[]> {
    this.#open();
    assertDistinct(changes);
    return changes.map((change) => this.#swap(change));
  }

  async findActive(route: TransferRoute): Promise<TransferTask | undefined> {
    this.#open();
    return this.#active(route);
  }

  async findByIdempotencyKey(initiatedBy: UserId, key: string): Promise<TransferTask[]> {
    this.#open();
    return this.#ofClaim(initiatedBy, key).sort((a, b) => (a.requestIndex ?? 0) - (b.requestIndex ?? 0));
  }

  async claimIdempotencyKey(initiatedBy: UserId, key: string, fingerprint: string, now: number, expiredBefore: number): Promise<string> {
    this.#open();
    const id = claimId(initiatedBy, key);
    const stored = this.#claims.get(id);
    if (stored !== undefined && stored.claimedAt >= expiredBefore) return stored.fingerprint;
    this.#claims.set(id, { fingerprint, claimedAt: now });
    return fingerprint;
  }

  async forgetIdempotencyKeys(claimedBefore: number, limit: number): Promise<number> {
    this.#open();
    assertBatchLimit(limit);
    const expired = [...this.#claims].filter(([, c]) => c.claimedAt < claimedBefore).sort(([, a], [, b]) => a.claimedAt - b.claimedAt);
    const batch = expired.slice(0, limit);
    for (const [id] of batch) this.#claims.delete(id);
    return batch.length;
  }

  async browse(query: BrowseQuery): Promise<TransferTask[]> {
    this.#open();
    const page: TransferTask[] = [];
    // Ids only grow, so walking the map backwards is newest first.
    for (const task of [...this.#tasks.values()].reverse()) {
      if (page.length >= query.limit) break;
      if (matchesBrowse(task, query)) page.push(task);
    }
    return page;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #swap(change: TaskChange): boolean {
    const current = this.#tasks.get(change.task.id);
    if (!current || current.revision !== change.expectedRevision) return false;
    const t = change.task;
    this.#tasks.set(current.id, freeze({
      ...current,
      state: t.state,
      progress: t.progress,
      status: t.status,
      failureReason: t.failureReason,
      capabilities: t.capabilities,
      pausedByUser: t.pausedByUser,
      lastUpdate: t.lastUpdate,
      revision: t.revision,
    }));
    return true;
  }

  /** The tasks inserted under the key's current claim. */
  #ofClaim(initiatedBy: UserId, key: string): TransferTask[] {
    const claimedAt = this.#claims.get(claimId(initiatedBy, key))?.claimedAt;
    if (claimedAt === undefined) return [];
    return [...this.#tasks.values()].filter(
      (t) => t.initiatedBy === initiatedBy && t.idempotencyKey === key && this.#claimedAtOf.get(t.id) === claimedAt,
    );
  }

  #active(route: TransferRoute): TransferTask | undefined {
    for (const t of this.#tasks.values()) {
      if (
        !isTerminal(t.state) &&
        t.sourceProvider === route.sourceProvider &&
        t.sourcePath === route.sourcePath &&
        t.destinationProvider === route.destinationProvider &&
        t.destinationPath === route.destinationPath
      ) return t;
    }
    return undefined;
  }

  #open(): void {
    if (this.#closed) throw new FailedPreconditionError('the transfer task store is closed');
  }
}

function claimId(initiatedBy: UserId, key: string): string {
  return JSON.stringify([initiatedBy, key]);
}

/** The browse filter of {@link BrowseQuery}, in plain code. */
export function matchesBrowse(task: TransferTask, query: BrowseQuery): boolean {
  if (task.initiatedBy !== query.initiatedBy) return false;
  if (query.beforeId !== undefined && task.id >= query.beforeId) return false;
  if (query.states && !query.states.includes(task.state)) return false;
  if (query.provider !== undefined && task.sourceProvider !== query.provider && task.destinationProvider !== query.provider) return false;
  if (!isTerminal(task.state)) return true;
  if (query.since !== undefined && task.lastUpdate < query.since) return false;
  if (query.until !== undefined && task.lastUpdate >= query.until) return false;
  return true;
}

/** A private, frozen copy: callers can neither change what is stored nor be changed by it. */
function freeze(task: TransferTask): TransferTask {
  return Object.freeze({ ...task, capabilities: task.capabilities ? Object.freeze({ ...task.capabilities }) : null });
}
