/**
 * The storage node's own state in SQLite (better-sqlite3): the satellites it trusts, the serials
 * of order limits it accepted (replay protection), the orders it served and has yet to settle,
 * when the pieces uploaded with an expiration may be deleted, the bandwidth it used per month, a few
 * settings, and its graceful exits (`exits`, a {@link NodeExitStore} on the same connection). Every method here is synchronous —
 * better-sqlite3 is, and each call is one short statement or transaction.
 *
 * One process owns the file while it is open: the trusted satellites are kept in memory (every
 * order limit asks), and accepted serials are written with the next order (see `useSerial`).
 */
import Database from 'better-sqlite3';
import { equalBytes } from '../../core/bytes.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { decodeMessage, encodeMessage } from '../../codec/index.js';
import type { NodeExitStore } from '../../exit/node-store.js';
import { SqliteNodeExitStore } from '../../exit/node-store/sqlite.js';
import { OrderLimitSchema, type OrderLimit, type PieceAction } from '../../orders/order-limit.js';
import { OrderSchema, type Order } from '../../orders/order.js';
import { checkId } from '../../piecestore/store.js';
import { bandwidthPeriod } from '../bandwidth.js';
import { migrate } from './migrations.js';
import type { BandwidthUsage, CleanupResult, PieceExpiration, TrustedSatellite, UnsettledOrder } from './records.js';
import { openSqliteFile } from '../../sql/sqlite.js';

/** Where the node's database lives. */
export interface NodeDatabaseOptions {
  /** A file path, or `':memory:'`. */
  readonly path: string;
  /**
   * A serial accepted by {@link NodeDatabase.useSerial} is written with the next order recorded
   * (one commit per upload instead of two), and at the latest this many ms later (default 1000);
   * see docs/exit.md, "Where the time goes".
   */
  readonly serialFlushMs?: number;
}

/** How long an accepted serial may wait in memory for an order to be written with (ms). */
export const DEFAULT_SERIAL_FLUSH_MS = 1000;

