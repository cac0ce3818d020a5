/**
 * The SQLite project store (better-sqlite3). Tables `projects` and `api_keys`; keys are stored
 * only as their SHA-256.
 */
import type Database from 'better-sqlite3';
import { toHex } from '../../core/bytes.js';
import { NotFoundError } from '../../core/errors.js';
import { bufferOf, plainBytes } from '../../sql/migrations.js';
import { openMigratedSqlite, type SqliteStoreOptions } from '../../sql/sqlite.js';
import { apiKeyHash, generateApiKey, generateProjectId, isWellFormedApiKey, keyIdHash } from '../api-key.js';
import type { ProjectStore } from '../port.js';
import { assertProjectId, assertProjectName, type ApiKeyInfo, type CreatedProject, type Project, type ProjectId } from '../types.js';

/** This store's row in `handoff_schema_versions`. */
const STORE_NAME = 'projects';

/** Each entry moves the schema one version up; never edit one that has shipped, append instead. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE IF NOT EXISTS projects (
    id BLOB PRIMARY KEY CHECK (length(id) = 16),
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS api_keys (
    key_hash BLOB PRIMARY KEY CHECK (length(key_hash) = 32),
    project_id BLOB NOT NULL REFERENCES projects (id),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS api_keys_by_project ON api_keys (project_id, created_at);
  `,
];

/** The projects schema version this code writes. */
export const PROJECTS_SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

interface ProjectRow {
  id: Buffer;
  name: string;
  created_at: number;
}

interface KeyRow {
  key_hash: Buffer;
  project_id: Buffer;
  created_at: number;
  revoked_at: number | null;
}

/**
 * @example
 * ```ts
 * const projects = await SqliteProjectStore.open({ path: '/var/lib/satellite/satellite.db' });
 * ```
 */
export class SqliteProjectStore implements ProjectStore {
  readonly #db: Database.Database;
  readonly #owned: boolean;
  readonly #insertProject: Database.Statement;
  readonly #insertKey: Database.Statement;
  readonly #authenticate: Database.Statement<[Buffer], { project_id: Buffer }>;
  readonly #revoke: Database.Statement;
  readonly #getProject: Database.Statement<[Buffer], ProjectRow>;
  readonly #listProjects: Database.Statement<[], ProjectRow>;
  readonly #listKeys: Database.Statement<[Buffer], KeyRow>;
  readonly #create: (id: Buffer, name: string, hash: Buffer, now: number) => void;

  private constructor(db: Database.Database, owned: boolean) {
    this.#db = db;
    this.#owned = owned;
    this.#insertProject = db.prepare('INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)');
    this.#insertKey = db.prepare('INSERT INTO api_keys (key_hash, project_id, created_at) VALUES (?, ?, ?)');
    this.#authenticate = db.prepare('SELECT project_id FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL');
    this.#revoke = db.prepare('UPDATE api_keys SET revoked_at = ? WHERE key_hash = ? AND revoked_at IS NULL');
    this.#getProject = db.prepare('SELECT * FROM projects WHERE id = ?');
    this.#listProjects = db.prepare('SELECT * FROM projects ORDER BY created_at, id');
    this.#listKeys = db.prepare('SELECT * FROM api_keys WHERE project_id = ? ORDER BY created_at, key_hash');
    this.#create = db.transaction((id: Buffer, name: string, hash: Buffer, now: number) => {
      this.#insertProject.run(id, name, now);
      this.#insertKey.run(hash, id, now);
    });
  }

  /** Opens (creating if needed) the database and migrates the project tables to the current schema. */
  static async open(options: SqliteStoreOptions): Promise<SqliteProjectStore> {
    const { db, owned } = openMigratedSqlite(options, STORE_NAME, MIGRATIONS);
    return new SqliteProjectStore(db, owned);
  }

  async createProject(name: string, now = Date.now()): Promise<CreatedProject> {
    assertProjectName(name);
    const projectId = generateProjectId();
    const apiKey = generateApiKey();
    this.#create(bufferOf(projectId), name, bufferOf(apiKeyHash(apiKey)), now);
    return { projectId, apiKey };
  }

  async createApiKey(projectId: ProjectId, now = Date.now()): Promise<string> {
    assertProjectId(projectId);
    if (!this.#getProject.get(bufferOf(projectId))) throw new NotFoundError('project not found');
    const apiKey = generateApiKey();
    this.#insertKey.run(bufferOf(apiKeyHash(apiKey)), bufferOf(projectId), now);
    return apiKey;
  }

  async authenticate(apiKey: string): Promise<ProjectId | undefined> {
    if (!isWellFormedApiKey(apiKey)) return undefined;
    const row = this.#authenticate.get(bufferOf(apiKeyHash(apiKey)));
    return row && plainBytes(row.project_id);
  }

  async revokeApiKey(keyId: string, now = Date.now()): Promise<boolean> {
    return this.#revoke.run(now, bufferOf(keyIdHash(keyId))).changes === 1;
  }

  async getProject(projectId: ProjectId): Promise<Project | undefined> {
    assertProjectId(projectId);
    const row = this.#getProject.get(bufferOf(projectId));
    return row && projectFromRow(row);
  }

  async listProjects(): Promise<Project[]> {
    return this.#listProjects.all().map(projectFromRow);
  }

  async listApiKeys(projectId: ProjectId): Promise<ApiKeyInfo[]> {
    assertProjectId(projectId);
    return this.#listKeys.all(bufferOf(projectId)).map((row) => ({
      keyId: toHex(row.key_hash),
      projectId: plainBytes(row.project_id),
      createdAt: row.created_at,
      revokedAt: row.revoked_at,
    }));
  }

  async close(): Promise<void> {
    if (this.#owned && this.#db.open) this.#db.close();
  }
}

function projectFromRow(row: ProjectRow): Project {
  return { id: plainBytes(row.id), name: row.name, createdAt: row.created_at };
}
