/**
 * The repair queue over SQL, shared by the SQLite and PostgreSQL stores: one schema and one set
 * of statements, parameterised by dialect (see sql/dialect.ts), and one row mapping. The table is
 * `repair_queue`, so it can share a database with the satellite's other stores.
 *
 * Claiming is one statement: an `UPDATE … WHERE key = (SELECT the least healthy free key)` that
 * also re-checks the lease, so of two racing claims for the same row one updates it and the other
 * updates nothing (PostgreSQL re-evaluates the WHERE on the row the winner wrote; SQLite runs one
 * writer at a time; CockroachDB may ask for a retry instead) — the loser simply tries again.
 * Plain SQL only: no `SKIP LOCKED`, no `UPDATE … ORDER BY`, no PL/pgSQL.
 */
import { hasSqlState } from '../../../sql/transaction.js';
import { millis, optionalMillis, type SqlDialect } from '../../../sql/dialect.js';
import { sqlStatement, type SqlExecutor, type SqlStep } from '../../../sql/executor.js';
import { bufferOf, plainBytes } from '../../../sql/migrations.js';
import type { SegmentPosition, StreamId } from '../../../metainfo/metabase/types.js';
import type { NewRepairItem, RepairQueueItem, RepairQueueStore } from '../queue-store.js';
import { distinctItems, requireCount, requireItems, requireLease, requireSegment, segmentKey } from './validate.js';

/** This store's row in `handoff_schema_versions`. */
export const REPAIR_QUEUE_STORE_NAME = 'repair_queue';

/** Claims lost to a racing repairer before giving up for this call (each loss means another item was taken). */
const CLAIM_ATTEMPTS = 32;
/** CockroachDB's and PostgreSQL's "try again". */
const retryable = hasSqlState(new Set(['40001', '40P01']));

/**
 * Each entry moves the schema one version up; never edit one that has shipped, append instead.
 * The text per dialect differs only by the names {@link SqlDialect} gives.
 */
export function repairQueueMigrations(d: SqlDialect): readonly string[] {
  const { bytes, count, time } = d.types;
  return [
    `
  CREATE TABLE IF NOT EXISTS repair_queue (
    stream_id ${bytes} NOT NULL CHECK (length(stream_id) = 16),
    position_part ${count} NOT NULL,
    position_index ${count} NOT NULL,
    healthy INTEGER NOT NULL CHECK (healthy >= 0),
    inserted_at ${time} NOT NULL,
    updated_at ${time} NOT NULL,
    leased_until ${time},
    attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (stream_id, position_part, position_index)
  )${d.tableOptions};
  -- next's order: least healthy first, then oldest.
  CREATE INDEX IF NOT EXISTS repair_queue_next ON repair_queue (healthy, inserted_at);
  -- clean: items the last checker pass did not refresh.
  CREATE INDEX IF NOT EXISTS repair_queue_updated ON repair_queue (updated_at);
  `,
  ];
}

const KEY = 'stream_id, position_part, position_index';
const FREE = '(leased_until IS NULL OR leased_until <= $1)';

function statements(d: SqlDialect) {
  const { time } = d.types;
  const upsert = `ON CONFLICT (${KEY}) DO UPDATE SET healthy = excluded.healthy, updated_at = excluded.updated_at`;
  return {
    // SQLite: one row per statement inside one transaction (in-process, no round trips).
    insertOne: sqlStatement('repair_queue_insert_one', `
      INSERT INTO repair_queue (${KEY}, healthy, inserted_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) ${upsert}`),
    // PostgreSQL: a whole batch in one statement (one round trip).
    insertMany: sqlStatement('repair_queue_insert_many', `
      INSERT INTO repair_queue (${KEY}, healthy, inserted_at, updated_at)
      SELECT u.s, u.p, u.i, u.h, CAST($5 AS ${time}), CAST($5 AS ${time})
      FROM unnest($1::bytea[], $2::bigint[], $3::bigint[], $4::integer[]) AS u (s, p, i, h) ${upsert}`),
    claim: sqlStatement('repair_queue_claim', `
      UPDATE repair_queue SET leased_until = $2, attempts = attempts + 1
      WHERE (${KEY}) = (SELECT ${KEY} FROM repair_queue WHERE ${FREE}
        ORDER BY healthy, inserted_at, ${KEY} LIMIT 1)
        AND ${FREE}
      RETURNING *`),
    anyFree: sqlStatement('repair_queue_any_free', `SELECT 1 AS free FROM repair_queue WHERE ${FREE} LIMIT 1`),
    get: sqlStatement('repair_queue_get', 'SELECT * FROM repair_queue WHERE stream_id = $1 AND position_part = $2 AND position_index = $3'),
    delete: sqlStatement('repair_queue_delete', 'DELETE FROM repair_queue WHERE stream_id = $1 AND position_part = $2 AND position_index = $3'),
    clean: sqlStatement('repair_queue_clean', 'DELETE FROM repair_queue WHERE updated_at < $1'),
    // Counted as text: PostgreSQL's count(*) is a bigint, which pg reads as a string anyway.
    count: sqlStatement('repair_queue_count', 'SELECT CAST(count(*) AS TEXT) AS n FROM repair_queue'),
  };
}

