/**
 * The PostgreSQL ledger (pg; the SQL also runs on CockroachDB). Tables `ledger_serials` and
 * `ledger_bandwidth`. A batch is one transaction of two statements: insert the serials (a
 * serial already there, or being inserted by a concurrent batch, is skipped by the unique key),
 * then add the bytes of exactly the serials that went in.
 */
import type pg from 'pg';
import { compareBytes, toHex } from '../../../core/bytes.js';
import { bufferOf, plainBytes } from '../../../sql/migrations.js';
import { inTransaction, openMigratedPool, type PostgresStoreOptions } from '../../../sql/postgres.js';
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
    serial bytea PRIMARY KEY CHECK (length(serial) = 16),
    expires_at timestamptz NOT NULL
  );
  CREATE INDEX IF NOT EXISTS ledger_serials_expiry ON ledger_serials (expires_at);
  CREATE TABLE IF NOT EXISTS ledger_bandwidth (
    node_id bytea NOT NULL CHECK (length(node_id) = 32),
    action text NOT NULL,
    interval_start timestamptz NOT NULL,
    bytes bigint NOT NULL CHECK (bytes >= 0),
    PRIMARY KEY (node_id, action, interval_start)
  );
  CREATE INDEX IF NOT EXISTS ledger_bandwidth_by_time ON ledger_bandwidth (interval_start);
  `,
];

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

const TOTALS = `
  SELECT node_id, action, sum(bytes)::text AS bytes FROM ledger_bandwidth
  WHERE interval_start >= $1 AND interval_start < $2
  GROUP BY node_id, action ORDER BY node_id, action`;

const TOTALS_OF_NODE = `
  SELECT node_id, action, sum(bytes)::text AS bytes FROM ledger_bandwidth
  WHERE node_id = $3 AND interval_start >= $1 AND interval_start < $2
  GROUP BY node_id, action ORDER BY node_id, action`;

const DELETE_EXPIRED = `
  DELETE FROM ledger_serials
  WHERE serial IN (SELECT serial FROM ledger_serials WHERE expires_at < $1 LIMIT $2)`;

interface TotalRow {
  node_id: Buffer;
  action: string;
  bytes: string;
}

/**
 * @example
 * ```ts
 * const ledger = await PostgresLedgerStore.open({ connectionString: process.env.DATABASE_URL! });
 * ```
 */
export class PostgresLedgerStore implements LedgerStore {
  readonly #pool: pg.Pool;
  readonly #owned: boolean;

  private constructor(pool: pg.Pool, owned: boolean) {
    this.#pool = pool;
    this.#owned = owned;
  }

  /** Connects and migrates the ledger tables to the current schema version. */
  static async open(options: PostgresStoreOptions): Promise<PostgresLedgerStore> {
    const { pool, owned } = await openMigratedPool(options, STORE_NAME, MIGRATIONS);
    return new PostgresLedgerStore(pool, owned);
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

  async bandwidth(query: BandwidthQuery): Promise<BandwidthTotal[]> {
    assertBandwidthQuery(query);
    const range = [new Date(query.from), new Date(query.to)];
    const { rows } = query.nodeId
      ? await this.#pool.query<TotalRow>({ name: 'ledger_totals_of_node', text: TOTALS_OF_NODE, values: [...range, bufferOf(query.nodeId)] })
      : await this.#pool.query<TotalRow>({ name: 'ledger_totals', text: TOTALS, values: range });
    return rows.map((r) => ({ nodeId: plainBytes(r.node_id), action: r.action as PieceAction, bytes: Number(r.bytes) }));
  }

  async deleteExpiredSerials(now: number, limit = 1000): Promise<number> {
    const { rowCount } = await this.#pool.query({ name: 'ledger_delete_expired', text: DELETE_EXPIRED, values: [new Date(now), limit] });
    return rowCount ?? 0;
  }

  async close(): Promise<void> {
    if (this.#owned && !this.#pool.ended) await this.#pool.end();
  }
}

