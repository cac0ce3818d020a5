/**
 * Where the satellite keeps projects and API keys. Memory, SQLite and PostgreSQL implement it and
 * pass `projectStoreSuite`; `CachingProjectStore` puts a small cache in front of any of them.
 */
import type { ApiKeyInfo, ApiKeyRecord, CreatedProject, Project, ProjectId } from './types.js';

export interface ProjectStore {
  /** A new project (16 random bytes) with its first API key, in one transaction. */
  createProject(name: string, now?: number): Promise<CreatedProject>;

  /** Another API key for an existing project (`NotFoundError` when there is none). */
  createApiKey(projectId: ProjectId, now?: number): Promise<string>;

  /**
   * The project an API key belongs to, or `undefined` for a malformed, unknown or revoked key.
   * Never throws for a bad key and never logs it.
   */
  authenticate(apiKey: string): Promise<ProjectId | undefined>;

  /**
   * The project and caveat secret of the unrevoked key whose SHA-256 is `keyHash`, to check a
   * restricted key derived from it (see restricted-key.ts); `undefined` when unknown or revoked.
   */
  lookupApiKey(keyHash: Uint8Array): Promise<ApiKeyRecord | undefined>;

  /** Revokes the key named `keyId` (see `apiKeyId`). False when it was unknown or already revoked. */
  revokeApiKey(keyId: string, now?: number): Promise<boolean>;

  getProject(projectId: ProjectId): Promise<Project | undefined>;

  /** Every project, oldest first. */
  listProjects(): Promise<Project[]>;

  /** A project's keys (revoked ones too), oldest first. */
  listApiKeys(projectId: ProjectId): Promise<ApiKeyInfo[]>;

  close(): Promise<void>;
}
