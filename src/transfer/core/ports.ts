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

/**
 * Lists the drives a user may have rights on. Optional: a core without it cannot answer
 * `listDrives`. The core still asks {@link DrivePermissions} about each drive listed, so a
 * catalogue may list more than the user's drives, never fewer.
 */
export interface DriveCatalogue {
  drivesOf(user: UserId): Promise<readonly Drive[]>;
}

/** Most entries in one page of a folder listing. */
export const MAX_FOLDER_PAGE = 1000;

/** Longest name of one folder entry, in UTF-16 units (Linux's NAME_MAX is 255 bytes). */
export const MAX_ENTRY_NAME_LENGTH = 255;

/** One file or folder in a folder listing. */
export interface FolderEntry {
  /** Its name inside the folder: no `/`, never `.` or `..`. */
  readonly name: string;
  readonly kind: 'file' | 'folder';
  /** Bytes (0 for folders). */
  readonly size: number;
  /** Last modification, milliseconds since the Unix epoch. */
  readonly modifiedAt: number;
}

/** Which page of a listing: entries named after `cursor` (in name order), at most `limit`. */
export interface FolderPageRequest {
  readonly cursor?: string;
  readonly limit?: number;
}

/** One page of a folder listing, names in ascending order; `nextCursor` is null on the last page. */
export interface FolderPage {
  readonly entries: readonly FolderEntry[];
  readonly nextCursor: string | null;
}

/** One of the user's drives and what the user may do with it. */
export interface DriveAccess {
  readonly drive: string;
  readonly provider: ProviderId;
  readonly canRead: boolean;
  readonly canEdit: boolean;
}
