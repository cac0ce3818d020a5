/**
 * The SQLite overlay store (better-sqlite3): the embedded satellite's node registry. Tables are
 * prefixed `overlay_` so the satellite's stores can share one file.
 */
import type Database from 'better-sqlite3';
import { toHex } from '../../core/bytes.js';
import type { OverlayStore } from '../port.js';
import {
  assertContact,
  assertNodeId,
  assertSelection,
  assertStatusChange,
  type NodeContact,
  type NodeRecord,
  type NodeStatus,
  type StatusChange,
  type UploadSelection,
} from '../types.js';
import { openMigratedSqlite, type SqliteStoreOptions } from '../../sql/sqlite.js';
import { bufferOf, plainBytes } from '../../sql/migrations.js';

/** This store's row in `handoff_schema_versions`. */
const STORE_NAME = 'overlay';

/** Each entry moves the schema one version up; never edit one that has shipped, append instead. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE IF NOT EXISTS overlay_nodes (
    id BLOB PRIMARY KEY CHECK (length(id) = 32),
    address TEXT NOT NULL,
    wallet TEXT NOT NULL,
    free_bytes INTEGER NOT NULL CHECK (free_bytes >= 0),
    version TEXT NOT NULL,
    joined_at INTEGER NOT NULL,
    last_contact_at INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'exiting', 'exited', 'disqualified')),
    exit_started_at INTEGER,
    exit_finished_at INTEGER,
    disqualified_at INTEGER,
    disqualified_reason TEXT
  ) WITHOUT ROWID;
  -- What selection filters on: status first (equality), then recency, then space.
  CREATE INDEX IF NOT EXISTS overlay_nodes_selection ON overlay_nodes (status, last_contact_at, free_bytes);
  `,
];

/** The overlay schema version this code writes. */
export const OVERLAY_SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

interface Row {
  id: Buffer;
  address: string;
  wallet: string;
  free_bytes: number;
  version: string;
  joined_at: number;
  last_contact_at: number;
  status: string;
  exit_started_at: number | null;
  exit_finished_at: number | null;
  disqualified_at: number | null;
  disqualified_reason: string | null;
}

/**
 * @example
 * ```ts
 * const overlay = await SqliteOverlayStore.open({ path: '/var/lib/satellite/satellite.db' });
 * const nodes = await overlay.selectForUpload({ count: 10, minFreeBytes: 1 << 30, onlineWindowMs: 4 * 3600_000, now: Date.now() });
 * ```
 */
export class SqliteOverlayStore implements OverlayStore {
  readonly #db: Database.Database;
  readonly #owned: boolean;
  readonly #upsert: Database.Statement;
  readonly #get: Database.Statement<[Buffer], Row>;
  readonly #getMany: Database.Statement<[string], Row>;
  readonly #setStatus: Database.Statement;
  readonly #select: Database.Statement;
  readonly #reachable: Database.Statement;

