/**
 * The PostgreSQL store's schema: its tables in `file_orchestrator` and the versioned migrations
 * that build them, recorded in `handoff_schema_versions` as every store's are (src/sql/migrations.ts:
 * a row lock, no advisory lock, so concurrent opens are safe on CockroachDB too).
 */
import type pg from 'pg';
import { migratePostgres, type LegacyVersions } from '../../sql/migrations.js';
import { ACTIVE_STATES_SQL } from './sql.js';

/** The schema every table of this store lives in. */
export const POSTGRES_SCHEMA = 'file_orchestrator';
/** @internal The transfer task table, schema-qualified. */
export const TASKS = `${POSTGRES_SCHEMA}.transfer_task`;
/** @internal The idempotency-key claim table, schema-qualified. */
export const REQUESTS = `${POSTGRES_SCHEMA}.transfer_request`;

/** This store's row in `handoff_schema_versions`. */
export const TRANSFER_TASK_STORE_NAME = 'transfer_tasks';

/**
 * Each entry moves the schema one version up; never change what one does once shipped, append
 * instead. Step 1 was reworded for CockroachDB without changing what it builds on PostgreSQL:
 * `bigserial` spelled out as the sequence PostgreSQL makes for it (on CockroachDB a serial is
 * `unique_rowid()`, 64-bit ids no JavaScript number holds exactly), and no `fillfactor` (a
 * storage parameter CockroachDB lacks; databases made before keep theirs). The shipped step 2
 * added a column and filled it in one transaction, which CockroachDB cannot do: it is steps 2–4.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE SCHEMA IF NOT EXISTS ${POSTGRES_SCHEMA};
  CREATE SEQUENCE ${TASKS}_id_seq;
  CREATE TABLE ${TASKS} (
    id bigint PRIMARY KEY DEFAULT nextval('${TASKS}_id_seq'),
    provider_id text NOT NULL,
    initiated_by text NOT NULL,
    source_path text NOT NULL,
    destination_path text NOT NULL,
    state text NOT NULL CHECK (state IN ('INITIATED', 'RUNNING', 'PAUSED', 'SUCCESS', 'FAILURE', 'HALTED')),
    progress float8 NOT NULL CHECK (progress >= 0 AND progress <= 100),
    created_at timestamptz NOT NULL,
    last_update timestamptz NOT NULL,
    destination_provider text NOT NULL,
    status text,
    failure_reason text,
    capabilities jsonb,
    paused_by_user boolean NOT NULL DEFAULT false,
    idempotency_key text,
    request_index integer,
    revision integer NOT NULL DEFAULT 0
  );
  ALTER SEQUENCE ${TASKS}_id_seq OWNED BY ${TASKS}.id;
  CREATE INDEX transfer_task_by_user ON ${TASKS} (initiated_by, id);
  CREATE UNIQUE INDEX transfer_task_active_route
    ON ${TASKS} (provider_id, destination_provider, md5(source_path), md5(destination_path))
    WHERE state IN (${ACTIVE_STATES_SQL});
  CREATE UNIQUE INDEX transfer_task_request_item
    ON ${TASKS} (initiated_by, idempotency_key, request_index)
    WHERE idempotency_key IS NOT NULL;
  CREATE TABLE ${REQUESTS} (
    initiated_by text NOT NULL,
    idempotency_key text NOT NULL,
    fingerprint text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (initiated_by, idempotency_key)
  );
  `,
  // Idempotency keys expire: each keyed task records its key's claim time, so a key claimed anew
  // starts a fresh set of request items, and the sweeper finds old claims by time.
  `ALTER TABLE ${TASKS} ADD COLUMN request_claimed_at timestamptz`,
  `UPDATE ${TASKS} AS t SET request_claimed_at = r.created_at FROM ${REQUESTS} AS r
    WHERE r.initiated_by = t.initiated_by AND r.idempotency_key = t.idempotency_key`,
  `
  DROP INDEX ${POSTGRES_SCHEMA}.transfer_task_request_item;
  CREATE UNIQUE INDEX transfer_task_request_item
    ON ${TASKS} (initiated_by, idempotency_key, request_claimed_at, request_index)
    WHERE idempotency_key IS NOT NULL;
  CREATE INDEX transfer_request_by_claim_time ON ${REQUESTS} (created_at);
  `,
];

/** The schema version this code writes. */
export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

/** Before `handoff_schema_versions` the store counted versions in its own table; its 1 is still 1, its 2 is step 4 now. */
const LEGACY: LegacyVersions = { schema: POSTGRES_SCHEMA, table: 'transfer_task_migrations', adopt: (version) => (version <= 1 ? version : version + 2) };

/** @internal Brings `file_orchestrator` up to {@link POSTGRES_SCHEMA_VERSION}; refuses a newer schema. */
export function migrate(pool: pg.Pool): Promise<void> {
  return migratePostgres(pool, TRANSFER_TASK_STORE_NAME, MIGRATIONS, LEGACY);
}
