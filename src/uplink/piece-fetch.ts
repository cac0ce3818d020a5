/**
 * Fetching the same byte range of several pieces of a segment: start `wanted + extra` downloads,
 * keep the first `wanted` that finish, cancel the rest; a node that fails or lies is replaced by
 * the next one. Data pieces (numbers below `required`) are asked first, because decoding from
 * them is a copy rather than a matrix inversion.
 */
import { abortReason } from '../core/abort.js';
import { UnavailableError } from '../core/errors.js';
import type { OrderLimit } from '../orders/order-limit.js';
import { pieceSigner } from '../orders/piece-key.js';
import { downloadPiece } from '../piecestore/client.js';
import { AbortFanout, type UplinkContext } from './context.js';

/** Where one piece can be fetched: the satellite's GET limit for its node. */
export interface PieceLocation {
  readonly pieceNumber: number;
  readonly limit: OrderLimit;
  readonly address: string;
}

export interface PieceFetchOptions {
  /** The same range of every piece. */
  readonly offset: number;
  readonly length: number;
  /** Stop once this many pieces have arrived. */
  readonly wanted: number;
  /** When fewer than `wanted` can be had, settle for this many (default `wanted`). */
  readonly minimum?: number;
  /** Downloads kept running beyond `wanted`, to outrun slow nodes. */
  readonly extra: number;
  /** Signs the download orders: the private half of the limits' piece key. */
  readonly piecePrivateKey: Uint8Array;
  readonly signal?: AbortSignal | undefined;
  /** Describes the segment in errors. */
  readonly what: string;
}

/** Downloads `length` bytes of one piece from `offset`, into one array. */
async function fetchPiece(ctx: UplinkContext, location: PieceLocation, options: PieceFetchOptions, signal: AbortSignal): Promise<Uint8Array> {
  const { limit, address } = location;
  const out = new Uint8Array(options.length);
  let at = 0;
  const client = ctx.nodes.get(address, limit.storageNodeId);
  for await (const chunk of downloadPiece(client, { limit, pieceKey: pieceSigner(options.piecePrivateKey), offset: options.offset, length: options.length, orderAheadBytes: options.length, signal })) {
    out.set(chunk, at);
    at += chunk.length;
  }
  if (at !== options.length) throw new UnavailableError(`piece ${location.pieceNumber} ended after ${at} of ${options.length} bytes`);
  return out;
}

/**
 * The range of `wanted` pieces (or at least `minimum` when no more can be had), by piece number.
 *
 * @throws UnavailableError when fewer than `wanted` of `locations` could be fetched.
 */
export function fetchPieces(ctx: UplinkContext, locations: readonly PieceLocation[], options: PieceFetchOptions): Promise<Map<number, Uint8Array>> {
  const queue = [...locations].sort((a, b) => a.pieceNumber - b.pieceNumber);
  const got = new Map<number, Uint8Array>();
  const active = new Map<number, { abort(): void }>();
  const failures: unknown[] = [];
  const { signal } = options;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fanout = new AbortFanout(undefined);
    const finish = (error?: unknown): void => {
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      for (const download of active.values()) download.abort();
      active.clear();
      fanout.dispose();
      if (error === undefined) resolve(got);
      else reject(error);
    };
    const onAbort = (): void => finish(abortReason(signal!));
    const next = (): void => {
      if (settled) return;
      if (got.size >= options.wanted) return finish();
      while (active.size + got.size < options.wanted + options.extra && queue.length > 0) start(queue.shift()!);
      if (queue.length === 0 && active.size === 0) {
        if (got.size >= (options.minimum ?? options.wanted)) return finish();
        const last = failures.at(-1);
        const reason = last instanceof Error ? `: ${last.message}` : '';
        finish(new UnavailableError(`${options.what}: only ${got.size} of the ${options.wanted} pieces needed could be fetched from ${locations.length} nodes${reason}`, last === undefined ? {} : { cause: last }));
      }
    };
    const start = (location: PieceLocation): void => {
      const controller = fanout.child();
      const dispose = (): void => fanout.release(controller);
      active.set(location.pieceNumber, { abort: () => controller.abort() });
      fetchPiece(ctx, location, options, controller.signal).then(
        (bytes) => {
          dispose();
          if (settled) return;
          active.delete(location.pieceNumber);
          got.set(location.pieceNumber, bytes);
          next();
        },
        (err: unknown) => {
          dispose();
          if (settled) return;
          active.delete(location.pieceNumber);
          failures.push(err);
          next();
        },
      );
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    next();
  });
}
