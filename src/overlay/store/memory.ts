/**
 * The in-memory overlay store: tests and embedding. Same contract as the SQL stores.
 */
import { toHex } from '../../core/bytes.js';
import type { OverlayStore } from '../port.js';
import {
  applyStatusChange,
  assertContact,
  assertNodeId,
  assertSelection,
  assertStatusChange,
  DOWNLOAD_STATUSES,
  type NodeContact,
  type NodeRecord,
  type StatusChange,
  type UploadSelection,
} from '../types.js';

/**
 * @example
 * ```ts
 * const overlay = new MemoryOverlayStore();
 * await overlay.checkIn({ id, address: '127.0.0.1:7777', wallet: '0xabc', freeBytes: 1e12, version: '1.0.0', at: Date.now() });
 * ```
 */
export class MemoryOverlayStore implements OverlayStore {
  readonly #nodes = new Map<string, NodeRecord>();
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
          ...known,
          address: contact.address,
          wallet: contact.wallet,
          freeBytes: contact.freeBytes,
          version: contact.version,
          lastContactAt: Math.max(known.lastContactAt, contact.at),
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

  async selectForUpload(selection: UploadSelection): Promise<NodeRecord[]> {
    assertSelection(selection);
    const excluded = new Set((selection.excluded ?? []).map(toHex));
    const since = selection.now - selection.onlineWindowMs;
    const eligible: NodeRecord[] = [];
    for (const [key, node] of this.#nodes) {
      if (node.status !== 'active' || node.lastContactAt < since || node.freeBytes < selection.minFreeBytes) continue;
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
    return (await this.getMany(ids)).filter((n) => DOWNLOAD_STATUSES.includes(n.status) && n.lastContactAt >= since);
  }

  async close(): Promise<void> {}
}

function copy(node: NodeRecord): NodeRecord {
  return { ...node, id: node.id.slice() };
}
