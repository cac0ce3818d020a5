/**
 * Node selection without a query per segment (what Storj's satellite does): an `OverlayStore`
 * that serves `selectForUpload` from an in-memory {@link SelectionSnapshot} of the selectable
 * nodes, reloaded from the store in the background every `refreshMs`, and passes everything else
 * through. Every node record a write through it returns patches the snapshot at once, so a node
 * this process marks exiting, disqualified, suspended or offline is never selected again — not
 * even by the next upload. Writes made by another process (a second satellite API process, an
 * admin tool on the database) reach the snapshot with the next reload: docs/scaling.md.
 */
import { toHex } from '../core/bytes.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { OverlayStore } from './port.js';
import { isSelectable, SelectionSnapshot } from './selection-snapshot.js';
import {
  assertSelection, type ContactAttempt, type NodeContact, type NodePage, type NodeRecord, type ReputationUpdate,
  type StatusChange, type Suspension, type UploadSelection,
} from './types.js';

/** Default reload period: a minute (Storj reloads its upload selection cache every few minutes). */
export const DEFAULT_SELECTION_REFRESH_MS = 60_000;

export interface SelectionCacheOptions {
  readonly clock: Clock;
  /** How often the snapshot is reloaded from the store (default {@link DEFAULT_SELECTION_REFRESH_MS}). */
  readonly refreshMs?: number;
  /**
   * A snapshot older than this (default 3 × `refreshMs`: reloads kept failing) is not trusted:
   * selection asks the store directly until a reload succeeds.
   */
  readonly maxAgeMs?: number;
  /** Nodes read per page while reloading (default 1000). */
  readonly pageSize?: number;
  /** Numbers in [0, 1) (default Math.random); tests make selection deterministic with it. */
  readonly random?: () => number;
  /** A reload that failed (the old snapshot stays in use). */
  readonly onError?: (error: unknown) => void;
}

/**
 * @example
 * ```ts
 * const overlay = new SelectionCachedOverlay(store.overlay, { clock: systemClock });
 * await overlay.start(); // first load, then a reload every minute
 * const nodes = await overlay.selectForUpload({ count: 10, minFreeBytes: 2 ** 20, onlineWindowMs: 4 * 3600_000, now: Date.now() });
 * await overlay.stop(); // the store stays open: it is the caller's
 * ```
 */
export class SelectionCachedOverlay implements OverlayStore {
  readonly #store: OverlayStore;
  readonly #clock: Clock;
  readonly #refreshMs: number;
  readonly #maxAgeMs: number;
  readonly #pageSize: number;
  readonly #random: () => number;
  readonly #onError: (error: unknown) => void;
  #snapshot: SelectionSnapshot | undefined;
  /** When the snapshot in use began loading (its data is at least this old). */
  #loadedAt = 0;
  /** Records written while a reload reads the table, to lay over what it read. */
  #written: Map<string, NodeRecord> | undefined;
  #reloading: Promise<void> | undefined;
  #timer: TimerHandle | undefined;
  #stopped = true;

  constructor(store: OverlayStore, options: SelectionCacheOptions) {
    this.#store = store;
    this.#clock = options.clock;
    this.#refreshMs = options.refreshMs ?? DEFAULT_SELECTION_REFRESH_MS;
    if (!(this.#refreshMs > 0)) throw new RangeError(`"refreshMs" expected a positive number, got ${this.#refreshMs}`);
    this.#maxAgeMs = options.maxAgeMs ?? 3 * this.#refreshMs;
    this.#pageSize = options.pageSize ?? 1000;
    this.#random = options.random ?? Math.random;
    this.#onError = options.onError ?? (() => {});
  }

  /** Loads the snapshot, then reloads it every `refreshMs` until {@link stop}. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.reload();
    this.#arm();
  }

  /** Stops reloading and waits for a reload in flight; the store stays open. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#reloading?.catch(() => {});
  }

  /** Reads every node from the store into a new snapshot (joins a reload already running). */
  reload(): Promise<void> {
    this.#reloading ??= this.#load().finally(() => {
      this.#reloading = undefined;
      this.#written = undefined;
    });
    return this.#reloading;
  }

