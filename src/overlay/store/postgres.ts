/**
 * The PostgreSQL overlay store (pg): the satellite's node registry at scale. The SQL is plain
 * enough for CockroachDB (upserts, compare-and-swap updates, no PL/pgSQL, no advisory locks).
 * Tables are prefixed `overlay_` so the satellite's stores can share one database.
 *
 * Selection scaling: `ORDER BY random() LIMIT n` reads every eligible row of the
 * `(status, last_contact_at, free_bytes)` index range; a few milliseconds for tens of thousands of
 * nodes. Beyond that, put a selection cache in front (refresh the eligible set every few seconds
 * and sample in memory), as large satellites do.
 */
import type pg from 'pg';
import type { OverlayStore } from '../port.js';
import {
  assertContact,
  assertNodeId,
  assertSelection,
  assertStatusChange,
  type NodeContact,
  type NodeRecord,
  type NodeStatus,
  type StatusChange,
  type UploadSelection,
} from '../types.js';
import { openMigratedPool, type PostgresStoreOptions } from '../../sql/postgres.js';
import { bufferOf, plainBytes } from '../../sql/migrations.js';

/** This store's row in `handoff_schema_versions`. */
const STORE_NAME = 'overlay';

/** Each entry moves the schema one version up; never edit one that has shipped, append instead. */
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
];

/** The overlay schema version this code writes. */
export const OVERLAY_POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

interface Row {
  id: Buffer;
  address: string;
  wallet: string;
  free_bytes: string;
  version: string;
  joined_at: Date;
  last_contact_at: Date;
  status: string;
  exit_started_at: Date | null;
  exit_finished_at: Date | null;
  disqualified_at: Date | null;
  disqualified_reason: string | null;
}

const UPSERT = `
  INSERT INTO overlay_nodes AS n (id, address, wallet, free_bytes, version, joined_at, last_contact_at, status)
  VALUES ($1, $2, $3, $4, $5, $6, $6, 'active')
  ON CONFLICT (id) DO UPDATE SET address = excluded.address, wallet = excluded.wallet, free_bytes = excluded.free_bytes,
    version = excluded.version, last_contact_at = greatest(n.last_contact_at, excluded.last_contact_at)
  RETURNING *`;

// One statement: the WHERE on the old status is the compare-and-swap.
const SET_STATUS = `
  UPDATE overlay_nodes SET status = $3::text,
    exit_started_at = CASE $3::text WHEN 'exiting' THEN $4::timestamptz WHEN 'active' THEN NULL ELSE exit_started_at END,
    exit_finished_at = CASE $3::text WHEN 'exited' THEN $4::timestamptz ELSE exit_finished_at END,
    disqualified_at = CASE $3::text WHEN 'disqualified' THEN $4::timestamptz ELSE disqualified_at END,
    disqualified_reason = CASE $3::text WHEN 'disqualified' THEN $5::text ELSE disqualified_reason END
  WHERE id = $1 AND status = $2::text
  RETURNING *`;

const SELECT_FOR_UPLOAD = `
  SELECT * FROM overlay_nodes
  WHERE status = 'active' AND last_contact_at >= $1 AND free_bytes >= $2 AND NOT (id = ANY($3::bytea[]))
  ORDER BY random() LIMIT $4`;

const REACHABLE = `
  SELECT * FROM overlay_nodes
  WHERE id = ANY($1::bytea[]) AND status IN ('active', 'exiting') AND last_contact_at >= $2`;

/**
 * @example
 * ```ts
 * const overlay = await PostgresOverlayStore.open({ connectionString: process.env.DATABASE_URL! });
 * ```
 */
export class PostgresOverlayStore implements OverlayStore {
  readonly #pool: pg.Pool;
  readonly #owned: boolean;

  private constructor(pool: pg.Pool, owned: boolean) {
    this.#pool = pool;
    this.#owned = owned;
  }

  /** Connects and migrates the overlay tables to the current schema version. */
  static async open(options: PostgresStoreOptions): Promise<PostgresOverlayStore> {
    const { pool, owned } = await openMigratedPool(options, STORE_NAME, MIGRATIONS);
    return new PostgresOverlayStore(pool, owned);
  }

  async checkIn(contact: NodeContact): Promise<NodeRecord> {
    assertContact(contact);
    const { rows } = await this.#pool.query<Row>({
      name: 'overlay_check_in',
      text: UPSERT,
      values: [bufferOf(contact.id), contact.address, contact.wallet, contact.freeBytes, contact.version, new Date(contact.at)],
    });
    return fromRow(rows[0]!);
  }

  async get(id: Uint8Array): Promise<NodeRecord | undefined> {
    assertNodeId(id);
    const { rows } = await this.#pool.query<Row>({ name: 'overlay_get', text: 'SELECT * FROM overlay_nodes WHERE id = $1', values: [bufferOf(id)] });
    return rows[0] && fromRow(rows[0]);
  }

  async getMany(ids: readonly Uint8Array[]): Promise<NodeRecord[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.#pool.query<Row>({
      name: 'overlay_get_many',
      text: 'SELECT * FROM overlay_nodes WHERE id = ANY($1::bytea[])',
      values: [idArray(ids)],
    });
    return rows.map(fromRow);
  }

  async setStatus(change: StatusChange): Promise<NodeRecord | undefined> {
    assertNodeId(change.id);
    assertStatusChange(change);
    const { rows } = await this.#pool.query<Row>({
      name: 'overlay_set_status',
      text: SET_STATUS,
      values: [bufferOf(change.id), change.from, change.to, new Date(change.at), change.reason ?? null],
    });
    return rows[0] && fromRow(rows[0]);
  }

  async selectForUpload(selection: UploadSelection): Promise<NodeRecord[]> {
    assertSelection(selection);
    if (selection.count === 0) return [];
    const { rows } = await this.#pool.query<Row>({
      name: 'overlay_select_for_upload',
      text: SELECT_FOR_UPLOAD,
      values: [new Date(selection.now - selection.onlineWindowMs), selection.minFreeBytes, idArray(selection.excluded ?? []), selection.count],
    });
    return rows.map(fromRow);
  }

  async getReachable(ids: readonly Uint8Array[], now: number, onlineWindowMs: number): Promise<NodeRecord[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.#pool.query<Row>({
      name: 'overlay_get_reachable',
      text: REACHABLE,
      values: [idArray(ids), new Date(now - onlineWindowMs)],
    });
    return rows.map(fromRow);
  }

  async close(): Promise<void> {
    if (this.#owned && !this.#pool.ended) await this.#pool.end();
  }
}

function idArray(ids: readonly Uint8Array[]): Buffer[] {
  return ids.map((id) => (assertNodeId(id), bufferOf(id)));
}

function time(value: Date | null): number | null {
  return value === null ? null : value.getTime();
}

function fromRow(row: Row): NodeRecord {
  return {
    id: plainBytes(row.id),
    address: row.address,
    wallet: row.wallet,
    freeBytes: Number(row.free_bytes),
    version: row.version,
    joinedAt: row.joined_at.getTime(),
    lastContactAt: row.last_contact_at.getTime(),
    status: row.status as NodeStatus,
    exitStartedAt: time(row.exit_started_at),
    exitFinishedAt: time(row.exit_finished_at),
    disqualifiedAt: time(row.disqualified_at),
    disqualifiedReason: row.disqualified_reason,
  };
}
