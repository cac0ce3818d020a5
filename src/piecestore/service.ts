/**
 * The storage node's `Piecestore` service over injected ports: a piece store, the node's
 * database (serials, orders to settle), a trust decision and a clock. `registerPiecestore` puts
 * its three methods on any `RpcServer`, so it runs unchanged over memory, TCP or WebSocket.
 */
import { systemClock, type Clock } from '../core/clock.js';
import type { Signer } from '../crypto/signing.js';
import type { OrderLimit } from '../orders/order-limit.js';
import type { Order } from '../orders/order.js';
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
  /** Remembers that a piece may be deleted after `expiresAt` (the node's collector does it). */
  addPieceExpiration(satelliteId: Uint8Array, pieceId: Uint8Array, expiresAt: number): void | Promise<void>;
}

/** What the Piecestore service needs: the node's identity, piece store, database and clock. */
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
  // A client still sending when the node refuses is not a problem here: once a handler returns,
  // the RPC layer drops the rest of that client's messages, so it always gets to read the error.
  server.stream(PiecestoreUpload, (stream) => serveUpload(resolved, stream));
  server.stream(PiecestoreDownload, (stream, ctx) => serveDownload(resolved, stream, ctx.signal));
  server.unary(PiecestoreDelete, async ({ limit }) => {
    await checkOrderLimit(resolved, limit, ['DELETE']);
    await burnSerial(resolved.db, limit);
    return { deleted: await resolved.pieces.delete(limit.satelliteId, limit.pieceId) };
  });
}