function prepare(db: Database.Database) {
  return {
    trust: db.prepare(`INSERT INTO trusted_satellite (id, address, added_at) VALUES (?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET address = excluded.address`),
    untrust: db.prepare('DELETE FROM trusted_satellite WHERE id = ?'),
    satellite: db.prepare<[Buffer], SatelliteRow>('SELECT id, address, added_at FROM trusted_satellite WHERE id = ?'),
    satellites: db.prepare<[], SatelliteRow>('SELECT id, address, added_at FROM trusted_satellite ORDER BY added_at, id'),
    useSerial: db.prepare('INSERT INTO used_serial (satellite_id, serial, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
    serialUsed: db.prepare<[Buffer, Buffer], { one: number }>('SELECT 1 AS one FROM used_serial WHERE satellite_id = ? AND serial = ?'),
    expireSerials: db.prepare('DELETE FROM used_serial WHERE expires_at <= ?'),
    addOrder: db.prepare(`INSERT INTO unsettled_order (satellite_id, serial, action, amount, order_limit, uplink_order, expires_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (satellite_id, serial) DO UPDATE SET amount = excluded.amount, uplink_order = excluded.uplink_order
      WHERE excluded.amount > unsettled_order.amount`),
    unsettled: db.prepare<[Buffer, number], OrderRow>(`SELECT order_limit, uplink_order FROM unsettled_order WHERE satellite_id = ?
      ORDER BY expires_at, serial LIMIT ?`),
    unsettledSatellites: db.prepare<[], { satellite_id: Buffer }>('SELECT DISTINCT satellite_id FROM unsettled_order ORDER BY satellite_id'),
    settle: db.prepare('DELETE FROM unsettled_order WHERE satellite_id = ? AND serial = ?'),
    expireOrders: db.prepare('DELETE FROM unsettled_order WHERE expires_at <= ?'),
    addExpiration: db.prepare(`INSERT INTO piece_expiration (satellite_id, piece_id, expires_at) VALUES (?, ?, ?)
      ON CONFLICT (satellite_id, piece_id) DO UPDATE SET expires_at = excluded.expires_at`),
    expired: db.prepare<[number, number], ExpirationRow>(`SELECT satellite_id, piece_id, expires_at FROM piece_expiration
      WHERE expires_at <= ? ORDER BY expires_at, satellite_id, piece_id LIMIT ?`),
    expiredAfter: db.prepare<[number, number, Buffer, Buffer, number], ExpirationRow>(`SELECT satellite_id, piece_id, expires_at
      FROM piece_expiration WHERE expires_at <= ? AND (expires_at, satellite_id, piece_id) > (?, ?, ?)
      ORDER BY expires_at, satellite_id, piece_id LIMIT ?`),
    deleteExpiration: db.prepare('DELETE FROM piece_expiration WHERE satellite_id = ? AND piece_id = ?'),
    orderAmount: db.prepare<[Buffer, Buffer], { amount: number }>('SELECT amount FROM unsettled_order WHERE satellite_id = ? AND serial = ?'),
    addUsage: db.prepare(`INSERT INTO bandwidth_usage (period_start, satellite_id, action, bytes) VALUES (?, ?, ?, ?)
      ON CONFLICT (period_start, satellite_id, action) DO UPDATE SET bytes = bytes + excluded.bytes`),
    usedInPeriod: db.prepare<[number], { bytes: number | null }>('SELECT SUM(bytes) AS bytes FROM bandwidth_usage WHERE period_start = ?'),
    usageInPeriod: db.prepare<[number], UsageRow>('SELECT satellite_id, action, bytes FROM bandwidth_usage WHERE period_start = ? ORDER BY satellite_id, action'),
    getSetting: db.prepare<[string], { value: string }>('SELECT value FROM node_setting WHERE key = ?'),
    setSetting: db.prepare('INSERT INTO node_setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    deleteSetting: db.prepare('DELETE FROM node_setting WHERE key = ?'),
  };
}

interface SatelliteRow { id: Buffer; address: string; added_at: number }
interface OrderRow { order_limit: Buffer; uplink_order: Buffer }
interface ExpirationRow { satellite_id: Buffer; piece_id: Buffer; expires_at: number }
interface UsageRow { satellite_id: Buffer; action: string; bytes: number }

/**
 * @example
 * ```ts
 * const db = await NodeDatabase.open({ path: '/var/lib/node/node.db' });
 * db.trustSatellite({ id: satelliteId, address: 'sat.example:7777', addedAt: Date.now() });
 * if (!db.useSerial(limit.satelliteId, limit.serialNumber, limit.orderExpiration)) throw replay();
 * db.addOrder(limit, order);
 * const batch = db.takeUnsettled(satelliteId, 1000); // settle them, then:
 * db.markSettled(satelliteId, batch.map((o) => o.limit.serialNumber));
 * db.addPieceExpiration(limit.satelliteId, limit.pieceId, limit.pieceExpiration);
 * for (const piece of db.expiredPieces(Date.now(), 1000)) db.deletePieceExpiration(piece.satelliteId, piece.pieceId);
 * ```
 */
export class NodeDatabase {
  /** The node's graceful exits (`graceful_exit_status`), on this database's connection; closed with it. */
  readonly exits: NodeExitStore;
  readonly #db: Database.Database;
  readonly #statements: ReturnType<typeof prepare>;
  readonly #markSettled: (satelliteId: Buffer, serials: readonly Uint8Array[]) => number;
  readonly #addOrder: (limit: OrderLimit, order: Order) => void;
  readonly #cleanup: (now: number) => CleanupResult;
  readonly #writeSerials: () => void;
  /**
   * The trusted satellites by id (latin1), read once at open: every limit a node accepts asks,
   * and only {@link trustSatellite} and {@link untrustSatellite} change the table.
   */
  readonly #trusted = new Map<string, TrustedSatellite>();
  /** Serials accepted but not written yet, by satellite and serial (latin1): see {@link useSerial}. */
  readonly #pendingSerials = new Map<string, { readonly satellite: Buffer; readonly serial: Buffer; readonly expiresAt: number }>();
  /** Bandwidth {@link addBandwidth} counted but has not written yet, by period, satellite and action. */
  readonly #pendingUsage = new Map<string, { readonly periodStart: number; readonly satellite: Buffer; readonly action: string; bytes: number }>();
  readonly #serialFlushMs: number;
  #serialTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(db: Database.Database, options: NodeDatabaseOptions) {
    this.#db = db;
    this.exits = SqliteNodeExitStore.attach(db);
    const st = prepare(db);
    this.#statements = st;
    this.#serialFlushMs = options.serialFlushMs ?? DEFAULT_SERIAL_FLUSH_MS;
    if (!Number.isSafeInteger(this.#serialFlushMs) || this.#serialFlushMs < 0) {
      throw new InvalidArgumentError(`"serialFlushMs" expected a non-negative integer, got ${String(options.serialFlushMs)}`);
    }
    for (const row of st.satellites.all()) this.#trusted.set(trustKey(row.id), satelliteFromRow(row));
    // Inside a transaction (an order's, a cleanup's) or one of its own. What was written is
    // forgotten in memory only once that transaction committed (#written): a rollback keeps it pending.
    const writePending = (): void => {
      for (const { satellite, serial, expiresAt } of this.#pendingSerials.values()) st.useSerial.run(satellite, serial, expiresAt);
      for (const { periodStart, satellite, action, bytes } of this.#pendingUsage.values()) st.addUsage.run(periodStart, satellite, action, bytes);
    };
    this.#writeSerials = db.transaction(writePending);
    this.#markSettled = db.transaction((satelliteId: Buffer, serials: readonly Uint8Array[]) => {
      let n = 0;
      for (const serial of serials) n += st.settle.run(satelliteId, blob(serial)).changes;
      return n;
    });
    // The order and what it adds to the month's usage (only what the amount grew by) in one step.
    this.#addOrder = db.transaction((limit: OrderLimit, order: Order) => {
      // The serials accepted since the last write go in the same commit (the upload's own among them).
      if (this.#pendingSerials.size > 0 || this.#pendingUsage.size > 0) writePending();
      const satellite = blob(limit.satelliteId);
      const serial = blob(limit.serialNumber);
      const before = st.orderAmount.get(satellite, serial)?.amount ?? 0;
      const action: PieceAction = limit.action;
      st.addOrder.run(
        satellite, serial, action, order.amount,
        blob(encodeMessage(OrderLimitSchema, limit)), blob(encodeMessage(OrderSchema, order)), limit.orderExpiration,
      );
      if (order.amount > before) st.addUsage.run(bandwidthPeriod(limit.createdAt).start, satellite, action, order.amount - before);
    });
    this.#cleanup = db.transaction((now: number) => ({
      serials: (writePending(), st.expireSerials.run(now).changes),
      orders: st.expireOrders.run(now).changes,
    }));
  }

  /** Opens (creating if needed) the database at `path` and migrates it to the current schema. */
  static async open(options: NodeDatabaseOptions): Promise<NodeDatabase> {
    const db = openSqliteFile(options.path);
    try {
      migrate(db);
      return new NodeDatabase(db, options);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** Trusts a satellite, or updates the address of one already trusted (keeping `addedAt`). */
  trustSatellite(satellite: TrustedSatellite): void {
    checkId(satellite.id, 'id');
    const id = blob(satellite.id);
    this.#statements.trust.run(id, satellite.address, satellite.addedAt);
    // What the row now says (a known satellite keeps its addedAt).
    const row = this.#statements.satellite.get(id);
    if (row) this.#trusted.set(trustKey(row.id), satelliteFromRow(row));
  }

  /** Stops trusting a satellite; true when it was trusted. From here on its limits are refused. */
  untrustSatellite(id: Uint8Array): boolean {
    checkId(id, 'id');
    const removed = this.#statements.untrust.run(blob(id)).changes > 0;
    this.#trusted.delete(trustKey(id));
    return removed;
  }

  /**
   * Whether this node serves the satellite: answered from memory (the table is read at open and
   * kept in step by {@link trustSatellite} and {@link untrustSatellite}), since every order limit
   * asks. Change the table only through this object while it is open.
   */
  isTrusted(id: Uint8Array): boolean {
    return id instanceof Uint8Array && id.length === 32 && this.#trusted.has(trustKey(id));
  }

  trustedSatellite(id: Uint8Array): TrustedSatellite | undefined {
    checkId(id, 'id');
    const known = this.#trusted.get(trustKey(id));
    return known && { ...known, id: known.id.slice() };
  }

  /** Every trusted satellite, oldest first (ties by id): from memory, like {@link isTrusted}. */
  trustedSatellites(): TrustedSatellite[] {
    return [...this.#trusted.values()]
      .sort((a, b) => a.addedAt - b.addedAt || Buffer.compare(a.id, b.id))
      .map((known) => ({ ...known, id: known.id.slice() }));
  }

  /**
   * Records an order limit's serial as used, atomically: true the first time, false for a
   * replay. `expiresAt` is the limit's `orderExpiration`; {@link cleanup} forgets it after that.
   *
   * The verdict is immediate, but the row is written with the next order {@link addOrder} records
   * — an upload's own, in the same commit — or {@link flush}, at the latest `serialFlushMs` later
   * or at {@link close}. So a serial whose upload recorded its order (before its receipt was
   * signed) is as durable as the order; one whose transfer recorded none may be forgotten by a
   * crash within that window, and its limit used once more before it expires (docs/exit.md).
   */
  useSerial(satelliteId: Uint8Array, serialNumber: Uint8Array, expiresAt: number): boolean {
    checkId(satelliteId, 'satelliteId');
    checkSerial(serialNumber);
    // Checked now, not when the row is written: a bad row would fail every later commit it joins.
    checkNonNegative(expiresAt, 'expiresAt');
    const key = trustKey(satelliteId) + trustKey(serialNumber);
    if (this.#pendingSerials.has(key)) return false;
    // Copies: the caller's bytes may be reused before the row is written.
    const satellite = Buffer.from(satelliteId);
    const serial = Buffer.from(serialNumber);
    if (this.#statements.serialUsed.get(satellite, serial) !== undefined) return false;
    this.#pendingSerials.set(key, { satellite, serial, expiresAt });
    this.#armFlush();
    return true;
  }

  #armFlush(): void {
    if (this.#serialTimer !== undefined) return;
    this.#serialTimer = setTimeout(() => this.#flushQuietly(), this.#serialFlushMs);
    this.#serialTimer.unref?.();
  }

  /**
   * Writes the serials {@link useSerial} accepted and the bandwidth {@link addBandwidth} counted
   * that are not written yet, now (one commit).
   */
  flush(): void {
    if ((this.#pendingSerials.size > 0 || this.#pendingUsage.size > 0) && this.#db.open) {
      this.#writeSerials();
      this.#written();
    }
  }

  /** A transaction that wrote everything pending committed: forget it in memory. */
  #written(): void {
    this.#pendingSerials.clear();
    this.#pendingUsage.clear();
    if (this.#serialTimer !== undefined) clearTimeout(this.#serialTimer);
    this.#serialTimer = undefined;
  }

  #flushQuietly(): void {
    this.#serialTimer = undefined;
    try {
      this.flush();
    } catch {
      // The database is busy or closing: what is pending stays so, written with the next order or at close.
      if (this.#db.open) this.#armFlush();
    }
  }

  /**
   * Keeps `order` for settlement if it is the largest seen for its serial, and adds what it grew
   * by to the bandwidth used in the month its limit was created. The caller has verified both
   * signatures; this checks only that the two belong together.
   */
  addOrder(limit: OrderLimit, order: Order): void {
    if (!equalBytes(limit.serialNumber, order.serialNumber)) {
      throw new InvalidArgumentError('"order.serialNumber" does not match the order limit');
    }
    this.#addOrder(limit, order);
    this.#written();
  }

  /**
   * Adds `bytes` of `action` traffic for a satellite to the bandwidth used in the month holding `at`
   * (an exit's own sends, one call per piece). Counted at once ({@link bandwidthUsed} includes it)
   * and written like an accepted serial: with the next order, by {@link flush}, its timer or
   * {@link close} — so a crash may forget what was counted in the last `serialFlushMs` (docs/exit.md).
   */
  addBandwidth(satelliteId: Uint8Array, action: string, bytes: number, at: number): void {
    checkId(satelliteId, 'satelliteId');
    checkNonNegative(bytes, 'bytes');
    checkNonNegative(at, 'at');
    if (typeof action !== 'string' || action.length === 0 || action.length > 64) throw new InvalidArgumentError('"action" expected 1 to 64 characters');
    if (bytes === 0) return;
    const periodStart = bandwidthPeriod(at).start;
    const key = `${periodStart}/${trustKey(satelliteId)}/${action}`;
    const known = this.#pendingUsage.get(key);
    if (known !== undefined) known.bytes += bytes;
    else this.#pendingUsage.set(key, { periodStart, satellite: Buffer.from(satelliteId), action, bytes });
    this.#armFlush();
  }

  /** Bytes used in the month (UTC) holding `at`, every satellite and action together (what waits to be written included). */
  bandwidthUsed(at: number): number {
    checkNonNegative(at, 'at');
    const periodStart = bandwidthPeriod(at).start;
    let pending = 0;
    for (const usage of this.#pendingUsage.values()) if (usage.periodStart === periodStart) pending += usage.bytes;
    return (this.#statements.usedInPeriod.get(periodStart)?.bytes ?? 0) + pending;
  }

  /**
   * The month holding `at`, per satellite and action (what waits to be written included, as in
   * {@link bandwidthUsed}: a read commits nothing). Ordered by satellite id, then action.
   */
  bandwidthUsage(at: number): BandwidthUsage[] {
    checkNonNegative(at, 'at');
    const periodStart = bandwidthPeriod(at).start;
    const usage = new Map<string, { satellite: Buffer; action: string; bytes: number }>();
    for (const row of this.#statements.usageInPeriod.all(periodStart)) {
      usage.set(`${trustKey(row.satellite_id)}/${row.action}`, { satellite: row.satellite_id, action: row.action, bytes: row.bytes });
    }
    for (const pending of this.#pendingUsage.values()) {
      if (pending.periodStart !== periodStart) continue;
      const key = `${trustKey(pending.satellite)}/${pending.action}`;
      const known = usage.get(key);
      if (known !== undefined) known.bytes += pending.bytes;
      else usage.set(key, { satellite: pending.satellite, action: pending.action, bytes: pending.bytes });
    }
    // The table's order (BLOB, then TEXT compared as bytes), pending rows among the others.
    return [...usage.values()]
      .sort((a, b) => Buffer.compare(a.satellite, b.satellite) || Buffer.compare(Buffer.from(a.action), Buffer.from(b.action)))
      .map((u) => ({ satelliteId: new Uint8Array(u.satellite), action: u.action, bytes: u.bytes }));
  }

  /** Up to `max` unsettled orders for a satellite, those expiring soonest first. They stay until {@link markSettled}. */
  takeUnsettled(satelliteId: Uint8Array, max: number): UnsettledOrder[] {
    checkId(satelliteId, 'satelliteId');
    if (!Number.isSafeInteger(max) || max < 0) throw new InvalidArgumentError(`"max" expected a non-negative integer, got ${max}`);
    return this.#statements.unsettled.all(blob(satelliteId), max).map((row) => ({
      limit: decodeMessage(OrderLimitSchema, row.order_limit),
      order: decodeMessage(OrderSchema, row.uplink_order),
    }));
  }

  /** Satellites with orders waiting to be settled. */
  unsettledSatellites(): Uint8Array[] {
    return this.#statements.unsettledSatellites.all().map((row) => new Uint8Array(row.satellite_id));
  }

  /** Forgets settled orders (whatever the satellite's verdict); returns how many were removed. */
  markSettled(satelliteId: Uint8Array, serials: readonly Uint8Array[]): number {
    checkId(satelliteId, 'satelliteId');
    for (const serial of serials) checkSerial(serial);
    return this.#markSettled(blob(satelliteId), serials);
  }

  /** Deletes serials and unsettled orders whose limit expired at or before `now`. */
  cleanup(now: number): CleanupResult {
    const result = this.#cleanup(now);
    this.#written();
    return result;
  }

  /**
   * Remembers that a piece may be deleted once `expiresAt` (ms since the epoch) has come; a
   * second call for the same piece replaces the time.
   */
  addPieceExpiration(satelliteId: Uint8Array, pieceId: Uint8Array, expiresAt: number): void {
    checkId(satelliteId, 'satelliteId');
    checkId(pieceId, 'pieceId');
    checkNonNegative(expiresAt, 'expiresAt');
    this.#statements.addExpiration.run(blob(satelliteId), blob(pieceId), expiresAt);
  }

  /**
   * Up to `max` pieces whose expiration is at or before `now`, oldest first (ties by satellite,
   * then piece id). Pass the last piece of a batch as `after` to get the next one: rows that
   * stay (a piece that failed to delete) then never come back within one pass.
   */
  expiredPieces(now: number, max: number, after?: PieceExpiration): PieceExpiration[] {
    checkNonNegative(now, 'now');
    checkNonNegative(max, 'max');
    let rows: ExpirationRow[];
    if (after === undefined) {
      rows = this.#statements.expired.all(now, max);
    } else {
      checkId(after.satelliteId, 'after.satelliteId');
      checkId(after.pieceId, 'after.pieceId');
      checkNonNegative(after.expiresAt, 'after.expiresAt');
      rows = this.#statements.expiredAfter.all(now, after.expiresAt, blob(after.satelliteId), blob(after.pieceId), max);
    }
    return rows.map((row) => ({ satelliteId: new Uint8Array(row.satellite_id), pieceId: new Uint8Array(row.piece_id), expiresAt: row.expires_at }));
  }

  /** Forgets a piece's expiration (once the piece is gone); true when there was one. */
  deletePieceExpiration(satelliteId: Uint8Array, pieceId: Uint8Array): boolean {
    checkId(satelliteId, 'satelliteId');
    checkId(pieceId, 'pieceId');
    return this.#statements.deleteExpiration.run(blob(satelliteId), blob(pieceId)).changes > 0;
  }

  getSetting(key: string): string | undefined {
    return this.#statements.getSetting.get(key)?.value;
  }

  setSetting(key: string, value: string): void {
    this.#statements.setSetting.run(key, value);
  }

  deleteSetting(key: string): boolean {
    return this.#statements.deleteSetting.run(key).changes > 0;
  }

  /** Writes what is pending ({@link flush}) and closes the connection. */
  close(): void {
    if (!this.#db.open) return;
    try {
      this.flush();
    } finally {
      if (this.#serialTimer !== undefined) clearTimeout(this.#serialTimer);
      this.#serialTimer = undefined;
      this.#db.close();
    }
  }
}

/** A map key for 32-byte ids and 16-byte serials: one character per byte. */
function trustKey(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** better-sqlite3 binds Buffers as BLOBs; a view, not a copy. */
function blob(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function checkSerial(serial: Uint8Array): void {
  if (!(serial instanceof Uint8Array) || serial.length !== 16) {
    throw new InvalidArgumentError(`"serialNumber" expected 16 bytes, got ${serial instanceof Uint8Array ? serial.length : typeof serial}`);
  }
}

function checkNonNegative(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new InvalidArgumentError(`"${field}" expected a non-negative integer, got ${value}`);
}

function satelliteFromRow(row: SatelliteRow): TrustedSatellite {
  return { id: new Uint8Array(row.id), address: row.address, addedAt: row.added_at };
}
