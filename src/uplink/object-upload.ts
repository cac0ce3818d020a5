/**
 * Uploading an object with the combined calls of seed 003: an object that fits inline costs one
 * round trip (CommitInlineObject); one of N segments costs N+1 (StartStreamAndStartSegment,
 * CommitSegmentAndStartSegment for each next segment, CommitSegmentAndCommitStream with the
 * encrypted metadata). A small last segment is stored inline. A failed or cancelled upload aborts
 * its pending stream, so nothing half-written is ever committed.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { RedundancyScheme } from '../metainfo/metabase/types.js';
import * as M from '../metainfo/methods.js';
import type { InlineSegment, ObjectInfo as WireObjectInfo, SegmentCommit } from '../metainfo/schemas.js';
import { ByteReader, type UploadData } from './byte-source.js';
import { failureOf, type ObjectLocation, type UplinkContext } from './context.js';
import { CIPHER_SUITE, encryptedSizeFor, encryptMetadata, type EncryptedMetadata } from './encryption/index.js';
import { inlinePlainLimit, sealInline } from './inline.js';
import { objectInfoFrom, type ObjectInfo } from './object-info.js';
import type { UploadOptions } from './options.js';
import { ProgressTracker } from './progress.js';
import { SegmentUpload } from './segment-upload.js';

/** The satellite's default limit on encrypted metadata, checked before any byte is uploaded. */
const MAX_ENCRYPTED_METADATA = 2 * 1024;

/** Metadata as stored: contentType, custom pairs and (when known) the plaintext size. */
export function metadataFor(location: ObjectLocation, options: { contentType?: string | undefined; metadata?: Readonly<Record<string, string>> | undefined }, plainSize?: number): EncryptedMetadata {
  const encrypted = encryptMetadata(location.contentKey, {
    ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
    ...(plainSize === undefined ? {} : { plainSize }),
    ...(options.metadata === undefined ? {} : { custom: options.metadata }),
  });
  if (encrypted.encryptedMetadata.length > MAX_ENCRYPTED_METADATA) {
    throw new InvalidArgumentError(`"metadata" is ${encrypted.encryptedMetadata.length} bytes encrypted, over the satellite's limit of ${MAX_ENCRYPTED_METADATA}`);
  }
  return encrypted;
}

export function expiresAtOf(expires: Date | undefined): { expiresAt?: number } {
  if (expires === undefined) return {};
  const at = expires.getTime();
  if (!Number.isFinite(at)) throw new InvalidArgumentError('"expires" is not a valid date');
  return { expiresAt: at };
}

function sizeOf(data: UploadData, declared: number | undefined): number | undefined {
  return data instanceof Uint8Array ? data.length : declared;
}

/** See {@link Uplink.upload}. */
export async function uploadObject(ctx: UplinkContext, bucket: string, key: string, data: UploadData, options: UploadOptions = {}): Promise<ObjectInfo> {
  const { signal } = options;
  const { segmentSize, blockSize, maxInlineSize } = ctx.settings;
  const location = await ctx.locate(bucket, key);
  // Fails early on metadata the satellite would refuse only at the very end.
  metadataFor(location, options, Number.MAX_SAFE_INTEGER);
  const expiry = expiresAtOf(options.expires);
  const encryption = { cipherSuite: CIPHER_SUITE, blockSize };
  const inlineLimit = inlinePlainLimit(maxInlineSize, blockSize);
  const progress = new ProgressTracker(options.onProgress, sizeOf(data, options.size));
  const reader = new ByteReader(data, signal);
  const base = { header: ctx.header, bucket, encryptedKey: location.encryptedKey, ...expiry, encryption };
  const fitsInline = async (): Promise<boolean> => {
    await reader.fill(inlineLimit + 1);
    return reader.ended && reader.buffered <= inlineLimit;
  };
  const inlineAt = (index: number): InlineSegment => sealInline(location.contentKey, reader.takeAll(), { part: 0, index }, blockSize);
  const finished = (object: WireObjectInfo): ObjectInfo => {
    progress.finish(reader.consumed);
    return objectInfoFrom(object, key, location.contentKey);
  };

  let streamUploadId: Uint8Array | undefined;
  const inFlight = new Set<SegmentUpload>();
  const segmentOptions = { wrappingKey: location.contentKey, signal, onPlaintext: (bytes: number) => progress.add(bytes) };
  const begin = (scheme: RedundancyScheme, index: number): SegmentUpload => {
    const upload = new SegmentUpload(ctx, scheme, { part: 0, index }, reader.segment(segmentSize), segmentOptions);
    inFlight.add(upload);
    return upload;
  };
  try {
    if (await fitsInline()) {
      const inline = inlineAt(0);
      const { object } = await ctx.call(M.CommitInlineObject, { ...base, inline, metadata: metadataFor(location, options, inline.plainSize) }, signal);
      return finished(object);
    }
    const maxEncryptedSegmentSize = encryptedSizeFor(segmentSize, blockSize);
    const start = await ctx.call(M.StartStreamAndStartSegment, { ...base, position: { part: 0, index: 0 }, maxEncryptedSegmentSize }, signal);
    streamUploadId = start.streamUploadId;
    const streamCall = { header: ctx.header, streamUploadId };
    const scheme = start.segment.redundancy;
    let upload = begin(scheme, 0);
    let sending = upload.send(start.segment);
    for (let index = 1; ; index++) {
      sending.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
      await upload.encoded;
      if (reader.exhausted || (await fitsInline())) {
        const commit = await sending;
        inFlight.delete(upload);
        let last: { commit: SegmentCommit } | { inline: InlineSegment } = { commit };
        if (!reader.exhausted) {
          // The combined commit takes either a remote or an inline last segment, not both.
          await ctx.call(M.CommitSegment, { ...streamCall, commit }, signal);
          last = { inline: inlineAt(index) };
        }
        const metadata = metadataFor(location, options, reader.consumed);
        const { object } = await ctx.call(M.CommitSegmentAndCommitStream, { ...streamCall, ...last, metadata }, signal);
        return finished(object);
      }
      // Encode the next segment while this one's last receipts and its commit are on their way.
      const next = begin(scheme, index);
      const commit = await sending;
      inFlight.delete(upload);
      const { segment } = await ctx.call(M.CommitSegmentAndStartSegment, { ...streamCall, commit, position: { part: 0, index }, maxEncryptedSegmentSize }, signal);
      upload = next;
      sending = upload.send(segment);
    }
  } catch (err) {
    for (const upload of inFlight) upload.abort();
    await reader.close().catch(() => undefined);
    if (streamUploadId !== undefined) await abortStream(ctx, streamUploadId);
    throw failureOf(err, signal);
  }
}

/**
 * Best effort: deletes a pending stream (and lets the satellite reclaim its pieces). If the
 * satellite cannot be reached, its cleanup chore deletes the stream once its deadline passes.
 */
export async function abortStream(ctx: UplinkContext, streamUploadId: Uint8Array): Promise<void> {
  await ctx.satellite.call(M.AbortObject, { header: ctx.header, streamUploadId }, { timeoutMs: 10_000 }).catch(() => undefined);
}
