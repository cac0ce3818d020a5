/**
 * The PostgreSQL store (pg): the core at scale, also on CockroachDB. Tables live in schema
 * `file_orchestrator` as the seed says; versioned migrations run on open (postgres-schema.ts).
 * Every statement is retried on a serialization failure; an ambiguous commit (40003) is checked
 * by reading back (updates), repeated (idempotent claims and sweeps) or reported (inserts).
 * Bulk updates are one statement (`UPDATE … FROM unnest(…)`) per call. The schema and its
 * migrations live in `postgres-schema.ts`.
 */
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import { AbortedError, FailedPreconditionError, InternalError, isHandoffError, NotFoundError } from '../../core/errors.js';
import type { NewTransferTask } from '../lifecycle.js';
import type { TaskId, TaskState, TransferTask, UserId } from '../types.js';
import { assertBatchLimit, assertDistinct, unclaimed, type BrowseQuery, type TaskChange, type TransferRoute, type TransferTaskStore } from './port.js';
import { ACTIVE_STATES_SQL, browseSql, capabilitiesText, insertConflict } from './sql.js';
import { migrate, REQUESTS, TASKS } from './postgres-schema.js';
import { createPool, retryStatement, type TransactionOptions } from '../../sql/postgres.js';

export { POSTGRES_SCHEMA, POSTGRES_SCHEMA_VERSION } from './postgres-schema.js';

/** How the PostgreSQL store connects: its own pool from a URL, or the host's pool. */
export interface PostgresTransferTaskStoreOptions {
  /** e.g. `postgres://core@db/ucloud`; ignored when `pool` is given. */
  readonly connectionString?: string;
  /** A pool the host owns; `close()` leaves it open. */
  readonly pool?: pg.Pool;
  /** Connections of the pool this store creates (default 4). */
  readonly maxConnections?: number;
}

interface Row {
  id: string;
  provider_id: string;
  initiated_by: string;
  source_path: string;
  destination_path: string;
  state: string;
  progress: number;
  created_at: Date;
  last_update: Date;
  destination_provider: string;
  status: string | null;
  failure_reason: string | null;
  capabilities: TransferTask['capabilities'];
  paused_by_user: boolean;
  idempotency_key: string | null;
  request_index: string | number | null;
  revision: string | number;
}

const UPDATE_MANY = `
  UPDATE ${TASKS} AS t SET state = v.state, progress = v.progress, status = v.status, failure_reason = v.failure_reason,
    capabilities = v.capabilities::jsonb, paused_by_user = v.paused_by_user, last_update = v.last_update, revision = v.revision
  FROM unnest($1::bigint[], $2::int[], $3::text[], $4::float8[], $5::text[], $6::text[], $7::text[], $8::boolean[],
    $9::timestamptz[], $10::int[])
    AS v(id, expected, state, progress, status, failure_reason, capabilities, paused_by_user, last_update, revision)
  WHERE t.id = v.id AND t.revision = v.expected
  RETURNING t.id`;

