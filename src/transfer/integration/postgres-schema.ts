/**
 * The PostgreSQL integration store's schema (`provider_integration`, every row keyed by provider
 * id), its versioned migrations, the statements it writes with, and how rows map to the port's
 * types. The store itself, and why it writes behind, is in postgres-store.ts.
 */
import { InternalError } from '../../core/errors.js';
import type { TransferParameters } from '../plugin.js';
import type { ProviderId, TaskState, TransferTaskUpdate } from '../types.js';
import type { IncomingTask, OutgoingTask, PauseCause } from './store.js';

/** The schema every table of this store lives in. */
export const INTEGRATION_SCHEMA = 'provider_integration';
/** @internal */
export const OUT = `${INTEGRATION_SCHEMA}.outgoing_task`;
/** @internal */
export const IN = `${INTEGRATION_SCHEMA}.incoming_task`;
/** @internal */
export const OUTBOX = `${INTEGRATION_SCHEMA}.core_outbox`;

/** This store's row in `handoff_schema_versions`. */
export const INTEGRATION_STORE_NAME = 'provider_integration';

// Never change a shipped step; append. Times are epoch milliseconds (bigint), as the port has them.
/** @internal */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE SCHEMA IF NOT EXISTS ${INTEGRATION_SCHEMA};
  CREATE TABLE ${OUT} (
    provider_id text NOT NULL,
    task_id bigint NOT NULL,
    plugin_type text NOT NULL,
    source_path text NOT NULL,
    local_source_path text NOT NULL,
    destination_provider text NOT NULL,
    destination_path text NOT NULL,
    entry_name text NOT NULL,
    verify_checksums boolean NOT NULL,
    parameters jsonb,
    state text NOT NULL,
    progress float8 NOT NULL CHECK (progress >= 0 AND progress <= 100),
    status text,
    pid bigint,
    attempts integer NOT NULL,
    paused_at bigint,
    pause_cause text,
    next_attempt_at bigint,
    last_error text,
    release_pending boolean NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (provider_id, task_id)
  );
  CREATE TABLE ${IN} (
    provider_id text NOT NULL,
    task_id bigint NOT NULL,
    source_provider text NOT NULL,
    destination_path text NOT NULL,
    entry_name text,
    plugin_type text NOT NULL,
    created_at bigint NOT NULL,
    released_at bigint,
    PRIMARY KEY (provider_id, task_id)
  );
  CREATE TABLE ${OUTBOX} (
    provider_id text NOT NULL,
    seq bigint NOT NULL,
    task_id bigint NOT NULL,
    new_state text,
    new_progress float8,
    new_status text,
    PRIMARY KEY (provider_id, seq)
  );
  `,
];

/** The schema version this code writes. */
export const INTEGRATION_SCHEMA_VERSION = MIGRATIONS.length;

const OUT_COLUMNS = [
  'provider_id', 'task_id', 'plugin_type', 'source_path', 'local_source_path', 'destination_provider', 'destination_path', 'entry_name',
  'verify_checksums', 'parameters', 'state', 'progress', 'status', 'pid', 'attempts', 'paused_at', 'pause_cause',
  'next_attempt_at', 'last_error', 'release_pending', 'created_at', 'updated_at',
] as const;
/** @internal */
export const UPSERT_OUT = `INSERT INTO ${OUT} (${OUT_COLUMNS.join(', ')}) VALUES (${OUT_COLUMNS.map((c, i) => `$${i + 1}${c === 'parameters' ? '::jsonb' : ''}`).join(', ')})
  ON CONFLICT (provider_id, task_id) DO UPDATE SET ${OUT_COLUMNS.slice(2).map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`;
/** @internal */
export const UPSERT_IN = `INSERT INTO ${IN} (provider_id, task_id, source_provider, destination_path, entry_name, plugin_type, created_at, released_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
  ON CONFLICT (provider_id, task_id) DO UPDATE SET entry_name = EXCLUDED.entry_name, released_at = EXCLUDED.released_at`;
/** @internal */
export const UPSERT_OUTBOX = `INSERT INTO ${OUTBOX} (provider_id, seq, task_id, new_state, new_progress, new_status) VALUES ($1, $2, $3, $4, $5, $6)
  ON CONFLICT (provider_id, seq) DO UPDATE SET new_state = EXCLUDED.new_state, new_progress = EXCLUDED.new_progress, new_status = EXCLUDED.new_status`;
/** @internal */
export const ACK = `DELETE FROM ${OUTBOX} WHERE provider_id = $1 AND seq <= $2`;

/** @internal */
export function pick<K extends 'newState' | 'newProgress' | 'newStatus'>(key: K, value: TransferTaskUpdate[K] | undefined): Partial<TransferTaskUpdate> {
  return value === undefined ? {} : { [key]: value };
}

/** @internal */
export interface OutgoingRow {
  task_id: string | number;
  plugin_type: string;
  source_path: string;
  local_source_path: string;
  destination_provider: string;
  destination_path: string;
  entry_name: string;
  verify_checksums: boolean;
  parameters: TransferParameters | null;
  state: string;
  progress: number;
  status: string | null;
  pid: string | number | null;
  attempts: string | number;
  paused_at: string | number | null;
  pause_cause: string | null;
  next_attempt_at: string | number | null;
  last_error: string | null;
  release_pending: boolean;
  created_at: string | number;
  updated_at: string | number;
}

/** @internal */
export interface IncomingRow {
  task_id: string | number;
  source_provider: string;
  destination_path: string;
  entry_name: string | null;
  plugin_type: string;
  created_at: string | number;
  released_at: string | number | null;
}

/** @internal */
export interface OutboxRow {
  seq: string | number;
  task_id: string | number;
  new_state: string | null;
  new_progress: number | null;
  new_status: string | null;
}

/** @internal A bigint column (pg hands them back as strings); one beyond 2^53 is refused, not rounded. */
export function int(value: string | number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new InternalError(`the integration store read ${String(value)}, not a safe integer`);
  return n;
}

/** @internal */
export function optionalInt(value: string | number | null): number | null {
  return value === null ? null : int(value);
}

/** @internal */
export function toOutgoingValues(provider: ProviderId, t: OutgoingTask): unknown[] {
  return [
    provider, t.taskId, t.pluginType, t.sourcePath, t.localSourcePath, t.destinationProvider, t.destinationPath, t.entryName,
    t.verifyChecksums, t.parameters === null ? null : JSON.stringify(t.parameters), t.state, t.progress, t.status, t.pid,
    t.attempts, t.pausedAt, t.pauseCause, t.nextAttemptAt, t.lastError, t.releasePending, t.createdAt, t.updatedAt,
  ];
}

/** @internal */
export function fromOutgoingRow(r: OutgoingRow): OutgoingTask {
  return Object.freeze({
    taskId: int(r.task_id),
    pluginType: r.plugin_type,
    sourcePath: r.source_path,
    localSourcePath: r.local_source_path,
    destinationProvider: r.destination_provider,
    destinationPath: r.destination_path,
    entryName: r.entry_name,
    verifyChecksums: r.verify_checksums,
    parameters: r.parameters,
    state: r.state as TaskState,
    progress: r.progress,
    status: r.status,
    pid: optionalInt(r.pid),
    attempts: int(r.attempts),
    pausedAt: optionalInt(r.paused_at),
    pauseCause: r.pause_cause as PauseCause | null,
    nextAttemptAt: optionalInt(r.next_attempt_at),
    lastError: r.last_error,
    releasePending: r.release_pending,
    createdAt: int(r.created_at),
    updatedAt: int(r.updated_at),
  });
}

/** @internal */
export function fromIncomingRow(r: IncomingRow): IncomingTask {
  return Object.freeze({
    taskId: int(r.task_id),
    sourceProvider: r.source_provider,
    destinationPath: r.destination_path,
    entryName: r.entry_name,
    pluginType: r.plugin_type,
    createdAt: int(r.created_at),
    releasedAt: optionalInt(r.released_at),
  });
}

/** @internal */
export function fromOutboxRow(r: OutboxRow): TransferTaskUpdate {
  return {
    taskId: int(r.task_id),
    ...pick('newState', (r.new_state ?? undefined) as TaskState | undefined),
    ...pick('newProgress', r.new_progress ?? undefined),
    ...pick('newStatus', r.new_status ?? undefined),
  };
}
