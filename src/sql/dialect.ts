/**
 * What differs between SQLite and PostgreSQL in the satellite stores' SQL (overlay, projects,
 * ledger), so each store writes its schema and statements once: column type names (SQLite keeps
 * times as epoch milliseconds in INTEGER columns, PostgreSQL as `timestamptz`), a couple of
 * function and list spellings, and how times and byte lists travel as parameters. Statements use
 * `$1…$n` placeholders, which both drivers bind (see executor.ts).
 */
import { toHex } from '../core/bytes.js';
import { bufferOf } from './migrations.js';

/** The SQL databases handoff's stores run on. */
export type SqlDialectName = 'sqlite' | 'postgres';

/** See the file comment. */
export interface SqlDialect {
  readonly name: SqlDialectName;
  /** Column types, spelled as the stores' shipped migrations spell them. */
  readonly types: {
    readonly bytes: string;
    readonly text: string;
    /** A non-negative integer that may exceed 2^31 (byte counts). */
    readonly count: string;
    /** A point in time. */
    readonly time: string;
    /** A double-precision floating-point number (reputation scores). */
    readonly real: string;
  };
  /** What follows a table's closing parenthesis: SQLite's ` WITHOUT ROWID`, nothing in PostgreSQL. */
  readonly tableOptions: string;
  /** The function returning the larger of its arguments: `max` in SQLite, `greatest` in PostgreSQL. */
  readonly greatest: string;
  /**
   * What follows `ADD COLUMN` so a migration can run again: ` IF NOT EXISTS` in PostgreSQL; nothing
   * in SQLite, which lacks it (its migrations run once, in one transaction, under a version check).
   */
  readonly addColumnIfMissing: string;
  /** `IN …` over the byte strings bound as one parameter at `placeholder` (see {@link bytesList}). */
  inBytes(placeholder: string): string;
  /** The parameter value of a list of byte strings, for {@link inBytes}. */
  bytesList(list: readonly Uint8Array[]): unknown;
  /** The parameter value of a time, epoch milliseconds. */
  time(ms: number): unknown;
}

/**
 * @example
 * ```ts
 * const schema = `CREATE TABLE t (id ${SQLITE.types.bytes} PRIMARY KEY)${SQLITE.tableOptions}`;
 * ```
 */
export const SQLITE: SqlDialect = {
  name: 'sqlite',
  types: { bytes: 'BLOB', text: 'TEXT', count: 'INTEGER', time: 'INTEGER', real: 'REAL' },
  tableOptions: ' WITHOUT ROWID',
  greatest: 'max',
  addColumnIfMissing: '',
  inBytes: (placeholder) => `IN (SELECT unhex(value) FROM json_each(${placeholder}))`,
  bytesList: (list) => JSON.stringify(list.map((bytes) => toHex(bytes))),
  time: (ms) => ms,
};

/**
 * @example
 * ```ts
 * await pool.query(`SELECT * FROM overlay_nodes WHERE id ${POSTGRES.inBytes('$1')}`, [POSTGRES.bytesList(ids)]);
 * ```
 */
export const POSTGRES: SqlDialect = {
  name: 'postgres',
  types: { bytes: 'bytea', text: 'text', count: 'bigint', time: 'timestamptz', real: 'double precision' },
  tableOptions: '',
  greatest: 'greatest',
  addColumnIfMissing: ' IF NOT EXISTS',
  inBytes: (placeholder) => `= ANY(${placeholder}::bytea[])`,
  bytesList: (list) => list.map(bufferOf),
  time: (ms) => new Date(ms),
};

/**
 * A time column's value as epoch milliseconds, whichever driver read it.
 *
 * @example
 * ```ts
 * const joinedAt = millis(row.joined_at); // a number from SQLite, a Date from PostgreSQL
 * ```
 */
export function millis(value: number | Date): number {
  return typeof value === 'number' ? value : value.getTime();
}

/**
 * {@link millis} of a column that may be NULL.
 *
 * @example
 * ```ts
 * const revokedAt = optionalMillis(row.revoked_at);
 * ```
 */
export function optionalMillis(value: number | Date | null): number | null {
  return value === null ? null : millis(value);
}
