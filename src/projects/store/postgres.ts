/**
 * The PostgreSQL project store (pg; the SQL also runs on CockroachDB). Tables `projects` and
 * `api_keys`; keys are stored only as their SHA-256.
 */
import type pg from 'pg';
import { toHex } from '../../core/bytes.js';
import { NotFoundError } from '../../core/errors.js';
import { bufferOf, plainBytes } from '../../sql/migrations.js';
import { inTransaction, openMigratedPool, type PostgresStoreOptions } from '../../sql/postgres.js';
import { apiKeyHash, generateApiKey, generateProjectId, isWellFormedApiKey, keyIdHash } from '../api-key.js';
import type { ProjectStore } from '../port.js';
import { assertProjectId, assertProjectName, type ApiKeyInfo, type CreatedProject, type Project, type ProjectId } from '../types.js';

/** This store's row in `handoff_schema_versions`. */
const STORE_NAME = 'projects';

/** Each entry moves the schema one version up; never edit one that has shipped, append instead. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE IF NOT EXISTS projects (
    id bytea PRIMARY KEY CHECK (length(id) = 16),
    name text NOT NULL,
    created_at timestamptz NOT NULL
  );
  CREATE TABLE IF NOT EXISTS api_keys (
    key_hash bytea PRIMARY KEY CHECK (length(key_hash) = 32),
    project_id bytea NOT NULL REFERENCES projects (id),
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
  );
  CREATE INDEX IF NOT EXISTS api_keys_by_project ON api_keys (project_id, created_at);
  `,
];

/** The projects schema version this code writes. */
export const PROJECTS_POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

interface ProjectRow {
  id: Buffer;
  name: string;
  created_at: Date;
}

interface KeyRow {
  key_hash: Buffer;
  project_id: Buffer;
  created_at: Date;
  revoked_at: Date | null;
}

const INSERT_KEY = 'INSERT INTO api_keys (key_hash, project_id, created_at) VALUES ($1, $2, $3)';

/**
 * @example
 * ```ts
 * const projects = await PostgresProjectStore.open({ connectionString: process.env.DATABASE_URL! });
 * ```
 */
export class PostgresProjectStore implements ProjectStore {
  readonly #pool: pg.Pool;
  readonly #owned: boolean;

  private constructor(pool: pg.Pool, owned: boolean) {
    this.#pool = pool;
    this.#owned = owned;
  }

  /** Connects and migrates the project tables to the current schema version. */
  static async open(options: PostgresStoreOptions): Promise<PostgresProjectStore> {
    const { pool, owned } = await openMigratedPool(options, STORE_NAME, MIGRATIONS);
    return new PostgresProjectStore(pool, owned);
  }

  async createProject(name: string, now = Date.now()): Promise<CreatedProject> {
    assertProjectName(name);
    const projectId = generateProjectId();
    const apiKey = generateApiKey();
    await inTransaction(this.#pool, async (client) => {
      await client.query('INSERT INTO projects (id, name, created_at) VALUES ($1, $2, $3)', [bufferOf(projectId), name, new Date(now)]);
      await client.query(INSERT_KEY, [bufferOf(apiKeyHash(apiKey)), bufferOf(projectId), new Date(now)]);
    });
    return { projectId, apiKey };
  }

  async createApiKey(projectId: ProjectId, now = Date.now()): Promise<string> {
    assertProjectId(projectId);
    const apiKey = generateApiKey();
    try {
      await this.#pool.query(INSERT_KEY, [bufferOf(apiKeyHash(apiKey)), bufferOf(projectId), new Date(now)]);
    } catch (err) {
      // foreign_key_violation: the project does not exist.
      if ((err as { code?: unknown }).code === '23503') throw new NotFoundError('project not found');
      throw err;
    }
    return apiKey;
  }

  async authenticate(apiKey: string): Promise<ProjectId | undefined> {
    if (!isWellFormedApiKey(apiKey)) return undefined;
    const { rows } = await this.#pool.query<{ project_id: Buffer }>({
      name: 'projects_authenticate',
      text: 'SELECT project_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL',
      values: [bufferOf(apiKeyHash(apiKey))],
    });
    return rows[0] && plainBytes(rows[0].project_id);
  }

  async revokeApiKey(keyId: string, now = Date.now()): Promise<boolean> {
    const { rowCount } = await this.#pool.query('UPDATE api_keys SET revoked_at = $1 WHERE key_hash = $2 AND revoked_at IS NULL', [
      new Date(now),
      bufferOf(keyIdHash(keyId)),
    ]);
    return rowCount === 1;
  }

  async getProject(projectId: ProjectId): Promise<Project | undefined> {
    assertProjectId(projectId);
    const { rows } = await this.#pool.query<ProjectRow>('SELECT * FROM projects WHERE id = $1', [bufferOf(projectId)]);
    return rows[0] && projectFromRow(rows[0]);
  }

  async listProjects(): Promise<Project[]> {
    const { rows } = await this.#pool.query<ProjectRow>('SELECT * FROM projects ORDER BY created_at, id');
    return rows.map(projectFromRow);
  }

  async listApiKeys(projectId: ProjectId): Promise<ApiKeyInfo[]> {
    assertProjectId(projectId);
    const { rows } = await this.#pool.query<KeyRow>('SELECT * FROM api_keys WHERE project_id = $1 ORDER BY created_at, key_hash', [
      bufferOf(projectId),
    ]);
    return rows.map((row) => ({
      keyId: toHex(row.key_hash),
      projectId: plainBytes(row.project_id),
      createdAt: row.created_at.getTime(),
      revokedAt: row.revoked_at === null ? null : row.revoked_at.getTime(),
    }));
  }

  async close(): Promise<void> {
    if (this.#owned && !this.#pool.ended) await this.#pool.end();
  }
}

function projectFromRow(row: ProjectRow): Project {
  return { id: plainBytes(row.id), name: row.name, createdAt: row.created_at.getTime() };
}
