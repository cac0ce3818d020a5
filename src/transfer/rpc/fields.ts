/**
 * Bounded field schemas shared by the transfer RPC methods. Every request field has a length,
 * count or range limit here, checked before any handler runs. String limits count UTF-8 bytes
 * (what the wire carries); the core's own limits count UTF-16 units, and one unit is at most
 * three UTF-8 bytes, so a wire limit of three times the core's never refuses what the core
 * would accept — the core's own check then gives the precise message.
 */
import { s } from '../../codec/index.js';
import { MAX_STATUS_LENGTH } from '../lifecycle.js';
import { MAX_ENTRY_NAME_LENGTH, MAX_FOLDER_PAGE } from '../core/ports.js';
import { MAX_ID_LENGTH, MAX_IDEMPOTENCY_KEY_LENGTH, MAX_PATH_LENGTH } from '../core/requests.js';
import type { TaskState, TransferTask } from '../types.js';

/** UTF-8 bytes that a string of `units` UTF-16 code units can take at most. */
export function utf8Bound(units: number): number {
  return units * 3;
}

/** A task id: the core's bigserial, a positive safe integer. */
export const taskIdField = s.int({ min: 1 });
/** A user or provider id. */
export const idField = s.string({ min: 1, max: utf8Bound(MAX_ID_LENGTH) });
/** A path as the core names it (`/<drive>/...`). */
export const pathField = s.string({ min: 1, max: utf8Bound(MAX_PATH_LENGTH) });
/** A status or reason sentence. */
export const textField = s.string({ max: utf8Bound(MAX_STATUS_LENGTH) });
/** A client's idempotency key. */
export const idempotencyKeyField = s.string({ min: 1, max: utf8Bound(MAX_IDEMPOTENCY_KEY_LENGTH) });
/** One of the six task states. */
export const taskStateField = s.enum(['INITIATED', 'RUNNING', 'PAUSED', 'SUCCESS', 'FAILURE', 'HALTED'] as const satisfies readonly TaskState[]);
/** A terminal task state. */
export const terminalStateField = s.enum(['SUCCESS', 'FAILURE', 'HALTED'] as const satisfies readonly TaskState[]);
/** What a user may ask of a task. */
export const controlField = s.enum(['cancel', 'pause', 'resume']);
/** Milliseconds since the Unix epoch. */
export const timeField = s.int({ min: 0 });
/** A node id's 32 public-key bytes. */
export const nodeIdField = s.bytes({ length: 32 });
/** An Ed25519 signature. */
export const signatureField = s.bytes({ length: 64 });
/** A transport address such as `127.0.0.1:7000`. */
export const addressField = s.string({ min: 1, max: 1024 });
/** A transfer plugin type, as `validatePlugin` accepts it. */
export const pluginTypeField = s.string({ min: 1, max: 64, pattern: /^[a-z0-9][a-z0-9._-]{0,63}$/ });
/** An OpenSSH public key line (`ssh-ed25519 AAAA… comment`). */
export const publicKeyField = s.string({ min: 1, max: 4096 });

/** A name inside a folder: no `/` or NUL, never `.` or `..`. */
export const entryNameField = s.string({ min: 1, max: utf8Bound(MAX_ENTRY_NAME_LENGTH), pattern: /^(?:[^/\u0000.][^/\u0000]*|\.[^/\u0000.][^/\u0000]*|\.\.[^/\u0000]+)$/ });

/** One file or folder of a listing. */
export const folderEntrySchema = s.object({
  name: entryNameField,
  kind: s.enum(['file', 'folder']),
  size: s.int({ min: 0 }),
  modifiedAt: timeField,
});

/** Where a listing goes on: the last name of the page before. */
export const folderCursorField = entryNameField;

/** The page part of a listing request. */
export const folderPageRequestFields = {
  cursor: s.optional(folderCursorField),
  limit: s.optional(s.int({ min: 1, max: MAX_FOLDER_PAGE })),
};

/** One page of a folder listing on the wire. */
export const folderPageSchema = s.object({
  entries: s.array(folderEntrySchema, { max: MAX_FOLDER_PAGE }),
  nextCursor: s.nullable(folderCursorField),
});

/** A {@link TransferTask} on the wire (the core's view, sent to the task's user). */
export const taskSchema = s.object({
  id: taskIdField,
  initiatedBy: idField,
  sourceProvider: idField,
  sourcePath: pathField,
  destinationProvider: idField,
  destinationPath: pathField,
  state: taskStateField,
  progress: s.float({ min: 0, max: 100 }),
  status: s.nullable(textField),
  failureReason: s.nullable(textField),
  capabilities: s.nullable(s.object({ canPause: s.bool() })),
  pausedByUser: s.bool(),
  idempotencyKey: s.nullable(idempotencyKeyField),
  requestIndex: s.nullable(s.int({ min: 0 })),
  createdAt: timeField,
  lastUpdate: timeField,
  revision: s.int({ min: 0 }),
});

/** A task as the wire carries it: the same fields, with text made well-formed. */
export function taskToWire(task: TransferTask): TransferTask {
  return {
    ...task,
    status: task.status === null ? null : wellFormed(task.status),
    failureReason: task.failureReason === null ? null : wellFormed(task.failureReason),
  };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * `text` with unpaired surrogates replaced by U+FFFD: a sentence cut at a UTF-16 boundary can end
 * in half a pair, which no wire string may carry.
 */
export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

/** `text` cut to at most `units` UTF-16 units, never inside a surrogate pair, and well-formed. */
export function clipText(text: string, units = MAX_STATUS_LENGTH): string {
  let cut = text.length > units ? text.slice(0, units) : text;
  if (cut.length > 0 && /[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return wellFormed(cut);
}
