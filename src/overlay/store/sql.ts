/**
 * The overlay store over SQL, shared by the SQLite and PostgreSQL stores: one set of statements,
 * parameterised by dialect where the SQL differs (see sql/dialect.ts), and one row mapping.
 * Tables are prefixed `overlay_` so the satellite's stores can share one database.
 */
import type { SqlDialect } from '../../sql/dialect.js';
import { millis, optionalMillis } from '../../sql/dialect.js';
import { sqlStatement, type SqlExecutor } from '../../sql/executor.js';
import { bufferOf, plainBytes } from '../../sql/migrations.js';
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

/** This store's row in `handoff_schema_versions`. */
export const OVERLAY_STORE_NAME = 'overlay';

function statements(d: SqlDialect) {
  const { time, text } = d.types;
  return {
    checkIn: sqlStatement('overlay_check_in', `
      INSERT INTO overlay_nodes AS n (id, address, wallet, free_bytes, version, joined_at, last_contact_at, status)
      VALUES ($1, $2, $3, $4, $5, $6, $6, 'active')
      ON CONFLICT (id) DO UPDATE SET address = excluded.address, wallet = excluded.wallet, free_bytes = excluded.free_bytes,
        version = excluded.version, last_contact_at = ${d.greatest}(n.last_contact_at, excluded.last_contact_at)
      RETURNING *`),
    get: sqlStatement('overlay_get', 'SELECT * FROM overlay_nodes WHERE id = $1'),
    getMany: sqlStatement('overlay_get_many', `SELECT * FROM overlay_nodes WHERE id ${d.inBytes('$1')}`),
    // One statement: the WHERE on the old status is the compare-and-swap.
    setStatus: sqlStatement('overlay_set_status', `
      UPDATE overlay_nodes SET status = CAST($3 AS ${text}),
        exit_started_at = CASE CAST($3 AS ${text}) WHEN 'exiting' THEN CAST($4 AS ${time}) WHEN 'active' THEN NULL ELSE exit_started_at END,
        exit_finished_at = CASE CAST($3 AS ${text}) WHEN 'exited' THEN CAST($4 AS ${time}) ELSE exit_finished_at END,
        disqualified_at = CASE CAST($3 AS ${text}) WHEN 'disqualified' THEN CAST($4 AS ${time}) ELSE disqualified_at END,
        disqualified_reason = CASE CAST($3 AS ${text}) WHEN 'disqualified' THEN CAST($5 AS ${text}) ELSE disqualified_reason END
      WHERE id = $1 AND status = CAST($2 AS ${text})
      RETURNING *`),
    // ORDER BY random() reads every eligible row: fine for thousands of nodes (see docs of selectForUpload).
    selectForUpload: sqlStatement('overlay_select_for_upload', `
      SELECT * FROM overlay_nodes
      WHERE status = 'active' AND last_contact_at >= $1 AND free_bytes >= $2 AND NOT (id ${d.inBytes('$3')})
      ORDER BY random() LIMIT $4`),
    reachable: sqlStatement('overlay_get_reachable', `
      SELECT * FROM overlay_nodes
      WHERE id ${d.inBytes('$1')} AND status IN ('active', 'exiting') AND last_contact_at >= $2`),
  };
}

/** A row as either driver reads it: times are numbers in SQLite and Dates in PostgreSQL; a bigint may come as a string. */
interface Row {
  id: Uint8Array;
  address: string;
  wallet: string;
  free_bytes: number | string;
  version: string;
  joined_at: number | Date;
  last_contact_at: number | Date;
  status: string;
  exit_started_at: number | Date | null;
  exit_finished_at: number | Date | null;
  disqualified_at: number | Date | null;
  disqualified_reason: string | null;
}

/**
 * See the file comment; `SqliteOverlayStore` and `PostgresOverlayStore` open it.
 *
 * @example
 * ```ts
 * const overlay: SqlOverlayStore = await SqliteOverlayStore.open({ path: ':memory:' });
 * await overlay.checkIn(contact);
 * ```
 */
export abstract class SqlOverlayStore implements OverlayStore {
  readonly #sql: SqlExecutor;
  readonly #s: ReturnType<typeof statements>;

  protected constructor(executor: SqlExecutor) {
    this.#sql = executor;
    this.#s = statements(executor.dialect);
  }

  async checkIn(contact: NodeContact): Promise<NodeRecord> {
    assertContact(contact);
    const { time } = this.#sql.dialect;
    const values = [bufferOf(contact.id), contact.address, contact.wallet, contact.freeBytes, contact.version, time(contact.at)];
    const rows = await this.#sql.rows<Row>(this.#s.checkIn, values);
    return fromRow(rows[0]!);
  }

  async get(id: Uint8Array): Promise<NodeRecord | undefined> {
    assertNodeId(id);
    const rows = await this.#sql.rows<Row>(this.#s.get, [bufferOf(id)]);
    return rows[0] && fromRow(rows[0]);
  }

  async getMany(ids: readonly Uint8Array[]): Promise<NodeRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.#sql.rows<Row>(this.#s.getMany, [this.#idList(ids)]);
    return rows.map(fromRow);
  }

  async setStatus(change: StatusChange): Promise<NodeRecord | undefined> {
    assertNodeId(change.id);
    assertStatusChange(change);
    const values = [bufferOf(change.id), change.from, change.to, this.#sql.dialect.time(change.at), change.reason ?? null];
    const rows = await this.#sql.rows<Row>(this.#s.setStatus, values);
    return rows[0] && fromRow(rows[0]);
  }

  async selectForUpload(selection: UploadSelection): Promise<NodeRecord[]> {
    assertSelection(selection);
    if (selection.count === 0) return [];
    const since = this.#sql.dialect.time(selection.now - selection.onlineWindowMs);
    const values = [since, selection.minFreeBytes, this.#idList(selection.excluded ?? []), selection.count];
    const rows = await this.#sql.rows<Row>(this.#s.selectForUpload, values);
    return rows.map(fromRow);
  }

  async getReachable(ids: readonly Uint8Array[], now: number, onlineWindowMs: number): Promise<NodeRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.#sql.rows<Row>(this.#s.reachable, [this.#idList(ids), this.#sql.dialect.time(now - onlineWindowMs)]);
    return rows.map(fromRow);
  }

  async close(): Promise<void> {
    await this.#sql.close();
  }

  #idList(ids: readonly Uint8Array[]): unknown {
    for (const id of ids) assertNodeId(id);
    return this.#sql.dialect.bytesList(ids);
  }
}

function fromRow(row: Row): NodeRecord {
  return {
    id: plainBytes(row.id),
    address: row.address,
    wallet: row.wallet,
    freeBytes: Number(row.free_bytes),
    version: row.version,
    joinedAt: millis(row.joined_at),
    lastContactAt: millis(row.last_contact_at),
    status: row.status as NodeStatus,
    exitStartedAt: optionalMillis(row.exit_started_at),
    exitFinishedAt: optionalMillis(row.exit_finished_at),
    disqualifiedAt: optionalMillis(row.disqualified_at),
    disqualifiedReason: row.disqualified_reason,
  };
}
