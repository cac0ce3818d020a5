/**
 * The uplink's side of the Piecestore RPCs: upload a piece (signing cumulative orders and the
 * piece hash with the segment's piece key) and check the node's receipt; download a range,
 * paying ahead as bytes arrive; delete under a satellite's DELETE limit.
 */
import { systemClock, type Clock } from '../core/clock.js';
import { equalBytes } from '../core/bytes.js';
import { DecodeError, FailedPreconditionError, UnauthenticatedError, UnavailableError, isHandoffError } from '../core/errors.js';
import type { Signer } from '../crypto/signing.js';
import type { OrderLimit } from '../orders/order-limit.js';
import { signOrder } from '../orders/order.js';
import { signPieceHash, verifyPieceHashSignature, type PieceHash } from '../orders/piece-hash.js';
import type { CallOptions, RpcClient } from '../rpc/client.js';
import type { ClientStream } from '../rpc/client-stream.js';
import { createPieceHasher, type PieceHasher } from './hasher.js';
import { MAX_UPLOAD_CHUNK_BYTES, PiecestoreDelete, PiecestoreDownload, PiecestoreUpload, type UploadRequest, type UploadResponse } from './methods.js';

/** Upload chunk size unless told otherwise. */
export const DEFAULT_UPLOAD_CHUNK_BYTES = 256 * 1024;
/** How far a download orders ahead of the bytes received, unless told otherwise. */
export const DEFAULT_ORDER_AHEAD_BYTES = 1024 * 1024;

export interface UploadPieceOptions extends CallOptions {
  /** The satellite's PUT (or PUT_REPAIR / PUT_GRACEFUL_EXIT) limit for this node and piece. */
  readonly limit: OrderLimit;
  /** Signs orders and the piece hash: the segment's piece private key. */
  readonly pieceKey: Signer;
  readonly data: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  /** Bytes per message, at most {@link MAX_UPLOAD_CHUNK_BYTES} (default 256 KiB). */
  readonly chunkSize?: number;
  /**
   * When the size is known (`data` is a `Uint8Array`), sign orders this far ahead of the bytes
   * sent, never past the piece's size (default 1 MiB): fewer signatures for the same cost. With
   * an iterable of unknown size every chunk carries an order for exactly the bytes sent so far.
   */
  readonly orderAheadBytes?: number;
  /**
   * Called with each chunk of a streamed `data` (as the source yielded it) once this client and
   * the transport are done with it: hashed, and sent with the transport holding no reference
   * (`Connection.released`). The caller may then reuse its memory. Never called for a chunk
   * when the upload fails or the transport cannot tell; such chunks are left to the collector.
   */
  readonly release?: (chunk: Uint8Array) => void;
  /** Timestamps the piece hash (default the system clock). */
  readonly clock?: Clock;
  /**
   * The SHA-256 of `data` (a `Uint8Array`) when the caller has just computed it — a graceful
   * exit checks the stored piece against its signed hash before sending it — so the upload does
   * not hash the same bytes again. A wrong one only gets the upload refused: the node hashes what
   * arrives.
   */
  readonly sha256?: Uint8Array;
}

/**
 * Uploads one piece and returns the node's signed piece hash, after checking it is signed by
 * the node the limit names and covers exactly the piece sent.
 *
 * @example
 * ```ts
 * const receipt = await uploadPiece(client, { limit, pieceKey: pieceSigner(privateKey), data: piece });
 * ```
 */
