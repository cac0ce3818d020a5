/**
 * The methods a provider serves: to the core (`FilesProvider.*`, only from the core's key), to
 * other providers (`TransferPeer.*`, the negotiation and release that never involve the core;
 * the caller is whichever registered provider its key names), and to clients holding a
 * core-signed session grant (`TransferSession.*`, the key exchange).
 */
import { s } from '../../codec/index.js';
import { unaryMethod } from '../../rpc/method.js';
import { MAX_BULK_ITEMS } from '../core/requests.js';
import { sessionGrantSchema } from '../session/grant.js';
import {
  controlField,
  folderEntrySchema,
  folderPageRequestFields,
  folderPageSchema,
  idField,
  pathField,
  pluginTypeField,
  publicKeyField,
  taskIdField,
  terminalStateField,
  textField,
} from './fields.js';

/** Most negotiated parameters in one answer. */
export const MAX_TRANSFER_PARAMETERS = 64;

/**
 * The seed's `TransferFilesBetweenProvidersForProvider`: accepted items forwarded by the core.
 * Per item, in order: accepted with what the plugin can do, or refused with a reason.
 */
export const TransferFilesForProvider = unaryMethod(
  'FilesProvider.TransferFilesBetweenProvidersForProvider',
  s.object({
    items: s.array(
      s.object({ sourcePath: pathField, destinationPath: pathField, taskId: taskIdField, destinationProvider: idField }),
      { min: 1, max: MAX_BULK_ITEMS },
    ),
  }),
  s.object({
    items: s.array(
      s.variant('outcome', {
        accepted: s.object({ canPause: s.bool() }),
        refused: s.object({ reason: textField }),
      }),
      { max: MAX_BULK_ITEMS },
    ),
  }),
);

/** A user's cancel, pause or resume, forwarded by the core; resolves once carried out. */
export const ControlTransfer = unaryMethod(
  'FilesProvider.ControlTransfer',
  s.object({ taskId: taskIdField, control: controlField }),
  s.object({}),
);

/**
 * Core → provider, for a user the core has checked: one page of a folder the provider serves
 * (`NotFound` when it does not exist, `InvalidArgument` when it is a file).
 */
export const ListProviderFolder = unaryMethod(
  'FilesProvider.ListFolder',
  s.object({ path: pathField, ...folderPageRequestFields }),
  folderPageSchema,
);

/** Core → provider: what is at a path (the core's metadata check at submission), or nothing. */
export const StatProviderFile = unaryMethod(
  'FilesProvider.Stat',
  s.object({ path: pathField }),
  s.object({ entry: s.nullable(folderEntrySchema) }),
);

const parameterKey = s.string({ min: 1, max: 128, pattern: /^[A-Za-z0-9_.-]+$/ });

/** One negotiated plugin parameter (the value keeps its type). */
export const parameterSchema = s.variant('type', {
  string: s.object({ key: parameterKey, value: s.string({ max: 8192 }) }),
  number: s.object({ key: parameterKey, value: s.float() }),
  boolean: s.object({ key: parameterKey, value: s.bool() }),
});

/** Source → destination: which plugin, and where to send task N. */
export const NegotiateTransfer = unaryMethod(
  'TransferPeer.Negotiate',
  s.object({
    taskId: taskIdField,
    pluginType: pluginTypeField,
    destinationPath: pathField,
    entryName: s.string({ min: 1, max: 1024 }),
  }),
  s.variant('outcome', {
    ready: s.object({ pluginType: pluginTypeField, parameters: s.array(parameterSchema, { max: MAX_TRANSFER_PARAMETERS }) }),
    refused: s.object({ retryable: s.bool(), reason: textField }),
  }),
);

/** Source → destination: task N ended with this outcome; revoke its key and clean up. */
export const ReleaseTransfer = unaryMethod(
  'TransferPeer.Release',
  s.object({ taskId: taskIdField, outcome: terminalStateField }),
  s.object({}),
);

/** Client → source provider, in a session: generate (once) the task's key pair; returns the public key. */
export const IssueTransferKey = unaryMethod(
  'TransferSession.IssueTransferKey',
  s.object({ grant: sessionGrantSchema }),
  s.object({ publicKey: publicKeyField }),
);

/** Client → destination provider, in a session: authorize the source's key for this task only. */
export const AuthorizeTransferKey = unaryMethod(
  'TransferSession.AuthorizeTransferKey',
  s.object({ grant: sessionGrantSchema, publicKey: publicKeyField }),
  s.object({}),
);
