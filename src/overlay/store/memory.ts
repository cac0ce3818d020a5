/**
 * The in-memory overlay store: tests and embedding. Same contract as the SQL stores.
 */
import { toHex } from '../../core/bytes.js';
import type { OverlayStore } from '../port.js';
import {
  applyContact,
  applyRejoin,
  applyReputationUpdate,
  applyStatusChange,
  applySuspension,
  assertContact,
  assertContactAttempt,
  assertNodeId,
  assertNodePage,
  assertReputationUpdate,
  assertSelection,
  assertStatusChange,
  assertSuspension,
  assertTime,
  CONTACT_WINDOW_MS,
  contactWindowStart,
  DOWNLOAD_STATUSES,
  NEW_NODE_STATE,
  type ContactAttempt,
  type NodeContact,
  type NodePage,
  type NodeRecord,
  type ReputationUpdate,
  type StatusChange,
  type Suspension,
  type UploadSelection,
} from '../types.js';

interface ContactWindow {
  attempts: number;
  successes: number;
}

/**
 * @example
 * ```ts
 * const overlay = new MemoryOverlayStore();
 * await overlay.checkIn({ id, address: '127.0.0.1:7777', wallet: '0xabc', freeBytes: 1e12, version: '1.0.0', at: Date.now() });
 * ```
 */
export class MemoryOverlayStore implements OverlayStore {
  readonly #nodes = new Map<string, NodeRecord>();
  /** Contact windows by node (hex), then by window start. */
  readonly #windows = new Map<string, Map<number, ContactWindow>>();
  readonly #random: () => number;

  /** `random` (default `Math.random`) picks among eligible nodes; tests may make it deterministic. */
  constructor(options: { random?: () => number } = {}) {
    this.#random = options.random ?? Math.random;
  }

  async checkIn(contact: NodeContact): Promise<NodeRecord> {
    assertContact(contact);
    const key = toHex(contact.id);
    const known = this.#nodes.get(key);
    const record: NodeRecord = known
      ? {
          ...applyContact(known, { at: contact.at, success: true }),
          address: contact.address,
          wallet: contact.wallet,
          freeBytes: contact.freeBytes,
          version: contact.version,
        }
      : {
          id: contact.id.slice(),
          address: contact.address,
          wallet: contact.wallet,
          freeBytes: contact.freeBytes,
          version: contact.version,
          joinedAt: contact.at,
          lastContactAt: contact.at,
          status: 'active',
          exitStartedAt: null,
          exitFinishedAt: null,
          disqualifiedAt: null,
          disqualifiedReason: null,
          ...NEW_NODE_STATE,
        };
    this.#nodes.set(key, record);
    return copy(record);
  }

  async get(id: Uint8Array): Promise<NodeRecord | undefined> {
    assertNodeId(id);
    const node = this.#nodes.get(toHex(id));
    return node && copy(node);
  }

  async getMany(ids: readonly Uint8Array[]): Promise<NodeRecord[]> {
    const out: NodeRecord[] = [];
    for (const key of new Set(ids.map((id) => (assertNodeId(id), toHex(id))))) {
      const node = this.#nodes.get(key);
      if (node) out.push(copy(node));
    }
    return out;
  }

  async setStatus(change: StatusChange): Promise<NodeRecord | undefined> {
    assertNodeId(change.id);
    assertStatusChange(change);
    const key = toHex(change.id);
    const node = this.#nodes.get(key);
    if (!node || node.status !== change.from) return undefined;
    const next = applyStatusChange(node, change);
    this.#nodes.set(key, next);
    return copy(next);
  }

  async rejoin(id: Uint8Array, at: number): Promise<NodeRecord | undefined> {
    assertNodeId(id);
    assertTime(at, 'at');
    const key = toHex(id);
    const node = this.#nodes.get(key);
    if (!node || node.status !== 'exited') return undefined;
    const next = applyRejoin(node, at);
    this.#nodes.set(key, next);
    return copy(next);
  }

