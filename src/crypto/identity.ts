/**
 * A party's long-lived Ed25519 key pair: it signs order limits, piece hashes, receipts and
 * handshakes, and its public half is the party's {@link NodeId}.
 */
import { DecodeError, isHandoffError } from '../core/errors.js';
import { expectBytes } from './checks.js';
import { decodeIdentityPem, encodeIdentityPem, readTextFile, writeSecretFileAtomic } from './identity-file.js';
import { NodeId } from './node-id.js';
import { getCryptoProvider } from './select.js';

/** Options of {@link Identity.save}. */
export interface SaveIdentityOptions {
  /** Replace an existing file at the path. Default false: an existing file is an `AlreadyExistsError`. */
  overwrite?: boolean;
}

/**
 * An Ed25519 identity. The private key never leaves the object except through
 * {@link Identity.toPem}, {@link Identity.save} and {@link Identity.exportPrivateKey}; it is not
 * part of `JSON.stringify` or `console.log` output.
 *
 * @example
 * ```ts
 * const identity = Identity.generate();
 * const signature = identity.sign(message);
 * verifySignature(identity.id, message, signature); // true
 * await identity.save('/var/lib/handoff/identity.pem');
 * const same = await Identity.load('/var/lib/handoff/identity.pem');
 * ```
 */
export class Identity {
  /** This identity's node id (its public key). */
  readonly id: NodeId;
  readonly #privateKey: Uint8Array;

  private constructor(privateKey: Uint8Array) {
    this.#privateKey = privateKey;
    this.id = NodeId.fromPublicKey(getCryptoProvider().ed25519PublicKey(privateKey));
  }

  /** A new identity from a fresh random key. */
  static generate(): Identity {
    return new Identity(getCryptoProvider().randomBytes(32));
  }

  /** The identity of a 32-byte Ed25519 private key (the RFC 8032 seed); the bytes are copied. */
  static fromPrivateKey(privateKey: Uint8Array): Identity {
    return new Identity(expectBytes(privateKey, 'privateKey', 32).slice());
  }

  /**
   * Reads {@link Identity.toPem} output, or any unencrypted Ed25519 PKCS#8 PEM such as
   * `openssl genpkey -algorithm ed25519` writes. When the text names a node id, it must be this
   * key's; any mismatch or damage is a `DecodeError`.
   */
  static fromPem(text: string): Identity {
    const { privateKey, nodeIdText } = decodeIdentityPem(text);
    const identity = new Identity(privateKey);
    if (nodeIdText !== undefined) {
      let named: NodeId;
      try {
        named = NodeId.parse(nodeIdText);
      } catch (err) {
        throw new DecodeError(`identity file: its "node id:" line is damaged: ${(err as Error).message}`, { cause: err });
      }
      if (!named.equals(identity.id)) {
        throw new DecodeError(`identity file: it names node id ${named.toString()} but holds the key of ${identity.id.toString()}`);
      }
    }
    return identity;
  }

  /** Loads an identity file written by {@link Identity.save}. Missing file: `NotFoundError`; damaged: `DecodeError`. */
  static async load(path: string): Promise<Identity> {
    const text = await readTextFile(path);
    try {
      return Identity.fromPem(text);
    } catch (err) {
      if (isHandoffError(err) && err.name === 'DecodeError') throw new DecodeError(`${path}: ${err.message}`, { cause: err });
      throw err;
    }
  }

  /** The 32-byte Ed25519 public key (a fresh copy); the same bytes as `id.bytes`. */
  get publicKey(): Uint8Array {
    return this.id.bytes;
  }

  /** A 64-byte Ed25519 signature of `message`. */
  sign(message: Uint8Array): Uint8Array {
    return getCryptoProvider().ed25519Sign(this.#privateKey, message);
  }

  /** A copy of the 32-byte private key. Handle with care; prefer {@link Identity.save}. */
  exportPrivateKey(): Uint8Array {
    return this.#privateKey.slice();
  }

  /** The identity file text: an explanatory header naming the node id, then PKCS#8 PEM. */
  toPem(): string {
    return encodeIdentityPem(this.#privateKey, this.id.toString());
  }

  /**
   * Writes the identity file atomically with mode 0600 (temp file, fsync, rename, directory
   * fsync). Refuses to replace an existing file unless `overwrite` is set.
   */
  async save(path: string, options: SaveIdentityOptions = {}): Promise<void> {
    await writeSecretFileAtomic(path, this.toPem(), options.overwrite ?? false);
  }

  /** Only the node id: serializing an identity must never leak its private key. */
  toJSON(): { id: string } {
    return { id: this.id.toString() };
  }

  /** Shown as `Identity(<node id>)` by `console.log` and `util.inspect`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Identity(${this.id.toString()})`;
  }
}

/**
 * True when `signature` is a valid Ed25519 signature (strict RFC 8032) of `message` by
 * `publicKey` (a node id or its 32 bytes). Malformed input is simply `false`.
 *
 * @example
 * ```ts
 * if (!verifySignature(peerId, transcript, proof)) throw new UnauthenticatedError('bad proof');
 * ```
 */
export function verifySignature(publicKey: NodeId | Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const key = publicKey instanceof NodeId ? publicKey.bytes : publicKey;
  return getCryptoProvider().ed25519Verify(key, message, signature);
}
