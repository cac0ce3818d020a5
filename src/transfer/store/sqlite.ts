/**
 * The SQLite store (better-sqlite3): the embedded durable default. One file in WAL mode;
 * migrations are versioned with `PRAGMA user_version` and run on open.
 */
import Database from 'better-sqlite3';
import { AbortedError, FailedPreconditionError, NotFoundError } from '../../core/errors.js';
import type { NewTransferTask } from '../lifecycle.js';
import type { TaskId, TaskState, TransferTask, UserId } from '../types.js';
import { assertBatchLimit, assertDistinct, unclaimed, type BrowseQuery, type TaskChange, type TransferRoute, type TransferTaskStore } from './port.js';
import { ACTIVE_STATES_SQL, browseSql, capabilitiesText, insertConflict } from './sql.js';
import { openSqliteFile } from '../../sql/sqlite.js';

/** Each entry moves the schema one version up; never edit one that has shipped, append instead. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE transfer_task (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider_id TEXT NOT NULL,
    initiated_by TEXT NOT NULL,
    source_path TEXT NOT NULL,
    destination_path TEXT NOT NULL,
    state TEXT NOT NULL,
    progress REAL NOT NULL CHECK (progress >= 0 AND progress <= 100),
    created_at INTEGER NOT NULL,
    last_update INTEGER NOT NULL,
    destination_provider TEXT NOT NULL,
    status TEXT,
    failure_reason TEXT,
    capabilities TEXT,
    paused_by_user INTEGER NOT NULL DEFAULT 0,
    idempotency_key TEXT,
    request_index INTEGER,
    revision INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX transfer_task_by_user ON transfer_task (initiated_by, id);
  CREATE UNIQUE INDEX transfer_task_active_route
    ON transfer_task (provider_id, source_path, destination_provider, destination_path)
    WHERE state IN (${ACTIVE_STATES_SQL});
  CREATE UNIQUE INDEX transfer_task_request_item
    ON transfer_task (initiated_by, idempotency_key, request_index)
    WHERE idempotency_key IS NOT NULL;
  CREATE TABLE transfer_request (
    initiated_by TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (initiated_by, idempotency_key)
  );
  `,
  // Idempotency keys expire: each keyed task records its key's claim time, so a key claimed anew
  // starts a fresh set of request items, and the sweeper finds old claims by time.
  `
  ALTER TABLE transfer_task ADD COLUMN request_claimed_at INTEGER;
  UPDATE transfer_task SET request_claimed_at = (SELECT r.created_at FROM transfer_request AS r
    WHERE r.initiated_by = transfer_task.initiated_by AND r.idempotency_key = transfer_task.idempotency_key)
  WHERE idempotency_key IS NOT NULL;
  DROP INDEX transfer_task_request_item;
  CREATE UNIQUE INDEX transfer_task_request_item
    ON transfer_task (initiated_by, idempotency_key, request_claimed_at, request_index)
    WHERE idempotency_key IS NOT NULL;
  CREATE INDEX transfer_request_by_claim_time ON transfer_request (created_at);
  `,
];

/** The schema version this code writes. */
export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

/** Where the SQLite store keeps its data. */
export interface SqliteTransferTaskStoreOptions {
  /** A file path, or `':memory:'`. */
  readonly path: string;
}

interface Row {
  id: number;
  provider_id: string;
  initiated_by: string;
  source_path: string;
  destination_path: string;
  state: string;
  progress: number;
  created_at: number;
  last_update: number;
  destination_provider: string;
  status: string | null;
  failure_reason: string | null;
  capabilities: string | null;
  paused_by_user: number;
  idempotency_key: string | null;
  request_index: number | null;
  revision: number;
}

/**
 * @example
 * ```ts
 * const store = await SqliteTransferTaskStore.open({ path: '/var/lib/core/transfers.db' });
 * // ... use it ...
 * await store.close();
 * ```
 */
