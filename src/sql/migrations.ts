/**
 * Versioned schema migrations for the satellite's stores, which may share one database (one
 * SQLite file, or one PostgreSQL/CockroachDB database). Each store keeps its own row in
 * `handoff_schema_versions`, so the overlay, projects and ledger migrate independently and a
 * store added later never renumbers another's schema.
 *
 * Concurrent opens are safe without advisory locks (CockroachDB has none): the version row is
 * locked with `SELECT ... FOR UPDATE` for each migrating transaction, and the one race left —
 * two first-ever opens creating the versions table at once — is retried. It is the one
 * migration mechanism of every store, the metabase's and the transfer core's included (their
 * older tables are adopted, see {@link LegacyVersions}).
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { FailedPreconditionError } from '../core/errors.js';
import { hasSqlState, inTransaction, retryStatement } from './transaction.js';

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

// unique_violation / duplicate_table / duplicate_object ("type ... already exists"): two first opens created the versions table at once;
// serialization_failure / deadlock_detected: CockroachDB (or PostgreSQL) asks for a retry.
const RETRYABLE = new Set(['23505', '42P07', '42710', '40001', '40P01']);

/**
 * A migration table a store kept before `handoff_schema_versions` (one row per applied version,
 * column `version`): the first open under this code adopts its highest version, so an upgraded
 * database never runs a step twice. The old table is left as it was and no longer written.
 */
export interface LegacyVersions {
  /** The table's schema (default: the connection's current schema). */
  readonly schema?: string;
  readonly table: string;
  /** The step count the old table's highest version stands for in the steps given now. */
  readonly adopt: (legacyVersion: number) => number;
}

/** A version column's value as a number: pg hands CockroachDB's 64-bit INT back as a string. */
export function versionOf(value: unknown): number {
  const version = Number(value);
  if (!Number.isSafeInteger(version) || version < 0) throw new FailedPreconditionError(`schema version ${String(value)} is not a version`);
  return version;
}

async function lockedVersion(client: pg.PoolClient, store: string): Promise<number | undefined> {
  // The row lock makes a second migrator of this store wait here until the first commits.
  const { rows } = await client.query(`SELECT version FROM ${SCHEMA_VERSIONS_TABLE} WHERE store = $1 FOR UPDATE`, [store]);
  return rows[0] === undefined ? undefined : versionOf(rows[0].version);
}

async function legacyVersion(client: pg.PoolClient, legacy: LegacyVersions): Promise<number> {
  const found = await client.query(
    'SELECT 1 FROM information_schema.tables WHERE table_schema = COALESCE($1, current_schema()) AND table_name = $2',
    [legacy.schema ?? null, legacy.table],
  );
  if (found.rows.length === 0) return 0;
  const qualified = legacy.schema ? `${legacy.schema}.${legacy.table}` : legacy.table;
  const { rows } = await client.query(`SELECT max(version) AS version FROM ${qualified}`);
  const highest = rows[0]?.version;
  return highest === null || highest === undefined ? 0 : legacy.adopt(versionOf(highest));
}

/**
 * Brings `store`'s tables in a PostgreSQL (or CockroachDB) database up to `steps.length`. Plain
 * SQL only: no advisory locks, no PL/pgSQL. Each step commits on its own, with the version row
 * that records it: CockroachDB runs schema changes inside a transaction only partly (a column
 * added is not writable before commit), so a step is DDL or a backfill, and the next step sees
 * the last one committed. A step whose commit was ambiguous is simply looked at again.
 */
export async function migratePostgres(pool: pg.Pool, store: string, steps: readonly string[], legacy?: LegacyVersions): Promise<void> {
  const retryable = hasSqlState(RETRYABLE);
  await retryStatement(() => pool.query(CREATE_VERSIONS), { retryable, idempotent: true });
  for (let done = false; !done; ) {
    done = await inTransaction(
      pool,
      async (client) => {
        let version = await lockedVersion(client, store);
        if (version === undefined) {
          const start = legacy ? await legacyVersion(client, legacy) : 0;
          await client.query(`INSERT INTO ${SCHEMA_VERSIONS_TABLE} (store, version) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [store, start]);
          version = (await lockedVersion(client, store)) ?? start;
        }
        if (version > steps.length) throw tooNew(store, version, steps.length);
        if (version === steps.length) return true;
        await client.query(steps[version]!);
        await client.query(`UPDATE ${SCHEMA_VERSIONS_TABLE} SET version = $1 WHERE store = $2`, [version + 1, store]);
        return version + 1 === steps.length;
      },
      { retryable, idempotent: true },
    );
  }
}

/** Copies a driver's `Buffer` into a plain `Uint8Array` (so results compare equal to inputs and never pin a pool slab). */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** A `Buffer` view of bytes, as the drivers want for parameters. */
export function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
