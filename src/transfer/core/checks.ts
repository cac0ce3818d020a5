/**
 * The core's checks of one transfer item, in the seed's order. The first that fails decides the
 * item's reason; the item is then neither stored nor forwarded, and the other items go on.
 */
import { isHandoffError } from '../../core/errors.js';
import type { TransferRoute, TransferTaskStore } from '../store/port.js';
import type { TransferTask, UserId } from '../types.js';
import type { AllocationLedger, Drive, DriveDirectory, DrivePermissions, FileMetadataSource } from './ports.js';
import type { ReleasePolicy } from './release-policy.js';
import type { TransferItem } from './requests.js';

/**
 * Which check refused an item, in the order they run: the request itself, then drives exist,
 * permissions, allocations, the source's metadata, different providers, the destination is a
 * folder, no identical transfer active.
 */
export type TransferCheck =
  | 'request'
  | 'drives'
  | 'permissions'
  | 'allocations'
  | 'source-metadata'
  | 'providers'
  | 'destination-folder'
  | 'already-active';

/** Why one item was refused. */
export interface CheckFailure {
  readonly ok: false;
  readonly check: TransferCheck;
  readonly reason: string;
}

/** The ports the checks read. */
export interface CheckPorts {
  readonly drives: DriveDirectory;
  readonly permissions: DrivePermissions;
  readonly allocations: AllocationLedger;
  readonly files: FileMetadataSource;
  readonly releasePolicy: ReleasePolicy;
  readonly store: TransferTaskStore;
}

/**
 * An item that passed every check, with its route; or the first failure. `own` is set when the
 * route is held by this very item's task, created by a concurrent copy of the same idempotent
 * request: that task is the item's answer, not a conflict.
 */
export type CheckOutcome = { readonly ok: true; readonly route: TransferRoute; readonly own?: TransferTask } | CheckFailure;

/** Which item of which idempotent request is being checked. */
export interface RequestItem {
  readonly idempotencyKey: string;
  readonly index: number;
}

const fail = (check: TransferCheck, reason: string): CheckFailure => ({ ok: false, check, reason });

/**
 * Runs the checks for `item` on behalf of `user`; the first failure wins. With `request`, an
 * active task on the route that is this item's own (see {@link ownTask}) passes the last check.
 */
export async function checkTransferItem(ports: CheckPorts, user: UserId, item: TransferItem, request?: RequestItem): Promise<CheckOutcome> {
  let check: TransferCheck = 'drives';
  try {
    const source = await ports.drives.driveOf(item.sourcePath);
    if (!source) return fail(check, `the source drive of "${item.sourcePath}" does not exist`);
    const destination = await ports.drives.driveOf(item.destinationPath);
    if (!destination) return fail(check, `the destination drive of "${item.destinationPath}" does not exist`);

    check = 'permissions';
    if (!(await ports.permissions.canRead(user, source))) return fail(check, `no permission to read the source drive "${source.id}"`);
    if (!(await ports.permissions.canEdit(user, destination))) return fail(check, `no permission to edit the destination drive "${destination.id}"`);

    check = 'allocations';
    for (const drive of [source, destination]) {
      if (!(await ports.allocations.hasActiveAllocation(user, drive.provider))) {
        return fail(check, `no active allocation at provider "${drive.provider}"`);
      }
    }

    check = 'source-metadata';
    const metadata = await ports.files.metadata(item.sourcePath);
    if (!metadata) return fail(check, `the source "${item.sourcePath}" does not exist`);
    const forbidden = ports.releasePolicy(metadata, { sourceProvider: source.provider, destinationProvider: destination.provider });
    if (forbidden !== undefined) return fail(check, forbidden);

    check = 'providers';
    if (source.provider === destination.provider) {
      return fail(check, `source and destination are both at provider "${source.provider}"; a transfer goes between two providers`);
    }

    check = 'destination-folder';
    const target = await ports.files.metadata(item.destinationPath);
    if (!target) return fail(check, `the destination "${item.destinationPath}" does not exist`);
    if (target.kind !== 'folder') return fail(check, `the destination "${item.destinationPath}" is not a folder`);

    check = 'already-active';
    const route = routeOf(item, source, destination);
    const active = await ports.store.findActive(route);
    if (!active) return { ok: true, route };
    const own = request && (await ownTask(ports.store, user, request, active));
    return own ? { ok: true, route, own } : alreadyActive(user, active);
  } catch (err) {
    // A port that fails refuses this item only; the user may retry it.
    return fail(check, `could not complete the "${check}" check: ${isHandoffError(err) ? err.message : 'unexpected error'}`);
  }
}

/**
 * The task the current claim of the request's key holds for its item, if any: created by an
 * earlier or a concurrent copy of the same request. With `candidate`, only that task can be it
 * (and the store is read only when its key and index match).
 */
export async function ownTask(store: TransferTaskStore, user: UserId, request: RequestItem, candidate?: TransferTask): Promise<TransferTask | undefined> {
  if (candidate && (candidate.initiatedBy !== user || candidate.idempotencyKey !== request.idempotencyKey || candidate.requestIndex !== request.index)) {
    return undefined;
  }
  // Same key and index is not enough: a task of an expired claim of the key no longer answers for it.
  const own = (await store.findByIdempotencyKey(user, request.idempotencyKey)).find((t) => t.requestIndex === request.index);
  return candidate && own?.id !== candidate.id ? undefined : own;
}

/** The refusal for an item whose route is taken; the task id is shown only to its owner. */
export function alreadyActive(user: UserId, active: { id: number; initiatedBy: UserId } | undefined): CheckFailure {
  const which = active && active.initiatedBy === user ? ` (task ${active.id})` : '';
  return fail('already-active', `an identical transfer is already active${which}`);
}

function routeOf(item: TransferItem, source: Drive, destination: Drive): TransferRoute {
  return {
    sourceProvider: source.provider,
    sourcePath: item.sourcePath,
    destinationProvider: destination.provider,
    destinationPath: item.destinationPath,
  };
}
