/**
 * Downloading an object or a byte range of it. One call (DownloadObject) returns the object, its
 * first page of segments and the first segment's GET limits; limits for later segments come in
 * batches (DownloadSegments), fetched while the previous segment downloads. Only the segments
 * that overlap the range are read, and of each only the stripes covering its blocks.
 */
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../core/errors.js';
import type { SegmentPosition } from '../metainfo/metabase/types.js';
import * as M from '../metainfo/methods.js';
import type { SegmentDownloadInfo } from '../metainfo/schemas.js';
import { childController, failureOf, type UplinkContext } from './context.js';
import { CIPHER_SUITE } from './encryption/index.js';
import { objectInfoFrom, type ObjectInfo } from './object-info.js';
import type { DownloadOptions } from './options.js';
import { ProgressTracker } from './progress.js';
import { downloadSegmentRange } from './segment-download.js';

/** Segments listed per DownloadSegments page, and limits asked for per batch. */
const SEGMENT_PAGE = 100;
const LIMIT_BATCH = 8;

/**
 * An object being downloaded: its decrypted info, the range, and the plaintext as an async
 * iterable of chunks (one per segment) — iterate it once, or turn it into a web stream.
 *
 * @example
 * ```ts
 * const download = await uplink.downloadStream('photos', 'beach.jpg');
 * for await (const chunk of download) sink.write(chunk);
 * // or: await download.readable().pipeTo(Writable.toWeb(file));
 * ```
 */
export interface ObjectDownload extends AsyncIterable<Uint8Array> {
  readonly info: ObjectInfo;
  /** First plaintext byte delivered. */
  readonly offset: number;
  /** Bytes delivered in all. */
  readonly length: number;
  /** The same bytes as a web `ReadableStream` (cancelling it cancels the download). */
  readable(): ReadableStream<Uint8Array>;
}

const key = (p: SegmentPosition): string => `${p.part}.${p.index}`;

/** The object's segments in order, and GET limits for them on demand. */
class SegmentPlan {
  readonly #limits = new Map<string, SegmentDownloadInfo>();

  constructor(
    private readonly ctx: UplinkContext,
    private readonly ref: { bucket: string; encryptedKey: Uint8Array; streamId: Uint8Array },
    private readonly first: { segments: SegmentDownloadInfo[]; moreSegments: boolean },
  ) {}

  async *segments(signal: AbortSignal | undefined): AsyncGenerator<{ info: SegmentDownloadInfo; previous: SegmentPosition | undefined }> {
    let { segments: page, moreSegments: more } = this.first;
    let previous: SegmentPosition | undefined;
    for (;;) {
      for (const info of page) {
        yield { info, previous };
        previous = info.position;
      }
      if (!more || page.length === 0) return;
      ({ segments: page, moreSegments: more } = await this.#page(previous, SEGMENT_PAGE, false, signal));
    }
  }

  /** `info` with GET limits (those of a batch starting at it, when it has none yet). */
  async withLimits(info: SegmentDownloadInfo, previous: SegmentPosition | undefined, signal: AbortSignal | undefined): Promise<SegmentDownloadInfo> {
    if (info.inlineData !== undefined || info.limits !== undefined) return info;
    if (!this.#limits.has(key(info.position))) {
      const { segments } = await this.#page(previous, LIMIT_BATCH, true, signal);
      for (const segment of segments) this.#limits.set(key(segment.position), segment);
    }
    const found = this.#limits.get(key(info.position));
    this.#limits.delete(key(info.position));
    if (!found) throw new NotFoundError(`segment ${key(info.position)} is gone: the object was deleted or changed during the download`);
    return found;
  }

  /** Fresh limits for the segment after `previous` (the first segment when undefined). */
  async refresh(previous: SegmentPosition | undefined, signal: AbortSignal | undefined): Promise<SegmentDownloadInfo> {
    const { segments } = await this.#page(previous, 1, true, signal);
    if (!segments[0]) throw new NotFoundError('the object was deleted during the download');
    return segments[0];
  }

  #page(after: SegmentPosition | undefined, limit: number, withLimits: boolean, signal: AbortSignal | undefined) {
    const { bucket, encryptedKey, streamId } = this.ref;
    return this.ctx.call(M.DownloadSegments, { header: this.ctx.header, bucket, encryptedKey, streamId, ...(after === undefined ? {} : { after }), limit, withLimits }, signal);
  }
}