export async function uploadPiece(client: RpcClient, options: UploadPieceOptions): Promise<PieceHash> {
  const { limit, pieceKey } = options;
  const chunkSize = Math.min(options.chunkSize ?? DEFAULT_UPLOAD_CHUNK_BYTES, MAX_UPLOAD_CHUNK_BYTES);
  const stream = await client.stream(PiecestoreUpload, callOptions(options));
  // Listen from the start: a node that refuses mid-upload says why in this reply.
  const reply = stream.receive();
  reply.catch(() => undefined);
  const send = (message: UploadRequest) => sendOrExplain(stream, reply, message);

  let uplinkHash: PieceHash;
  try {
    await send({ type: 'limit', limit });
    const known = options.data instanceof Uint8Array ? options.sha256 : undefined;
    const hasher: PieceHasher = known === undefined ? createPieceHasher() : { update: () => undefined, digest: () => known };
    const knownSize = options.data instanceof Uint8Array ? options.data.length : undefined;
    const ahead = knownSize === undefined ? 0 : Math.max(0, options.orderAheadBytes ?? DEFAULT_ORDER_AHEAD_BYTES);
    let size = 0;
    let ordered = 0;
    const release = options.data instanceof Uint8Array ? undefined : options.release;
    for await (const [chunk, whole] of rechunk(options.data, chunkSize)) {
      size += chunk.length;
      hasher.update(chunk);
      if (size <= ordered) {
        await send({ type: 'chunk', data: chunk });
      } else {
        ordered = Math.max(size, Math.min(size + ahead, knownSize ?? size, limit.limitBytes));
        await send({ type: 'chunk', data: chunk, order: signOrder(pieceKey, limit.serialNumber, ordered) });
      }
      // The source's chunk is hashed and its last slice sent: give it back once the transport
      // is done with it. Not awaited — the next chunk goes out meanwhile.
      if (release !== undefined && whole !== undefined) stream.released()?.then(() => release(whole), () => undefined);
    }
    const timestamp = (options.clock ?? systemClock).now();
    uplinkHash = signPieceHash(pieceKey, { pieceId: limit.pieceId, hash: hasher.digest(), pieceSize: size, timestamp });
    await send({ type: 'done', pieceHash: uplinkHash });
    await stream.closeSend();
  } catch (err) {
    stream.cancel();
    throw err;
  }
  const response = await reply;
  if (response === undefined) throw new UnavailableError('node ended the upload without a receipt');
  if ((await stream.receive()) !== undefined) throw new DecodeError('node sent more than one upload receipt');
  const receipt = response.pieceHash;
  const matches = equalBytes(receipt.pieceId, limit.pieceId) && equalBytes(receipt.hash, uplinkHash.hash) && receipt.pieceSize === uplinkHash.pieceSize;
  if (!matches) throw new UnauthenticatedError('node receipt does not describe the piece that was uploaded');
  if (!verifyPieceHashSignature(receipt, limit.storageNodeId)) throw new UnauthenticatedError('node receipt is not signed by the node of the order limit');
  return receipt;
}

export interface DownloadPieceOptions extends CallOptions {
  /** The satellite's GET, GET_AUDIT or GET_REPAIR limit for this node and piece. */
  readonly limit: OrderLimit;
  readonly pieceKey: Signer;
  readonly offset: number;
  readonly length: number;
  /** Order this many bytes ahead of what has arrived (default 1 MiB). */
  readonly orderAheadBytes?: number;
  /**
   * Ask the node for the piece's stored proof (`includeHash`) and hand it here before any byte.
   * Checking it is the caller's job (the node could send anything).
   */
  readonly onProof?: (proof: PieceProof) => void;
}

/** What a node stored beside a piece: the uplink-signed hash and the limit it was uploaded under. */
export interface PieceProof {
  readonly pieceHash: PieceHash;
  readonly originalLimit: OrderLimit;
}

/**
 * Streams `length` bytes of a piece from `offset`. Breaking out of the loop cancels the download.
 *
 * @example
 * ```ts
 * for await (const chunk of downloadPiece(client, { limit, pieceKey, offset: 0, length: size })) sink.write(chunk);
 * ```
 */