  async selectForUpload(selection: UploadSelection): Promise<NodeRecord[]> {
    assertSelection(selection);
    const excluded = new Set((selection.excluded ?? []).map(toHex));
    const since = selection.now - selection.onlineWindowMs;
    const eligible: NodeRecord[] = [];
    for (const [key, node] of this.#nodes) {
      if (node.status !== 'active' || node.suspendedAt !== null || node.offlineSince !== null) continue;
      if (node.lastContactAt < since || node.freeBytes < selection.minFreeBytes) continue;
      if (!excluded.has(key)) eligible.push(node);
    }
    // Partial Fisher–Yates: the first `count` slots become a uniform random sample.
    const n = Math.min(selection.count, eligible.length);
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(this.#random() * (eligible.length - i));
      [eligible[i], eligible[j]] = [eligible[j]!, eligible[i]!];
    }
    return eligible.slice(0, n).map(copy);
  }

  async getReachable(ids: readonly Uint8Array[], now: number, onlineWindowMs: number): Promise<NodeRecord[]> {
    const since = now - onlineWindowMs;
    return (await this.getMany(ids)).filter((n) => DOWNLOAD_STATUSES.includes(n.status) && n.offlineSince === null && n.lastContactAt >= since);
  }

  async recordContact(id: Uint8Array, contact: ContactAttempt): Promise<NodeRecord | undefined> {
    assertNodeId(id);
    assertContactAttempt(contact);
    const next = this.#change(id, (node) => applyContact(node, contact));
    if (!next) return undefined;
    const key = toHex(id);
    let windows = this.#windows.get(key);
    if (!windows) this.#windows.set(key, (windows = new Map()));
    const start = contactWindowStart(contact.at);
    const window = windows.get(start) ?? { attempts: 0, successes: 0 };
    windows.set(start, { attempts: window.attempts + 1, successes: window.successes + (contact.success ? 1 : 0) });
    return next;
  }

  async onlineScore(id: Uint8Array, query: { readonly since: number }): Promise<number> {
    assertNodeId(id);
    assertTime(query.since, 'since');
    const from = contactWindowStart(query.since);
    let attempts = 0;
    let successes = 0;
    for (const [start, window] of this.#windows.get(toHex(id)) ?? []) {
      if (start < from) continue;
      attempts += window.attempts;
      successes += window.successes;
    }
    return attempts === 0 ? 1 : successes / attempts;
  }

  async pruneContactWindows(before: number): Promise<number> {
    assertTime(before, 'before');
    let deleted = 0;
    for (const [key, windows] of this.#windows) {
      for (const start of windows.keys()) {
        if (start + CONTACT_WINDOW_MS > before) continue;
        windows.delete(start);
        deleted++;
      }
      if (windows.size === 0) this.#windows.delete(key);
    }
    return deleted;
  }

  async updateReputation(id: Uint8Array, update: ReputationUpdate): Promise<NodeRecord | undefined> {
    assertNodeId(id);
    assertReputationUpdate(update);
    return this.#change(id, (node) => applyReputationUpdate(node, update));
  }

  async setSuspended(id: Uint8Array, suspension: Suspension | null): Promise<NodeRecord | undefined> {
    assertNodeId(id);
    assertSuspension(suspension);
    return this.#change(id, (node) => applySuspension(node, suspension));
  }

  async listNodes(page: NodePage): Promise<NodeRecord[]> {
    assertNodePage(page);
    const after = page.cursor === undefined ? '' : toHex(page.cursor);
    // Hex of equal-length ids sorts as the bytes do.
    const keys = [...this.#nodes.keys()].filter((key) => key > after).sort();
    return keys.slice(0, page.limit).map((key) => copy(this.#nodes.get(key)!));
  }

  #change(id: Uint8Array, change: (node: NodeRecord) => NodeRecord): NodeRecord | undefined {
    const key = toHex(id);
    const node = this.#nodes.get(key);
    if (!node) return undefined;
    const next = change(node);
    this.#nodes.set(key, next);
    return copy(next);
  }

  async close(): Promise<void> {}
}

function copy(node: NodeRecord): NodeRecord {
  return { ...node, id: node.id.slice() };
}
