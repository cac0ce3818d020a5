/**
 * The node's side of `Piecestore.Download`: verify the limit and range, burn the serial, then
 * stream the range while a second loop reads the uplink's orders. A chunk goes out only when the
 * best order plus a grace window covers it, so an uplink that orders ahead never waits and one
 * that stops paying stops receiving. The best order is recorded for settlement even when the
 * stream ends early: those bytes were served.
 */
import { InvalidArgumentError, ResourceExhaustedError } from '../core/errors.js';
import { GET_ACTIONS, type OrderLimit } from '../orders/order-limit.js';
import type { Order } from '../orders/order.js';
import type { ServerStream } from '../rpc/context.js';
import { acceptOrder, burnSerial, checkOrderLimit } from './limit-checks.js';
import { DOWNLOAD_CHUNK_BYTES, type DownloadRequest, type DownloadResponse } from './methods.js';
import type { ResolvedPiecestoreDeps } from './service.js';
import { checkRange } from './store.js';

export async function serveDownload(
  deps: ResolvedPiecestoreDeps,
  stream: ServerStream<DownloadRequest, DownloadResponse>,
  signal: AbortSignal,
): Promise<void> {
  const first = await stream.receive();
  if (first === undefined) throw new InvalidArgumentError('download ended before its request');
  if (first.type !== 'request') throw new InvalidArgumentError(`the first download message must be the request, got "${first.type}"`);
  const { limit, offset, length, includeHash } = first;
  await checkOrderLimit(deps, limit, GET_ACTIONS);
  if (length > limit.limitBytes) throw new ResourceExhaustedError(`"length" ${length} exceeds the order limit of ${limit.limitBytes} bytes`);
  const header = await deps.pieces.header(limit.satelliteId, limit.pieceId);
  checkRange({ offset, length }, header.size);
  await burnSerial(deps.db, limit);

  const window = new OrderWindow(limit, deps.downloadGraceBytes);
  const reading = readOrders(stream, window);
  // Its failure also reaches the sender through the window; this only keeps it from going unhandled.
  reading.catch(() => undefined);
  let finished = false;
  try {
    // The proof first, before any byte: it costs no bandwidth and the reader checks bytes against it.
    if (includeHash === true) await stream.send({ data: new Uint8Array(0), pieceHash: header.uplinkPieceHash, originalLimit: header.orderLimit });
    let sent = 0;
    const chunks = deps.pieces.read(limit.satelliteId, limit.pieceId, { offset, length }, { chunkSize: DOWNLOAD_CHUNK_BYTES, signal });
    for await (const data of chunks) {
      // A client that closed its side without paying for more wants no more.
      if (!(await window.covers(sent + data.length))) break;
      await stream.send({ data });
      sent += data.length;
    }
    await reading;
    finished = true;
  } finally {
    // Served bytes are owed even if the stream failed; a failure to record must not hide the first error.
    const best = window.best;
    if (best !== undefined) {
      const recorded = Promise.resolve(deps.db.addOrder(limit, best));
      if (finished) await recorded;
      else await recorded.catch(() => undefined);
    }
  }
}

/** Reads orders until the client closes its side; a bad message fails the window. */
async function readOrders(stream: ServerStream<DownloadRequest, DownloadResponse>, window: OrderWindow): Promise<void> {
  try {
    for (;;) {
      const message = await stream.receive();
      if (message === undefined) break;
      if (message.type !== 'order') throw new InvalidArgumentError('download request sent twice');
      window.accept(message.order);
    }
    window.close();
  } catch (err) {
    window.fail(err instanceof Error ? err : new InvalidArgumentError(String(err)));
    throw err;
  }
}

/** The best order so far, and senders waiting for it to grow. */
class OrderWindow {
  best: Order | undefined;
  #failure: Error | undefined;
  #closed = false;
  #wake: (() => void) | undefined;

  constructor(
    private readonly limit: OrderLimit,
    private readonly graceBytes: number,
  ) {}

  accept(order: Order): void {
    this.best = acceptOrder(this.limit, order, this.best);
    this.#notify();
  }

  close(): void {
    this.#closed = true;
    this.#notify();
  }

  fail(error: Error): void {
    this.#failure ??= error;
    this.#notify();
  }

  /**
   * Resolves true once orders (plus the grace window) cover `total` bytes, false when the client
   * closed without covering them; rejects when reading orders failed.
   */
  async covers(total: number): Promise<boolean> {
    for (;;) {
      if (this.#failure) throw this.#failure;
      if (total <= (this.best?.amount ?? 0) + this.graceBytes) return true;
      if (this.#closed) return false;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
