/**
 * CockroachDB mode: a PostgreSQL connection made to behave as CockroachDB does where handoff's
 * stores would notice, so CI proves the SQL portable without a CockroachDB server (none can be
 * installed where handoff is built). A connection URL carrying `handoff_mode=cockroachdb` gets:
 *
 * - SERIALIZABLE as every transaction's isolation (CockroachDB's default): conflicts surface as
 *   40001, single statements included, and must be retried.
 * - Every integer handed back as a string, as pg returns CockroachDB's INT, which is always
 *   64-bit: int2/int4 values and arrays parse like int8. The server's own column types stay as
 *   they are, so what is tested is exactly what the code sees, including `count(*)`, literals
 *   and `::INT` casts, which rewriting the schema's types would miss.
 * - Refusals (SQLSTATE 0A000) of what CockroachDB lacks or ignores: advisory locks, storage
 *   parameters (`WITH (fillfactor = …)`), `DROP DATABASE … WITH (FORCE)`, `serial` columns (they
 *   are `unique_rowid()` there, 64-bit ids no JavaScript number holds), and a write to a table
 *   after `ADD COLUMN` on it in the same transaction (the column is not public until commit).
 * - `FOR SHARE` dropped from queries: CockroachDB accepts it and does nothing under
 *   SERIALIZABLE, so no correctness may hang on it.
 *
 * Not reproduced (docs/scaling.md, "CockroachDB"): 40003 ambiguous commits, multi-node clocks
 * and ranges, CockroachDB's own planner, and any SQL it would reject that PostgreSQL accepts
 * and that is not in the list above.
 */
import pg from 'pg';

/** The URL parameter that asks for CockroachDB mode; pg itself ignores it. */
export const COCKROACH_MODE_PARAMETER = 'handoff_mode';
/** Its value. */
export const COCKROACH_MODE = 'cockroachdb';

/** SQLSTATE feature_not_supported, what CockroachDB answers for what it lacks. */
export const FEATURE_NOT_SUPPORTED = '0A000';

/**
 * True when `connectionString` asks for CockroachDB mode.
 *
 * @example
 * ```ts
 * cockroachModeRequested('postgres://db/handoff?handoff_mode=cockroachdb'); // true
 * ```
 */
export function cockroachModeRequested(connectionString: string | undefined): boolean {
  if (!connectionString) return false;
  try {
    return new URL(connectionString).searchParams.get(COCKROACH_MODE_PARAMETER) === COCKROACH_MODE;
  } catch {
    return false;
  }
}

/**
 * `connectionString` with CockroachDB mode asked for.
 *
 * @example
 * ```ts
 * const url = withCockroachMode(process.env.HANDOFF_PG_URL!);
 * ```
 */
export function withCockroachMode(connectionString: string): string {
  const url = new URL(connectionString);
  url.searchParams.set(COCKROACH_MODE_PARAMETER, COCKROACH_MODE);
  return url.toString();
}

const INTEGER_OIDS = new Set([21, 23]); // int2, int4
const INTEGER_ARRAY_OIDS = new Set([1005, 1007]); // int2[], int4[]
const INT8 = 20;
const INT8_ARRAY = 1016;

