/**
 * Streaming a segment's stripes out of its pieces: `required + extra` piece downloads run at
 * once, and each run of stripes is decoded as soon as any `required` of them have it, so the
 * decoding overlaps the transfer and the slowest node never holds a segment back. A failed
 * download is replaced by the next node, from where the decoding has got to.
 */
import { abortReason } from '../core/abort.js';
import { UnavailableError } from '../core/errors.js';
import { pieceSigner } from '../orders/piece-key.js';
import { downloadPiece } from '../piecestore/client.js';
import { AbortFanout, type UplinkContext } from './context.js';
import type { ErasureCoder } from './erasure/index.js';
import { PieceBuffer } from './piece-buffer.js';
import type { PieceLocation } from './piece-fetch.js';

/** Piece bytes decoded at a time (per piece). */
const RUN_BYTES = 1024 * 1024;

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
  /** Takes the decoded stripes in order; throwing (a block that does not authenticate) stops everything. */
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
  const run = Math.max(shareSize, Math.floor(RUN_BYTES / shareSize) * shareSize);
  const queue = [...request.locations].sort((a, b) => a.pieceNumber - b.pieceNumber);
  const active = new Map<number, ActivePiece>();
  const failures: unknown[] = [];
  const pieceKey = pieceSigner(request.piecePrivateKey);
  const fanout = new AbortFanout(undefined);
  let decoded = 0;
  let settled = false;

  return new Promise<void>((resolve, reject) => {
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
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
          if (ready.length < required) return;
          const stripes = coder.decodeStripes(ready.map(([number, piece]) => [number, piece.buffer.slice(decoded, end)] as const));
          decoded = end;
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
      const buffer = new PieceBuffer(decoded);
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

    const fill = (): void => {
      while (!settled && active.size < required + request.extra && queue.length > 0) start(queue.shift()!);
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
