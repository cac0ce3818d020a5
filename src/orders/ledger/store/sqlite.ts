/**
 * The SQLite ledger (better-sqlite3). Tables `ledger_serials` and `ledger_bandwidth`; one
 * transaction per batch, so a serial is recorded if and only if its bytes are.
 */
import type Database from 'better-sqlite3';
import { bufferOf, plainBytes } from '../../../sql/migrations.js';
import { openMigratedSqlite, type SqliteStoreOptions } from '../../../sql/sqlite.js';
import type { PieceAction } from '../../order-limit.js';
import type { LedgerStore } from '../port.js';
import {
  assertBandwidthQuery,
  assertSettledOrders,
  bandwidthBucket,
  firstOfEachSerial,
  type BandwidthQuery,
  type BandwidthTotal,
  type SettledOrder,
} from '../types.js';

/** This store's row in `handoff_schema_versions`. */
const STORE_NAME = 'ledger';

/** Each entry moves the schema one version up; never edit one that has shipped, append instead. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE IF NOT EXISTS ledger_serials (
    serial BLOB PRIMARY KEY CHECK (length(serial) = 16),
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS ledger_serials_expiry ON ledger_serials (expires_at);
  CREATE TABLE IF NOT EXISTS ledger_bandwidth (
    node_id BLOB NOT NULL CHECK (length(node_id) = 32),
    action TEXT NOT NULL,
    interval_start INTEGER NOT NULL,
    bytes INTEGER NOT NULL CHECK (bytes >= 0),
    PRIMARY KEY (node_id, action, interval_start)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS ledger_bandwidth_by_time ON ledger_bandwidth (interval_start);
  `,
];

/** The ledger schema version this code writes. */
export const LEDGER_SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

interface TotalRow {
  node_id: Buffer;
  action: string;
  bytes: number;
}

/**
 * @example
 * ```ts
 * const ledger = await SqliteLedgerStore.open({ path: '/var/lib/satellite/satellite.db' });
 * ```
 */
export class SqliteLedgerStore implements LedgerStore {
  readonly #db: Database.Database;
  readonly #owned: boolean;
  readonly #insertSerial: Database.Statement;
  readonly #addBytes: Database.Statement;
  readonly #totalsOfNode: Database.Statement;
  readonly #totals: Database.Statement;
  readonly #deleteExpired: Database.Statement;
  readonly #settle: (orders: readonly SettledOrder[], first: readonly boolean[]) => boolean[];

  private constructor(db: Database.Database, owned: boolean) {
    this.#db = db;
    this.#owned = owned;
    this.#insertSerial = db.prepare('INSERT INTO ledger_serials (serial, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING');
    this.#addBytes = db.prepare(`INSERT INTO ledger_bandwidth (node_id, action, interval_start, bytes) VALUES (?, ?, ?, ?)
      ON CONFLICT (node_id, action, interval_start) DO UPDATE SET bytes = bytes + excluded.bytes`);
    this.#totalsOfNode = db.prepare(`SELECT node_id, action, sum(bytes) AS bytes FROM ledger_bandwidth
      WHERE node_id = ? AND interval_start >= ? AND interval_start < ? GROUP BY node_id, action ORDER BY node_id, action`);
    this.#totals = db.prepare(`SELECT node_id, action, sum(bytes) AS bytes FROM ledger_bandwidth
      WHERE interval_start >= ? AND interval_start < ? GROUP BY node_id, action ORDER BY node_id, action`);
    this.#deleteExpired = db.prepare(`DELETE FROM ledger_serials
      WHERE serial IN (SELECT serial FROM ledger_serials WHERE expires_at < ? LIMIT ?)`);
    // The serial insert and the byte upsert share one transaction: both happen or neither.
    this.#settle = db.transaction((orders: readonly SettledOrder[], first: readonly boolean[]) =>
      orders.map((o, i) => {
        if (!first[i] || this.#insertSerial.run(bufferOf(o.serialNumber), o.expiresAt).changes !== 1) return false;
        this.#addBytes.run(bufferOf(o.nodeId), o.action, bandwidthBucket(o.at), o.amount);
        return true;
      }),
    );
  }

  /** Opens (creating if needed) the database and migrates the ledger tables to the current schema. */
  static async open(options: SqliteStoreOptions): Promise<SqliteLedgerStore> {
    const { db, owned } = openMigratedSqlite(options, STORE_NAME, MIGRATIONS);
    return new SqliteLedgerStore(db, owned);
  }

  async settle(orders: readonly SettledOrder[]): Promise<boolean[]> {
    assertSettledOrders(orders);
    if (orders.length === 0) return [];
    return this.#settle(orders, firstOfEachSerial(orders));
  }

  async bandwidth(query: BandwidthQuery): Promise<BandwidthTotal[]> {
    assertBandwidthQuery(query);
    const rows = (
      query.nodeId ? this.#totalsOfNode.all(bufferOf(query.nodeId), query.from, query.to) : this.#totals.all(query.from, query.to)
    ) as TotalRow[];
    return rows.map((r) => ({ nodeId: plainBytes(r.node_id), action: r.action as PieceAction, bytes: r.bytes }));
  }

  async deleteExpiredSerials(now: number, limit = 1000): Promise<number> {
    return this.#deleteExpired.run(now, limit).changes;
  }

  async close(): Promise<void> {
    if (this.#owned && this.#db.open) this.#db.close();
  }
}
