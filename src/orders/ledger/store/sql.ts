/**
 * The ledger over SQL, shared by the SQLite and PostgreSQL stores: one schema and the statements
 * that read totals and drop expired serials, parameterised by dialect (see sql/dialect.ts).
 * Settling a batch is each dialect's own: SQLite settles order by order inside one embedded
 * transaction, PostgreSQL in two set-based statements per batch.
 */
import type { SqlDialect } from '../../../sql/dialect.js';
import { sqlStatement, type SqlExecutor } from '../../../sql/executor.js';
import { bufferOf, plainBytes } from '../../../sql/migrations.js';
import type { PieceAction } from '../../order-limit.js';
import type { LedgerStore } from '../port.js';
import { assertBandwidthQuery, type BandwidthQuery, type BandwidthTotal, type SettledOrder } from '../types.js';

/** This store's row in `handoff_schema_versions`. */
export const LEDGER_STORE_NAME = 'ledger';

/**
 * Each entry moves the schema one version up; never edit one that has shipped, append instead.
 * The text per dialect is exactly what each store shipped (pinned by a test).
 */
export function ledgerMigrations(d: SqlDialect): readonly string[] {
  const { bytes, text, count, time } = d.types;
  return [
    `
  CREATE TABLE IF NOT EXISTS ledger_serials (
    serial ${bytes} PRIMARY KEY CHECK (length(serial) = 16),
    expires_at ${time} NOT NULL
  )${d.tableOptions};
  CREATE INDEX IF NOT EXISTS ledger_serials_expiry ON ledger_serials (expires_at);
  CREATE TABLE IF NOT EXISTS ledger_bandwidth (
    node_id ${bytes} NOT NULL CHECK (length(node_id) = 32),
    action ${text} NOT NULL,
    interval_start ${time} NOT NULL,
    bytes ${count} NOT NULL CHECK (bytes >= 0),
    PRIMARY KEY (node_id, action, interval_start)
  )${d.tableOptions};
  CREATE INDEX IF NOT EXISTS ledger_bandwidth_by_time ON ledger_bandwidth (interval_start);
  `,
  ];
}

// Sums as text, read with Number(): PostgreSQL sums bigints as numeric, which pg reads as a string anyway.
const totals = sqlStatement('ledger_totals', `
  SELECT node_id, action, CAST(sum(bytes) AS TEXT) AS bytes FROM ledger_bandwidth
  WHERE interval_start >= $1 AND interval_start < $2
  GROUP BY node_id, action ORDER BY node_id, action`);
const totalsOfNode = sqlStatement('ledger_totals_of_node', `
  SELECT node_id, action, CAST(sum(bytes) AS TEXT) AS bytes FROM ledger_bandwidth
  WHERE node_id = $3 AND interval_start >= $1 AND interval_start < $2
  GROUP BY node_id, action ORDER BY node_id, action`);
const deleteExpired = sqlStatement('ledger_delete_expired', `
  DELETE FROM ledger_serials
  WHERE serial IN (SELECT serial FROM ledger_serials WHERE expires_at < $1 LIMIT $2)`);

interface TotalRow {
  node_id: Uint8Array;
  action: string;
  bytes: string;
}

/**
 * See the file comment; `SqliteLedgerStore` and `PostgresLedgerStore` open it and settle.
 *
 * @example
 * ```ts
 * const ledger: SqlLedgerStore = await SqliteLedgerStore.open({ database });
 * const totals = await ledger.bandwidth({ from, to });
 * ```
 */
export abstract class SqlLedgerStore implements LedgerStore {
  readonly #sql: SqlExecutor;

  protected constructor(executor: SqlExecutor) {
    this.#sql = executor;
  }

  abstract settle(orders: readonly SettledOrder[]): Promise<boolean[]>;

  async bandwidth(query: BandwidthQuery): Promise<BandwidthTotal[]> {
    assertBandwidthQuery(query);
    const { time } = this.#sql.dialect;
    const range = [time(query.from), time(query.to)];
    const rows = query.nodeId
      ? await this.#sql.rows<TotalRow>(totalsOfNode, [...range, bufferOf(query.nodeId)])
      : await this.#sql.rows<TotalRow>(totals, range);
    return rows.map((r) => ({ nodeId: plainBytes(r.node_id), action: r.action as PieceAction, bytes: Number(r.bytes) }));
  }

  async deleteExpiredSerials(now: number, limit = 1000): Promise<number> {
    return this.#sql.run(deleteExpired, [this.#sql.dialect.time(now), limit]);
  }

  async close(): Promise<void> {
    await this.#sql.close();
  }
}
