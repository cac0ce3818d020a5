/**
 * What the core needs to know about the world to authorize a transfer. The host implements these
 * ports over its own drives, ACLs, accounting and metadata; {@link InMemoryProviderDirectory}
 * implements all four for embedding and tests.
 */
import type { ProviderId, UserId } from '../types.js';

/** A drive (a top-level folder with its own permissions) and the provider that stores it. */
export interface Drive {
  readonly id: string;
  readonly provider: ProviderId;
}

/** Finds the drive a path lives in. */
export interface DriveDirectory {
  /** The drive holding `path` (an absolute, normalized path), or undefined when there is none. */
  driveOf(path: string): Promise<Drive | undefined>;
}

/** What a user may do with a drive. */
export interface DrivePermissions {
  canRead(user: UserId, drive: Drive): Promise<boolean>;
  canEdit(user: UserId, drive: Drive): Promise<boolean>;
}

/** Whether a user holds a resource allocation that is active now at a provider. */
export interface AllocationLedger {
  hasActiveAllocation(user: UserId, provider: ProviderId): Promise<boolean>;
}

/** UCloud's sensitivity levels; `SENSITIVE` is personal data under special rules. */
export type Sensitivity = 'PRIVATE' | 'CONFIDENTIAL' | 'SENSITIVE';

/** A data processing agreement the file is bound by, and the providers it covers. */
export interface DataAgreement {
  readonly id: string;
  readonly providers: readonly ProviderId[];
}

/** The facts about a file or folder that decide whether, and where, it may be transferred. */
export interface FileMetadata {
  readonly kind: 'file' | 'folder';
  /** null when unclassified. */
  readonly sensitivity: Sensitivity | null;
  /** Every agreement that binds this file; it may go only where all of them apply. */
  readonly dataAgreements: readonly DataAgreement[];
}

/** Reads file metadata. */
export interface FileMetadataSource {
  /** Metadata of `path`, or undefined when nothing exists there. */
  metadata(path: string): Promise<FileMetadata | undefined>;
}
