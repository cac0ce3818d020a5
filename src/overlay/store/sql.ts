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
  assertContactAttempt,
  assertNodeId,
  assertNodePage,
  assertReputationUpdate,
  assertSelection,
  assertStatusChange,
  assertSuspension,
  assertTime,
  CONTACT_WINDOW_MS,
  contactWindowStart,
  type ContactAttempt,
  type NodeContact,
  type NodePage,
  type NodeRecord,
  type NodeStatus,
  type ReputationUpdate,
  type StatusChange,
  type Suspension,
  type UploadSelection,
} from '../types.js';

/** This store's row in `handoff_schema_versions`. */
export const OVERLAY_STORE_NAME = 'overlay';

function statements(d: SqlDialect) {
  const { time, text, count, real } = d.types;
  /** `column` moved forward to `value` (a NULL column takes it). */
  const later = (column: string, value: string): string => `CASE WHEN ${column} IS NULL THEN ${value} ELSE ${d.greatest}(${column}, ${value}) END`;
  /**
   * What a successful contact at `at` sets (applyContact): the last contact moves forward and an
   * absence ends unless a later failure is recorded. `row` qualifies the old row's columns.
   */
  const succeeded = (at: string, row = ''): string => `last_contact_at = ${d.greatest}(${row}last_contact_at, ${at}),
    offline_since = CASE WHEN ${row}last_contact_failure_at IS NULL OR ${at} >= ${row}last_contact_failure_at THEN NULL ELSE ${row}offline_since END`;
  /** One reputation's update: `alpha' = λ·alpha + w·s`, `beta' = λ·beta + w·(1 − s)` (the order of operations of `applyReputationUpdate`). */
  const reputation = (name: string, alpha: string, beta: string) =>
    sqlStatement(name, `
      UPDATE overlay_nodes SET
        ${alpha} = CAST($2 AS ${real}) * ${alpha} + CAST($3 AS ${real}) * CAST($4 AS ${real}),
        ${beta} = CAST($2 AS ${real}) * ${beta} + CAST($3 AS ${real}) * CAST($5 AS ${real}),
        audit_success_count = audit_success_count + CAST($6 AS ${count}),
        audit_total_count = audit_total_count + CAST($8 AS ${count}),
        last_audit_at = ${later('last_audit_at', `CAST($7 AS ${time})`)}
      WHERE id = $1
      RETURNING *`);
  return {
    // A check-in is a successful contact: it ends an absence unless a failure came later.
    checkIn: sqlStatement('overlay_check_in', `
      INSERT INTO overlay_nodes AS n (id, address, wallet, free_bytes, version, joined_at, last_contact_at, status)
      VALUES ($1, $2, $3, $4, $5, $6, $6, 'active')
      ON CONFLICT (id) DO UPDATE SET address = excluded.address, wallet = excluded.wallet, free_bytes = excluded.free_bytes,
        version = excluded.version, ${succeeded('excluded.last_contact_at', 'n.')}
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
    // The only way out of `exited` (applyRejoin): the WHERE on the status is the compare-and-swap.
    rejoin: sqlStatement('overlay_rejoin', `
      UPDATE overlay_nodes SET status = 'active', rejoined_at = $2, exit_started_at = NULL, exit_finished_at = NULL
      WHERE id = $1 AND status = 'exited'
      RETURNING *`),
    // ORDER BY random() reads every eligible row: fine for thousands of nodes (see docs of selectForUpload).
    selectForUpload: sqlStatement('overlay_select_for_upload', `
      SELECT * FROM overlay_nodes
      WHERE status = 'active' AND suspended_at IS NULL AND offline_since IS NULL
        AND last_contact_at >= $1 AND free_bytes >= $2 AND NOT (id ${d.inBytes('$3')})
      ORDER BY random() LIMIT $4`),
    reachable: sqlStatement('overlay_get_reachable', `
      SELECT * FROM overlay_nodes
      WHERE id ${d.inBytes('$1')} AND status IN ('active', 'exiting') AND offline_since IS NULL AND last_contact_at >= $2`),
    // Both contact statements read the old row only (SQL evaluates every SET against it).
    contactSucceeded: sqlStatement('overlay_contact_succeeded', `
      UPDATE overlay_nodes SET ${succeeded(`CAST($2 AS ${time})`)}
      WHERE id = $1
      RETURNING *`),
    contactFailed: sqlStatement('overlay_contact_failed', `
      UPDATE overlay_nodes SET last_contact_failure_at = ${later('last_contact_failure_at', `CAST($2 AS ${time})`)},
        offline_since = CASE WHEN offline_since IS NULL AND CAST($2 AS ${time}) >= last_contact_at THEN CAST($2 AS ${time}) ELSE offline_since END
      WHERE id = $1
      RETURNING *`),
    // Counted only for a known node (the SELECT finds none otherwise).
    countContact: sqlStatement('overlay_count_contact', `
      INSERT INTO overlay_contact_windows (node_id, window_start, attempts, successes)
      SELECT id, CAST($2 AS ${time}), 1, CAST($3 AS ${count}) FROM overlay_nodes WHERE id = $1
      ON CONFLICT (node_id, window_start) DO UPDATE SET attempts = overlay_contact_windows.attempts + 1,
        successes = overlay_contact_windows.successes + excluded.successes`),
    onlineScore: sqlStatement('overlay_online_score', `
      SELECT COALESCE(SUM(attempts), 0) AS attempts, COALESCE(SUM(successes), 0) AS successes
      FROM overlay_contact_windows WHERE node_id = $1 AND window_start >= $2`),
    pruneWindows: sqlStatement('overlay_prune_contact_windows', 'DELETE FROM overlay_contact_windows WHERE window_start <= $1'),
    auditReputation: reputation('overlay_update_audit_reputation', 'audit_alpha', 'audit_beta'),
    unknownReputation: reputation('overlay_update_unknown_reputation', 'unknown_alpha', 'unknown_beta'),
    // An earlier suspension is kept whole (SQL evaluates every SET against the old row).
    suspend: sqlStatement('overlay_suspend', `
      UPDATE overlay_nodes SET suspended_at = COALESCE(suspended_at, CAST($2 AS ${time})),
        suspended_reason = CASE WHEN suspended_at IS NULL THEN CAST($3 AS ${text}) ELSE suspended_reason END
      WHERE id = $1
      RETURNING *`),
    unsuspend: sqlStatement('overlay_unsuspend', 'UPDATE overlay_nodes SET suspended_at = NULL, suspended_reason = NULL WHERE id = $1 RETURNING *'),
    // An empty cursor sorts before every id.
    list: sqlStatement('overlay_list_nodes', 'SELECT * FROM overlay_nodes WHERE id > $1 ORDER BY id LIMIT $2'),
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
  last_contact_failure_at: number | Date | null;
  offline_since: number | Date | null;
  suspended_at: number | Date | null;
  suspended_reason: string | null;
  audit_alpha: number;
  audit_beta: number;
  unknown_alpha: number;
  unknown_beta: number;
  audit_success_count: number | string;
  audit_total_count: number | string;
  last_audit_at: number | Date | null;
  rejoined_at: number | Date | null;
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

  async rejoin(id: Uint8Array, at: number): Promise<NodeRecord | undefined> {
    assertNodeId(id);
    assertTime(at, 'at');
    const rows = await this.#sql.rows<Row>(this.#s.rejoin, [bufferOf(id), this.#sql.dialect.time(at)]);
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

  async recordContact(id: Uint8Array, contact: ContactAttempt): Promise<NodeRecord | undefined> {
    assertNodeId(id);
    assertContactAttempt(contact);
    const { time } = this.#sql.dialect;
    const node = bufferOf(id);
    // The node's update last: the transaction gives back the row it wrote.
    const rows = await this.#sql.transaction<Row>([
      { statement: this.#s.countContact, values: [node, time(contactWindowStart(contact.at)), contact.success ? 1 : 0] },
      { statement: contact.success ? this.#s.contactSucceeded : this.#s.contactFailed, values: [node, time(contact.at)] },
    ]);
    return rows[0] && fromRow(rows[0]);
  }

  async onlineScore(id: Uint8Array, query: { readonly since: number }): Promise<number> {
    assertNodeId(id);
    assertTime(query.since, 'since');
    const rows = await this.#sql.rows<{ attempts: number | string; successes: number | string }>(this.#s.onlineScore, [
      bufferOf(id),
      this.#sql.dialect.time(contactWindowStart(query.since)),
    ]);
    // SUM over bigint is numeric in PostgreSQL: it arrives as a string.
    const attempts = Number(rows[0]?.attempts ?? 0);
    return attempts === 0 ? 1 : Number(rows[0]!.successes) / attempts;
  }

  async pruneContactWindows(before: number): Promise<number> {
    assertTime(before, 'before');
    return this.#sql.run(this.#s.pruneWindows, [this.#sql.dialect.time(before - CONTACT_WINDOW_MS)]);
  }

  async updateReputation(id: Uint8Array, update: ReputationUpdate): Promise<NodeRecord | undefined> {
    assertNodeId(id);
    assertReputationUpdate(update);
    const s = update.success ? 1 : 0;
    const statement = update.kind === 'audit' ? this.#s.auditReputation : this.#s.unknownReputation;
    const audit = update.kind === 'audit' ? 1 : 0;
    const values = [bufferOf(id), update.lambda, update.weight, s, 1 - s, audit * s, this.#sql.dialect.time(update.at), audit];
    const rows = await this.#sql.rows<Row>(statement, values);
    return rows[0] && fromRow(rows[0]);
  }

  async setSuspended(id: Uint8Array, suspension: Suspension | null): Promise<NodeRecord | undefined> {
    assertNodeId(id);
    assertSuspension(suspension);
    const rows =
      suspension === null
        ? await this.#sql.rows<Row>(this.#s.unsuspend, [bufferOf(id)])
        : await this.#sql.rows<Row>(this.#s.suspend, [bufferOf(id), this.#sql.dialect.time(suspension.at), suspension.reason]);
    return rows[0] && fromRow(rows[0]);
  }

  async listNodes(page: NodePage): Promise<NodeRecord[]> {
    assertNodePage(page);
    const rows = await this.#sql.rows<Row>(this.#s.list, [bufferOf(page.cursor ?? new Uint8Array(0)), page.limit]);
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
    lastContactFailureAt: optionalMillis(row.last_contact_failure_at),
    offlineSince: optionalMillis(row.offline_since),
    suspendedAt: optionalMillis(row.suspended_at),
    suspendedReason: row.suspended_reason,
    auditAlpha: Number(row.audit_alpha),
    auditBeta: Number(row.audit_beta),
    unknownAlpha: Number(row.unknown_alpha),
    unknownBeta: Number(row.unknown_beta),
    auditSuccessCount: Number(row.audit_success_count),
    auditTotalCount: Number(row.audit_total_count),
    lastAuditAt: optionalMillis(row.last_audit_at),
    rejoinedAt: optionalMillis(row.rejoined_at),
  };
}
