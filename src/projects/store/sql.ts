/**
 * The project store over SQL, shared by the SQLite and PostgreSQL stores: one schema and one set
 * of statements, parameterised by dialect (see sql/dialect.ts). Tables `projects` and
 * `api_keys`; keys are stored only as their SHA-256.
 */
import { toHex } from '../../core/bytes.js';
import { NotFoundError } from '../../core/errors.js';
import { millis, optionalMillis, type SqlDialect } from '../../sql/dialect.js';
import { sqlStatement, type SqlExecutor } from '../../sql/executor.js';
import { bufferOf, plainBytes } from '../../sql/migrations.js';
import { caveatSecret } from '../restricted-key.js';
import { apiKeyHash, generateApiKey, generateProjectId, isWellFormedApiKey, keyIdHash } from '../api-key.js';
import type { ProjectStore } from '../port.js';
import { assertProjectId, assertProjectName, type ApiKeyInfo, type ApiKeyRecord, type CreatedProject, type Project, type ProjectId } from '../types.js';

/** This store's row in `handoff_schema_versions`. */
export const PROJECTS_STORE_NAME = 'projects';

/**
 * Each entry moves the schema one version up; never edit one that has shipped, append instead.
 * The text per dialect is exactly what each store shipped (pinned by a test).
 */
export function projectMigrations(d: SqlDialect): readonly string[] {
  const { bytes, text, time } = d.types;
  return [
    `
  CREATE TABLE IF NOT EXISTS projects (
    id ${bytes} PRIMARY KEY CHECK (length(id) = 16),
    name ${text} NOT NULL,
    created_at ${time} NOT NULL
  )${d.tableOptions};
  CREATE TABLE IF NOT EXISTS api_keys (
    key_hash ${bytes} PRIMARY KEY CHECK (length(key_hash) = 32),
    project_id ${bytes} NOT NULL REFERENCES projects (id),
    created_at ${time} NOT NULL,
    revoked_at ${time}
  )${d.tableOptions};
  CREATE INDEX IF NOT EXISTS api_keys_by_project ON api_keys (project_id, created_at);
  `,
    // Restricted keys: the HMAC secret their tag chains start from (restricted-key.ts). Keys made
    // before this have none until they are used once.
    `ALTER TABLE api_keys ADD COLUMN caveat_secret ${bytes};`,
  ];
}

const insertProject = sqlStatement('projects_insert', 'INSERT INTO projects (id, name, created_at) VALUES ($1, $2, $3)');
const insertKey = sqlStatement('projects_insert_key', 'INSERT INTO api_keys (key_hash, project_id, created_at, caveat_secret) VALUES ($1, $2, $3, $4)');
/** Inserts nothing when the project does not exist, whether or not the connection enforces foreign keys. */
const insertKeyOfProject = sqlStatement('projects_insert_key_of_project', `
  INSERT INTO api_keys (key_hash, project_id, created_at, caveat_secret) SELECT $1, $2, $3, $4
  WHERE EXISTS (SELECT 1 FROM projects WHERE id = $2)`);
const authenticate = sqlStatement('projects_authenticate', 'SELECT project_id, caveat_secret FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL');
const fillSecret = sqlStatement('projects_fill_caveat_secret', 'UPDATE api_keys SET caveat_secret = $2 WHERE key_hash = $1 AND caveat_secret IS NULL');
const revoke = sqlStatement('projects_revoke', 'UPDATE api_keys SET revoked_at = $1 WHERE key_hash = $2 AND revoked_at IS NULL');
const getProject = sqlStatement('projects_get', 'SELECT * FROM projects WHERE id = $1');
const listProjects = sqlStatement('projects_list', 'SELECT * FROM projects ORDER BY created_at, id');
const listKeys = sqlStatement('projects_list_keys', 'SELECT key_hash, project_id, created_at, revoked_at FROM api_keys WHERE project_id = $1 ORDER BY created_at, key_hash');

/** Rows as either driver reads them: times are numbers in SQLite and Dates in PostgreSQL. */
interface ProjectRow {
  id: Uint8Array;
  name: string;
  created_at: number | Date;
}

