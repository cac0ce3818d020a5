/**
 * How repair sees one piece: healthy (counts toward durability), retrievable (does not count,
 * but can still be downloaded — a piece on an exiting node), or lost. Pure.
 */
import type { NodeRecord } from '../../overlay/types.js';
import { isHealthy } from '../health.js';

export type PieceState = 'healthy' | 'retrievable' | 'lost';

/**
 * The state of a piece on `node` (`undefined`: a node the overlay does not know — lost). A
 * piece on an exiting node that would be healthy were it still active is retrievable: it leaves
 * with its node, but serves until then.
 *
 * @example
 * ```ts
 * pieceState(await overlay.get(piece.nodeId), Date.now(), onlineWindowMs); // 'healthy'
 * ```
 */
export function pieceState(node: NodeRecord | undefined, now: number, onlineWindowMs: number): PieceState {
  if (node === undefined) return 'lost';
  if (isHealthy(node, now, onlineWindowMs)) return 'healthy';
  if (node.status === 'exiting' && isHealthy({ ...node, status: 'active' }, now, onlineWindowMs)) return 'retrievable';
  return 'lost';
}

/**
 * Node records by id, looked up without hex strings: a key of the id's first six bytes, then a
 * byte comparison. The checker looks up every piece of every segment, so this is its hot path.
 */
export class NodeTable<T> {
  readonly #byPrefix = new Map<number, Array<{ readonly id: Uint8Array; readonly value: T }>>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(id: Uint8Array): T | undefined {
    const bucket = this.#byPrefix.get(idPrefix(id));
    if (bucket === undefined) return undefined;
    for (const entry of bucket) if (sameId(entry.id, id)) return entry.value;
    return undefined;
  }

  /** The value for the node id at `bytes[offset, offset + 32)`, without copying it out. */
  getAt(bytes: Uint8Array, offset: number): T | undefined {
    const bucket = this.#byPrefix.get(idPrefixAt(bytes, offset));
    if (bucket === undefined) return undefined;
    for (const entry of bucket) if (sameIdAt(entry.id, bytes, offset)) return entry.value;
    return undefined;
  }

  has(id: Uint8Array): boolean {
    const bucket = this.#byPrefix.get(idPrefix(id));
    return bucket !== undefined && bucket.some((entry) => sameId(entry.id, id));
  }

  /** Every value, in no particular order. */
  *values(): IterableIterator<T> {
    for (const bucket of this.#byPrefix.values()) for (const entry of bucket) yield entry.value;
  }

  set(id: Uint8Array, value: T): void {
    const key = idPrefix(id);
    const bucket = this.#byPrefix.get(key);
    const entry = { id: id.slice(), value };
    if (bucket === undefined) {
      this.#byPrefix.set(key, [entry]);
      this.#size++;
      return;
    }
    const at = bucket.findIndex((e) => sameId(e.id, id));
    if (at >= 0) bucket[at] = entry;
    else {
      bucket.push(entry);
      this.#size++;
    }
  }
}

/** A node id's first six bytes as a number: distinct ids almost never share it. */
export function idPrefix(id: Uint8Array): number {
  return idPrefixAt(id, 0);
}

/** {@link idPrefix} of the id at `bytes[offset, offset + 32)`. */
export function idPrefixAt(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! * 256 + bytes[at + 1]!) * 256 + bytes[at + 2]!) * 16_777_216 + ((bytes[at + 3]! << 16) | (bytes[at + 4]! << 8) | bytes[at + 5]!);
}

/** Byte equality of `id` and the id at `bytes[offset, offset + 32)`, known to share their six-byte prefix. */
export function sameIdAt(id: Uint8Array, bytes: Uint8Array, offset: number): boolean {
  for (let i = 31; i >= 6; i--) if (id[i] !== bytes[offset + i]) return false;
  return true;
}

/** Byte equality of two ids already known to share their six-byte prefix. */
function sameId(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = a.length - 1; i >= 6; i--) if (a[i] !== b[i]) return false;
  return true;
}
