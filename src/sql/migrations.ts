/**
 * Versioned schema migrations for the satellite's stores, which may share one database (one
 * SQLite file, or one PostgreSQL/CockroachDB database). Each store keeps its own row in
 * `handoff_schema_versions`, so the overlay, projects and ledger migrate independently and a
 * store added later never renumbers another's schema.
 *
 * Concurrent opens are safe without advisory locks (CockroachDB has none): the version row is
 * locked with `SELECT ... FOR UPDATE` for the migrating transaction, and the one race left —
 * two first-ever opens creating the versions table at once — is retried.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { FailedPreconditionError } from '../core/errors.js';
import { hasSqlState, inTransaction } from './transaction.js';

/** The table holding one `(store, version)` row per store. */
export const SCHEMA_VERSIONS_TABLE = 'handoff_schema_versions';

const CREATE_VERSIONS = `CREATE TABLE IF NOT EXISTS ${SCHEMA_VERSIONS_TABLE} (store TEXT PRIMARY KEY, version INTEGER NOT NULL)`;

function tooNew(store: string, version: number, known: number): FailedPreconditionError {
  return new FailedPreconditionError(`the ${store} store's schema is at version ${version}, newer than this code (${known})`);
}

/**
 * Brings `store`'s tables in a SQLite database up to `steps.length`. Step `i` moves the schema
 * from version `i` to `i + 1`; never edit a step that has shipped, append one.
 */
export function migrateSqlite(db: Database.Database, store: string, steps: readonly string[]): void {
  // IMMEDIATE takes the write lock first, so two processes opening one file migrate one at a time.
  db.transaction(() => {
    db.exec(CREATE_VERSIONS);
    db.prepare(`INSERT INTO ${SCHEMA_VERSIONS_TABLE} (store, version) VALUES (?, 0) ON CONFLICT DO NOTHING`).run(store);
    const version = db.prepare(`SELECT version FROM ${SCHEMA_VERSIONS_TABLE} WHERE store = ?`).pluck().get(store) as number;
    if (version > steps.length) throw tooNew(store, version, steps.length);
    for (let v = version; v < steps.length; v++) db.exec(steps[v]!);
    db.prepare(`UPDATE ${SCHEMA_VERSIONS_TABLE} SET version = ? WHERE store = ?`).run(steps.length, store);
  }).immediate();
}

/** The version `store` is at in a SQLite database (0 when it never migrated). */
export function sqliteSchemaVersion(db: Database.Database, store: string): number {
  const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(SCHEMA_VERSIONS_TABLE);
  if (!exists) return 0;
  return (db.prepare(`SELECT version FROM ${SCHEMA_VERSIONS_TABLE} WHERE store = ?`).pluck().get(store) as number | undefined) ?? 0;
}

// unique_violation / duplicate_table: two first opens created the versions table at once;
// serialization_failure / deadlock_detected: CockroachDB (or PostgreSQL) asks for a retry.
const RETRYABLE = new Set(['23505', '42P07', '40001', '40P01']);

/**
 * Brings `store`'s tables in a PostgreSQL (or CockroachDB) database up to `steps.length`, in one
 * transaction. Plain SQL only: no advisory locks, no PL/pgSQL.
 */
export function migratePostgres(pool: pg.Pool, store: string, steps: readonly string[]): Promise<void> {
  return inTransaction(
    pool,
    async (client) => {
      await client.query(CREATE_VERSIONS);
      await client.query(`INSERT INTO ${SCHEMA_VERSIONS_TABLE} (store, version) VALUES ($1, 0) ON CONFLICT DO NOTHING`, [store]);
      // The row lock makes a second migrator of this store wait here until the first commits.
      const { rows } = await client.query<{ version: number }>(
        `SELECT version FROM ${SCHEMA_VERSIONS_TABLE} WHERE store = $1 FOR UPDATE`,
        [store],
      );
      const version = Number(rows[0]?.version ?? 0);
      if (version > steps.length) throw tooNew(store, version, steps.length);
      for (let v = version; v < steps.length; v++) await client.query(steps[v]!);
      if (version !== steps.length) {
        await client.query(`UPDATE ${SCHEMA_VERSIONS_TABLE} SET version = $1 WHERE store = $2`, [steps.length, store]);
      }
    },
    { retryable: hasSqlState(RETRYABLE) },
  );
}

/** Copies a driver's `Buffer` into a plain `Uint8Array` (so results compare equal to inputs and never pin a pool slab). */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** A `Buffer` view of bytes, as the drivers want for parameters. */
export function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
