/**
 * The on-disk format of one piece file:
 *
 * ```
 * [ piece data (size bytes) ][ header: msgpack ][ u32be header length ][ magic "hopiece1" ]
 * ```
 *
 * Data comes first so a read at any offset needs no parsing, and the header (which holds the
 * uplink's piece hash, known only when the upload ends) is appended at commit. The data size is
 * `fileSize - 12 - headerLength`, and the header repeats it as a check.
 */
import { utf8, equalBytes } from '../core/bytes.js';
import { decodeMessage, encodeMessage, s } from '../codec/index.js';
import { OrderLimitSchema } from '../orders/order-limit.js';
import { PieceHashSchema } from '../orders/piece-hash.js';
import type { StoredPieceHeader } from './store.js';

/** Identifies (and versions) the piece file format. */
export const PIECE_FILE_MAGIC = utf8('hopiece1');
/** u32 header length + magic. */
export const PIECE_FILE_TAIL_BYTES = 4 + PIECE_FILE_MAGIC.length;
/** Headers are a few hundred bytes; anything near this is corruption. */
const MAX_HEADER_BYTES = 64 * 1024;

const PieceFileHeaderSchema = s.object({
  orderLimit: OrderLimitSchema,
  uplinkPieceHash: PieceHashSchema,
  size: s.int({ min: 0 }),
  storedAt: s.int({ min: 0 }),
});

/** The header bytes and tail to append after `header.size` bytes of data. */
export function encodeTrailer(header: StoredPieceHeader): Uint8Array {
  const body = encodeMessage(PieceFileHeaderSchema, header);
  const trailer = new Uint8Array(body.length + PIECE_FILE_TAIL_BYTES);
  trailer.set(body, 0);
  new DataView(trailer.buffer, trailer.byteOffset).setUint32(body.length, body.length);
  trailer.set(PIECE_FILE_MAGIC, body.length + 4);
  return trailer;
}

/**
 * Reads the last {@link PIECE_FILE_TAIL_BYTES} of a file of `fileSize` bytes: the header's
 * length and the data size, or `undefined` when the file is not a piece file.
 */
export function parseTail(tail: Uint8Array, fileSize: number): { headerLength: number; size: number } | undefined {
  if (tail.length !== PIECE_FILE_TAIL_BYTES || !equalBytes(tail.subarray(4), PIECE_FILE_MAGIC)) return undefined;
  const headerLength = new DataView(tail.buffer, tail.byteOffset).getUint32(0);
  const size = fileSize - PIECE_FILE_TAIL_BYTES - headerLength;
  if (headerLength > MAX_HEADER_BYTES || size < 0) return undefined;
  return { headerLength, size };
}

/** Decodes header bytes; `undefined` when they are not a valid header for `size` bytes of data. */
export function parseHeader(bytes: Uint8Array, size: number): StoredPieceHeader | undefined {
  try {
    const header = decodeMessage(PieceFileHeaderSchema, bytes, { maxBytes: MAX_HEADER_BYTES });
    return header.size === size ? header : undefined;
  } catch {
    return undefined;
  }
}