/**
 * @example
 * ```ts
 * const store = await PostgresTransferTaskStore.open({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export class PostgresTransferTaskStore implements TransferTaskStore {
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;

  private constructor(pool: pg.Pool, ownsPool: boolean) {
    this.#pool = pool;
    this.#ownsPool = ownsPool;
  }

  /** Connects and migrates `file_orchestrator` to the current schema version. */
  static async open(options: PostgresTransferTaskStoreOptions): Promise<PostgresTransferTaskStore> {
    const ownsPool = options.pool === undefined;
    const pool = options.pool ?? createPool(options.connectionString, options.maxConnections);
    try {
      await migrate(pool);
    } catch (err) {
      if (ownsPool) await pool.end();
      throw err;
    }
    return new PostgresTransferTaskStore(pool, ownsPool);
  }

  async insert(task: NewTransferTask): Promise<TransferTask> {
    try {
      // A keyed task takes its key's claim time in the same statement; no claim, no row.
      const { rows } = await this.#query<Row>({
        name: 'transfer_task_insert',
        text: `INSERT INTO ${TASKS} (provider_id, initiated_by, source_path, destination_path, state, progress, created_at,
          last_update, destination_provider, status, failure_reason, capabilities, paused_by_user, idempotency_key, request_index,
          revision, request_claimed_at)
          SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::float8, $7::timestamptz, $8::timestamptz, $9::text,
            $10::text, $11::text, $12::jsonb, $13::boolean, $14::text, $15::integer, $16::integer, claim.created_at
          FROM (SELECT 1) AS one LEFT JOIN ${REQUESTS} AS claim
            ON claim.initiated_by = $2::text AND claim.idempotency_key = $14::text
          WHERE $14::text IS NULL OR claim.created_at IS NOT NULL
          RETURNING *`,
        values: [
          task.sourceProvider, task.initiatedBy, task.sourcePath, task.destinationPath, task.state, task.progress,
          iso(task.createdAt), iso(task.lastUpdate), task.destinationProvider, task.status, task.failureReason,
          capabilitiesText(task), task.pausedByUser, task.idempotencyKey, task.requestIndex, task.revision,
        ],
      });
      if (!rows[0]) throw unclaimed(task.idempotencyKey ?? '');
      return fromRow(rows[0]);
    } catch (err) {
      const e = err as { code?: unknown; constraint?: unknown };
      if (e.code === '23505') throw insertConflict(e.constraint === 'transfer_task_request_item' ? 'idempotency' : 'active-route', err);
      throw err;
    }
  }

  async get(id: TaskId): Promise<TransferTask | undefined> {
    const { rows } = await this.#query<Row>({ name: 'transfer_task_get', text: `SELECT * FROM ${TASKS} WHERE id = $1`, values: [id] });
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async getMany(ids: readonly TaskId[]): Promise<TransferTask[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.#query<Row>({
      name: 'transfer_task_get_many',
      text: `SELECT * FROM ${TASKS} WHERE id = ANY($1::bigint[])`,
      values: [[...new Set(ids)]],
    });
    return rows.map(fromRow);
  }

  async update(change: TaskChange): Promise<void> {
    const [applied] = await this.updateMany([change]);
    if (applied) return;
    const current = await this.get(change.task.id);
    if (!current) throw new NotFoundError(`transfer task ${change.task.id} not found`);
    throw new AbortedError(`transfer task ${change.task.id} changed concurrently (revision ${current.revision}, expected ${change.expectedRevision})`);
  }

  async updateMany(changes: readonly TaskChange[]): Promise<boolean[]> {
    if (changes.length === 0) return [];
    assertDistinct(changes);
    const t = changes.map((c) => c.task);
    try {
      const { rows } = await this.#query<{ id: string }>({
        name: 'transfer_task_update_many',
        text: UPDATE_MANY,
        values: [
          t.map((x) => x.id), changes.map((c) => c.expectedRevision), t.map((x) => x.state), t.map((x) => x.progress),
          t.map((x) => x.status), t.map((x) => x.failureReason), t.map(capabilitiesText), t.map((x) => x.pausedByUser),
          t.map((x) => iso(x.lastUpdate)), t.map((x) => x.revision),
        ],
      });
      const applied = new Set(rows.map((r) => taskId(r.id)));
      return t.map((x) => applied.has(x.id));
    } catch (err) {
      if (!isHandoffError(err) || err.name !== 'AmbiguousCommitError') throw err;
      // The commit may or may not have happened: a task now exactly as written was written.
      const now = new Map((await this.getMany(t.map((x) => x.id))).map((x) => [x.id, x]));
      return t.map((x) => sameTask(now.get(x.id), x));
    }
  }

  async findActive(route: TransferRoute): Promise<TransferTask | undefined> {
    // md5(...) = md5($n) lets the planner use the partial unique index; the plain comparison is the truth.
    const { rows } = await this.#query<Row>({
      name: 'transfer_task_find_active',
      text: `SELECT * FROM ${TASKS} WHERE provider_id = $1 AND destination_provider = $3
        AND md5(source_path) = md5($2) AND md5(destination_path) = md5($4)
        AND source_path = $2 AND destination_path = $4 AND state IN (${ACTIVE_STATES_SQL})`,
      values: [route.sourceProvider, route.sourcePath, route.destinationProvider, route.destinationPath],
    });
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async findByIdempotencyKey(initiatedBy: UserId, key: string): Promise<TransferTask[]> {
    const { rows } = await this.#query<Row>({
      text: `SELECT t.* FROM ${TASKS} AS t JOIN ${REQUESTS} AS claim
         ON claim.initiated_by = t.initiated_by AND claim.idempotency_key = t.idempotency_key AND claim.created_at = t.request_claimed_at
       WHERE t.initiated_by = $1 AND t.idempotency_key = $2 ORDER BY t.request_index`,
      values: [initiatedBy, key],
    });
    return rows.map(fromRow);
  }

  async claimIdempotencyKey(initiatedBy: UserId, key: string, fingerprint: string, now: number, expiredBefore: number): Promise<string> {
    // Claim, replace an expired claim, or read the live one, in one statement. ON CONFLICT DO UPDATE
    // judges the latest committed claim; the second branch reads our snapshot, so it skips expired rows.
    // A repeat after an ambiguous commit finds its own claim and returns the same fingerprint.
    const { rows } = await this.#query<{ fingerprint: string }>({
      text: `WITH claimed AS (
         INSERT INTO ${REQUESTS} AS r (initiated_by, idempotency_key, fingerprint, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (initiated_by, idempotency_key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, created_at = EXCLUDED.created_at
           WHERE r.created_at < $5
         RETURNING fingerprint)
       SELECT fingerprint FROM claimed
       UNION ALL SELECT fingerprint FROM ${REQUESTS} WHERE initiated_by = $1 AND idempotency_key = $2 AND created_at >= $5`,
      values: [initiatedBy, key, fingerprint, iso(now), iso(expiredBefore)],
    }, IDEMPOTENT);
    const stored = rows[0]?.fingerprint;
    if (stored !== undefined) return stored;
    // The live claim was committed after our snapshot began: read it now.
    const again = await this.#query<{ fingerprint: string }>({
      text: `SELECT fingerprint FROM ${REQUESTS} WHERE initiated_by = $1 AND idempotency_key = $2`,
      values: [initiatedBy, key],
    });
    if (!again.rows[0]) throw new FailedPreconditionError(`idempotency key ${JSON.stringify(key)} vanished`);
    return again.rows[0].fingerprint;
  }

  async forgetIdempotencyKeys(claimedBefore: number, limit: number): Promise<number> {
    assertBatchLimit(limit);
    // SKIP LOCKED: two cores sweeping at once take different batches instead of queueing.
    // Deleting again after an ambiguous commit deletes what is still old, which is what was asked.
    const { rowCount } = await this.#query({
      text: `DELETE FROM ${REQUESTS} AS r USING (
         SELECT initiated_by, idempotency_key FROM ${REQUESTS} WHERE created_at < $1
         ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED) AS old
       WHERE r.initiated_by = old.initiated_by AND r.idempotency_key = old.idempotency_key`,
      values: [iso(claimedBefore), limit],
    }, IDEMPOTENT);
    return rowCount ?? 0;
  }

  async browse(query: BrowseQuery): Promise<TransferTask[]> {
    const values: (string | number)[] = [];
    const text = browseSql(TASKS, query, (value, kind) => {
      values.push(kind === 'time' ? iso(value as number) : value);
      return kind === 'time' ? `$${values.length}::timestamptz` : `$${values.length}`;
    });
    const { rows } = await this.#query<Row>({ text, values });
    return rows.map(fromRow);
  }

  async close(): Promise<void> {
    if (this.#ownsPool && !this.#pool.ended) await this.#pool.end();
  }

  /** One statement, run again after a serialization failure (CockroachDB's SERIALIZABLE asks for that even of single statements). */
  #query<R extends pg.QueryResultRow = pg.QueryResultRow>(config: pg.QueryConfig, options?: TransactionOptions): Promise<pg.QueryResult<R>> {
    return retryStatement(() => this.#pool.query<R>(config), options);
  }
}

