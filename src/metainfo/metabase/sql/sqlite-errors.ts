/** Maps what better-sqlite3 throws onto handoff's typed errors. */
import {
  AlreadyExistsError, FailedPreconditionError, InternalError, isHandoffError, UnavailableError, type HandoffError,
} from '../../../core/errors.js';

/** A typed error for `err`: handoff errors pass through; constraint, busy and other SQLite failures are mapped. */
export function toSqliteError(err: unknown): HandoffError {
  if (isHandoffError(err)) return err;
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  switch (code) {
    case 'SQLITE_CONSTRAINT_UNIQUE':
    case 'SQLITE_CONSTRAINT_PRIMARYKEY':
      return new AlreadyExistsError('metabase row already exists', { cause: err });
    case 'SQLITE_CONSTRAINT_FOREIGNKEY':
      return new FailedPreconditionError('metabase row refers to a missing or still referenced row', { cause: err });
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return new UnavailableError('metabase database is busy', { cause: err });
    default:
      return new InternalError(`metabase database failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}
