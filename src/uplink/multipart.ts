/**
 * Multipart uploads: begin a stream, upload numbered parts in any order and in parallel (each
 * part is cut into segments at positions `{part, index}`), then commit — the satellite orders
 * the segments by (part, index) — or abort.
 */
import { InvalidArgumentError } from '../core/errors.js';
import * as M from '../metainfo/methods.js';
import { MAX_PART_NUMBER } from '../metainfo/schemas.js';
import { ByteReader, type UploadData } from './byte-source.js';
import { explainNotFound, failureOf, type UplinkContext } from './context.js';
import { CIPHER_SUITE, encryptedSizeFor } from './encryption/index.js';
import { inlinePlainLimit, sealInline } from './inline.js';
import { objectInfoFrom, type ObjectInfo } from './object-info.js';
import { expiresAtOf, metadataFor } from './object-upload.js';
import type { LongCallOptions } from './options.js';
import { ProgressTracker } from './progress.js';
import { uploadSegment } from './segment-upload.js';

/**
 * A multipart upload in progress. Plain data: it can be kept (say, as JSON with the id in
 * base64) and used by another uplink of the same project and root key to add parts or commit.
 */
export interface MultipartUpload {
  readonly bucket: string;
  readonly key: string;
  /** The satellite's stream upload id (opaque, MAC'd). */
  readonly uploadId: Uint8Array;
  readonly streamId: Uint8Array;
}

/** A stored part. */
export interface PartInfo {
  readonly partNumber: number;
  /** Plaintext bytes. */
  readonly size: number;
  readonly segmentCount: number;
}

/** Options of `beginMultipartUpload`. */
export interface BeginMultipartOptions {
  readonly expires?: Date;
  readonly signal?: AbortSignal;
}

/** Options of `commitMultipartUpload`: the object's metadata, stored encrypted. */
export interface CommitMultipartOptions {
  readonly metadata?: Readonly<Record<string, string>>;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

export async function beginMultipart(ctx: UplinkContext, bucket: string, key: string, options: BeginMultipartOptions = {}): Promise<MultipartUpload> {
  const location = await ctx.locate(bucket, key);
  const { streamUploadId, streamId } = await ctx.call(
    M.BeginObject,
    { header: ctx.header, bucket, encryptedKey: location.encryptedKey, ...expiresAtOf(options.expires), encryption: { cipherSuite: CIPHER_SUITE, blockSize: ctx.settings.blockSize } },
    options.signal,
  );
  return { bucket, key, uploadId: streamUploadId, streamId };
}

/**
 * Uploads part `partNumber` (1–10,000) of `upload`. Parts may be uploaded in any order and at
 * the same time; every part but the last may have any size here (the satellite decides what it
 * accepts). A part that fails leaves its committed segments behind: abort the upload.
 */
export async function uploadPart(ctx: UplinkContext, upload: MultipartUpload, partNumber: number, data: UploadData, options: LongCallOptions = {}): Promise<PartInfo> {
  if (!Number.isSafeInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw new InvalidArgumentError(`"partNumber" expected an integer from 1 to ${MAX_PART_NUMBER}, got ${String(partNumber)}`);
  }
  const { signal } = options;
  const { segmentSize, blockSize, maxInlineSize } = ctx.settings;
  const location = await ctx.locate(upload.bucket, upload.key);
  const inlineLimit = inlinePlainLimit(maxInlineSize, blockSize);
  const progress = new ProgressTracker(options.onProgress, data instanceof Uint8Array ? data.length : undefined);
  const reader = new ByteReader(data, signal);
  const streamCall = { header: ctx.header, streamUploadId: upload.uploadId };
  let index = 0;
  try {
    for (;; index++) {
      await reader.fill(inlineLimit + 1);
      if (reader.exhausted && index > 0) break;
      const position = { part: partNumber, index };
      if (reader.ended && reader.buffered <= inlineLimit) {
        const inline = sealInline(location.contentKey, reader.takeAll(), position, blockSize);
        await ctx.call(M.MakeInlineSegment, { ...streamCall, inline }, signal);
        index++;
        break;
      }
      const { segment } = await ctx.call(M.BeginSegment, { ...streamCall, position, maxEncryptedSegmentSize: encryptedSizeFor(segmentSize, blockSize) }, signal);
      const commit = await uploadSegment(ctx, segment, reader.segment(segmentSize), { wrappingKey: location.contentKey, signal, onPlaintext: (n) => progress.add(n) });
      await ctx.call(M.CommitSegment, { ...streamCall, commit }, signal);
    }
  } catch (err) {
    await reader.close().catch(() => undefined);
    throw failureOf(err, signal);
  }
  progress.finish(reader.consumed);
  return { partNumber, size: reader.consumed, segmentCount: index };
}

export async function commitMultipart(ctx: UplinkContext, upload: MultipartUpload, options: CommitMultipartOptions = {}): Promise<ObjectInfo> {
  const location = await ctx.locate(upload.bucket, upload.key);
  try {
    const { object } = await ctx.call(M.CommitObject, { header: ctx.header, streamUploadId: upload.uploadId, metadata: metadataFor(location, options) }, options.signal);
    return objectInfoFrom(object, upload.key, location.contentKey);
  } catch (err) {
    return explainNotFound(err, upload.bucket, upload.key, undefined);
  }
}

export async function abortMultipart(ctx: UplinkContext, upload: MultipartUpload, options: { signal?: AbortSignal } = {}): Promise<void> {
  await ctx.call(M.AbortObject, { header: ctx.header, streamUploadId: upload.uploadId }, options.signal);
}
