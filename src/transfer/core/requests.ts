/**
 * The edge of the core: every request from a user or a provider is checked here before any
 * decision, with messages that name the field. Values come from the wire, so they are `unknown`.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex, utf8 } from '../../core/bytes.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { isTaskState, TASK_STATES, type LifecycleEvent } from '../lifecycle.js';
import type { TaskId, TaskState } from '../types.js';

/** Most items in one bulk request (user transfers or provider updates). */
export const MAX_BULK_ITEMS = 1000;
/** Longest path, in UTF-16 code units (Linux PATH_MAX is 4096 bytes). */
export const MAX_PATH_LENGTH = 4096;
/** Longest client idempotency key. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;
/** Longest user or provider id. */
export const MAX_ID_LENGTH = 256;
/** Largest browse page. */
export const MAX_PAGE_SIZE = 500;

/** One item of `TransferFilesBetweenProviders`: a file or folder, and the destination folder. */
export interface TransferItem {
  readonly sourcePath: string;
  readonly destinationPath: string;
}

/** A user or provider id: a non-empty string without NUL, at most {@link MAX_ID_LENGTH}. */
export function checkId(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH || value.includes('\u0000')) {
    throw new InvalidArgumentError(`"${field}" expected a non-empty id of at most ${MAX_ID_LENGTH} characters`);
  }
  return value;
}

/** A bulk request's item list: an array of 1..{@link MAX_BULK_ITEMS} entries. */
export function checkBulk(field: string, value: unknown): readonly unknown[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError(`"${field}" expected an array`);
  if (value.length === 0 || value.length > MAX_BULK_ITEMS) {
    throw new InvalidArgumentError(`"${field}" expected 1 to ${MAX_BULK_ITEMS} items, got ${value.length}`);
  }
  return value;
}

/**
 * An absolute path in one canonical spelling (`//` collapsed, no trailing `/`), so that identical
 * transfers compare equal. `.` and `..` segments are refused: the drive is read from the first
 * segment, and `/4123/../5243` must not borrow the permissions of drive 4123.
 */
export function normalizePath(field: string, value: unknown): string {
  if (typeof value !== 'string') throw new InvalidArgumentError(`"${field}" expected a string`);
  if (value.length > MAX_PATH_LENGTH) throw new InvalidArgumentError(`"${field}" expected at most ${MAX_PATH_LENGTH} characters, got ${value.length}`);
  if (!value.startsWith('/')) throw new InvalidArgumentError(`"${field}" expected an absolute path, got ${JSON.stringify(value.slice(0, 80))}`);
  if (value.includes('\u0000')) throw new InvalidArgumentError(`"${field}" must not contain NUL characters`);
  const segments = value.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..')) throw new InvalidArgumentError(`"${field}" must not contain "." or ".." segments`);
  if (segments.length === 0) throw new InvalidArgumentError(`"${field}" names no drive`);
  return `/${segments.join('/')}`;
}

/** Validates the items of one transfer request: one destination folder shared by every item. */
export function checkTransferItems(value: unknown): TransferItem[] {
  const items = checkBulk('items', value).map((raw, i) => {
    if (typeof raw !== 'object' || raw === null) throw new InvalidArgumentError(`"items[${i}]" expected an object`);
    const r = raw as Record<string, unknown>;
    return { sourcePath: normalizePath(`items[${i}].sourcePath`, r.sourcePath), destinationPath: normalizePath(`items[${i}].destinationPath`, r.destinationPath) };
  });
  const destination = items[0]!.destinationPath;
  const other = items.findIndex((item) => item.destinationPath !== destination);
  if (other >= 0) {
    throw new InvalidArgumentError(`"items[${other}].destinationPath" differs from "items[0].destinationPath": one request has one destination folder`);
  }
  return items;
}

/** A client idempotency key: printable, at most {@link MAX_IDEMPOTENCY_KEY_LENGTH} characters. */
export function checkIdempotencyKey(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_IDEMPOTENCY_KEY_LENGTH || /[\u0000-\u001f]/.test(value)) {
    throw new InvalidArgumentError(`"idempotencyKey" expected 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable characters`);
  }
  return value;
}

/** What a request asked for, independent of spelling: equal items give equal fingerprints. */
export function requestFingerprint(items: readonly TransferItem[]): string {
  return toHex(sha256(utf8(JSON.stringify(items.map((i) => [i.sourcePath, i.destinationPath])))));
}

/** A task id from the wire: a positive safe integer. */
export function checkTaskId(field: string, value: unknown): TaskId {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidArgumentError(`"${field}" expected a positive integer task id`);
  }
  return value;
}

/**
 * One `UpdateTransferTask` item as a lifecycle event. Absent and null fields mean "unchanged"
 * (the seed's Kotlin defaults are null); the lifecycle checks the values' ranges.
 */
export function parseUpdateItem(raw: unknown, index: number): { taskId: TaskId; event: Extract<LifecycleEvent, { type: 'update' }> } {
  if (typeof raw !== 'object' || raw === null) throw new InvalidArgumentError(`"items[${index}]" expected an object`);
  const r = raw as Record<string, unknown>;
  const taskId = checkTaskId(`items[${index}].taskId`, r.taskId);
  const event: { type: 'update'; state?: TaskState; progress?: number; status?: string } = { type: 'update' };
  if (r.newState !== undefined && r.newState !== null) event.state = r.newState as TaskState;
  if (r.newProgress !== undefined && r.newProgress !== null) event.progress = r.newProgress as number;
  if (r.newStatus !== undefined && r.newStatus !== null) event.status = r.newStatus as string;
  return { taskId, event };
}

/** A browse filter from a user. */
export interface BrowseOptions {
  readonly states?: readonly TaskState[];
  readonly provider?: string;
  /** Finished tasks whose last update is at or after this (ms); default: the core's window. */
  readonly since?: number;
  /** Finished tasks whose last update is before this (ms). */
  readonly until?: number;
  /** Page size, 1..{@link MAX_PAGE_SIZE}; default 50. */
  readonly limit?: number;
  /** `nextCursor` of the previous page. */
  readonly cursor?: string;
}

/** The checked parts of {@link BrowseOptions}. */
export function checkBrowseOptions(options: BrowseOptions): { states?: TaskState[]; provider?: string; since?: number; until?: number; limit: number; beforeId?: TaskId } {
  const out: { states?: TaskState[]; provider?: string; since?: number; until?: number; limit: number; beforeId?: TaskId } = { limit: 50 };
  if (options.states !== undefined) {
    if (!Array.isArray(options.states) || !options.states.every(isTaskState)) {
      throw new InvalidArgumentError(`"states" expected a list of ${TASK_STATES.join(', ')}`);
    }
    out.states = [...new Set(options.states)];
  }
  if (options.provider !== undefined) out.provider = checkId('provider', options.provider);
  for (const field of ['since', 'until'] as const) {
    const v = options[field];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidArgumentError(`"${field}" expected a time in milliseconds`);
    out[field] = v;
  }
  if (options.limit !== undefined) {
    if (!Number.isSafeInteger(options.limit) || options.limit < 1 || options.limit > MAX_PAGE_SIZE) {
      throw new InvalidArgumentError(`"limit" expected an integer from 1 to ${MAX_PAGE_SIZE}`);
    }
    out.limit = options.limit;
  }
  if (options.cursor !== undefined) {
    if (typeof options.cursor !== 'string' || !/^[1-9][0-9]{0,15}$/.test(options.cursor)) throw new InvalidArgumentError('"cursor" is not a cursor this core returned');
    out.beforeId = checkTaskId('cursor', Number(options.cursor));
  }
  return out;
}
