/**
 * The integration module's PostgreSQL store (pg), also on CockroachDB. Tables live in schema
 * `provider_integration`, keyed by provider id, so the modules of several providers can share
 * one database; migrations are versioned in `handoff_schema_versions` like every store's.
 *
 * The {@link IntegrationStore} port is synchronous (the module reads it in the middle of its
 * state machine), and pg is not. So this store keeps its provider's rows in memory, loaded on
 * open, answers reads from there and writes through to PostgreSQL in order, batching what queued
 * up meanwhile into one transaction. {@link PostgresIntegrationStore.flush} is the durability
 * barrier: the module awaits it before it tells anyone anything (the core, a peer, a receiver),
 * so nothing announced is lost by a crash. Every write is an upsert or a delete of what it names,
 * so a batch whose commit was ambiguous (40003) or failed on a dropped connection is simply run
 * again. One provider id is owned by one running module at a time, as a SQLite file is.
 */
import { InternalError } from '../../core/errors.js';
import { hasSqlState, inTransaction } from '../../sql/transaction.js';
import { openMigratedPool, type PoolHandle, type PostgresStoreOptions } from '../../sql/postgres.js';
import type { ProviderId, TaskId, TransferTaskUpdate } from '../types.js';
import {
  ACK, fromIncomingRow, fromOutboxRow, fromOutgoingRow, IN, int, INTEGRATION_STORE_NAME, MIGRATIONS, OUT, OUTBOX, pick, toOutgoingValues,
  UPSERT_IN, UPSERT_OUT, UPSERT_OUTBOX, type IncomingRow, type OutboxRow, type OutgoingRow,
} from './postgres-schema.js';
import type { IncomingTask, IntegrationStore, OutgoingFilter, OutgoingTask, PendingUpdate } from './store.js';

export { INTEGRATION_SCHEMA, INTEGRATION_SCHEMA_VERSION } from './postgres-schema.js';

/** Where the PostgreSQL integration store keeps its data, and whose. */
export type PostgresIntegrationStoreOptions = PostgresStoreOptions & {
  /** The provider whose rows this store holds; modules of other providers may share the database. */
  readonly providerId: ProviderId;
  /** Told about writes that failed and will be tried again (default: ignored). */
  readonly onError?: (error: unknown, context: string) => void;
};

interface Write {
  readonly text: string;
  readonly values: unknown[];
}

// A batch that fails on these cannot succeed by running again: the store stops instead of looping.
const PERMANENT = (err: unknown): boolean => /^(22|23|42)/.test(String((err as { code?: unknown } | null)?.code ?? ''));
const MOST_WRITES_PER_BATCH = 500;
const MAX_BACKOFF_MS = 5000;

/**
 * The PostgreSQL {@link IntegrationStore}; see the file comment for how a synchronous port meets
 * an asynchronous database.
 *
 * @example
 * ```ts
 * const store = await PostgresIntegrationStore.open({ connectionString: 'postgres://im@db/handoff', providerId: 'hippo' });
 * ```
 */
export class PostgresIntegrationStore implements IntegrationStore {
  readonly #handle: PoolHandle;
  readonly #provider: ProviderId;
  readonly #onError: (error: unknown, context: string) => void;
  readonly #outgoing = new Map<TaskId, OutgoingTask>();
  readonly #incoming = new Map<TaskId, IncomingTask>();
  /** Pending outbox entries by seq, oldest first (Map keeps insertion order; a merge keeps its place). */
  readonly #outbox = new Map<number, TransferTaskUpdate>();
  readonly #lastSeqOf = new Map<TaskId, number>();
  #nextSeq: number;
  #queue: Write[] = [];
  #writing: Promise<void> | null = null;
  #failure: unknown = undefined;
  #closing = false;
  #wake: (() => void) | undefined;

  private constructor(handle: PoolHandle, options: PostgresIntegrationStoreOptions, nextSeq: number) {
    this.#handle = handle;
    this.#provider = options.providerId;
    this.#onError = options.onError ?? (() => undefined);
    this.#nextSeq = nextSeq;
  }

