/**
 * The SQLite metabase (better-sqlite3): one file in WAL mode, migrated on open. Operations run
 * synchronously; each multi-statement one is one IMMEDIATE transaction, so writers — in this
 * process or another — take turns and every commit is atomic.
 */
import Database from 'better-sqlite3';
import { FailedPreconditionError } from '../../core/errors.js';
import type { Plan, PlanRunner, Step } from './sql/plan.js';
import { SEGMENT_COLUMNS, segmentValues } from './sql/rows.js';
import { migrations } from './sql/schema.js';
import { toSqliteError } from './sql/sqlite-errors.js';
import { SEGMENTS } from './sql/statements.js';
import { SqlMetabaseStore } from './sql/store.js';
import type { SegmentRecord } from './types.js';
import * as v from './validate.js';
import { drivePlan, type StepResult } from '../../sql/plan.js';
import { openSqlite, type SqliteHandle, type SqliteStoreOptions } from '../../sql/sqlite.js';

const MIGRATIONS = migrations('sqlite');

/** The schema version this code writes. */
export const SQLITE_METABASE_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Where the SQLite metabase keeps its data: its own connection to `{ path }`, or a connection the
 * host owns, `{ database }` (shared with the satellite's other stores; `close()` leaves it open).
 */
export type SqliteMetabaseStoreOptions = SqliteStoreOptions;

class SqliteRunner implements PlanRunner {
  readonly db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  readonly #transaction: Database.Transaction<(body: () => unknown) => unknown>;
  /** Whether `close()` closes the connection: false for one the host owns. */
  readonly #owned: boolean;

  constructor({ db, owned }: SqliteHandle) {
    this.db = db;
    this.#owned = owned;
    this.#transaction = db.transaction((body: () => unknown) => body());
  }

  async run<T>(plan: () => Plan<T>): Promise<T> {
    try {
      return drivePlan(plan(), this.#execute);
    } catch (err) {
      throw toSqliteError(err);
    }
  }

  async transact<T>(plan: () => Plan<T>): Promise<T> {
    try {
      // IMMEDIATE takes the write lock up front: no other writer can slip in between a read and a write.
      return this.#transaction.immediate(() => drivePlan(plan(), this.#execute)) as T;
    } catch (err) {
      throw toSqliteError(err);
    }
  }

  async close(): Promise<void> {
    if (this.#owned && this.db.open) this.db.close();
  }

  readonly #execute = (step: Step): StepResult => {
    let statement = this.#statements.get(step.statement.name);
    if (!statement) {
      // `$n` (PostgreSQL style) becomes the named parameter `@pn`, so a placeholder may repeat.
      statement = this.db.prepare(step.statement.text.replace(/\$(\d+)/g, '@p$1'));
      this.#statements.set(step.statement.name, statement);
    }
    const params: Record<string, unknown> = {};
    step.values.forEach((value, i) => {
      params[`p${i + 1}`] = value;
    });
    if (statement.reader) {
      const rows = statement.all(params) as Record<string, unknown>[];
      return { rows, count: rows.length };
    }
    return { rows: [], count: statement.run(params).changes };
  };
}

/**
 * @example
 * ```ts
 * const store = await SqliteMetabaseStore.open({ path: '/var/lib/satellite/metabase.db' });
 * await store.createBucket({ projectId, name: 'photos', createdAt: Date.now() });
 * await store.close();
 * ```
 */
export class SqliteMetabaseStore extends SqlMetabaseStore {
  readonly #db: Database.Database;
  #bulkInsert: Database.Statement | undefined;

  private constructor(runner: SqliteRunner) {
    super(runner, 'sqlite');
    this.#db = runner.db;
  }

  /**
   * Opens (creating if needed) the database — its own connection to `{ path }`, or a connection
   * the host owns, `{ database }` — and migrates it to the current schema.
   */
  static async open(options: SqliteMetabaseStoreOptions): Promise<SqliteMetabaseStore> {
    let handle: SqliteHandle;
    try {
      handle = openSqlite(options);
    } catch (err) {
      throw toSqliteError(err);
    }
    try {
      migrate(handle.db);
      return new SqliteMetabaseStore(new SqliteRunner(handle));
    } catch (err) {
      if (handle.owned) handle.db.close();
      throw toSqliteError(err);
    }
  }

  /**
   * Inserts segment rows as they are — one transaction, one prepared statement — for benchmarks
   * and imports that need many rows fast (a million in seconds). Each row's stream must exist;
   * it skips the upload checks (pending, deadline) of `commitSegment`, and a taken position
   * fails the whole batch. Returns the number of rows inserted.
   *
   * @example
   * ```ts
   * await store.beginObject(begin);
   * store.bulkInsertSegments(function* () {
   *   for (let index = 0; index < 1_000_000; index++) yield { ...template, position: { part: 0, index } };
   * }());
   * ```
   */
  bulkInsertSegments(segments: Iterable<SegmentRecord>): number {
    this.#bulkInsert ??= this.#db.prepare(`INSERT INTO ${SEGMENTS} (${SEGMENT_COLUMNS.join(', ')})
      VALUES (${SEGMENT_COLUMNS.map(() => '?').join(', ')})`);
    const insert = this.#bulkInsert;
    const all = this.#db.transaction(() => {
      let count = 0;
      for (const segment of segments) {
        v.requireBytes(segment.streamId, 'streamId', v.ID_LENGTH);
        const pieces = v.validateSegmentBody(segment);
        v.requireCount(segment.plainOffset, 'plainOffset');
        insert.run(...segmentValues({ ...segment, pieces }));
        count++;
      }
      return count;
    });
    try {
      return all.immediate();
    } catch (err) {
      throw toSqliteError(err);
    }
  }
}

function migrate(db: Database.Database): void {
  // IMMEDIATE takes the write lock first, so two processes opening one file migrate one at a time.
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS metabase_migrations (version INTEGER PRIMARY KEY)');
    const { version } = db.prepare('SELECT COALESCE(MAX(version), 0) AS version FROM metabase_migrations').get() as { version: number };
    if (version > MIGRATIONS.length) {
      throw new FailedPreconditionError(`metabase has schema version ${version}, newer than this code (${MIGRATIONS.length})`);
    }
    const record = db.prepare('INSERT INTO metabase_migrations (version) VALUES (?)');
    for (let next = version; next < MIGRATIONS.length; next++) {
      db.exec(MIGRATIONS[next]!);
      record.run(next + 1);
    }
  }).immediate();
}
