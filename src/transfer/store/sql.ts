/**
 * SQL shared by the SQLite and PostgreSQL stores: the browse filter and the conflict mapping.
 * Each dialect supplies how a parameter is written, so the logic exists once.
 */
import { AlreadyExistsError } from '../../core/errors.js';
import type { BrowseQuery } from './port.js';
import type { TransferTask } from '../types.js';
import { ACTIVE_STATES } from './port.js';

/** `'INITIATED', 'RUNNING', 'PAUSED'` — literals, so the partial indexes' predicate matches queries. */
export const ACTIVE_STATES_SQL = ACTIVE_STATES.map((s) => `'${s}'`).join(', ');

/** Adds a parameter and returns its placeholder; `time` values are epoch milliseconds. */
export type Param = (value: string | number, kind?: 'time') => string;

/** The WHERE clause of a browse page, newest first (see {@link BrowseQuery}). */
export function browseSql(table: string, query: BrowseQuery, param: Param): string {
  const where = [`initiated_by = ${param(query.initiatedBy)}`];
  if (query.beforeId !== undefined) where.push(`id < ${param(query.beforeId)}`);
  if (query.states) {
    if (query.states.length === 0) where.push('FALSE');
    else where.push(`state IN (${query.states.map((s) => param(s)).join(', ')})`);
  }
  if (query.provider !== undefined) {
    // Two parameters, not one placeholder used twice: SQLite's `?` is positional.
    where.push(`(provider_id = ${param(query.provider)} OR destination_provider = ${param(query.provider)})`);
  }
  const window: string[] = [];
  if (query.since !== undefined) window.push(`last_update >= ${param(query.since, 'time')}`);
  if (query.until !== undefined) window.push(`last_update < ${param(query.until, 'time')}`);
  if (window.length > 0) where.push(`(state IN (${ACTIVE_STATES_SQL}) OR (${window.join(' AND ')}))`);
  return `SELECT * FROM ${table} WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ${param(query.limit)}`;
}

/** The error a store throws when an insert hits one of its two uniqueness rules. */
export function insertConflict(conflict: 'active-route' | 'idempotency', cause: unknown): AlreadyExistsError {
  return conflict === 'active-route'
    ? new AlreadyExistsError('an identical transfer is already active', { cause, details: { conflict } })
    : new AlreadyExistsError('this request item already has a task', { cause, details: { conflict } });
}

/** A task's capabilities as the JSON text both dialects store. */
export function capabilitiesText(task: Pick<TransferTask, 'capabilities'>): string | null {
  return task.capabilities === null ? null : JSON.stringify(task.capabilities);
}
