/**
 * A node's identity on the network: its 32-byte Ed25519 public key. The printable form carries a
 * checksum so that a mistyped id is an error instead of silently naming another node.
 */
import { concatBytes, equalBytes, fromBase32, toBase32, utf8 } from '../core/bytes.js';
import { InvalidArgumentError } from '../core/errors.js';
import { expectBytes } from './checks.js';
import { getCryptoProvider } from './select.js';

const KEY_LENGTH = 32;
const CHECKSUM_LENGTH = 4;
const CHECKSUM_TAG = utf8('handoff/node-id/v1');
/** base32 of key || checksum: 36 bytes = 288 bits -> 58 characters (the last 2 bits are zero). */
const TEXT_LENGTH = Math.ceil(((KEY_LENGTH + CHECKSUM_LENGTH) * 8) / 5);

function checksum(key: Uint8Array): Uint8Array {
  return getCryptoProvider().sha256(concatBytes(CHECKSUM_TAG, key)).subarray(0, CHECKSUM_LENGTH);
}

function shown(text: string): string {
  return JSON.stringify(text.length > 70 ? `${text.slice(0, 70)}...` : text);
}

/**
 * An Ed25519 public key used as a node id. Printed as lowercase base32 of the key followed by a
 * 4-byte checksum (the first bytes of sha256("handoff/node-id/v1" || key)), 58 characters.
 *
 * @example
 * ```ts
 * const id = NodeId.fromPublicKey(identity.publicKey);
 * const text = id.toString();            // '3x7k...'
 * NodeId.parse(text).equals(id);         // true
 * NodeId.parse(text.slice(1));           // throws InvalidArgumentError
 * ```
 */
export class NodeId {
  readonly #key: Uint8Array;
  #text: string | undefined;

  private constructor(key: Uint8Array) {
    this.#key = key;
  }

  /** The node id of a 32-byte Ed25519 public key (the bytes are copied). */
  static fromPublicKey(publicKey: Uint8Array): NodeId {
    return new NodeId(expectBytes(publicKey, 'publicKey', KEY_LENGTH).slice());
  }

  /**
   * Parses the printable form ({@link NodeId.toString}; letters may be upper case). Throws
   * `InvalidArgumentError` for anything else: a missing, extra or changed character is reported,
   * never read as another id.
   */
  static parse(text: string): NodeId {
    if (typeof text !== 'string') throw new InvalidArgumentError(`"nodeId" expected a string, got ${typeof text}`);
    if (text.length !== TEXT_LENGTH) {
      throw new InvalidArgumentError(`invalid node id ${shown(text)}: expected ${TEXT_LENGTH} characters, got ${text.length}`);
    }
    let decoded: Uint8Array;
    try {
      decoded = fromBase32(text);
    } catch (err) {
      throw new InvalidArgumentError(`invalid node id ${shown(text)}: not base32 (${(err as Error).message})`, { cause: err });
    }
    const key = decoded.slice(0, KEY_LENGTH);
    if (!equalBytes(decoded.subarray(KEY_LENGTH), checksum(key))) {
      throw new InvalidArgumentError(`invalid node id ${shown(text)}: checksum does not match (mistyped character?)`);
    }
    return new NodeId(key);
  }

  /** The 32-byte public key (a fresh copy). */
  get bytes(): Uint8Array {
    return this.#key.slice();
  }

  /** The same bytes as {@link NodeId.bytes}, named for signature checks. */
  get publicKey(): Uint8Array {
    return this.#key.slice();
  }

  /** True when both ids name the same key. */
  equals(other: NodeId): boolean {
    return other instanceof NodeId && equalBytes(this.#key, other.#key);
  }

  /** The printable form: 58 lowercase base32 characters. */
  toString(): string {
    this.#text ??= toBase32(concatBytes(this.#key, checksum(this.#key)));
    return this.#text;
  }

  /** JSON holds the printable form; read it back with {@link NodeId.parse}. */
  toJSON(): string {
    return this.toString();
  }

  /** Shown as `NodeId(<text>)` by `console.log` and `util.inspect`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `NodeId(${this.toString()})`;
  }
}
