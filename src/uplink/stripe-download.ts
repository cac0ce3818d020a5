/**
 * Streaming a segment's stripes out of its pieces: `required + extra` piece downloads run at
 * once, and each run of stripes is decoded as soon as any `required` of them have it, so the
 * decoding overlaps the transfer. A failed download is replaced by the next node, from where
 * the decoding has got to; a slow one is hedged: when decoding has waited several times as
 * long as a run usually takes, one more node starts, and whichever `required` pieces get there
 * first win. So no bytes are fetched twice while nodes keep pace, and one slow node never holds
 * a segment back for long.
 */
import { abortReason } from '../core/abort.js';
import type { TimerHandle } from '../core/clock.js';
import { UnavailableError } from '../core/errors.js';
import { pieceSigner } from '../orders/piece-key.js';
import { downloadPiece } from '../piecestore/client.js';
import { DOWNLOAD_CHUNK_BYTES } from '../piecestore/methods.js';
import { releaseFrame } from '../transport/frame-pool.js';
import { AbortFanout, type UplinkContext } from './context.js';
import type { ErasureCoder } from './erasure/index.js';
import { PieceBuffer } from './piece-buffer.js';
import type { PieceLocation } from './piece-fetch.js';

/**
 * Piece bytes decoded at a time (per piece): what a node sends per message, so a run is a view
 * of one received chunk rather than a copy of several.
 */
const RUN_BYTES = DOWNLOAD_CHUNK_BYTES;
/**
 * A stall longer than this many typical runs starts a hedge download. Generous on purpose:
 * pieces of a segment read ahead queue behind the segment before it, and nodes that share a
 * busy machine drift apart by a few runs; a hedge then only adds traffic. It is for a node
 * that has stopped.
 */
const HEDGE_RUNS = 8;
/** Bounds of the hedge delay; the upper one also applies until the second run. */
const MIN_HEDGE_MS = 200;
const MAX_HEDGE_MS = 1000;

export interface StripeDownload {
  readonly coder: ErasureCoder;
  readonly locations: readonly PieceLocation[];
  readonly piecePrivateKey: Uint8Array;
  /** The byte range of every piece that holds the wanted stripes. */
  readonly pieceOffset: number;
  readonly pieceLength: number;
  readonly extra: number;
  readonly signal?: AbortSignal | undefined;
  readonly what: string;
  /**
   * Takes the decoded stripes in order; throwing (a block that does not authenticate) stops
   * everything. The array is reused for the next run once this returns: copy what must stay.
   */
  onStripes(stripes: Uint8Array): void;
}

interface ActivePiece {
  readonly buffer: PieceBuffer;
  readonly controller: AbortController;
}

