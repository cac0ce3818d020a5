/**
 * The `Piecestore` RPCs a storage node serves, declared once for server and client.
 *
 * Upload (stream), client → node:
 * 1. `{ type: 'limit', limit }` — the satellite-signed order limit (a PUT action);
 * 2. `{ type: 'chunk', data, order? }` — piece bytes, in order; every byte must be covered by the
 *    largest uplink-signed cumulative order received so far (usually one rides on each chunk);
 * 3. `{ type: 'done', pieceHash }` — the uplink-signed hash of the whole piece; then close.
 *
 * The node answers `{ pieceHash }`, the same piece id, hash and size signed with its own
 * identity — the receipt a satellite accepts as proof the piece is stored — and ends the stream.
 *
 * Download (stream), client → node: `{ type: 'request', limit, offset, length }`, then
 * `{ type: 'order', order }` as bytes arrive; node → client: `{ data }` chunks of at most
 * {@link DOWNLOAD_CHUNK_BYTES}. The node sends only bytes covered by orders plus a grace window,
 * so an uplink that orders ahead never stalls. The client closes its side once it has `length`
 * bytes; the node then ends the stream. With `includeHash` on the request, the first response
 * carries no data but the piece's proof as stored — `pieceHash` (the uplink-signed hash) and
 * `originalLimit` (the satellite's limit it was uploaded under) — so a repairer can check the
 * bytes against a signature the node cannot forge. A node that predates the field ignores it.
 *
 * Delete (unary): `{ limit }` with a DELETE action → `{ deleted }`.
 */
import { s, type Infer } from '../codec/index.js';
import { OrderLimitSchema } from '../orders/order-limit.js';
import { OrderSchema } from '../orders/order.js';
import { PieceHashSchema } from '../orders/piece-hash.js';
import { streamMethod, unaryMethod } from '../rpc/method.js';

/** Largest piece data in one upload message. */
export const MAX_UPLOAD_CHUNK_BYTES = 1024 * 1024;
/** Largest piece data in one download message. */
export const DOWNLOAD_CHUNK_BYTES = 256 * 1024;

export const UploadRequest = s.variant('type', {
  limit: s.object({ limit: OrderLimitSchema }),
  chunk: s.object({ data: s.bytes({ max: MAX_UPLOAD_CHUNK_BYTES }), order: s.optional(OrderSchema) }),
  done: s.object({ pieceHash: PieceHashSchema }),
});
export type UploadRequest = Infer<typeof UploadRequest>;

export const UploadResponse = s.object({
  /** The node's own signature over the piece's id, hash and size. */
  pieceHash: PieceHashSchema,
});
export type UploadResponse = Infer<typeof UploadResponse>;

export const DownloadRequest = s.variant('type', {
  request: s.object({ limit: OrderLimitSchema, offset: s.int({ min: 0 }), length: s.int({ min: 0 }), includeHash: s.optional(s.bool()) }),
  order: s.object({ order: OrderSchema }),
});
export type DownloadRequest = Infer<typeof DownloadRequest>;

export const DownloadResponse = s.object({
  data: s.bytes({ max: DOWNLOAD_CHUNK_BYTES }),
  /** Only in the first response, when the request asked `includeHash`: the uplink-signed piece hash. */
  pieceHash: s.optional(PieceHashSchema),
  /** Only beside `pieceHash`: the order limit the piece was uploaded under. */
  originalLimit: s.optional(OrderLimitSchema),
});
export type DownloadResponse = Infer<typeof DownloadResponse>;

export const DeleteRequest = s.object({ limit: OrderLimitSchema });
export type DeleteRequest = Infer<typeof DeleteRequest>;

export const DeleteResponse = s.object({
  /** False when the node held no such piece (deleting is idempotent). */
  deleted: s.bool(),
});
export type DeleteResponse = Infer<typeof DeleteResponse>;

/** The `Piecestore.Upload` stream: an order limit, then chunks and orders, answered with the node's signed hash. */
export const PiecestoreUpload = streamMethod('Piecestore.Upload', UploadRequest, UploadResponse);
/** The `Piecestore.Download` stream: an order limit and orders, answered with chunks. */
export const PiecestoreDownload = streamMethod('Piecestore.Download', DownloadRequest, DownloadResponse);
/** The `Piecestore.Delete` method: a satellite-signed limit to delete one piece. */
export const PiecestoreDelete = unaryMethod('Piecestore.Delete', DeleteRequest, DeleteResponse);
