/**
 * One remote segment: encrypt it block by block under a fresh content key, erasure-code it as
 * it is read, and stream the pieces to every addressed node at once. The segment is done as soon
 * as `success` nodes have signed receipts; the slow rest is cancelled (the long tail).
 *
 * Encoding can begin before the satellite has said where the pieces go: the next segment is
 * encoded (into a bounded buffer) while the previous one's last receipts and its commit are
 * still on their way, then {@link SegmentUpload.send} attaches the nodes.
 */
import { raceAbort, throwIfAborted } from '../core/abort.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { CanceledError, FailedPreconditionError, UnavailableError } from '../core/errors.js';
import type { RedundancyScheme, SegmentPosition } from '../metainfo/metabase/types.js';
import type { SegmentCommit, SegmentUploadInfo } from '../metainfo/schemas.js';
import type { PieceHash } from '../orders/piece-hash.js';
import { pieceSigner } from '../orders/piece-key.js';
import { uploadPiece } from '../piecestore/client.js';
import { AbortFanout, childController, failureOf, type UplinkContext } from './context.js';
import { newContentKey, SegmentSealer, wrapKey, type WrappedKey } from './encryption/index.js';
import { FeedSignal, PieceFeed } from './piece-feed.js';

/** Bytes of each piece per encoded batch (one upload message, and one signed order, each). */
const PIECE_CHUNK_BYTES = 1024 * 1024;
/** A piece whose queue is longer than this does not count as keeping up. */
const FEED_HIGH_WATER = 2 * PIECE_CHUNK_BYTES;
/** How far ahead (per piece) a segment is encoded before its nodes are known. */
const PRE_ENCODE_BYTES = 8 * PIECE_CHUNK_BYTES;
/**
 * Once `success` pieces are stored, uploads that have sent their whole piece and only wait for
 * the node's receipt get this share of the segment's time (at most {@link MAX_RECEIPT_GRACE_MS})
 * before they are cancelled: a stored data piece saves every later download a reconstruction.
 */
const RECEIPT_GRACE_SHARE = 0.25;
const MAX_RECEIPT_GRACE_MS = 250;
/** Plaintext enters the encryption at most this much at a time. */
const PLAINTEXT_SLICE_BYTES = 256 * 1024;

export interface SegmentUploadOptions {
  /** The object's path content key: wraps this segment's content key. */
  readonly wrappingKey: Uint8Array;
  readonly signal?: AbortSignal | undefined;
  /** Told about plaintext bytes as they enter the encryption. */
  readonly onPlaintext?: ((bytes: number) => void) | undefined;
}

type Outcome = { ok: true; piece: SegmentCommit['pieces'][number] } | { ok: false; error: unknown };

interface PieceUpload {
  readonly feed: PieceFeed;
  readonly outcome: Promise<Outcome>;
  settled: boolean;
  cancel(): void;
}

interface Encoded {
  readonly wrapped: WrappedKey;
  readonly plainSize: number;
  readonly encryptedSize: number;
}

/** A segment being encoded, and then sent. */
export class SegmentUpload {
  readonly #ctx: UplinkContext;
  readonly #scheme: RedundancyScheme;
  readonly #position: SegmentPosition;
  readonly #options: SegmentUploadOptions;
  readonly #controller: AbortController;
  readonly #dispose: () => void;
  readonly #changed = new FeedSignal();
  readonly #feeds: PieceFeed[];
  readonly #encoded: Promise<Encoded>;
  readonly #started: number;
  #uploads: PieceUpload[] | undefined;
  readonly #giveBack = (chunk: Uint8Array): void => void this.#ctx.pieceChunks.give(chunk);

