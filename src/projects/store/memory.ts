/** The in-memory project store: tests and embedding. Same contract as the SQL stores. */
import { compareBytes, toHex } from '../../core/bytes.js';
import { NotFoundError } from '../../core/errors.js';
import { caveatSecret } from '../restricted-key.js';
import { apiKeyHash, generateApiKey, generateProjectId, isWellFormedApiKey, keyIdHash } from '../api-key.js';
import type { ProjectStore } from '../port.js';
import { assertProjectId, assertProjectName, type ApiKeyInfo, type ApiKeyRecord, type CreatedProject, type Project, type ProjectId } from '../types.js';

interface KeyRow {
  hash: Uint8Array;
  projectId: Uint8Array;
  createdAt: number;
  revokedAt: number | null;
  caveatSecret: Uint8Array;
}

/**
 * @example
 * ```ts
 * const projects = new MemoryProjectStore();
 * const { projectId, apiKey } = await projects.createProject('photos');
 * await projects.authenticate(apiKey); // projectId
 * ```
 */
export class MemoryProjectStore implements ProjectStore {
  readonly #projects = new Map<string, Project>();
  readonly #keys = new Map<string, KeyRow>();

  async createProject(name: string, now = Date.now()): Promise<CreatedProject> {
    assertProjectName(name);
    const id = generateProjectId();
    this.#projects.set(toHex(id), { id, name, createdAt: now });
    return { projectId: id.slice(), apiKey: this.#addKey(id, now) };
  }

  async createApiKey(projectId: ProjectId, now = Date.now()): Promise<string> {
    assertProjectId(projectId);
    if (!this.#projects.has(toHex(projectId))) throw new NotFoundError('project not found');
    return this.#addKey(projectId.slice(), now);
  }

  async authenticate(apiKey: string): Promise<ProjectId | undefined> {
    if (!isWellFormedApiKey(apiKey)) return undefined;
    const row = this.#keys.get(toHex(apiKeyHash(apiKey)));
    return row && row.revokedAt === null ? row.projectId.slice() : undefined;
  }

  async lookupApiKey(keyHash: Uint8Array): Promise<ApiKeyRecord | undefined> {
    const row = keyHash instanceof Uint8Array ? this.#keys.get(toHex(keyHash)) : undefined;
    return row && row.revokedAt === null ? { projectId: row.projectId.slice(), caveatSecret: row.caveatSecret.slice() } : undefined;
  }

  async revokeApiKey(keyId: string, now = Date.now()): Promise<boolean> {
    const row = this.#keys.get(toHex(keyIdHash(keyId)));
    if (!row || row.revokedAt !== null) return false;
    row.revokedAt = now;
    return true;
  }

  async getProject(projectId: ProjectId): Promise<Project | undefined> {
    assertProjectId(projectId);
    const project = this.#projects.get(toHex(projectId));
    return project && { ...project, id: project.id.slice() };
  }

  async listProjects(): Promise<Project[]> {
    return [...this.#projects.values()]
      .sort((a, b) => a.createdAt - b.createdAt || compareBytes(a.id, b.id))
      .map((p) => ({ ...p, id: p.id.slice() }));
  }

  async listApiKeys(projectId: ProjectId): Promise<ApiKeyInfo[]> {
    assertProjectId(projectId);
    const key = toHex(projectId);
    return [...this.#keys.values()]
      .filter((k) => toHex(k.projectId) === key)
      .sort((a, b) => a.createdAt - b.createdAt || compareBytes(a.hash, b.hash))
      .map((k) => ({ keyId: toHex(k.hash), projectId: k.projectId.slice(), createdAt: k.createdAt, revokedAt: k.revokedAt }));
  }

  async close(): Promise<void> {}

  #addKey(projectId: Uint8Array, now: number): string {
    const apiKey = generateApiKey();
    const hash = apiKeyHash(apiKey);
    this.#keys.set(toHex(hash), { hash, projectId, createdAt: now, revokedAt: null, caveatSecret: caveatSecret(apiKey) });
    return apiKey;
  }
}
