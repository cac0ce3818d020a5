/**
 * The SQLite ledger (better-sqlite3). Tables `ledger_serials` and `ledger_bandwidth`; one
 * transaction per batch, so a serial is recorded if and only if its bytes are. The schema and
 * reads are {@link SqlLedgerStore}'s, in SQLite's dialect.
 */
import type Database from 'better-sqlite3';
import { SQLITE } from '../../../sql/dialect.js';
import { sqliteExecutor } from '../../../sql/executor.js';
import { bufferOf } from '../../../sql/migrations.js';
import { openMigratedSqlite, type SqliteHandle, type SqliteStoreOptions } from '../../../sql/sqlite.js';
import { assertSettledOrders, bandwidthBucket, firstOfEachSerial, type SettledOrder } from '../types.js';
import { LEDGER_STORE_NAME, ledgerMigrations, SqlLedgerStore } from './sql.js';

const MIGRATIONS = ledgerMigrations(SQLITE);

/** The ledger schema version this code writes. */
export const LEDGER_SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * @example
 * ```ts
 * const ledger = await SqliteLedgerStore.open({ path: '/var/lib/satellite/satellite.db' });
 * ```
 */
export class SqliteLedgerStore extends SqlLedgerStore {
  readonly #settle: (orders: readonly SettledOrder[], first: readonly boolean[]) => boolean[];

  private constructor(handle: SqliteHandle) {
    super(sqliteExecutor(handle));
    const { db } = handle;
    const insertSerial: Database.Statement = db.prepare('INSERT INTO ledger_serials (serial, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING');
    const addBytes: Database.Statement = db.prepare(`INSERT INTO ledger_bandwidth (node_id, action, interval_start, bytes) VALUES (?, ?, ?, ?)
      ON CONFLICT (node_id, action, interval_start) DO UPDATE SET bytes = bytes + excluded.bytes`);
    // The serial insert and the byte upsert share one transaction: both happen or neither.
    this.#settle = db.transaction((orders: readonly SettledOrder[], first: readonly boolean[]) =>
      orders.map((o, i) => {
        if (!first[i] || insertSerial.run(bufferOf(o.serialNumber), o.expiresAt).changes !== 1) return false;
        addBytes.run(bufferOf(o.nodeId), o.action, bandwidthBucket(o.at), o.amount);
        return true;
      }),
    );
  }

  /** Opens (creating if needed) the database and migrates the ledger tables to the current schema. */
  static async open(options: SqliteStoreOptions): Promise<SqliteLedgerStore> {
    return new SqliteLedgerStore(openMigratedSqlite(options, LEDGER_STORE_NAME, MIGRATIONS));
  }

  async settle(orders: readonly SettledOrder[]): Promise<boolean[]> {
    assertSettledOrders(orders);
    if (orders.length === 0) return [];
    return this.#settle(orders, firstOfEachSerial(orders));
  }
}