/** A row as either driver reads it: times are numbers in SQLite and Dates in PostgreSQL; a bigint may come as a string. */
interface Row {
  stream_id: Uint8Array;
  position_part: number | string;
  position_index: number | string;
  healthy: number | string;
  inserted_at: number | Date;
  updated_at: number | Date;
  leased_until: number | Date | null;
  attempts: number | string;
}

const keyOf = (item: NewRepairItem): string => segmentKey(item.streamId, item.position);

/**
 * See the file comment; `SqliteRepairQueueStore` and `PostgresRepairQueueStore` open it.
 *
 * @example
 * ```ts
 * const queue: SqlRepairQueueStore = await SqliteRepairQueueStore.open({ path: ':memory:' });
 * const item = await queue.next(Date.now(), 30 * 60_000);
 * ```
 */
export abstract class SqlRepairQueueStore implements RepairQueueStore {
  readonly #sql: SqlExecutor;
  readonly #s: ReturnType<typeof statements>;

  protected constructor(executor: SqlExecutor) {
    this.#sql = executor;
    this.#s = statements(executor.dialect);
  }

  async insert(items: readonly NewRepairItem[], at: number): Promise<void> {
    requireItems(items);
    requireCount(at, 'at');
    const batch = distinctItems(items, keyOf);
    if (batch.length === 0) return;
    const time = this.#time(at);
    if (this.#sql.dialect.name === 'postgres') {
      await this.#sql.run(this.#s.insertMany, [
        batch.map((i) => bufferOf(i.streamId)), batch.map((i) => i.position.part), batch.map((i) => i.position.index), batch.map((i) => i.healthy), time,
      ]);
      return;
    }
    const steps: SqlStep[] = batch.map((i) => ({ statement: this.#s.insertOne, values: [bufferOf(i.streamId), i.position.part, i.position.index, i.healthy, time] }));
    await this.#sql.transaction(steps);
  }

  async next(now: number, leaseMs: number): Promise<RepairQueueItem | undefined> {
    requireCount(now, 'now');
    requireLease(leaseMs);
    const values = [this.#time(now), this.#time(now + leaseMs)];
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      let rows: Row[];
      try {
        rows = await this.#sql.rows<Row>(this.#s.claim, values);
      } catch (err) {
        if (retryable(err)) continue;
        throw err;
      }
      if (rows[0]) return fromRow(rows[0]);
      // Nothing updated: the queue has nothing free, or a racing claim took the row we aimed at.
      if ((await this.#sql.rows(this.#s.anyFree, [values[0]])).length === 0) return undefined;
    }
    return undefined;
  }

  async get(streamId: StreamId, position: SegmentPosition): Promise<RepairQueueItem | undefined> {
    requireSegment(streamId, position);
    const rows = await this.#sql.rows<Row>(this.#s.get, [bufferOf(streamId), position.part, position.index]);
    return rows[0] && fromRow(rows[0]);
  }

  async delete(streamId: StreamId, position: SegmentPosition): Promise<boolean> {
    requireSegment(streamId, position);
    return (await this.#sql.run(this.#s.delete, [bufferOf(streamId), position.part, position.index])) > 0;
  }

  async clean(before: number): Promise<number> {
    requireCount(before, 'before');
    return this.#sql.run(this.#s.clean, [this.#time(before)]);
  }

  async count(): Promise<number> {
    const rows = await this.#sql.rows<{ n: string | number }>(this.#s.count, []);
    return Number(rows[0]?.n ?? 0);
  }

  async close(): Promise<void> {
    await this.#sql.close();
  }

  #time(ms: number): unknown {
    return this.#sql.dialect.time(ms);
  }
}

function fromRow(row: Row): RepairQueueItem {
  return {
    streamId: plainBytes(row.stream_id),
    position: { part: Number(row.position_part), index: Number(row.position_index) },
    healthy: Number(row.healthy),
    insertedAt: millis(row.inserted_at),
    updatedAt: millis(row.updated_at),
    leasedUntil: optionalMillis(row.leased_until),
    attempts: Number(row.attempts),
  };
}
