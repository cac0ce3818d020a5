/**
 * Upload ids: everything the satellite needs to continue an upload, handed to the client and
 * sent back — so "begin segment" writes nothing. An id is the msgpack encoding of its fields
 * followed by a 32-byte HMAC-SHA256 over a domain tag and those bytes. Only the satellite ever
 * verifies them, so a MAC (about a microsecond) does what a signature would.
 */
import { decode, encode, s, type Infer, type Schema } from '../codec/index.js';
import { concatBytes, equalBytes, utf8 } from '../core/bytes.js';
import { FailedPreconditionError, InvalidArgumentError, isHandoffError } from '../core/errors.js';
import type { Identity } from '../crypto/identity.js';
import { getCryptoProvider } from '../crypto/select.js';
import { EncryptionSchema, PositionSchema, RedundancySchema } from './schemas.js';

const MAC_BYTES = 32;
/** An id larger than this is not ours (limits for 255 pieces fit easily). */
export const MAX_UPLOAD_ID_BYTES = 32 * 1024;

export const StreamUploadFields = s.object({
  projectId: s.bytes({ length: 16 }),
  bucket: s.string({ min: 1, max: 63 }),
  encryptedKey: s.bytes({ min: 1, max: 4096 }),
  streamId: s.bytes({ length: 16 }),
  createdAt: s.int({ min: 0 }),
  expiresAt: s.optional(s.int({ min: 0 })),
  uploadDeadline: s.int({ min: 0 }),
  redundancy: RedundancySchema,
  encryption: EncryptionSchema,
});
export type StreamUpload = Infer<typeof StreamUploadFields>;

export const SegmentUploadFields = s.object({
  streamId: s.bytes({ length: 16 }),
  position: PositionSchema,
  rootPieceId: s.bytes({ length: 32 }),
  piecePublicKey: s.bytes({ length: 32 }),
  createdAt: s.int({ min: 0 }),
  maxEncryptedSize: s.int({ min: 0 }),
  /** The order limits issued: which node may store which piece number. */
  limits: s.array(s.object({ nodeId: s.bytes({ length: 32 }), pieceNumber: s.int({ min: 0, max: 65535 }) }), { max: 255 }),
});
export type SegmentUpload = Infer<typeof SegmentUploadFields>;

/** Seals and opens upload ids with a key only this satellite knows. */
export class UploadIdSealer {
  readonly #key: Uint8Array;

  /** The key is derived from the satellite's identity: stable across restarts, no extra state. */
  constructor(identity: Identity) {
    // Ed25519 signatures are deterministic, so this is a stable secret only the key holder can compute.
    this.#key = getCryptoProvider().sha256(identity.sign(utf8('handoff/upload-id-key/v1')));
  }

  sealStream(fields: StreamUpload): Uint8Array {
    return this.#seal('handoff/stream-upload-id/v1', fields);
  }

  openStream(id: Uint8Array, now: number): StreamUpload {
    const fields = this.#open('handoff/stream-upload-id/v1', StreamUploadFields, id, 'streamUploadId');
    if (fields.uploadDeadline <= now) throw new FailedPreconditionError('upload expired: its stream was not committed in time');
    return fields;
  }

  sealSegment(fields: SegmentUpload): Uint8Array {
    return this.#seal('handoff/segment-upload-id/v1', fields);
  }

  openSegment(id: Uint8Array): SegmentUpload {
    return this.#open('handoff/segment-upload-id/v1', SegmentUploadFields, id, 'segmentUploadId');
  }

  #mac(tag: string, body: Uint8Array): Uint8Array {
    return getCryptoProvider().hmacSha256(this.#key, concatBytes(utf8(tag), new Uint8Array([0]), body));
  }

  #seal(tag: string, fields: unknown): Uint8Array {
    const body = encode(fields);
    return concatBytes(body, this.#mac(tag, body));
  }

  #open<T>(tag: string, schema: Schema<T>, id: Uint8Array, name: string): T {
    if (id.length <= MAC_BYTES || id.length > MAX_UPLOAD_ID_BYTES) throw new InvalidArgumentError(`"${name}" is not a valid upload id`);
    const body = id.subarray(0, id.length - MAC_BYTES);
    if (!equalBytes(id.subarray(id.length - MAC_BYTES), this.#mac(tag, body))) {
      throw new InvalidArgumentError(`"${name}" was not issued by this satellite or was tampered with`);
    }
    try {
      return schema.parse(decode(body, { maxBytes: MAX_UPLOAD_ID_BYTES }), name);
    } catch (err) {
      // Only a bug could produce a well-MAC'd id that does not parse; still, never crash.
      throw isHandoffError(err) ? new InvalidArgumentError(`"${name}" is malformed`, { cause: err }) : err;
    }
  }
}
