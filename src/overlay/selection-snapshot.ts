/**
 * The nodes an upload may be given, held in memory: the satellite's node-selection cache keeps
 * one (selection-cache.ts), reloads it from the store now and then, and patches it with every
 * node record its own process writes. Selection is a partial Fisher–Yates shuffle over the
 * snapshot itself, with injected randomness, so choosing `count` nodes visits about
 * `count / (share of nodes the upload's filters keep)` nodes — not the whole registry.
 */
import { toHex } from '../core/bytes.js';
import type { NodeRecord, UploadSelection } from './types.js';

/**
 * Whether a node may take new pieces whatever the upload asks: `active` (never exiting, exited or
 * disqualified), not suspended, not offline. The rest (recent contact, free space, exclusions)
 * depends on the upload and is checked at selection.
 */
export function isSelectable(node: NodeRecord): boolean {
  return node.status === 'active' && node.suspendedAt === null && node.offlineSince === null;
}

export class SelectionSnapshot {
  /** Selectable nodes in no particular order (selection shuffles it in place). */
  readonly #nodes: NodeRecord[] = [];
  /** The hex id of each node in #nodes, at the same position (no hex encoding while selecting). */
  readonly #keys: string[] = [];
  /** Node id (hex) → position in #nodes. */
  readonly #at = new Map<string, number>();

  constructor(nodes: Iterable<NodeRecord> = []) {
    for (const node of nodes) this.put(node);
  }

  get size(): number {
    return this.#nodes.length;
  }

  /** The snapshot's record of `id`, if the node is in it. */
  get(id: Uint8Array): NodeRecord | undefined {
    const at = this.#at.get(toHex(id));
    return at === undefined ? undefined : this.#nodes[at];
  }

  /** Takes in the node's latest record: kept (replacing the old one) if selectable, dropped otherwise. */
  put(node: NodeRecord): void {
    if (!isSelectable(node)) {
      this.delete(node.id);
      return;
    }
    const key = toHex(node.id);
    const at = this.#at.get(key);
    if (at !== undefined) {
      this.#nodes[at] = node;
      return;
    }
    this.#at.set(key, this.#nodes.length);
    this.#nodes.push(node);
    this.#keys.push(key);
  }

  delete(id: Uint8Array): void {
    const key = toHex(id);
    const at = this.#at.get(key);
    if (at === undefined) return;
    const last = this.#nodes.pop()!;
    const lastKey = this.#keys.pop()!;
    this.#at.delete(key);
    if (at < this.#nodes.length) {
      this.#nodes[at] = last;
      this.#keys[at] = lastKey;
      this.#at.set(lastKey, at);
    }
  }

  /**
   * Up to `selection.count` distinct nodes, uniformly at random among the snapshot's nodes heard
   * from within the online window, with the free space asked for, and not excluded. `random`
   * returns numbers in [0, 1), like Math.random.
   */
  select(selection: UploadSelection, random: () => number): NodeRecord[] {
    const excluded = new Set((selection.excluded ?? []).map(toHex));
    const since = selection.now - selection.onlineWindowMs;
    const picked: NodeRecord[] = [];
    const nodes = this.#nodes;
    const keys = this.#keys;
    for (let i = 0; i < nodes.length && picked.length < selection.count; i++) {
      // Slot i gets a uniform pick among the nodes not visited yet.
      const j = Math.min(nodes.length - 1, i + Math.floor(random() * (nodes.length - i)));
      const node = nodes[j]!;
      const key = keys[j]!;
      if (j !== i) {
        nodes[j] = nodes[i]!;
        keys[j] = keys[i]!;
        nodes[i] = node;
        keys[i] = key;
        this.#at.set(keys[j], j);
        this.#at.set(key, i);
      }
      if (node.lastContactAt < since || node.freeBytes < selection.minFreeBytes || excluded.has(key)) continue;
      picked.push(node);
    }
    return picked;
  }
}
