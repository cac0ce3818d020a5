/**
 * The integration module's SQLite store (better-sqlite3, WAL): one file per module, migrations
 * versioned with `PRAGMA user_version`.
 */
import Database from 'better-sqlite3';
import type { TransferParameters } from '../plugin.js';
import type { TaskState, TransferTaskUpdate } from '../types.js';
import type { IncomingTask, IntegrationStore, OutgoingFilter, OutgoingTask, PauseCause, PendingUpdate } from './store.js';
import { openSqliteFile } from '../../sql/sqlite.js';

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE outgoing_task (
    task_id INTEGER PRIMARY KEY,
    plugin_type TEXT NOT NULL,
    source_path TEXT NOT NULL,
    local_source_path TEXT NOT NULL,
    destination_provider TEXT NOT NULL,
    destination_path TEXT NOT NULL,
    entry_name TEXT NOT NULL,
    verify_checksums INTEGER NOT NULL,
    parameters TEXT,
    state TEXT NOT NULL,
    progress REAL NOT NULL CHECK (progress >= 0 AND progress <= 100),
    status TEXT,
    pid INTEGER,
    attempts INTEGER NOT NULL,
    paused_at INTEGER,
    pause_cause TEXT,
    next_attempt_at INTEGER,
    last_error TEXT,
    release_pending INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX outgoing_task_open ON outgoing_task (state) WHERE state IN ('INITIATED', 'RUNNING', 'PAUSED') OR release_pending = 1;
  CREATE TABLE incoming_task (
    task_id INTEGER PRIMARY KEY,
    source_provider TEXT NOT NULL,
    destination_path TEXT NOT NULL,
    entry_name TEXT,
    plugin_type TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    released_at INTEGER
  );
  CREATE TABLE core_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id INTEGER NOT NULL,
    new_state TEXT,
    new_progress REAL,
    new_status TEXT
  );
  CREATE INDEX core_outbox_by_task ON core_outbox (task_id, seq);
  `,
];

interface OutgoingRow {
  task_id: number;
  plugin_type: string;
  source_path: string;
  local_source_path: string;
  destination_provider: string;
  destination_path: string;
  entry_name: string;
  verify_checksums: number;
  parameters: string | null;
  state: string;
  progress: number;
  status: string | null;
  pid: number | null;
  attempts: number;
  paused_at: number | null;
  pause_cause: string | null;
  next_attempt_at: number | null;
  last_error: string | null;
  release_pending: number;
  created_at: number;
  updated_at: number;
}

interface OutboxRow {
  seq: number;
  task_id: number;
  new_state: string | null;
  new_progress: number | null;
  new_status: string | null;
}

const COLUMNS = [
  'task_id', 'plugin_type', 'source_path', 'local_source_path', 'destination_provider', 'destination_path', 'entry_name',
  'verify_checksums', 'parameters', 'state', 'progress', 'status', 'pid', 'attempts', 'paused_at', 'pause_cause',
  'next_attempt_at', 'last_error', 'release_pending', 'created_at', 'updated_at',
] as const;

/** Where the SQLite integration store keeps its data. */
export interface SqliteIntegrationStoreOptions {
  /** A file path, or `':memory:'`. */
  readonly path: string;
}

/**
 * The SQLite {@link IntegrationStore}.
 *
 * @example
 * ```ts
 * const store = SqliteIntegrationStore.open({ path: '/var/lib/handoff/integration.db' });
 * ```
 */
export class SqliteIntegrationStore implements IntegrationStore {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #save: Database.Statement;
  readonly #get: Database.Statement;
  readonly #lastPending: Database.Statement;
  readonly #appendUpdate: Database.Statement;
  readonly #replaceUpdate: Database.Statement;

  private constructor(db: Database.Database) {
    this.#db = db;
    const placeholders = COLUMNS.map((c) => `@${c}`).join(', ');
    this.#insert = db.prepare(`INSERT OR IGNORE INTO outgoing_task (${COLUMNS.join(', ')}) VALUES (${placeholders})`);
    this.#save = db.prepare(`UPDATE outgoing_task SET ${COLUMNS.slice(1).map((c) => `${c} = @${c}`).join(', ')} WHERE task_id = @task_id`);
    this.#get = db.prepare('SELECT * FROM outgoing_task WHERE task_id = ?');
    this.#lastPending = db.prepare('SELECT * FROM core_outbox WHERE task_id = ? ORDER BY seq DESC LIMIT 1');
    this.#appendUpdate = db.prepare('INSERT INTO core_outbox (task_id, new_state, new_progress, new_status) VALUES (?, ?, ?, ?)');
    this.#replaceUpdate = db.prepare('UPDATE core_outbox SET new_state = ?, new_progress = ?, new_status = ? WHERE seq = ?');
  }

  /** Opens (creating and migrating when needed) the store at `options.path`. */
  static open(options: SqliteIntegrationStoreOptions): SqliteIntegrationStore {
    // FULL: a task's process id and state must survive a power loss, or a restart cannot reconcile.
    const db = openSqliteFile(options.path, { synchronous: 'FULL' });
    const version = db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < MIGRATIONS.length; v++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[v] as string);
        db.pragma(`user_version = ${v + 1}`);
      })();
    }
    return new SqliteIntegrationStore(db);
  }

  insertOutgoing(task: OutgoingTask, update: TransferTaskUpdate | null): boolean {
    return this.#db.transaction(() => {
      const inserted = this.#insert.run(toRow(task)).changes === 1;
      if (inserted && update) this.#enqueue(update, Number.MAX_SAFE_INTEGER);
      return inserted;
    })();
  }

  getOutgoing(taskId: number): OutgoingTask | undefined {
    const row = this.#get.get(taskId) as OutgoingRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  listOutgoing(filter: OutgoingFilter): OutgoingTask[] {
    const where =
      filter === 'active' ? "WHERE state IN ('INITIATED', 'RUNNING', 'PAUSED')" : filter === 'release-pending' ? 'WHERE release_pending = 1' : '';
    return (this.#db.prepare(`SELECT * FROM outgoing_task ${where} ORDER BY task_id`).all() as OutgoingRow[]).map(fromRow);
  }

  saveOutgoing(task: OutgoingTask, update: TransferTaskUpdate | null, mergeAfterSeq: number): void {
    this.#db.transaction(() => {
      this.#save.run(toRow(task));
      if (update) this.#enqueue(update, mergeAfterSeq);
    })();
  }

  pendingUpdates(limit: number): PendingUpdate[] {
    const rows = this.#db.prepare('SELECT * FROM core_outbox ORDER BY seq LIMIT ?').all(limit) as OutboxRow[];
    return rows.map((r) => ({ seq: r.seq, update: toUpdate(r) }));
  }

  acknowledgeUpdates(seq: number): void {
    this.#db.prepare('DELETE FROM core_outbox WHERE seq <= ?').run(seq);
  }

  putIncoming(task: IncomingTask): void {
    this.#db
      .prepare(
        `INSERT INTO incoming_task (task_id, source_provider, destination_path, entry_name, plugin_type, created_at, released_at)
         VALUES (@taskId, @sourceProvider, @destinationPath, @entryName, @pluginType, @createdAt, @releasedAt)
         ON CONFLICT (task_id) DO UPDATE SET entry_name = excluded.entry_name, released_at = excluded.released_at`,
      )
      .run({ ...task });
  }

  getIncoming(taskId: number): IncomingTask | undefined {
    const r = this.#db.prepare('SELECT * FROM incoming_task WHERE task_id = ?').get(taskId) as
      | { task_id: number; source_provider: string; destination_path: string; entry_name: string | null; plugin_type: string; created_at: number; released_at: number | null }
      | undefined;
    if (!r) return undefined;
    return {
      taskId: r.task_id,
      sourceProvider: r.source_provider,
      destinationPath: r.destination_path,
      entryName: r.entry_name,
      pluginType: r.plugin_type,
      createdAt: r.created_at,
      releasedAt: r.released_at,
    };
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #enqueue(update: TransferTaskUpdate, mergeAfterSeq: number): void {
    const last = this.#lastPending.get(update.taskId) as OutboxRow | undefined;
    const canMerge = last !== undefined && last.seq > mergeAfterSeq && (last.new_state === null || update.newState === undefined);
    if (last && canMerge) {
      this.#replaceUpdate.run(update.newState ?? last.new_state, update.newProgress ?? last.new_progress, update.newStatus ?? last.new_status, last.seq);
    } else {
      this.#appendUpdate.run(update.taskId, update.newState ?? null, update.newProgress ?? null, update.newStatus ?? null);
    }
  }
}

function toUpdate(r: OutboxRow): TransferTaskUpdate {
  return {
    taskId: r.task_id,
    ...(r.new_state === null ? {} : { newState: r.new_state as TaskState }),
    ...(r.new_progress === null ? {} : { newProgress: r.new_progress }),
    ...(r.new_status === null ? {} : { newStatus: r.new_status }),
  };
}

function toRow(t: OutgoingTask): OutgoingRow {
  return {
    task_id: t.taskId,
    plugin_type: t.pluginType,
    source_path: t.sourcePath,
    local_source_path: t.localSourcePath,
    destination_provider: t.destinationProvider,
    destination_path: t.destinationPath,
    entry_name: t.entryName,
    verify_checksums: t.verifyChecksums ? 1 : 0,
    parameters: t.parameters === null ? null : JSON.stringify(t.parameters),
    state: t.state,
    progress: t.progress,
    status: t.status,
    pid: t.pid,
    attempts: t.attempts,
    paused_at: t.pausedAt,
    pause_cause: t.pauseCause,
    next_attempt_at: t.nextAttemptAt,
    last_error: t.lastError,
    release_pending: t.releasePending ? 1 : 0,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
  };
}

function fromRow(r: OutgoingRow): OutgoingTask {
  return {
    taskId: r.task_id,
    pluginType: r.plugin_type,
    sourcePath: r.source_path,
    localSourcePath: r.local_source_path,
    destinationProvider: r.destination_provider,
    destinationPath: r.destination_path,
    entryName: r.entry_name,
    verifyChecksums: r.verify_checksums === 1,
    parameters: r.parameters === null ? null : (JSON.parse(r.parameters) as TransferParameters),
    state: r.state as TaskState,
    progress: r.progress,
    status: r.status,
    pid: r.pid,
    attempts: r.attempts,
    pausedAt: r.paused_at,
    pauseCause: r.pause_cause as PauseCause | null,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    releasePending: r.release_pending === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
