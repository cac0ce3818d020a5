/**
 * The PostgreSQL store's schema: its tables in `file_orchestrator` and the versioned migrations
 * that build them, run on open under an advisory lock so concurrent opens are safe.
 */
import type pg from 'pg';
import { FailedPreconditionError } from '../../core/errors.js';
import { inTransaction } from '../../sql/transaction.js';
import { ACTIVE_STATES_SQL } from './sql.js';

/** The schema every table of this store lives in. */
export const POSTGRES_SCHEMA = 'file_orchestrator';
/** @internal The transfer task table, schema-qualified. */
export const TASKS = `${POSTGRES_SCHEMA}.transfer_task`;
/** @internal The idempotency-key claim table, schema-qualified. */
export const REQUESTS = `${POSTGRES_SCHEMA}.transfer_request`;

/** Each entry moves the schema one version up; never edit one that has shipped, append instead. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE ${TASKS} (
    id bigserial PRIMARY KEY,
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
  ) WITH (fillfactor = 80);
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
  `
  ALTER TABLE ${TASKS} ADD COLUMN request_claimed_at timestamptz;
  UPDATE ${TASKS} AS t SET request_claimed_at = r.created_at FROM ${REQUESTS} AS r
    WHERE r.initiated_by = t.initiated_by AND r.idempotency_key = t.idempotency_key;
  DROP INDEX ${POSTGRES_SCHEMA}.transfer_task_request_item;
  CREATE UNIQUE INDEX transfer_task_request_item
    ON ${TASKS} (initiated_by, idempotency_key, request_claimed_at, request_index)
    WHERE idempotency_key IS NOT NULL;
  CREATE INDEX transfer_request_by_claim_time ON ${REQUESTS} (created_at);
  `,
];

/** The schema version this code writes. */
export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

/** @internal Brings `file_orchestrator` up to {@link POSTGRES_SCHEMA_VERSION}; refuses a newer schema. */
export function migrate(pool: pg.Pool): Promise<void> {
  return inTransaction(pool, async (client) => {
    // One migrator per database at a time; the lock ends with the transaction.
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('handoff:${TASKS}'))`);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${POSTGRES_SCHEMA}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${POSTGRES_SCHEMA}.transfer_task_migrations (
      version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number }>(
      `SELECT coalesce(max(version), 0)::int AS version FROM ${POSTGRES_SCHEMA}.transfer_task_migrations`,
    );
    const version = rows[0]?.version ?? 0;
    if (version > MIGRATIONS.length) {
      throw new FailedPreconditionError(`${POSTGRES_SCHEMA} has transfer task schema version ${version}, newer than this code (${MIGRATIONS.length})`);
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      await client.query(MIGRATIONS[v]!);
      await client.query(`INSERT INTO ${POSTGRES_SCHEMA}.transfer_task_migrations (version) VALUES ($1)`, [v + 1]);
    }
  });
}