  /** Connects, migrates `provider_integration` and loads `options.providerId`'s rows. */
  static async open(options: PostgresIntegrationStoreOptions): Promise<PostgresIntegrationStore> {
    const handle = await openMigratedPool(options, INTEGRATION_STORE_NAME, MIGRATIONS);
    try {
      const p = [options.providerId];
      const [out, inc, box] = await Promise.all([
        handle.pool.query<OutgoingRow>(`SELECT * FROM ${OUT} WHERE provider_id = $1 ORDER BY task_id`, p),
        handle.pool.query<IncomingRow>(`SELECT * FROM ${IN} WHERE provider_id = $1`, p),
        handle.pool.query<OutboxRow>(`SELECT * FROM ${OUTBOX} WHERE provider_id = $1 ORDER BY seq`, p),
      ]);
      const lastSeq = box.rows.reduce((max, r) => Math.max(max, int(r.seq)), 0);
      const store = new PostgresIntegrationStore(handle, options, lastSeq + 1);
      for (const r of out.rows) store.#outgoing.set(int(r.task_id), fromOutgoingRow(r));
      for (const r of inc.rows) store.#incoming.set(int(r.task_id), fromIncomingRow(r));
      for (const r of box.rows) {
        const update = fromOutboxRow(r);
        store.#outbox.set(int(r.seq), update);
        store.#lastSeqOf.set(update.taskId, int(r.seq));
      }
      return store;
    } catch (err) {
      if (handle.owned) await handle.pool.end();
      throw err;
    }
  }

