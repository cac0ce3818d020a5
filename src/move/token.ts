/**
 * Move tokens: what Begin located and checked (the exact source stream, the destination, the
 * mode, the copy's stream id, the chunked operation), sealed by the satellite and brought back
 * by Finish. So Finish cannot be pointed at another object or destination than Begin checked,
 * and a copy's stream id — chosen once, at Begin — makes a repeated Finish find its copy
 * instead of making a second one. Like upload ids: msgpack fields, then HMAC-SHA256 under a key
 * only this satellite can derive.
 */
import { decode, encode, s, type Infer } from '../codec/index.js';
import { concatBytes, equalBytes, utf8 } from '../core/bytes.js';
import { FailedPreconditionError, InvalidArgumentError, isHandoffError } from '../core/errors.js';
import type { Identity } from '../crypto/identity.js';
import { getCryptoProvider } from '../crypto/select.js';

const MAC_BYTES = 32;
const TAG = 'handoff/move-token/v1';
const MAX_TOKEN_BYTES = 16 * 1024;

/** What a move token holds: the source Begin located, the destination, the mode, and the ids Finish needs. */
export const MoveTokenFields = s.object({
  mode: s.enum(['move', 'copy'] as const),
  projectId: s.bytes({ length: 16 }),
  bucket: s.string({ min: 1, max: 63 }),
  encryptedKey: s.bytes({ min: 1, max: 4096 }),
  version: s.int({ min: 1 }),
  streamId: s.bytes({ length: 16 }),
  newBucket: s.string({ min: 1, max: 63 }),
  newEncryptedKey: s.bytes({ min: 1, max: 4096 }),
  overwrite: s.bool(),
  copyStreamId: s.optional(s.bytes({ length: 16 })),
  operationId: s.optional(s.bytes({ length: 16 })),
  expiresAt: s.int({ min: 0 }),
});
export type MoveTokenFields = Infer<typeof MoveTokenFields>;

/**
 * Seals and opens move tokens with a key derived from the satellite's identity.
 *
 * @example
 * ```ts
 * const sealer = new MoveTokenSealer(identity);
 * const fields = sealer.open(sealer.seal(token), clock.now());
 * ```
 */
export class MoveTokenSealer {
  readonly #key: Uint8Array;

  /** Derived from the satellite's identity: stable across restarts, nothing to store. */
  constructor(identity: Identity) {
    // Ed25519 signatures are deterministic: a stable secret only the key holder can compute.
    this.#key = getCryptoProvider().sha256(identity.sign(utf8('handoff/move-token-key/v1')));
  }

  seal(fields: MoveTokenFields): Uint8Array {
    const body = encode(fields);
    return concatBytes(body, this.#mac(body));
  }

  /** The token's fields; InvalidArgument when it is not ours, FailedPrecondition once it expired. */
  open(token: Uint8Array, now: number): MoveTokenFields {
    const fields = this.unseal(token);
    if (fields.expiresAt <= now) throw new FailedPreconditionError('move expired: begin it again');
    return fields;
  }

  /** The token's fields, whenever it expires; InvalidArgument when it is not ours (expiry is the caller's decision). */
  unseal(token: Uint8Array): MoveTokenFields {
    if (token.length <= MAC_BYTES || token.length > MAX_TOKEN_BYTES) throw new InvalidArgumentError('"moveToken" is not a valid move token');
    const body = token.subarray(0, token.length - MAC_BYTES);
    if (!equalBytes(token.subarray(token.length - MAC_BYTES), this.#mac(body))) {
      throw new InvalidArgumentError('"moveToken" was not issued by this satellite or was tampered with');
    }
    let fields: MoveTokenFields;
    try {
      fields = MoveTokenFields.parse(decode(body, { maxBytes: MAX_TOKEN_BYTES }), 'moveToken');
    } catch (err) {
      // Only a bug could produce a well-MAC'd token that does not parse; still, never crash.
      throw isHandoffError(err) ? new InvalidArgumentError('"moveToken" is malformed', { cause: err }) : err;
    }
    return fields;
  }

  #mac(body: Uint8Array): Uint8Array {
    return getCryptoProvider().hmacSha256(this.#key, concatBytes(utf8(TAG), new Uint8Array([0]), body));
  }
}
