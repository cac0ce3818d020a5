/**
 * The containment store over SQL, shared by SQLite and PostgreSQL (plain enough for
 * CockroachDB: `INSERT … ON CONFLICT DO NOTHING`, `UPDATE … RETURNING`). Table `audit_pending`,
 * so it can share a database with the satellite's other stores.
 */
import { millis, type SqlDialect } from '../../../sql/dialect.js';
import { sqlStatement, type SqlExecutor } from '../../../sql/executor.js';
import { bufferOf, plainBytes } from '../../../sql/migrations.js';
import type { SegmentPosition, StreamId } from '../../../metainfo/metabase/types.js';
import type { ContainmentStore } from '../containment-store.js';
import type { PendingAudit } from '../types.js';
import { requireKey, requireLimit, requireNodeId, requirePending } from './validate.js';

/** This store's row in `handoff_schema_versions`. */
export const CONTAINMENT_STORE_NAME = 'audit_pending';

/** Each entry moves the schema one version up; never edit one that has shipped, append instead. */
export function containmentMigrations(d: SqlDialect): readonly string[] {
  const { bytes, count, time } = d.types;
  return [
    `
  CREATE TABLE IF NOT EXISTS audit_pending (
    node_id ${bytes} NOT NULL CHECK (length(node_id) = 32),
    stream_id ${bytes} NOT NULL CHECK (length(stream_id) = 16),
    position_part ${count} NOT NULL,
    position_index ${count} NOT NULL,
    piece_number INTEGER NOT NULL CHECK (piece_number >= 0),
    root_piece_id ${bytes} NOT NULL,
    reverify_count INTEGER NOT NULL DEFAULT 0,
    contained_at ${time} NOT NULL,
    PRIMARY KEY (node_id, stream_id, position_part, position_index)
  )${d.tableOptions};
  CREATE INDEX IF NOT EXISTS audit_pending_contained_at ON audit_pending (contained_at);
  `,
  ];
}

const KEY = 'node_id = $1 AND stream_id = $2 AND position_part = $3 AND position_index = $4';
const ORDER = 'ORDER BY contained_at, node_id, stream_id, position_part, position_index';

const statements = {
  contain: sqlStatement('audit_pending_contain', `
    INSERT INTO audit_pending (node_id, stream_id, position_part, position_index, piece_number, root_piece_id, reverify_count, contained_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT (node_id, stream_id, position_part, position_index) DO NOTHING`),
  get: sqlStatement('audit_pending_get', `SELECT * FROM audit_pending WHERE ${KEY}`),
  list: sqlStatement('audit_pending_list', `SELECT * FROM audit_pending ${ORDER} LIMIT $1`),
  listForNode: sqlStatement('audit_pending_list_node', `SELECT * FROM audit_pending WHERE node_id = $1 ${ORDER}`),
  increment: sqlStatement('audit_pending_increment', `UPDATE audit_pending SET reverify_count = reverify_count + 1 WHERE ${KEY} RETURNING *`),
  release: sqlStatement('audit_pending_release', `DELETE FROM audit_pending WHERE ${KEY}`),
  count: sqlStatement('audit_pending_count', 'SELECT CAST(count(*) AS TEXT) AS n FROM audit_pending'),
};

interface Row {
  node_id: Uint8Array;
  stream_id: Uint8Array;
  position_part: number | string;
  position_index: number | string;
  piece_number: number | string;
  root_piece_id: Uint8Array;
  reverify_count: number | string;
  contained_at: number | Date;
}

function fromRow(row: Row): PendingAudit {
  return {
    nodeId: plainBytes(row.node_id),
    streamId: plainBytes(row.stream_id),
    position: { part: Number(row.position_part), index: Number(row.position_index) },
    pieceNumber: Number(row.piece_number),
    rootPieceId: plainBytes(row.root_piece_id),
    reverifyCount: Number(row.reverify_count),
    containedAt: millis(row.contained_at),
  };
}

/**
 * See the file comment; `SqliteContainmentStore` and `PostgresContainmentStore` open it.
 *
 * @example
 * ```ts
 * const containment: SqlContainmentStore = await SqliteContainmentStore.open({ path: ':memory:' });
 * const pending = await containment.list(10);
 * ```
 */
export abstract class SqlContainmentStore implements ContainmentStore {
  readonly #sql: SqlExecutor;

  protected constructor(executor: SqlExecutor) {
    this.#sql = executor;
  }

  async contain(p: PendingAudit): Promise<boolean> {
    requirePending(p);
    const values = [...this.#key(p.nodeId, p.streamId, p.position), p.pieceNumber, bufferOf(p.rootPieceId), p.reverifyCount, this.#sql.dialect.time(p.containedAt)];
    return (await this.#sql.run(statements.contain, values)) > 0;
  }

  async get(nodeId: Uint8Array, streamId: StreamId, position: SegmentPosition): Promise<PendingAudit | undefined> {
    requireKey(nodeId, streamId, position);
    const rows = await this.#sql.rows<Row>(statements.get, this.#key(nodeId, streamId, position));
    return rows[0] && fromRow(rows[0]);
  }

  async list(limit: number): Promise<PendingAudit[]> {
    requireLimit(limit);
    return (await this.#sql.rows<Row>(statements.list, [limit])).map(fromRow);
  }

  async listForNode(nodeId: Uint8Array): Promise<PendingAudit[]> {
    requireNodeId(nodeId);
    return (await this.#sql.rows<Row>(statements.listForNode, [bufferOf(nodeId)])).map(fromRow);
  }

  async incrementReverify(nodeId: Uint8Array, streamId: StreamId, position: SegmentPosition): Promise<PendingAudit | undefined> {
    requireKey(nodeId, streamId, position);
    const rows = await this.#sql.rows<Row>(statements.increment, this.#key(nodeId, streamId, position));
    return rows[0] && fromRow(rows[0]);
  }

  async release(nodeId: Uint8Array, streamId: StreamId, position: SegmentPosition): Promise<boolean> {
    requireKey(nodeId, streamId, position);
    return (await this.#sql.run(statements.release, this.#key(nodeId, streamId, position))) > 0;
  }

  async count(): Promise<number> {
    const rows = await this.#sql.rows<{ n: string | number }>(statements.count, []);
    return Number(rows[0]?.n ?? 0);
  }

  async close(): Promise<void> {
    await this.#sql.close();
  }

  #key(nodeId: Uint8Array, streamId: Uint8Array, position: SegmentPosition): unknown[] {
    return [bufferOf(nodeId), bufferOf(streamId), position.part, position.index];
  }
}