function rangeOf(size: number, options: DownloadOptions): { offset: number; length: number } {
  const offset = options.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > size) throw new InvalidArgumentError(`"offset" expected an integer from 0 to the object's size ${size}, got ${String(offset)}`);
  const length = options.length ?? size - offset;
  if (!Number.isSafeInteger(length) || length < 0) throw new InvalidArgumentError(`"length" expected a non-negative integer, got ${String(length)}`);
  // Like an HTTP range, a length past the end reads to the end.
  return { offset, length: Math.min(length, size - offset) };
}

/**
 * See {@link Uplink.downloadStream}. With `target`, segments are decrypted straight into the
 * array it returns for the range's length, and the chunks yielded are views of it.
 */
export async function openDownload(ctx: UplinkContext, bucket: string, objectKey: string, options: DownloadOptions = {}, target?: (length: number) => Uint8Array): Promise<ObjectDownload> {
  const { signal } = options;
  const location = await ctx.locate(bucket, objectKey);
  const request = { header: ctx.header, bucket, encryptedKey: location.encryptedKey, ...(options.version === undefined ? {} : { version: options.version }) };
  const first = await ctx.call(M.DownloadObject, request, signal).catch(ctx.missingObject(bucket, objectKey, options.version, signal));
  const { object } = first;
  if (object.encryption.cipherSuite !== CIPHER_SUITE) {
    throw new FailedPreconditionError(`object is encrypted with "${object.encryption.cipherSuite}"; this uplink reads "${CIPHER_SUITE}"`);
  }
  const info = objectInfoFrom(object, objectKey, location.contentKey);
  const { offset, length } = rangeOf(info.size, options);
  const plan = new SegmentPlan(ctx, { bucket, encryptedKey: location.encryptedKey, streamId: object.streamId }, first);
  const blockSize = object.encryption.blockSize;
  const ahead = ctx.settings.downloadAhead;
  let iterated = false;

  async function* chunks(): AsyncGenerator<Uint8Array, void, undefined> {
    if (iterated) throw new FailedPreconditionError('a download can be read only once');
    iterated = true;
    const progress = new ProgressTracker(options.onProgress, length);
    const into = target?.(length);
    const { controller, dispose } = childController(signal);
    const inflight: Array<Promise<Uint8Array>> = [];
    const end = offset + length;
    try {
      for await (const { info: segment, previous } of plan.segments(controller.signal)) {
        const start = segment.plainOffset;
        if (segment.plainSize === 0 || start + segment.plainSize <= offset) continue;
        if (start >= end) break;
        const from = Math.max(offset, start) - start;
        const to = Math.min(end, start + segment.plainSize) - start;
        const full = await plan.withLimits(segment, previous, controller.signal);
        const job = downloadSegmentRange(ctx, {
          segment: full,
          offset: from,
          length: to - from,
          wrappingKey: location.contentKey,
          blockSize,
          refreshLimits: () => plan.refresh(previous, controller.signal),
          signal: controller.signal,
          into: into?.subarray(start + from - offset, start + to - offset),
        });
        job.catch(() => undefined); // awaited below; this only covers a download abandoned early
        inflight.push(job);
        while (inflight.length > ahead) yield deliver(await inflight.shift()!, progress);
      }
      while (inflight.length > 0) yield deliver(await inflight.shift()!, progress);
      if (progress.done !== length) throw new NotFoundError(`the object changed during the download: got ${progress.done} of ${length} bytes`);
    } catch (err) {
      throw failureOf(err, signal);
    } finally {
      controller.abort();
      dispose();
    }
  }

  return {
    info,
    offset,
    length,
    [Symbol.asyncIterator]: () => chunks(),
    readable: () => toReadableStream(chunks()),
  };
}

function deliver(bytes: Uint8Array, progress: ProgressTracker): Uint8Array {
  progress.add(bytes.length);
  return bytes;
}

function toReadableStream(source: AsyncGenerator<Uint8Array, void, undefined>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await source.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await source.return(undefined);
    },
  });
}

/** See {@link Uplink.download}: the whole range in one array. */
export async function downloadObject(ctx: UplinkContext, bucket: string, objectKey: string, options: DownloadOptions = {}): Promise<Uint8Array> {
  let out = new Uint8Array(0);
  const download = await openDownload(ctx, bucket, objectKey, options, (length) => (out = new Uint8Array(length)));
  for await (const chunk of download) void chunk; // each chunk is already in place in `out`
  return out;
}