interface SecretRow {
  project_id: Uint8Array;
  caveat_secret: Uint8Array | null;
}

interface KeyRow {
  key_hash: Uint8Array;
  project_id: Uint8Array;
  created_at: number | Date;
  revoked_at: number | Date | null;
}

/**
 * See the file comment; `SqliteProjectStore` and `PostgresProjectStore` open it.
 *
 * @example
 * ```ts
 * const projects: SqlProjectStore = await PostgresProjectStore.open({ pool });
 * const { projectId, apiKey } = await projects.createProject('photos');
 * ```
 */
export abstract class SqlProjectStore implements ProjectStore {
  readonly #sql: SqlExecutor;

  protected constructor(executor: SqlExecutor) {
    this.#sql = executor;
  }

  async createProject(name: string, now = Date.now()): Promise<CreatedProject> {
    assertProjectName(name);
    const projectId = generateProjectId();
    const apiKey = generateApiKey();
    const at = this.#sql.dialect.time(now);
    await this.#sql.transaction([
      { statement: insertProject, values: [bufferOf(projectId), name, at] },
      { statement: insertKey, values: [bufferOf(apiKeyHash(apiKey)), bufferOf(projectId), at, bufferOf(caveatSecret(apiKey))] },
    ]);
    return { projectId, apiKey };
  }

  async createApiKey(projectId: ProjectId, now = Date.now()): Promise<string> {
    assertProjectId(projectId);
    const apiKey = generateApiKey();
    const values = [bufferOf(apiKeyHash(apiKey)), bufferOf(projectId), this.#sql.dialect.time(now), bufferOf(caveatSecret(apiKey))];
    if ((await this.#sql.run(insertKeyOfProject, values)) === 0) throw new NotFoundError('project not found');
    return apiKey;
  }

  async authenticate(apiKey: string): Promise<ProjectId | undefined> {
    if (!isWellFormedApiKey(apiKey)) return undefined;
    const hash = apiKeyHash(apiKey);
    const row = (await this.#sql.rows<SecretRow>(authenticate, [bufferOf(hash)]))[0];
    if (row === undefined) return undefined;
    // Only the key's holder can compute its secret: a key older than restricted keys gets it here.
    if (row.caveat_secret === null) await this.#sql.run(fillSecret, [bufferOf(hash), bufferOf(caveatSecret(apiKey))]);
    return plainBytes(row.project_id);
  }

  async lookupApiKey(keyHash: Uint8Array): Promise<ApiKeyRecord | undefined> {
    if (!(keyHash instanceof Uint8Array) || keyHash.length !== 32) return undefined;
    const row = (await this.#sql.rows<SecretRow>(authenticate, [bufferOf(keyHash)]))[0];
    return row && { projectId: plainBytes(row.project_id), caveatSecret: row.caveat_secret === null ? null : plainBytes(row.caveat_secret) };
  }

  async revokeApiKey(keyId: string, now = Date.now()): Promise<boolean> {
    return (await this.#sql.run(revoke, [this.#sql.dialect.time(now), bufferOf(keyIdHash(keyId))])) === 1;
  }

  async getProject(projectId: ProjectId): Promise<Project | undefined> {
    assertProjectId(projectId);
    const rows = await this.#sql.rows<ProjectRow>(getProject, [bufferOf(projectId)]);
    return rows[0] && projectFromRow(rows[0]);
  }

  async listProjects(): Promise<Project[]> {
    return (await this.#sql.rows<ProjectRow>(listProjects, [])).map(projectFromRow);
  }

  async listApiKeys(projectId: ProjectId): Promise<ApiKeyInfo[]> {
    assertProjectId(projectId);
    const rows = await this.#sql.rows<KeyRow>(listKeys, [bufferOf(projectId)]);
    return rows.map((row) => ({
      keyId: toHex(row.key_hash),
      projectId: plainBytes(row.project_id),
      createdAt: millis(row.created_at),
      revokedAt: optionalMillis(row.revoked_at),
    }));
  }

  async close(): Promise<void> {
    await this.#sql.close();
  }
}

function projectFromRow(row: ProjectRow): Project {
  return { id: plainBytes(row.id), name: row.name, createdAt: millis(row.created_at) };
}
