/**
 * The PostgreSQL ledger (pg; the SQL also runs on CockroachDB). Tables `ledger_serials` and
 * `ledger_bandwidth`. A batch is one transaction of two statements: insert the serials (a
 * serial already there, or being inserted by a concurrent batch, is skipped by the unique key),
 * then add the bytes of exactly the serials that went in. The schema and reads are
 * {@link SqlLedgerStore}'s, in PostgreSQL's dialect.
 */
import type pg from 'pg';
import { compareBytes, toHex } from '../../../core/bytes.js';
import { POSTGRES } from '../../../sql/dialect.js';
import { postgresExecutor } from '../../../sql/executor.js';
import { bufferOf } from '../../../sql/migrations.js';
import { inTransaction, openMigratedPool, type PoolHandle, type PostgresStoreOptions } from '../../../sql/postgres.js';
import type { PieceAction } from '../../order-limit.js';
import { assertSettledOrders, bandwidthBucket, firstOfEachSerial, type SettledOrder } from '../types.js';
import { LEDGER_STORE_NAME, ledgerMigrations, SqlLedgerStore } from './sql.js';

const MIGRATIONS = ledgerMigrations(POSTGRES);

/** The ledger schema version this code writes. */
export const LEDGER_POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

const INSERT_SERIALS = `
  INSERT INTO ledger_serials (serial, expires_at)
  SELECT * FROM unnest($1::bytea[], $2::timestamptz[])
  ON CONFLICT DO NOTHING
  RETURNING serial`;

const ADD_BYTES = `
  INSERT INTO ledger_bandwidth (node_id, action, interval_start, bytes)
  SELECT * FROM unnest($1::bytea[], $2::text[], $3::timestamptz[], $4::bigint[])
  ON CONFLICT (node_id, action, interval_start) DO UPDATE SET bytes = ledger_bandwidth.bytes + excluded.bytes`;

/**
 * @example
 * ```ts
 * const ledger = await PostgresLedgerStore.open({ connectionString: process.env.DATABASE_URL! });
 * ```
 */
export class PostgresLedgerStore extends SqlLedgerStore {
  readonly #pool: pg.Pool;

  private constructor(handle: PoolHandle) {
    super(postgresExecutor(handle));
    this.#pool = handle.pool;
  }

  /** Connects and migrates the ledger tables to the current schema version. */
  static async open(options: PostgresStoreOptions): Promise<PostgresLedgerStore> {
    return new PostgresLedgerStore(await openMigratedPool(options, LEDGER_STORE_NAME, MIGRATIONS));
  }

  async settle(orders: readonly SettledOrder[]): Promise<boolean[]> {
    assertSettledOrders(orders);
    const first = firstOfEachSerial(orders);
    // Serials in a fixed order, so two batches sharing serials wait on each other instead of deadlocking.
    const candidates = orders.filter((_, i) => first[i]).sort((a, b) => compareBytes(a.serialNumber, b.serialNumber));
    if (candidates.length === 0) return orders.map(() => false);
    const inserted = await inTransaction(this.#pool, async (client) => {
      const { rows } = await client.query<{ serial: Buffer }>({
        name: 'ledger_insert_serials',
        text: INSERT_SERIALS,
        values: [candidates.map((o) => bufferOf(o.serialNumber)), candidates.map((o) => new Date(o.expiresAt))],
      });
      const went = new Set(rows.map((r) => r.serial.toString('hex')));
      const sums = new Map<string, { nodeId: Uint8Array; action: PieceAction; bucket: number; bytes: number }>();
      for (const o of candidates) {
        if (!went.has(toHex(o.serialNumber))) continue;
        const bucket = bandwidthBucket(o.at);
        const key = `${toHex(o.nodeId)}/${o.action}/${bucket}`;
        const sum = sums.get(key) ?? { nodeId: o.nodeId, action: o.action, bucket, bytes: 0 };
        sum.bytes += o.amount;
        sums.set(key, sum);
      }
      const rollups = [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
      if (rollups.length > 0) {
        await client.query({
          name: 'ledger_add_bytes',
          text: ADD_BYTES,
          values: [
            rollups.map((r) => bufferOf(r.nodeId)),
            rollups.map((r) => r.action),
            rollups.map((r) => new Date(r.bucket)),
            rollups.map((r) => r.bytes),
          ],
        });
      }
      return went;
    });
    return orders.map((o, i) => first[i]! && inserted.has(toHex(o.serialNumber)));
  }
}