/** pg's parsers, except that every integer comes back as int8 does: a string. */
const cockroachTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (format !== 'binary' && INTEGER_OIDS.has(oid)) return pg.types.getTypeParser(INT8, 'text');
    if (format !== 'binary' && INTEGER_ARRAY_OIDS.has(oid)) return pg.types.getTypeParser(INT8_ARRAY as never, 'text');
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/** What CockroachDB refuses outright, each with the reason the refusal gives. */
const REFUSED: readonly (readonly [RegExp, string])[] = [
  [/\bpg_(try_)?advisory_/i, 'advisory locks'],
  [/\)\s*WITH\s*\(/i, 'storage parameters'],
  [/\bDROP\s+DATABASE\b[^;]*\bWITH\s*\(/i, 'DROP DATABASE … WITH (…)'],
];

/** A column typed `serial` in a CREATE or ALTER TABLE (a column *named* serial is fine). */
const SERIAL_COLUMN = /^(?:CREATE|ALTER)\s+TABLE\b.*\w\s+(?:big|small)?serial\s*(?:PRIMARY|NOT|NULL|UNIQUE|DEFAULT|,|\)|$)/is;
const ADD_COLUMN = /\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?([\w.]+)\s+ADD\s+COLUMN\b/gi;
const WRITE = /\b(?:UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+([\w.]+)/gi;

function refusal(message: string): Error {
  return Object.assign(new Error(`CockroachDB mode: ${message} (CockroachDB does not support this)`), { code: FEATURE_NOT_SUPPORTED });
}

/** Splits a query text into statements at semicolons (handoff's SQL has none inside literals). */
function statements(text: string): string[] {
  return text.split(';').map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * A pg client that runs a query as CockroachDB would see it: refuses, rewrites or passes it
 * (see the file comment), tracking which tables gained a column in the open transaction.
 */
class CockroachModeClient extends pg.Client {
  /** Tables altered by ADD COLUMN in the transaction in progress; undefined outside one. */
  #altered: Set<string> | undefined;

  /** The text to send instead of `text`, or a refusal. */
  #check(text: string): string | Error {
    for (const [pattern, what] of REFUSED) if (pattern.test(text)) return refusal(what);
    const parts = statements(text);
    // A text of several statements is one implicit transaction, as in CockroachDB.
    let altered = this.#altered ?? (parts.length > 1 ? new Set<string>() : undefined);
    for (const part of parts) {
      const keyword = part.split(/\s+/, 1)[0]!.toUpperCase();
      if (keyword === 'BEGIN' || keyword === 'START') altered = this.#altered = new Set();
      else if (keyword === 'COMMIT' || keyword === 'ROLLBACK' || keyword === 'END') altered = this.#altered = undefined;
      if (SERIAL_COLUMN.test(part)) return refusal('serial columns (their unique_rowid() ids exceed 2^53)');
      for (const write of part.matchAll(WRITE)) {
        if (altered?.has(write[1]!.toLowerCase())) return refusal(`writing ${write[1]} after ADD COLUMN on it in the same transaction`);
      }
      for (const added of part.matchAll(ADD_COLUMN)) altered?.add(added[1]!.toLowerCase());
    }
    return text.replace(/\s+FOR\s+SHARE\b/gi, '');
  }

  // pg's overloads are many; this one sees every call, rewrites the text and passes the rest on.
  override query(...args: unknown[]): never {
    const [config] = args;
    const text = typeof config === 'string' ? config : (config as { text?: unknown } | null)?.text;
    if (typeof text === 'string') {
      const checked = this.#check(text);
      if (checked instanceof Error) {
        const callback = args.find((a): a is (err: Error) => void => typeof a === 'function');
        if (callback) {
          process.nextTick(callback, checked);
          return undefined as never;
        }
        return Promise.reject(checked) as never;
      }
      if (checked !== text) {
        // A submittable (a cursor, a prepared Query) keeps its prototype: its text is changed in place.
        if (typeof config === 'string') args[0] = checked;
        else if (typeof (config as { submit?: unknown }).submit === 'function') (config as { text: string }).text = checked;
        else args[0] = { ...(config as object), text: checked };
      }
    }
    const callbackAt = args.findIndex((a) => typeof a === 'function');
    if (callbackAt >= 0) {
      const callback = args[callbackAt] as (err: unknown, result: unknown) => void;
      args[callbackAt] = (err: unknown, result: unknown) => {
        countConflict(err);
        callback(err, result);
      };
    }
    const result = (super.query as (...a: unknown[]) => unknown)(...args);
    if (result instanceof Promise) result.then(undefined, countConflict);
    return result as never;
  }
}

let conflicts = 0;

function countConflict(err: unknown): void {
  if ((err as { code?: unknown } | null)?.code === '40001') conflicts++;
}

/**
 * How many statements have failed with a serialization failure (40001) on CockroachDB-mode
 * connections in this process: what the retry loops had to absorb (for benchmarks and tests).
 */
export function serializationFailuresSeen(): number {
  return conflicts;
}

/**
 * The pool settings of CockroachDB mode for a pool on `connectionString` (see the file
 * comment); merge them into the pool's config.
 *
 * @example
 * ```ts
 * const pool = new pg.Pool({ connectionString: url, ...cockroachModePoolConfig(url) });
 * ```
 */
export function cockroachModePoolConfig(connectionString: string): Partial<pg.PoolConfig> {
  const given = new URL(connectionString).searchParams.get('options');
  return {
    options: `${given ? `${given} ` : ''}-c default_transaction_isolation=serializable`,
    types: cockroachTypes as pg.CustomTypesConfig,
    Client: CockroachModeClient as unknown as typeof pg.Client,
  };
}
