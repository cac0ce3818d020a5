/**
 * The storage node's `Piecestore` service over injected ports: a piece store, the node's
 * database (serials, orders to settle), a trust decision and a clock. `registerPiecestore` puts
 * its three methods on any `RpcServer`, so it runs unchanged over memory, TCP or WebSocket.
 */
import { systemClock, type Clock } from '../core/clock.js';
import type { Signer } from '../crypto/signing.js';
import type { OrderLimit } from '../orders/order-limit.js';
import type { Order } from '../orders/order.js';
import type { ServerStream } from '../rpc/context.js';
import type { RpcServer } from '../rpc/server.js';
import { serveDownload } from './download.js';
import { burnSerial, checkOrderLimit, type SerialLedger } from './limit-checks.js';
import { PiecestoreDelete, PiecestoreDownload, PiecestoreUpload } from './methods.js';
import type { PieceStore } from './store.js';
import { serveUpload } from './upload.js';

/** What the service needs of the node database (`NodeDatabase` provides it). */
export interface PiecestoreDatabase extends SerialLedger {
  /** Keeps `order` for settlement when it is the largest for its serial. */
  addOrder(limit: OrderLimit, order: Order): void | Promise<void>;
}

export interface PiecestoreDeps {
  /** The node's identity: its public key is the node id limits must name; it signs receipts. */
  readonly identity: Signer & { readonly publicKey: Uint8Array };
  readonly pieces: PieceStore;
  readonly db: PiecestoreDatabase;
  /** Whether this node serves the satellite with this id. */
  trusted(satelliteId: Uint8Array): boolean | Promise<boolean>;
  readonly clock?: Clock;
  /** Bytes a download may run ahead of the uplink's orders (default {@link DEFAULT_DOWNLOAD_GRACE_BYTES}). */
  readonly downloadGraceBytes?: number;
  /** Piece bytes this node may hold in all (default unlimited); uploads beyond it are `ResourceExhausted`. */
  readonly capacityBytes?: number;
}

/** One download chunk: enough that an uplink ordering as bytes arrive never stalls the node. */
export const DEFAULT_DOWNLOAD_GRACE_BYTES = 256 * 1024;

/** @internal Deps with defaults filled in, as the handlers use them. */
export interface ResolvedPiecestoreDeps {
  readonly identity: Signer & { readonly publicKey: Uint8Array };
  readonly nodeId: Uint8Array;
  readonly pieces: PieceStore;
  readonly db: PiecestoreDatabase;
  trusted(satelliteId: Uint8Array): boolean | Promise<boolean>;
  readonly clock: Clock;
  readonly downloadGraceBytes: number;
  readonly capacityBytes: number;
}

/**
 * Registers `Piecestore.Upload`, `Piecestore.Download` and `Piecestore.Delete` on `server`.
 *
 * @example
 * ```ts
 * const server = new RpcServer({ identity });
 * registerPiecestore(server, {
 *   identity,
 *   pieces: await FsPieceStore.open({ root: '/var/lib/node/pieces' }),
 *   db,                                  // a NodeDatabase
 *   trusted: (satelliteId) => db.isTrusted(satelliteId),
 * });
 * await server.listen(tcpTransport(), '0.0.0.0:7777');
 * ```
 */
export function registerPiecestore(server: RpcServer, deps: PiecestoreDeps): void {
  const resolved: ResolvedPiecestoreDeps = {
    identity: deps.identity,
    nodeId: deps.identity.publicKey,
    pieces: deps.pieces,
    db: deps.db,
    trusted: (satelliteId) => deps.trusted(satelliteId),
    clock: deps.clock ?? systemClock,
    downloadGraceBytes: deps.downloadGraceBytes ?? DEFAULT_DOWNLOAD_GRACE_BYTES,
    capacityBytes: deps.capacityBytes ?? Infinity,
  };
  server.stream(PiecestoreUpload, (stream, ctx) => drainOnFailure(stream, ctx.signal, () => serveUpload(resolved, stream)));
  server.stream(PiecestoreDownload, (stream, ctx) => drainOnFailure(stream, ctx.signal, () => serveDownload(resolved, stream, ctx.signal)));
  server.unary(PiecestoreDelete, async ({ limit }) => {
    await checkOrderLimit(resolved, limit, ['DELETE']);
    await burnSerial(resolved.db, limit);
    return { deleted: await resolved.pieces.delete(limit.satelliteId, limit.pieceId) };
  });
}

/**
 * Runs a stream handler; when it fails, keeps reading (and dropping) the client's messages in
 * the background until the client closes. A client still sending chunks when the node refuses
 * must not be blocked by a full inbox, or it would never read the node's error.
 */
async function drainOnFailure(stream: ServerStream<unknown, unknown>, signal: AbortSignal, serve: () => Promise<void>): Promise<void> {
  try {
    await serve();
  } catch (err) {
    void (async () => {
      while (!signal.aborted) {
        try {
          if ((await stream.receive()) === undefined) return;
        } catch {
          // A malformed message is dropped like any other; an aborted call ends the loop.
        }
      }
    })();
    throw err;
  }
}