  private constructor(db: Database.Database, owned: boolean) {
    this.#db = db;
    this.#owned = owned;
    this.#upsert = db.prepare(`
      INSERT INTO overlay_nodes (id, address, wallet, free_bytes, version, joined_at, last_contact_at, status)
      VALUES (@id, @address, @wallet, @freeBytes, @version, @at, @at, 'active')
      ON CONFLICT (id) DO UPDATE SET address = excluded.address, wallet = excluded.wallet, free_bytes = excluded.free_bytes,
        version = excluded.version, last_contact_at = max(overlay_nodes.last_contact_at, excluded.last_contact_at)
      RETURNING *`);
    this.#get = db.prepare('SELECT * FROM overlay_nodes WHERE id = ?');
    this.#getMany = db.prepare('SELECT * FROM overlay_nodes WHERE id IN (SELECT unhex(value) FROM json_each(?))');
    // One statement: the WHERE on the old status is the compare-and-swap.
    this.#setStatus = db.prepare(`
      UPDATE overlay_nodes SET status = @to,
        exit_started_at = CASE @to WHEN 'exiting' THEN @at WHEN 'active' THEN NULL ELSE exit_started_at END,
        exit_finished_at = CASE @to WHEN 'exited' THEN @at ELSE exit_finished_at END,
        disqualified_at = CASE @to WHEN 'disqualified' THEN @at ELSE disqualified_at END,
        disqualified_reason = CASE @to WHEN 'disqualified' THEN @reason ELSE disqualified_reason END
      WHERE id = @id AND status = @from
      RETURNING *`);
    // ORDER BY random() reads every eligible row: fine for thousands of nodes (see docs of selectForUpload).
    this.#select = db.prepare(`
      SELECT * FROM overlay_nodes
      WHERE status = 'active' AND last_contact_at >= @since AND free_bytes >= @minFreeBytes
        AND id NOT IN (SELECT unhex(value) FROM json_each(@excluded))
      ORDER BY random() LIMIT @count`);
    this.#reachable = db.prepare(`
      SELECT * FROM overlay_nodes
      WHERE id IN (SELECT unhex(value) FROM json_each(@ids)) AND status IN ('active', 'exiting') AND last_contact_at >= @since`);
  }

  /** Opens (creating if needed) the database and migrates the overlay tables to the current schema. */
  static async open(options: SqliteStoreOptions): Promise<SqliteOverlayStore> {
    const { db, owned } = openMigratedSqlite(options, STORE_NAME, MIGRATIONS);
    return new SqliteOverlayStore(db, owned);
  }

  async checkIn(contact: NodeContact): Promise<NodeRecord> {
    assertContact(contact);
    const row = this.#upsert.get({
      id: bufferOf(contact.id),
      address: contact.address,
      wallet: contact.wallet,
      freeBytes: contact.freeBytes,
      version: contact.version,
      at: contact.at,
    }) as Row;
    return fromRow(row);
  }

  async get(id: Uint8Array): Promise<NodeRecord | undefined> {
    assertNodeId(id);
    const row = this.#get.get(bufferOf(id));
    return row && fromRow(row);
  }

  async getMany(ids: readonly Uint8Array[]): Promise<NodeRecord[]> {
    if (ids.length === 0) return [];
    return this.#getMany.all(hexList(ids)).map(fromRow);
  }

  async setStatus(change: StatusChange): Promise<NodeRecord | undefined> {
    assertNodeId(change.id);
    assertStatusChange(change);
    const row = this.#setStatus.get({
      id: bufferOf(change.id),
      from: change.from,
      to: change.to,
      at: change.at,
      reason: change.reason ?? null,
    }) as Row | undefined;
    return row && fromRow(row);
  }

  async selectForUpload(selection: UploadSelection): Promise<NodeRecord[]> {
    assertSelection(selection);
    if (selection.count === 0) return [];
    const rows = this.#select.all({
      since: selection.now - selection.onlineWindowMs,
      minFreeBytes: selection.minFreeBytes,
      excluded: hexList(selection.excluded ?? []),
      count: selection.count,
    }) as Row[];
    return rows.map(fromRow);
  }

  async getReachable(ids: readonly Uint8Array[], now: number, onlineWindowMs: number): Promise<NodeRecord[]> {
    if (ids.length === 0) return [];
    const rows = this.#reachable.all({ ids: hexList(ids), since: now - onlineWindowMs }) as Row[];
    return rows.map(fromRow);
  }

  async close(): Promise<void> {
    if (this.#owned && this.#db.open) this.#db.close();
  }
}

function hexList(ids: readonly Uint8Array[]): string {
  return JSON.stringify(ids.map((id) => (assertNodeId(id), toHex(id))));
}

function fromRow(row: Row): NodeRecord {
  return {
    id: plainBytes(row.id),
    address: row.address,
    wallet: row.wallet,
    freeBytes: row.free_bytes,
    version: row.version,
    joinedAt: row.joined_at,
    lastContactAt: row.last_contact_at,
    status: row.status as NodeStatus,
    exitStartedAt: row.exit_started_at,
    exitFinishedAt: row.exit_finished_at,
    disqualifiedAt: row.disqualified_at,
    disqualifiedReason: row.disqualified_reason,
  };
}