  /** Starts encrypting and encoding `plaintext` for a stream whose scheme is `scheme`. */
  constructor(ctx: UplinkContext, scheme: RedundancyScheme, position: SegmentPosition, plaintext: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: SegmentUploadOptions) {
    this.#ctx = ctx;
    this.#scheme = scheme;
    this.#position = position;
    this.#options = options;
    this.#started = ctx.settings.clock.now();
    ({ controller: this.#controller, dispose: this.#dispose } = childController(options.signal));
    this.#feeds = Array.from({ length: scheme.total }, () => new PieceFeed(this.#changed));
    this.#encoded = this.#encode(plaintext);
    this.#encoded.catch(() => undefined); // reported by send(); nobody may ever send an abandoned segment
  }

  get #where(): string {
    return `segment ${this.#position.part}.${this.#position.index}`;
  }

  /** Settles once the segment's plaintext has been read and encoded (or encoding failed). */
  get encoded(): Promise<void> {
    return this.#encoded.then(() => undefined, () => undefined);
  }

  /**
   * Sends the pieces to the nodes of `info` and returns what commits the segment.
   *
   * @throws UnavailableError when fewer than `success` nodes stored their piece; CanceledError.
   */
  async send(info: SegmentUploadInfo): Promise<SegmentCommit> {
    const scheme = this.#scheme;
    const fanout = new AbortFanout(this.#controller.signal);
    try {
      throwIfAborted(this.#options.signal);
      const same = info.redundancy.required === scheme.required && info.redundancy.total === scheme.total && info.redundancy.shareSize === scheme.shareSize;
      if (!same || info.position.part !== this.#position.part || info.position.index !== this.#position.index) {
        throw new FailedPreconditionError(`${this.#where}: the satellite began another segment or scheme than the one encoded`);
      }
      if (info.addressedLimits.length < scheme.success) {
        throw new UnavailableError(`${this.#where}: the satellite offered ${info.addressedLimits.length} nodes, ${scheme.success} are needed`);
      }
      const pieceKey = pieceSigner(info.piecePrivateKey);
      const addressed = new Set(info.addressedLimits.map((l) => l.pieceNumber));
      this.#feeds.forEach((feed, number) => addressed.has(number) || feed.drop());
      this.#uploads = info.addressedLimits.map(({ limit, address, pieceNumber }) => {
        const feed = this.#feeds[pieceNumber]!;
        const own = fanout.child();
        const upload: PieceUpload = {
          feed,
          settled: false,
          cancel: () => own.abort(new CanceledError('enough pieces are stored')),
          outcome: uploadPiece(this.#ctx.nodes.get(address, limit.storageNodeId), { limit, pieceKey, data: feed, signal: own.signal, chunkSize: PIECE_CHUNK_BYTES, release: this.#giveBack })
            .then(
              (hash: PieceHash): Outcome => ({ ok: true, piece: { pieceNumber, nodeId: limit.storageNodeId, hash } }),
              (error: unknown): Outcome => {
                feed.drop();
                return { ok: false, error };
              },
            )
            .finally(() => {
              upload.settled = true;
              fanout.release(own);
              this.#changed.notify();
            }),
        };
        return upload;
      });
      this.#changed.notify();

      const encoded = await this.#encoded;
      const stored = await enoughPieces(this.#where, this.#uploads, scheme.success, this.#controller.signal);
      const { clock } = this.#ctx.settings;
      await receiptGrace(this.#uploads, Math.min(MAX_RECEIPT_GRACE_MS, (clock.now() - this.#started) * RECEIPT_GRACE_SHARE), clock, this.#controller.signal);
      return {
        segmentUploadId: info.segmentUploadId,
        encryptedKey: encoded.wrapped.encryptedKey,
        encryptedKeyNonce: encoded.wrapped.encryptedKeyNonce,
        plainSize: encoded.plainSize,
        encryptedSize: encoded.encryptedSize,
        pieces: [...stored],
      };
    } catch (err) {
      this.abort();
      throw failureOf(err, this.#options.signal);
    } finally {
      // Whatever has not finished by now is the long tail (or the upload failed): stop it.
      for (const upload of this.#uploads ?? []) if (!upload.settled) upload.cancel();
      fanout.dispose();
      this.#dispose();
    }
  }

  /** Stops encoding and every upload of this segment. */
  abort(): void {
    this.#controller.abort(new CanceledError('segment upload stopped'));
    for (const feed of this.#feeds) feed.drop();
    this.#dispose();
  }

  async #encode(plaintext: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Encoded> {
    const { blockSize } = this.#ctx.settings;
    const coder = this.#ctx.coder(this.#scheme);
    // A fresh key for every attempt: block nonces are counters, so a key must never seal twice.
    const contentKey = newContentKey();
    const wrapped = wrapKey(this.#options.wrappingKey, contentKey);
    const sealer = new SegmentSealer(contentKey, { blockSize, position: this.#position });
    contentKey.fill(0);
    let plainSize = 0;
    let encryptedSize = 0;
    const onPlaintext = this.#options.onPlaintext;
    async function* sealed(): AsyncGenerator<Uint8Array, void, undefined> {
      for await (const chunk of plaintext) {
        // Cut big inputs (a whole Uint8Array segment) so memory and progress move in small steps.
        for (let at = 0; at < chunk.length; at += PLAINTEXT_SLICE_BYTES) {
          const slice = chunk.subarray(at, at + PLAINTEXT_SLICE_BYTES);
          plainSize += slice.length;
          onPlaintext?.(slice.length);
          // Ciphertext and tags apart: the encoder copies them into the pieces anyway.
          for (const part of sealer.pushParts(slice)) {
            encryptedSize += part.length;
            yield part;
          }
        }
      }
      for (const part of sealer.finishParts()) {
        encryptedSize += part.length;
        yield part;
      }
    }
    const chunkStripes = Math.max(1, Math.floor(PIECE_CHUNK_BYTES / this.#scheme.shareSize));
    // Chunks are lent by the context's pool: each goes to one piece feed, and that piece's
    // upload gives it back once the transport is done with it (see `uploadPiece`'s `release`).
    const pool = this.#ctx.pieceChunks;
    for await (const batch of coder.encodeStream(sealed(), { chunkStripes, signal: this.#controller.signal, pool })) {
      this.#feeds.forEach((feed, number) => feed.push(batch[number]!));
      await this.#keepingUp();
    }
    for (const feed of this.#feeds) feed.end();
    return { wrapped, plainSize, encryptedSize };
  }

  /** Waits until `success` pieces keep up (or, before the nodes are known, until the pre-encoding budget has room). */
  async #keepingUp(): Promise<void> {
    const { success } = this.#scheme;
    for (;;) {
      throwIfAborted(this.#controller.signal);
      const alive = this.#feeds.filter((f) => f.alive);
      if (alive.length < success) throw await tooFew(this.#where, this.#uploads ?? [], success);
      const limit = this.#uploads === undefined ? PRE_ENCODE_BYTES : FEED_HIGH_WATER;
      if (alive.filter((f) => f.backlog <= limit).length >= success) return;
      await raceAbort(this.#changed.changed(), this.#controller.signal);
    }
  }
}

/** Uploads one segment whose nodes are known: encode and send at once. */
export function uploadSegment(ctx: UplinkContext, info: SegmentUploadInfo, plaintext: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: SegmentUploadOptions): Promise<SegmentCommit> {
  return new SegmentUpload(ctx, info.redundancy, info.position, plaintext, options).send(info);
}

/** Waits up to `ms` for the uploads that have sent everything to get their receipts. */
async function receiptGrace(uploads: readonly PieceUpload[], ms: number, clock: Clock, signal: AbortSignal): Promise<void> {
  const finishing = uploads.filter((u) => !u.settled && u.feed.drained);
  if (finishing.length === 0 || ms <= 0) return;
  let timer: TimerHandle | undefined;
  try {
    const elapsed = new Promise<void>((resolve) => (timer = clock.setTimeout(resolve, ms)));
    await raceAbort(Promise.race([Promise.all(finishing.map((u) => u.outcome)), elapsed]), signal);
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer);
  }
}

/** Resolves with the receipts once `success` pieces are stored; later receipts are still added to the array. */
function enoughPieces(where: string, uploads: readonly PieceUpload[], success: number, signal: AbortSignal): Promise<SegmentCommit['pieces']> {
  const stored: SegmentCommit['pieces'] = [];
  let failed = 0;
  return raceAbort(
    new Promise((resolve, reject) => {
      for (const upload of uploads) {
        void upload.outcome.then((outcome) => {
          if (outcome.ok) stored.push(outcome.piece);
          else failed++;
          if (stored.length >= success) resolve(stored);
          else if (uploads.length - failed < success) reject(tooFewNow(where, uploads.length, stored.length, success, outcome.ok ? undefined : outcome.error));
        });
      }
    }),
    signal,
  );
}

async function tooFew(where: string, uploads: readonly PieceUpload[], success: number): Promise<UnavailableError> {
  const failure = uploads.find((u) => !u.feed.alive);
  const outcome = failure ? await failure.outcome : undefined;
  const alive = uploads.filter((u) => u.feed.alive).length;
  return tooFewNow(where, uploads.length, alive, success, outcome && !outcome.ok ? outcome.error : undefined, 'can still take a piece');
}

function tooFewNow(where: string, offered: number, count: number, success: number, cause: unknown, verb = 'stored their piece'): UnavailableError {
  const reason = cause instanceof Error ? ` (last failure: ${cause.message})` : '';
  return new UnavailableError(`${where}: only ${count} of ${offered} nodes ${verb}; ${success} are needed${reason}`, cause === undefined ? {} : { cause });
}