  async selectForUpload(selection: UploadSelection): Promise<NodeRecord[]> {
    assertSelection(selection);
    const snapshot = this.#snapshot;
    if (snapshot === undefined || this.#clock.now() - this.#loadedAt > this.#maxAgeMs) return this.#store.selectForUpload(selection);
    return snapshot.select(selection, this.#random).map((node) => ({ ...node, id: node.id.slice() }));
  }

  async checkIn(contact: NodeContact): Promise<NodeRecord> {
    return this.#took(await this.#store.checkIn(contact));
  }

  async setStatus(change: StatusChange): Promise<NodeRecord | undefined> {
    const next = await this.#store.setStatus(change);
    // Refused: the node is no longer `from` — someone else changed it. Learn what it is now.
    return next === undefined ? void this.#took(await this.#store.get(change.id), change.id) : this.#took(next);
  }

  async rejoin(id: Uint8Array, at: number): Promise<NodeRecord | undefined> {
    // Refused (unknown, or not exited): nothing changed.
    return this.#took(await this.#store.rejoin(id, at));
  }

  async recordContact(id: Uint8Array, contact: ContactAttempt): Promise<NodeRecord | undefined> {
    return this.#took(await this.#store.recordContact(id, contact), id);
  }

  async updateReputation(id: Uint8Array, update: ReputationUpdate): Promise<NodeRecord | undefined> {
    return this.#took(await this.#store.updateReputation(id, update), id);
  }

  async setSuspended(id: Uint8Array, suspension: Suspension | null): Promise<NodeRecord | undefined> {
    return this.#took(await this.#store.setSuspended(id, suspension), id);
  }

  get(id: Uint8Array): Promise<NodeRecord | undefined> {
    return this.#store.get(id);
  }

  getMany(ids: readonly Uint8Array[]): Promise<NodeRecord[]> {
    return this.#store.getMany(ids);
  }

  getReachable(ids: readonly Uint8Array[], now: number, onlineWindowMs: number): Promise<NodeRecord[]> {
    return this.#store.getReachable(ids, now, onlineWindowMs);
  }

  onlineScore(id: Uint8Array, query: { readonly since: number }): Promise<number> {
    return this.#store.onlineScore(id, query);
  }

  pruneContactWindows(before: number): Promise<number> {
    return this.#store.pruneContactWindows(before);
  }

  listNodes(page: NodePage): Promise<NodeRecord[]> {
    return this.#store.listNodes(page);
  }

  /** Stops reloading and closes the store underneath. */
  async close(): Promise<void> {
    await this.stop();
    await this.#store.close();
  }

  /**
   * Lays a record the store just returned over the snapshot. `undefined` (the node is unknown)
   * drops `id` if given.
   */
  #took<T extends NodeRecord | undefined>(node: T, id?: Uint8Array): T {
    if (node === undefined) {
      if (id !== undefined) this.#snapshot?.delete(id);
      return node;
    }
    this.#snapshot?.put(node);
    this.#written?.set(toHex(node.id), node);
    return node;
  }

  async #load(): Promise<void> {
    const startedAt = this.#clock.now();
    this.#written = new Map();
    const read = new Map<string, NodeRecord>();
    let cursor: Uint8Array | undefined;
    for (;;) {
      const page = await this.#store.listNodes(cursor === undefined ? { limit: this.#pageSize } : { cursor, limit: this.#pageSize });
      for (const node of page) read.set(toHex(node.id), node);
      if (page.length < this.#pageSize) break;
      cursor = page[page.length - 1]!.id;
    }
    const snapshot = new SelectionSnapshot([...read.values()].filter(isSelectable));
    // A write during the reload may be older or newer than the row the reload read; which one is
    // unknowable, so the node stays only if both say it is selectable (a wrong "no" lasts one
    // reload; a wrong "yes" would hand pieces to a disqualified node).
    for (const [key, written] of this.#written) {
      const seen = read.get(key);
      if (!isSelectable(written) || (seen !== undefined && !isSelectable(seen))) snapshot.delete(written.id);
      else if (seen === undefined || written.lastContactAt >= seen.lastContactAt) snapshot.put(written);
    }
    this.#snapshot = snapshot;
    this.#loadedAt = startedAt;
  }

  #arm(): void {
    if (this.#stopped) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.reload()
        .catch((err: unknown) => this.#onError(err))
        .finally(() => this.#arm());
    }, this.#refreshMs);
  }
}