export class SqliteTransferTaskStore implements TransferTaskStore {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<[Record<string, string | number | null>], Row>;
  readonly #get: Database.Statement<[number], Row>;
  readonly #getMany: Database.Statement<[string], Row>;
  readonly #update: Database.Statement;
  readonly #findActive: Database.Statement<[string, string, string, string], Row>;
  readonly #byKey: Database.Statement<[string, string], Row>;
  readonly #claim: (initiatedBy: UserId, key: string, fingerprint: string, now: number, expiredBefore: number) => string;
  readonly #forget: Database.Statement<[number, number]>;
  readonly #updateAll: (changes: readonly TaskChange[]) => boolean[];

  private constructor(db: Database.Database) {
    this.#db = db;
    // A keyed task takes its key's claim time in the same statement; no claim, no row.
    this.#insert = db.prepare(`INSERT INTO transfer_task (provider_id, initiated_by, source_path, destination_path, state, progress,
      created_at, last_update, destination_provider, status, failure_reason, capabilities, paused_by_user, idempotency_key,
      request_index, revision, request_claimed_at)
      SELECT @provider_id, @initiated_by, @source_path, @destination_path, @state, @progress, @created_at, @last_update,
        @destination_provider, @status, @failure_reason, @capabilities, @paused_by_user, @idempotency_key, @request_index,
        @revision, claim.created_at
      FROM (SELECT 1) LEFT JOIN transfer_request AS claim
        ON claim.initiated_by = @initiated_by AND claim.idempotency_key = @idempotency_key
      WHERE @idempotency_key IS NULL OR claim.created_at IS NOT NULL
      RETURNING *`);
    this.#get = db.prepare('SELECT * FROM transfer_task WHERE id = ?');
    this.#getMany = db.prepare('SELECT * FROM transfer_task WHERE id IN (SELECT value FROM json_each(?))');
    this.#update = db.prepare(`UPDATE transfer_task SET state = ?, progress = ?, status = ?, failure_reason = ?, capabilities = ?,
      paused_by_user = ?, last_update = ?, revision = ? WHERE id = ? AND revision = ?`);
    this.#findActive = db.prepare(`SELECT * FROM transfer_task WHERE provider_id = ? AND source_path = ? AND destination_provider = ?
      AND destination_path = ? AND state IN (${ACTIVE_STATES_SQL})`);
    this.#byKey = db.prepare(`SELECT t.* FROM transfer_task AS t JOIN transfer_request AS claim
      ON claim.initiated_by = t.initiated_by AND claim.idempotency_key = t.idempotency_key AND claim.created_at = t.request_claimed_at
      WHERE t.initiated_by = ? AND t.idempotency_key = ? ORDER BY t.request_index`);
    // An expired claim is overwritten in place: the key is free again, its old tasks drop out of #byKey.
    const claim = db.prepare<[string, string, string, number, number]>(`INSERT INTO transfer_request
      (initiated_by, idempotency_key, fingerprint, created_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (initiated_by, idempotency_key) DO UPDATE SET fingerprint = excluded.fingerprint, created_at = excluded.created_at
      WHERE transfer_request.created_at < ?`);
    const claimed = db.prepare<[string, string], { fingerprint: string }>(
      'SELECT fingerprint FROM transfer_request WHERE initiated_by = ? AND idempotency_key = ?',
    );
    this.#claim = db.transaction((initiatedBy: UserId, key: string, fingerprint: string, now: number, expiredBefore: number) => {
      claim.run(initiatedBy, key, fingerprint, now, expiredBefore);
      const row = claimed.get(initiatedBy, key);
      if (!row) throw new FailedPreconditionError(`idempotency key ${JSON.stringify(key)} vanished`);
      return row.fingerprint;
    });
    this.#forget = db.prepare(`DELETE FROM transfer_request WHERE rowid IN
      (SELECT rowid FROM transfer_request WHERE created_at < ? ORDER BY created_at LIMIT ?)`);
    // One transaction per bulk: one commit instead of one per item.
    this.#updateAll = db.transaction((changes: readonly TaskChange[]) => changes.map((c) => this.#swap(c)));
  }

  /** Opens (creating if needed) the database at `path` and migrates it to the current schema. */
  static async open(options: SqliteTransferTaskStoreOptions): Promise<SqliteTransferTaskStore> {
    const db = openSqliteFile(options.path);
    try {
      migrate(db);
      return new SqliteTransferTaskStore(db);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  async insert(task: NewTransferTask): Promise<TransferTask> {
    try {
      const row = this.#insert.get({
        provider_id: task.sourceProvider, initiated_by: task.initiatedBy, source_path: task.sourcePath,
        destination_path: task.destinationPath, state: task.state, progress: task.progress, created_at: task.createdAt,
        last_update: task.lastUpdate, destination_provider: task.destinationProvider, status: task.status,
        failure_reason: task.failureReason, capabilities: capabilitiesText(task), paused_by_user: task.pausedByUser ? 1 : 0,
        idempotency_key: task.idempotencyKey, request_index: task.requestIndex, revision: task.revision,
      });
      if (!row) throw unclaimed(task.idempotencyKey ?? '');
      return fromRow(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw insertConflict(String((err as Error).message).includes('idempotency_key') ? 'idempotency' : 'active-route', err);
      throw err;
    }
  }

  async get(id: TaskId): Promise<TransferTask | undefined> {
    const row = this.#get.get(id);
    return row ? fromRow(row) : undefined;
  }

  async getMany(ids: readonly TaskId[]): Promise<TransferTask[]> {
    if (ids.length === 0) return [];
    return this.#getMany.all(JSON.stringify([...new Set(ids)])).map(fromRow);
  }

  async update(change: TaskChange): Promise<void> {
    if (this.#swap(change)) return;
    const current = this.#get.get(change.task.id);
    if (!current) throw new NotFoundError(`transfer task ${change.task.id} not found`);
    throw new AbortedError(`transfer task ${change.task.id} changed concurrently (revision ${current.revision}, expected ${change.expectedRevision})`);
  }

  async updateMany(changes: readonly TaskChange[]): Promise<boolean[]> {
    assertDistinct(changes);
    return this.#updateAll(changes);
  }

  async findActive(route: TransferRoute): Promise<TransferTask | undefined> {
    const row = this.#findActive.get(route.sourceProvider, route.sourcePath, route.destinationProvider, route.destinationPath);
    return row ? fromRow(row) : undefined;
  }

  async findByIdempotencyKey(initiatedBy: UserId, key: string): Promise<TransferTask[]> {
    return this.#byKey.all(initiatedBy, key).map(fromRow);
  }

  async claimIdempotencyKey(initiatedBy: UserId, key: string, fingerprint: string, now: number, expiredBefore: number): Promise<string> {
    return this.#claim(initiatedBy, key, fingerprint, now, expiredBefore);
  }

  async forgetIdempotencyKeys(claimedBefore: number, limit: number): Promise<number> {
    assertBatchLimit(limit);
    return this.#forget.run(claimedBefore, limit).changes;
  }

  async browse(query: BrowseQuery): Promise<TransferTask[]> {
    const params: (string | number)[] = [];
    const sql = browseSql('transfer_task', query, (value) => {
      params.push(value);
      return '?';
    });
    return (this.#db.prepare(sql).all(...params) as Row[]).map(fromRow);
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }

  #swap(change: TaskChange): boolean {
    const t = change.task;
    const result = this.#update.run(
      t.state, t.progress, t.status, t.failureReason, capabilitiesText(t), t.pausedByUser ? 1 : 0, t.lastUpdate, t.revision,
      t.id, change.expectedRevision,
    );
    return result.changes === 1;
  }
}

function migrate(db: Database.Database): void {
  // IMMEDIATE takes the write lock first, so two processes opening one file migrate one at a time.
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new FailedPreconditionError(`transfer task database has schema version ${version}, newer than this code (${MIGRATIONS.length})`);
    }
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}

function fromRow(row: Row): TransferTask {
  return {
    id: row.id,
    initiatedBy: row.initiated_by,
    sourceProvider: row.provider_id,
    sourcePath: row.source_path,
    destinationProvider: row.destination_provider,
    destinationPath: row.destination_path,
    state: row.state as TaskState,
    progress: row.progress,
    status: row.status,
    failureReason: row.failure_reason,
    capabilities: row.capabilities === null ? null : (JSON.parse(row.capabilities) as TransferTask['capabilities']),
    pausedByUser: row.paused_by_user === 1,
    idempotencyKey: row.idempotency_key,
    requestIndex: row.request_index,
    createdAt: row.created_at,
    lastUpdate: row.last_update,
    revision: row.revision,
  };
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}
