/**
 * Projects and their API keys. A project scopes every metainfo call; an API key (`hk1_` + base32
 * of 32 random bytes) authorizes calls for one project. The satellite stores only each key's
 * SHA-256, so a leaked database does not leak usable keys.
 */
import { InvalidArgumentError } from '../core/errors.js';

/** 16 random bytes, made by the satellite. */
export type ProjectId = Uint8Array;

export interface Project {
  readonly id: ProjectId;
  readonly name: string;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
}

/** What `createProject` hands out: the only time the API key is ever seen in clear. */
export interface CreatedProject {
  readonly projectId: ProjectId;
  readonly apiKey: string;
}

/** An API key as the satellite knows it: never the key itself. */
export interface ApiKeyInfo {
  /** Hex of the key's SHA-256: names the key for listing and revoking. See `apiKeyId`. */
  readonly keyId: string;
  readonly projectId: ProjectId;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

/** What the satellite keeps of an unrevoked key to check the keys restricted from it. */
export interface ApiKeyRecord {
  readonly projectId: ProjectId;
  /**
   * HMAC of the key (`caveatSecret` in restricted-key.ts); `null` for a key made before
   * restricted keys existed until the key itself is used once (the store fills it in then).
   */
  readonly caveatSecret: Uint8Array | null;
}

/** Longest project name, in UTF-16 code units. */
export const MAX_PROJECT_NAME_LENGTH = 128;

/** Throws `InvalidArgumentError` unless `name` is 1–128 characters and not only whitespace. */
export function assertProjectName(name: string): void {
  if (typeof name !== 'string' || name.trim().length === 0 || name.length > MAX_PROJECT_NAME_LENGTH) {
    throw new InvalidArgumentError(`"name" expected 1 to ${MAX_PROJECT_NAME_LENGTH} characters, not only spaces`);
  }
}

/** Throws `InvalidArgumentError` unless `id` is a 16-byte project id. */
export function assertProjectId(id: Uint8Array): void {
  if (!(id instanceof Uint8Array) || id.length !== 16) {
    throw new InvalidArgumentError(`"projectId" expected 16 bytes, got ${id instanceof Uint8Array ? id.length : typeof id}`);
  }
}