export async function* downloadPiece(client: RpcClient, options: DownloadPieceOptions): AsyncIterable<Uint8Array> {
  const { limit, pieceKey, offset, length } = options;
  const ahead = Math.max(1, options.orderAheadBytes ?? DEFAULT_ORDER_AHEAD_BYTES);
  const stream = await client.stream(PiecestoreDownload, callOptions(options));
  let finished = false;
  try {
    await stream.send({ type: 'request', limit, offset, length, ...(options.onProof ? { includeHash: true } : {}) });
    let ordered = 0;
    const orderUpTo = async (amount: number): Promise<void> => {
      ordered = Math.min(length, amount);
      await stream.send({ type: 'order', order: signOrder(pieceKey, limit.serialNumber, ordered) });
    };
    // The first order goes out before the proof comes back: no round trip is spent waiting for it.
    if (length > 0) await orderUpTo(ahead);
    else await stream.closeSend();
    if (options.onProof) {
      const first = await stream.receive();
      if (first === undefined) throw new UnavailableError('node ended the download before sending the piece hash');
      // A node that predates `includeHash` sends data at once: it cannot prove what it holds.
      if (first.pieceHash === undefined || first.originalLimit === undefined || first.data.length > 0) {
        throw new FailedPreconditionError('node did not send the piece hash it was asked for');
      }
      options.onProof({ pieceHash: first.pieceHash, originalLimit: first.originalLimit });
    }
    let received = 0;
    while (received < length) {
      const message = await stream.receive();
      if (message === undefined) throw new UnavailableError(`node ended the download after ${received} of ${length} bytes`);
      received += message.data.length;
      if (received > length) throw new DecodeError(`node sent more than the ${length} bytes asked for`);
      if (received === length) await stream.closeSend();
      else if (ordered < length && ordered - received < ahead / 2) await orderUpTo(received + ahead);
      yield message.data;
    }
    if ((await stream.receive()) !== undefined) throw new DecodeError(`node sent more than the ${length} bytes asked for`);
    finished = true;
  } finally {
    if (!finished) stream.cancel();
  }
}

/**
 * A whole range of a piece in one array, with the proof the node stored beside it (see
 * {@link DownloadPieceOptions.onProof}); unchecked.
 *
 * @example
 * ```ts
 * const { data, proof } = await downloadPieceWithProof(client, { limit, pieceKey, offset: 0, length: pieceSize });
 * if (!verifyPiece(data, proof.pieceHash.hash)) reportCorrupt();
 * ```
 */
export async function downloadPieceWithProof(client: RpcClient, options: Omit<DownloadPieceOptions, 'onProof'>): Promise<{ data: Uint8Array; proof: PieceProof }> {
  let proof: PieceProof | undefined;
  const data = new Uint8Array(options.length);
  let at = 0;
  for await (const chunk of downloadPiece(client, { ...options, onProof: (p) => (proof = p) })) {
    data.set(chunk, at);
    at += chunk.length;
  }
  if (proof === undefined || at !== options.length) throw new UnavailableError(`node ended the download after ${at} of ${options.length} bytes`);
  return { data, proof };
}

/**
 * Deletes a piece under a satellite-signed DELETE limit; false when the node did not have it.
 *
 * @example
 * ```ts
 * await deletePiece(client, deleteLimit);
 * ```
 */
export async function deletePiece(client: RpcClient, limit: OrderLimit, options: CallOptions = {}): Promise<boolean> {
  const { deleted } = await client.call(PiecestoreDelete, { limit }, callOptions(options));
  return deleted;
}

function callOptions(options: CallOptions): CallOptions {
  const out: CallOptions = {};
  if (options.signal !== undefined) out.signal = options.signal;
  if (options.timeoutMs !== undefined) out.timeoutMs = options.timeoutMs;
  return out;
}

/**
 * Sends one message; when that fails because the node already ended the stream, throws the
 * node's own (typed) reason instead of "stream is closed".
 */
async function sendOrExplain(
  stream: ClientStream<UploadRequest, UploadResponse>,
  reply: Promise<UploadResponse | undefined>,
  message: UploadRequest,
): Promise<void> {
  try {
    await stream.send(message);
  } catch (err) {
    // A message refused by our own schema check never left: the node has nothing to say about it.
    if (isHandoffError(err, 'InvalidArgument')) throw err;
    const reason = await reply.then(() => undefined, (e: unknown) => e);
    throw reason ?? err;
  }
}

/**
 * Re-cuts any byte source into chunks of at most `size` bytes (views, never copies), each with
 * the source's chunk beside its last slice (a source chunk that is empty is passed over).
 */
async function* rechunk(data: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>, size: number): AsyncIterable<[Uint8Array, Uint8Array | undefined]> {
  if (data instanceof Uint8Array) {
    for (let at = 0; at < data.length; at += size) yield [data.subarray(at, at + size), undefined];
    return;
  }
  for await (const part of data) {
    for (let at = 0; at < part.length; at += size) yield [part.subarray(at, at + size), at + size >= part.length ? part : undefined];
  }
}