/** Resolves once every stripe of the range went to `onStripes`. */
export function downloadStripes(ctx: UplinkContext, request: StripeDownload): Promise<void> {
  const { coder, pieceLength, signal } = request;
  const { required, shareSize } = coder.scheme;
  const { clock } = ctx.settings;
  const run = Math.max(shareSize, Math.floor(RUN_BYTES / shareSize) * shareSize);
  const queue = [...request.locations].sort((a, b) => a.pieceNumber - b.pieceNumber);
  const active = new Map<number, ActivePiece>();
  const failures: unknown[] = [];
  const pieceKey = pieceSigner(request.piecePrivateKey);
  const fanout = new AbortFanout(undefined);
  let decoded = 0;
  /** When the last run was decoded, and a moving average of the time between runs. */
  let lastRunAt = 0;
  let runGapMs = 0;
  let runs = 0;
  let hedges = 0;
  let hedgeTimer: TimerHandle | undefined;
  /** Every run decodes into this one buffer (no bigger than the range: a small read stays small). */
  const stripesOfRun = new Uint8Array((Math.min(run, pieceLength) / shareSize) * coder.stripeSize);
  let settled = false;

  return new Promise<void>((resolve, reject) => {
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      if (hedgeTimer !== undefined) clock.clearTimeout(hedgeTimer);
      signal?.removeEventListener('abort', onAbort);
      for (const piece of active.values()) piece.controller.abort();
      active.clear();
      fanout.dispose();
      if (error === undefined) resolve();
      else reject(error);
    };
    const onAbort = (): void => finish(abortReason(signal!));

    const advance = (): void => {
      try {
        while (!settled && decoded < pieceLength) {
          const end = Math.min(decoded + run, pieceLength);
          // Data pieces first: decoding from them is a copy, from parity a matrix product.
          const ready = [...active].filter(([, piece]) => piece.buffer.end >= end).sort((a, b) => a[0] - b[0]).slice(0, required);
          // Hedge only when pieces diverge: if none has the run yet, the whole set is waiting
          // (a segment read ahead queues behind the one before it) and one more node won't help.
          if (ready.length < required) return ready.length > 0 ? armHedge() : undefined;
          const stripes = coder.decodeStripes(
            ready.map(([number, piece]) => [number, piece.buffer.slice(decoded, end)] as const),
            { into: stripesOfRun },
          );
          decoded = end;
          const now = clock.now();
          if (runs > 0) runGapMs = runs === 1 ? now - lastRunAt : 0.8 * runGapMs + 0.2 * (now - lastRunAt);
          lastRunAt = now;
          runs++;
          if (hedgeTimer !== undefined) clock.clearTimeout(hedgeTimer);
          hedgeTimer = undefined;
          for (const piece of active.values()) piece.buffer.discardBefore(decoded);
          request.onStripes(stripes);
        }
        if (decoded === pieceLength) finish();
      } catch (err) {
        finish(err);
      }
    };

    const start = (location: PieceLocation): void => {
      const controller = fanout.child();
      // A chunk is a view into its received frame. Once decoding is past it nothing reads it
      // again (runs decode into `stripesOfRun`, never into views of the pieces), so its frame
      // goes back to the transport's pool for the next big frame instead of becoming garbage.
      const buffer = new PieceBuffer(decoded, releaseFrame);
      active.set(location.pieceNumber, { buffer, controller });
      const { limit, address } = location;
      const length = pieceLength - buffer.end;
      const client = ctx.nodes.get(address, limit.storageNodeId);
      // One order covers the whole range: the node never waits for payment while we decode.
      const chunks = downloadPiece(client, { limit, pieceKey, offset: request.pieceOffset + buffer.end, length, orderAheadBytes: length, signal: controller.signal });
      void (async () => {
        for await (const chunk of chunks) {
          if (settled) return;
          buffer.append(chunk);
          advance();
        }
      })().catch((err: unknown) => {
        if (settled) return;
        active.delete(location.pieceNumber);
        fanout.release(controller);
        failures.push(err);
        fill();
        advance();
      });
    };

    /** While decoding waits, starts one more node after a delay scaled to how long runs take. */
    const armHedge = (): void => {
      if (hedgeTimer !== undefined || queue.length === 0 || settled) return;
      const typical = runs < 2 ? MAX_HEDGE_MS : runGapMs;
      hedgeTimer = clock.setTimeout(() => {
        hedgeTimer = undefined;
        if (settled || queue.length === 0) return;
        hedges++;
        fill();
        armHedge();
      }, Math.min(MAX_HEDGE_MS, Math.max(MIN_HEDGE_MS, HEDGE_RUNS * typical)));
    };

    const fill = (): void => {
      while (!settled && active.size < required + request.extra + hedges && queue.length > 0) start(queue.shift()!);
      if (!settled && active.size < required) {
        const last = failures.at(-1);
        const reason = last instanceof Error ? `: ${last.message}` : '';
        finish(new UnavailableError(`${request.what}: only ${active.size} of the ${required} pieces needed could be fetched from ${request.locations.length} nodes${reason}`, last === undefined ? {} : { cause: last }));
      }
    };

    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    fill();
  });
}