  insertOutgoing(task: OutgoingTask, update: TransferTaskUpdate | null): boolean {
    this.#check();
    if (this.#outgoing.has(task.taskId)) return false;
    this.#putOutgoing(task);
    if (update) this.#enqueue(update, Number.MAX_SAFE_INTEGER);
    return true;
  }

  getOutgoing(taskId: TaskId): OutgoingTask | undefined {
    this.#check();
    return this.#outgoing.get(taskId);
  }

  listOutgoing(filter: OutgoingFilter): OutgoingTask[] {
    this.#check();
    const all = [...this.#outgoing.values()].sort((a, b) => a.taskId - b.taskId);
    if (filter === 'all') return all;
    if (filter === 'release-pending') return all.filter((t) => t.releasePending);
    return all.filter((t) => t.state === 'INITIATED' || t.state === 'RUNNING' || t.state === 'PAUSED');
  }

  saveOutgoing(task: OutgoingTask, update: TransferTaskUpdate | null, mergeAfterSeq: number): void {
    this.#check();
    // As SQLite's UPDATE: a task never inserted is not created by saving it.
    if (this.#outgoing.has(task.taskId)) this.#putOutgoing(task);
    if (update) this.#enqueue(update, mergeAfterSeq);
  }

  pendingUpdates(limit: number): PendingUpdate[] {
    this.#check();
    const out: PendingUpdate[] = [];
    for (const [seq, update] of this.#outbox) {
      if (out.length >= limit) break;
      out.push({ seq, update: { ...update } });
    }
    return out;
  }

  acknowledgeUpdates(seq: number): void {
    this.#check();
    for (const [s, update] of this.#outbox) {
      if (s > seq) break;
      this.#outbox.delete(s);
      if (this.#lastSeqOf.get(update.taskId) === s) this.#lastSeqOf.delete(update.taskId);
    }
    this.#write(ACK, [this.#provider, seq]);
  }

  putIncoming(task: IncomingTask): void {
    this.#check();
    const known = this.#incoming.get(task.taskId);
    // As SQLite's ON CONFLICT: only the entry name and the release change once a task is known.
    const row: IncomingTask = known ? { ...known, entryName: task.entryName, releasedAt: task.releasedAt } : { ...task };
    this.#incoming.set(task.taskId, Object.freeze(row));
    this.#write(UPSERT_IN, [this.#provider, row.taskId, row.sourceProvider, row.destinationPath, row.entryName, row.pluginType, row.createdAt, row.releasedAt]);
  }

  getIncoming(taskId: TaskId): IncomingTask | undefined {
    this.#check();
    return this.#incoming.get(taskId);
  }

  /** Resolves once every write made so far is committed; rejects when the store has stopped on a write that cannot succeed. */
  async flush(): Promise<void> {
    while (this.#queue.length > 0 || this.#writing) {
      if (this.#failure !== undefined) break;
      await (this.#writing ?? this.#startWriter());
    }
    this.#check();
  }

  /** Commits what is queued (one more try each while the database is unreachable), then ends the pool it opened. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#wake?.();
    await this.flush().catch(() => undefined);
    if (this.#handle.owned && !this.#handle.pool.ended) await this.#handle.pool.end();
  }

  #check(): void {
    if (this.#failure !== undefined) {
      throw new InternalError(`the integration store of provider "${this.#provider}" stopped after a write failed; restart the module`, { cause: this.#failure });
    }
  }

  #putOutgoing(task: OutgoingTask): void {
    const copy = Object.freeze({ ...task, parameters: task.parameters === null ? null : Object.freeze(structuredClone(task.parameters)) });
    this.#outgoing.set(task.taskId, copy);
    this.#write(UPSERT_OUT, toOutgoingValues(this.#provider, copy));
  }

  /** Appends to the outbox, or merges into the task's latest entry under the port's rule. */
  #enqueue(update: TransferTaskUpdate, mergeAfterSeq: number): void {
    const lastSeq = this.#lastSeqOf.get(update.taskId);
    const last = lastSeq === undefined ? undefined : this.#outbox.get(lastSeq);
    let seq: number;
    let merged: TransferTaskUpdate;
    if (lastSeq !== undefined && last && lastSeq > mergeAfterSeq && (last.newState === undefined || update.newState === undefined)) {
      seq = lastSeq;
      merged = {
        taskId: update.taskId,
        ...pick('newState', update.newState ?? last.newState),
        ...pick('newProgress', update.newProgress ?? last.newProgress),
        ...pick('newStatus', update.newStatus ?? last.newStatus),
      };
    } else {
      seq = this.#nextSeq++;
      merged = { taskId: update.taskId, ...pick('newState', update.newState), ...pick('newProgress', update.newProgress), ...pick('newStatus', update.newStatus) };
    }
    this.#outbox.set(seq, merged);
    this.#lastSeqOf.set(update.taskId, seq);
    this.#write(UPSERT_OUTBOX, [this.#provider, seq, merged.taskId, merged.newState ?? null, merged.newProgress ?? null, merged.newStatus ?? null]);
  }

  #write(text: string, values: unknown[]): void {
    this.#queue.push({ text, values });
    if (!this.#writing) void this.#startWriter();
  }

  #startWriter(): Promise<void> {
    this.#writing = this.#drain().finally(() => {
      this.#writing = null;
      // A write queued after the loop's last look but before this callback ran.
      if (this.#queue.length > 0 && this.#failure === undefined) void this.#startWriter();
    });
    return this.#writing;
  }

  /** Commits the queue in order, a batch per transaction; a batch that fails is run again until it commits. */
  async #drain(): Promise<void> {
    let failures = 0;
    while (this.#queue.length > 0 && this.#failure === undefined) {
      const batch = this.#queue.slice(0, MOST_WRITES_PER_BATCH);
      try {
        await inTransaction(
          this.#handle.pool,
          async (client) => {
            for (const w of batch) await client.query(w.text, w.values);
          },
          { idempotent: true, retryable: hasSqlState(new Set(['40001', '40P01'])) },
        );
        this.#queue.splice(0, batch.length);
        failures = 0;
      } catch (err) {
        if (PERMANENT(err)) {
          this.#failure = err;
          this.#onError(err, `a write of the integration store cannot succeed; the store stops`);
          return;
        }
        failures += 1;
        if (this.#closing && failures > 1) {
          this.#failure = err;
          return;
        }
        this.#onError(err, `writing ${batch.length} change(s) to PostgreSQL failed; retrying`);
        await this.#backoff(Math.min(MAX_BACKOFF_MS, 100 * 2 ** failures));
      }
    }
  }

  /** A pause that {@link close} cuts short (it runs no timer past close). */
  #backoff(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
      if (this.#closing) done();
    });
  }
}
