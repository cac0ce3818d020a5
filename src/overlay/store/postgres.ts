/**
 * The PostgreSQL overlay store (pg): the satellite's node registry at scale. The SQL is plain
 * enough for CockroachDB (upserts, compare-and-swap updates, no PL/pgSQL, no advisory locks).
 * Tables are prefixed `overlay_` so the satellite's stores can share one database. The operations
 * are {@link SqlOverlayStore}'s; this file holds the PostgreSQL schema.
 *
 * Selection scaling: `ORDER BY random() LIMIT n` reads every eligible row of the
 * `(status, last_contact_at, free_bytes)` index range; a few milliseconds for tens of thousands of
 * nodes. Beyond that, put a selection cache in front (refresh the eligible set every few seconds
 * and sample in memory), as large satellites do.
 */
import { postgresExecutor } from '../../sql/executor.js';
import { openMigratedPool, type PostgresStoreOptions } from '../../sql/postgres.js';
import { OVERLAY_STORE_NAME, SqlOverlayStore } from './sql.js';

/**
 * Each entry moves the schema one version up; never edit one that has shipped, append instead.
 * Not shared with the SQLite store's: the shipped texts differ by more than type names.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE IF NOT EXISTS overlay_nodes (
    id bytea PRIMARY KEY CHECK (length(id) = 32),
    address text NOT NULL,
    wallet text NOT NULL,
    free_bytes bigint NOT NULL CHECK (free_bytes >= 0),
    version text NOT NULL,
    joined_at timestamptz NOT NULL,
    last_contact_at timestamptz NOT NULL,
    status text NOT NULL CHECK (status IN ('active', 'exiting', 'exited', 'disqualified')),
    exit_started_at timestamptz,
    exit_finished_at timestamptz,
    disqualified_at timestamptz,
    disqualified_reason text
  );
  CREATE INDEX IF NOT EXISTS overlay_nodes_selection ON overlay_nodes (status, last_contact_at, free_bytes);
  `,
  // 2: contact and reputation (docs/durability.md). One column per statement: plain enough for CockroachDB.
  `
  ALTER TABLE overlay_nodes ADD COLUMN IF NOT EXISTS last_contact_failure_at timestamptz;
  ALTER TABLE overlay_nodes ADD COLUMN IF NOT EXISTS offline_since timestamptz;
  ALTER TABLE overlay_nodes ADD COLUMN IF NOT EXISTS suspended_at timestamptz;
  ALTER TABLE overlay_nodes ADD COLUMN IF NOT EXISTS suspended_reason text;
  ALTER TABLE overlay_nodes ADD COLUMN IF NOT EXISTS audit_alpha double precision NOT NULL DEFAULT 1;
  ALTER TABLE overlay_nodes ADD COLUMN IF NOT EXISTS audit_beta double precision NOT NULL DEFAULT 0;
  ALTER TABLE overlay_nodes ADD COLUMN IF NOT EXISTS unknown_alpha double precision NOT NULL DEFAULT 1;
  ALTER TABLE overlay_nodes ADD COLUMN IF NOT EXISTS unknown_beta double precision NOT NULL DEFAULT 0;
  ALTER TABLE overlay_nodes ADD COLUMN IF NOT EXISTS audit_success_count bigint NOT NULL DEFAULT 0;
  ALTER TABLE overlay_nodes ADD COLUMN IF NOT EXISTS audit_total_count bigint NOT NULL DEFAULT 0;
  ALTER TABLE overlay_nodes ADD COLUMN IF NOT EXISTS last_audit_at timestamptz;
  CREATE TABLE IF NOT EXISTS overlay_contact_windows (
    node_id bytea NOT NULL CHECK (length(node_id) = 32),
    window_start timestamptz NOT NULL,
    attempts bigint NOT NULL CHECK (attempts >= 0),
    successes bigint NOT NULL CHECK (successes >= 0),
    PRIMARY KEY (node_id, window_start)
  );
  CREATE INDEX IF NOT EXISTS overlay_contact_windows_start ON overlay_contact_windows (window_start);
  `,
  // 3: a node that completed a graceful exit may rejoin (docs/exit.md): when it last did.
  `
  ALTER TABLE overlay_nodes ADD COLUMN IF NOT EXISTS rejoined_at timestamptz;
  `,
];

/** The overlay schema version this code writes. */
export const OVERLAY_POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * @example
 * ```ts
 * const overlay = await PostgresOverlayStore.open({ connectionString: process.env.DATABASE_URL! });
 * ```
 */
export class PostgresOverlayStore extends SqlOverlayStore {
  /** Connects and migrates the overlay tables to the current schema version. */
  static async open(options: PostgresStoreOptions): Promise<PostgresOverlayStore> {
    return new PostgresOverlayStore(postgresExecutor(await openMigratedPool(options, OVERLAY_STORE_NAME, MIGRATIONS)));
  }
}
