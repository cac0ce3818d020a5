/**
 * The core's methods. Users call `TransferCore.*` (who they are comes from their key, through the
 * host's user directory); source providers call `FilesControl.UpdateTransferTask` (which provider
 * comes from its key, through the provider registry). No request names its caller.
 */
import { s, type Infer } from '../../codec/index.js';
import { ERROR_CODES } from '../../core/errors.js';
import { unaryMethod } from '../../rpc/method.js';
import type { TransferCheck } from '../core/checks.js';
import { MAX_DRIVES_LISTED } from '../core/browsing.js';
import { MAX_BULK_ITEMS, MAX_PAGE_SIZE } from '../core/requests.js';
import { sessionGrantSchema } from '../session/grant.js';
import {
  addressField,
  controlField,
  folderPageRequestFields,
  folderPageSchema,
  idempotencyKeyField,
  idField,
  nodeIdField,
  pathField,
  taskIdField,
  taskSchema,
  taskStateField,
  textField,
  timeField,
} from './fields.js';

const CHECKS = [
  'request', 'drives', 'permissions', 'allocations', 'source-metadata', 'providers', 'destination-folder', 'already-active',
] as const satisfies readonly TransferCheck[];

/**
 * The seed's `TransferFilesBetweenProviders`: several sources, one destination folder, an
 * optional idempotency key. Per item, in order: the new task's id, or the check that refused it.
 */
export const TransferFiles = unaryMethod(
  'TransferCore.TransferFiles',
  s.object({
    items: s.array(s.object({ sourcePath: pathField }), { min: 1, max: MAX_BULK_ITEMS }),
    destinationPath: pathField,
    idempotencyKey: s.optional(idempotencyKeyField),
  }),
  s.object({
    items: s.array(
      s.variant('outcome', {
        success: s.object({ taskId: taskIdField }),
        failure: s.object({ check: s.enum(CHECKS), reason: textField }),
      }),
      { max: MAX_BULK_ITEMS },
    ),
  }),
);

/** One of the caller's tasks (`NotFound` for unknown tasks and other users' tasks alike). */
export const GetTask = unaryMethod('TransferCore.GetTask', s.object({ taskId: taskIdField }), s.object({ task: taskSchema }));

/** The caller's tasks, newest first: active ones plus those finished in a time window. */
export const BrowseTasks = unaryMethod(
  'TransferCore.BrowseTasks',
  s.object({
    states: s.optional(s.array(taskStateField, { min: 1, max: 6 })),
    provider: s.optional(idField),
    since: s.optional(timeField),
    until: s.optional(timeField),
    limit: s.optional(s.int({ min: 1, max: MAX_PAGE_SIZE })),
    cursor: s.optional(s.string({ min: 1, max: 16, pattern: /^[1-9][0-9]{0,15}$/ })),
  }),
  s.object({ tasks: s.array(taskSchema, { max: MAX_PAGE_SIZE }), nextCursor: s.nullable(s.string({ max: 16 })) }),
);

/** A user's cancel, pause or resume; resolves once the source provider has carried it out. */
export const ControlTask = unaryMethod(
  'TransferCore.ControlTask',
  s.object({ taskId: taskIdField, control: controlField }),
  s.object({ task: taskSchema }),
);

/** The drives the caller may read or edit, and which of the two (never another user's drives). */
export const ListDrives = unaryMethod(
  'TransferCore.ListDrives',
  s.object({}),
  s.object({
    drives: s.array(s.object({ drive: idField, provider: idField, canRead: s.bool(), canEdit: s.bool() }), { max: MAX_DRIVES_LISTED }),
  }),
);

/**
 * One page of a folder on a drive the caller may read or edit, as its provider lists it:
 * `NotFound` for an unknown drive or folder, `PermissionDenied` for a drive without rights.
 */
export const ListFolder = unaryMethod('TransferCore.ListFolder', s.object({ path: pathField, ...folderPageRequestFields }), folderPageSchema);

/** A provider the client may open a session with, and the grant that opens it. */
export const sessionOfferSchema = s.object({
  provider: idField,
  nodeId: nodeIdField,
  address: addressField,
  grant: sessionGrantSchema,
});

/** The wire form of a session offer. */
export type WireSessionOffer = Infer<typeof sessionOfferSchema>;

/**
 * Grants the caller sessions with both providers of one of its tasks, for the key exchange: the
 * core signs who may talk to whom about what, and is not involved any further.
 */
export const GrantSessions = unaryMethod(
  'TransferCore.GrantSessions',
  s.object({ taskId: taskIdField }),
  s.object({ source: sessionOfferSchema, destination: sessionOfferSchema }),
);

/** One item of the seed's `UpdateTransferTask`; null or absent fields mean "unchanged". */
export const updateItemSchema = s.object({
  taskId: taskIdField,
  newState: s.optional(s.nullable(taskStateField)),
  newProgress: s.optional(s.nullable(s.float({ min: 0, max: 100 }))),
  newStatus: s.optional(s.nullable(textField)),
});

/** The seed's `UpdateTransferTask`, accepted only from each task's source provider. */
export const UpdateTransferTask = unaryMethod(
  'FilesControl.UpdateTransferTask',
  s.object({ items: s.array(updateItemSchema, { min: 1, max: MAX_BULK_ITEMS }) }),
  s.object({
    items: s.array(
      s.variant('outcome', {
        applied: s.object({}),
        refused: s.object({ code: s.enum(ERROR_CODES), reason: textField }),
      }),
      { max: MAX_BULK_ITEMS },
    ),
  }),
);