/** For statements that may run again after they committed without changing the outcome. */
const IDEMPOTENT: TransactionOptions = { idempotent: true };

/** Whether `stored` holds exactly what `written` says, revision included. */
function sameTask(stored: TransferTask | undefined, written: TransferTask): boolean {
  return stored !== undefined && isDeepStrictEqual(stored, written);
}

/**
 * A bigint column's value as a task id or count. pg hands bigints (every INT on CockroachDB)
 * back as strings; one beyond 2^53 cannot become a number exactly, and is refused, not rounded.
 */
function taskId(value: string | number): number {
  const id = Number(value);
  if (!Number.isSafeInteger(id)) throw new InternalError(`transfer task store read ${String(value)}, not a safe integer`);
  return id;
}

function optionalInt(value: string | number | null): number | null {
  return value === null ? null : taskId(value);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function fromRow(row: Row): TransferTask {
  return {
    id: taskId(row.id),
    initiatedBy: row.initiated_by,
    sourceProvider: row.provider_id,
    sourcePath: row.source_path,
    destinationProvider: row.destination_provider,
    destinationPath: row.destination_path,
    state: row.state as TaskState,
    progress: row.progress,
    status: row.status,
    failureReason: row.failure_reason,
    capabilities: row.capabilities,
    pausedByUser: row.paused_by_user,
    idempotencyKey: row.idempotency_key,
    requestIndex: optionalInt(row.request_index),
    createdAt: row.created_at.getTime(),
    lastUpdate: row.last_update.getTime(),
    revision: taskId(row.revision),
  };
}
