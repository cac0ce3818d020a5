/**
 * An in-memory world of drives, permissions, allocations and files, implementing every port the
 * core's checks read. For embedding the core in a single process, for demos and for tests.
 */
import type { ProviderId, UserId } from '../types.js';
import type {
  AllocationLedger,
  DataAgreement,
  Drive,
  DriveCatalogue,
  DriveDirectory,
  DrivePermissions,
  FileMetadata,
  FileMetadataSource,
  Sensitivity,
} from './ports.js';

/** A right on a drive. */
export type DriveRight = 'read' | 'edit';

/** Optional metadata of a file or folder added to the directory. */
export interface FileFacts {
  readonly sensitivity?: Sensitivity | null;
  readonly dataAgreements?: readonly DataAgreement[];
}

/**
 * Paths look like UCloud's: `/<drive id>/<path inside the drive>`. A drive's root is a folder.
 *
 * @example
 * ```ts
 * const world = new InMemoryProviderDirectory()
 *   .addDrive('4123', 'hippo').addDrive('5243', 'aau')
 *   .grant('alice', '4123', 'read').grant('alice', '5243', 'read', 'edit')
 *   .allocate('alice', 'hippo').allocate('alice', 'aau')
 *   .addFolder('/4123/results');
 * const core = new TransferCore({ drives: world, permissions: world, allocations: world, files: world, ... });
 * ```
 */
export class InMemoryProviderDirectory implements DriveDirectory, DriveCatalogue, DrivePermissions, AllocationLedger, FileMetadataSource {
  readonly #drives = new Map<string, Drive>();
  readonly #rights = new Map<string, Set<DriveRight>>();
  readonly #allocations = new Set<string>();
  readonly #files = new Map<string, FileMetadata>();

  /** Adds a drive stored at `provider`; its root `/<id>` is a folder. */
  addDrive(id: string, provider: ProviderId): this {
    this.#drives.set(id, { id, provider });
    return this.addFolder(`/${id}`);
  }

  grant(user: UserId, driveId: string, ...rights: DriveRight[]): this {
    const key = pair(user, driveId);
    const set = this.#rights.get(key) ?? new Set<DriveRight>();
    for (const r of rights) set.add(r);
    this.#rights.set(key, set);
    return this;
  }

  /** Takes away every right `user` has on the drive. */
  revoke(user: UserId, driveId: string): this {
    this.#rights.delete(pair(user, driveId));
    return this;
  }

  allocate(user: UserId, provider: ProviderId): this {
    this.#allocations.add(pair(user, provider));
    return this;
  }

  /** Ends `user`'s allocation at `provider` (it ran out or expired). */
  endAllocation(user: UserId, provider: ProviderId): this {
    this.#allocations.delete(pair(user, provider));
    return this;
  }

  addFolder(path: string, facts: FileFacts = {}): this {
    this.#files.set(path, metadata('folder', facts));
    return this;
  }

  addFile(path: string, facts: FileFacts = {}): this {
    this.#files.set(path, metadata('file', facts));
    return this;
  }

  remove(path: string): this {
    this.#files.delete(path);
    return this;
  }

  async driveOf(path: string): Promise<Drive | undefined> {
    const id = path.split('/')[1];
    return id === undefined ? undefined : this.#drives.get(id);
  }

  /** The drives `user` holds any right on. */
  async drivesOf(user: UserId): Promise<readonly Drive[]> {
    return [...this.#drives.values()].filter((drive) => (this.#rights.get(pair(user, drive.id))?.size ?? 0) > 0);
  }

  async canRead(user: UserId, drive: Drive): Promise<boolean> {
    return this.#rights.get(pair(user, drive.id))?.has('read') ?? false;
  }

  async canEdit(user: UserId, drive: Drive): Promise<boolean> {
    return this.#rights.get(pair(user, drive.id))?.has('edit') ?? false;
  }

  async hasActiveAllocation(user: UserId, provider: ProviderId): Promise<boolean> {
    return this.#allocations.has(pair(user, provider));
  }

  async metadata(path: string): Promise<FileMetadata | undefined> {
    return this.#files.get(path);
  }
}

function metadata(kind: FileMetadata['kind'], facts: FileFacts): FileMetadata {
  return { kind, sensitivity: facts.sensitivity ?? null, dataAgreements: facts.dataAgreements ?? [] };
}

function pair(a: string, b: string): string {
  return JSON.stringify([a, b]);
}
