/**
 * Browsing for the transfer dialog: the drives a user has rights on, and folder listings that the
 * core checks (drive exists, the user may read or edit it) before it asks the drive's provider.
 * The core keeps no file catalogue of its own; the provider answers from the files it serves.
 */
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, PermissionDeniedError } from '../../core/errors.js';
import type { UserId } from '../types.js';
import type { DriveAccess, DriveCatalogue, DriveDirectory, DrivePermissions, FolderPage, FolderPageRequest } from './ports.js';
import { MAX_FOLDER_PAGE } from './ports.js';
import type { ProviderGateway } from './provider-gateway.js';
import { normalizePath } from './requests.js';

/** Most drives `listDrives` answers with. */
export const MAX_DRIVES_LISTED = 1000;

/** What browsing reads. */
export interface BrowsingPorts {
  readonly drives: DriveDirectory;
  readonly permissions: DrivePermissions;
  readonly catalogue: DriveCatalogue | undefined;
  readonly gateway: ProviderGateway;
}

/** The drives `user` may read or edit, by drive id; another user's drives are never listed. */
export async function listDrives(ports: BrowsingPorts, user: UserId): Promise<DriveAccess[]> {
  if (!ports.catalogue) throw new FailedPreconditionError('this core cannot list drives (no drive catalogue is configured)');
  const out: DriveAccess[] = [];
  for (const drive of await ports.catalogue.drivesOf(user)) {
    const [canRead, canEdit] = await Promise.all([ports.permissions.canRead(user, drive), ports.permissions.canEdit(user, drive)]);
    if (canRead || canEdit) out.push({ drive: drive.id, provider: drive.provider, canRead, canEdit });
  }
  out.sort((a, b) => (a.drive < b.drive ? -1 : a.drive > b.drive ? 1 : 0));
  return out.slice(0, MAX_DRIVES_LISTED);
}

/**
 * One page of the folder `path` for `user`: `NotFoundError` when its drive does not exist,
 * `PermissionDeniedError` when the user may neither read nor edit the drive; then the drive's
 * provider answers (`NotFoundError` for a missing folder, `InvalidArgumentError` for a file).
 */
export async function listFolder(ports: BrowsingPorts, user: UserId, path: unknown, page: FolderPageRequest = {}): Promise<FolderPage> {
  const folder = normalizePath('path', path);
  checkPage(page);
  const drive = await ports.drives.driveOf(folder);
  if (!drive) throw new NotFoundError(`the drive of "${folder}" does not exist`);
  const [canRead, canEdit] = await Promise.all([ports.permissions.canRead(user, drive), ports.permissions.canEdit(user, drive)]);
  if (!canRead && !canEdit) throw new PermissionDeniedError(`no permission to read or edit the drive "${drive.id}"`);
  if (!ports.gateway.listFolder) throw new FailedPreconditionError('this core cannot reach providers\' file listings');
  return ports.gateway.listFolder(drive.provider, folder, page);
}

function checkPage(page: FolderPageRequest): void {
  const { cursor, limit } = page;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_FOLDER_PAGE)) {
    throw new InvalidArgumentError(`"limit" expected a whole number from 1 to ${MAX_FOLDER_PAGE}, got ${String(limit)}`);
  }
  if (cursor !== undefined && (typeof cursor !== 'string' || cursor === '')) throw new InvalidArgumentError('"cursor" expected the nextCursor of an earlier page');
}
