/**
 * A small in-process cache in front of a `ProjectStore`: metainfo authenticates every call, and
 * most calls come from a few busy keys. Only successful lookups are cached, keyed by the key's
 * hash (the cache never holds a key). A revoke through this object takes effect at once; a
 * revoke made elsewhere (another satellite process) within `ttlMs`.
 */
import { systemClock, type Clock } from '../core/clock.js';
import { toHex } from '../core/bytes.js';
import { apiKeyHash, isWellFormedApiKey, keyIdHash } from './api-key.js';
import type { ProjectStore } from './port.js';
import type { ApiKeyInfo, ApiKeyRecord, CreatedProject, Project, ProjectId } from './types.js';

export interface ProjectCacheOptions {
  /** Keys remembered at most; the least recently used goes first (default 1024). */
  readonly maxEntries?: number;
  /** How long a cached answer is trusted (default 60 s). */
  readonly ttlMs?: number;
  readonly clock?: Clock;
}

interface Entry {
  projectId: ProjectId;
  /** Unknown until a restricted key asks (an `authenticate` hit does not read it). */
  caveatSecret?: Uint8Array | null;
  until: number;
}

/**
 * @example
 * ```ts
 * const projects = new CachingProjectStore(await SqliteProjectStore.open({ path }), { ttlMs: 30_000 });
 * const projectId = await projects.authenticate(header.apiKey);
 * ```
 */
export class CachingProjectStore implements ProjectStore {
  readonly #inner: ProjectStore;
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #clock: Clock;
  // A Map iterates in insertion order: re-inserting on a hit makes the first entry the least recent.
  readonly #entries = new Map<string, Entry>();

  constructor(inner: ProjectStore, options: ProjectCacheOptions = {}) {
    this.#inner = inner;
    this.#maxEntries = Math.max(1, options.maxEntries ?? 1024);
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#clock = options.clock ?? systemClock;
  }

  async authenticate(apiKey: string): Promise<ProjectId | undefined> {
    if (!isWellFormedApiKey(apiKey)) return undefined;
    const id = toHex(apiKeyHash(apiKey));
    const now = this.#clock.now();
    const hit = this.#entries.get(id);
    this.#entries.delete(id);
    if (hit && hit.until > now) {
      this.#entries.set(id, hit);
      return hit.projectId.slice();
    }
    const projectId = await this.#inner.authenticate(apiKey);
    if (projectId === undefined) return undefined;
    this.#remember(id, { projectId: projectId.slice(), until: now + this.#ttlMs });
    return projectId;
  }

  #remember(id: string, entry: Entry): void {
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    while (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }

  async lookupApiKey(keyHash: Uint8Array): Promise<ApiKeyRecord | undefined> {
    if (!(keyHash instanceof Uint8Array) || keyHash.length !== 32) return undefined;
    const id = toHex(keyHash);
    const now = this.#clock.now();
    const hit = this.#entries.get(id);
    // A key older than restricted keys gets its secret on first use: do not cache its absence.
    if (hit && hit.until > now && hit.caveatSecret) {
      this.#entries.delete(id);
      this.#entries.set(id, hit);
      return { projectId: hit.projectId.slice(), caveatSecret: hit.caveatSecret.slice() };
    }
    const record = await this.#inner.lookupApiKey(keyHash);
    if (record === undefined) return undefined;
    this.#remember(id, { projectId: record.projectId.slice(), caveatSecret: record.caveatSecret?.slice() ?? null, until: now + this.#ttlMs });
    return record;
  }

  async revokeApiKey(keyId: string, now?: number): Promise<boolean> {
    this.#entries.delete(toHex(keyIdHash(keyId)));
    return this.#inner.revokeApiKey(keyId, now);
  }

  /** Forgets every cached answer. */
  clear(): void {
    this.#entries.clear();
  }

  createProject(name: string, now?: number): Promise<CreatedProject> {
    return this.#inner.createProject(name, now);
  }

  createApiKey(projectId: ProjectId, now?: number): Promise<string> {
    return this.#inner.createApiKey(projectId, now);
  }

  getProject(projectId: ProjectId): Promise<Project | undefined> {
    return this.#inner.getProject(projectId);
  }

  listProjects(): Promise<Project[]> {
    return this.#inner.listProjects();
  }

  listApiKeys(projectId: ProjectId): Promise<ApiKeyInfo[]> {
    return this.#inner.listApiKeys(projectId);
  }

  async close(): Promise<void> {
    this.#entries.clear();
    await this.#inner.close();
  }
}
