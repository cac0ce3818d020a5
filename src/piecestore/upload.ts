/**
 * The node's side of `Piecestore.Upload`: verify the limit, burn its serial, write each chunk
 * (covered by an order, within `limitBytes`) before reading the next, check the uplink's signed
 * hash against the bytes, remember when the piece expires (if it does), commit the piece with its
 * proof, record the order, sign a receipt. Any failure aborts the write: no piece is left behind.
 */
import { equalBytes } from '../core/bytes.js';
import { AlreadyExistsError, InvalidArgumentError, ResourceExhaustedError } from '../core/errors.js';
import { PUT_ACTIONS } from '../orders/order-limit.js';
import type { Order } from '../orders/order.js';
import { signPieceHash, verifyPieceHashSignature, type PieceHash } from '../orders/piece-hash.js';
import type { OrderLimit } from '../orders/order-limit.js';
import type { ServerStream } from '../rpc/context.js';
import { releaseFrame } from '../transport/frame-pool.js';
import { createPieceHasher } from './hasher.js';
import { acceptOrder, burnSerial, checkOrderLimit } from './limit-checks.js';
import type { UploadRequest, UploadResponse } from './methods.js';
import type { ResolvedPiecestoreDeps } from './service.js';

export async function serveUpload(deps: ResolvedPiecestoreDeps, stream: ServerStream<UploadRequest, UploadResponse>): Promise<void> {
  const first = await stream.receive();
  if (first === undefined) throw new InvalidArgumentError('upload ended before its order limit');
  if (first.type !== 'limit') throw new InvalidArgumentError(`the first upload message must carry the order limit, got "${first.type}"`);
  const limit = first.limit;
  await checkOrderLimit(deps, limit, PUT_ACTIONS);
  // Checked before the serial burns; a racing upload of the same piece still loses at commit.
  if (await deps.pieces.has(limit.satelliteId, limit.pieceId)) throw new AlreadyExistsError('this node already stores that piece');
  if (deps.pieces.usedBytes() >= deps.capacityBytes) throw full();
  await burnSerial(deps.db, limit);

  const writer = await deps.pieces.create(limit.satelliteId, limit.pieceId);
  let committed = false;
  try {
    const hasher = createPieceHasher();
    let best: Order | undefined;
    for (;;) {
      const message = await stream.receive();
      if (message === undefined) throw new InvalidArgumentError('upload ended before the piece hash');
      if (message.type === 'limit') throw new InvalidArgumentError('order limit sent twice');
      if (message.type === 'chunk') {
        const total = writer.size + message.data.length;
        if (total > limit.limitBytes) throw new ResourceExhaustedError(`piece exceeds its order limit of ${limit.limitBytes} bytes`);
        if (deps.pieces.usedBytes() + total > deps.capacityBytes) throw full();
        if (message.order !== undefined) {
          const accepted = acceptOrder(limit, message.order, best);
          // Kept past this message: its bytes must not be views of the frame given back below.
          best = accepted === message.order ? ownOrder(accepted) : accepted;
        }
        if (total > (best?.amount ?? 0)) throw new InvalidArgumentError(`bytes up to ${total} are not covered by a signed order`);
        const data = message.data;
        hasher.update(data);
        // Once the store has the bytes in its file, the frame they arrived in (and every view
        // into it: nothing of this message is kept) serves a later frame.
        await writer.write(data, () => releaseFrame(data));
        continue;
      }
      const uplinkPieceHash = message.pieceHash;
      checkUplinkHash(limit, uplinkPieceHash, hasher.digest(), writer.size);
      // Everything is in: the client must now close its side (anything more is a violation).
      if ((await stream.receive()) !== undefined) throw new InvalidArgumentError('message after the piece hash');
      const now = deps.clock.now();
      // Before the commit: a row whose piece never arrives is later collected as missing, while a
      // piece committed without its row would hold disk forever.
      if (limit.pieceExpiration !== undefined) await deps.db.addPieceExpiration(limit.satelliteId, limit.pieceId, limit.pieceExpiration);
      await writer.commit({ orderLimit: limit, uplinkPieceHash, storedAt: now });
      committed = true;
      if (best !== undefined) await deps.db.addOrder(limit, best);
      const receipt = signPieceHash(deps.identity, {
        pieceId: limit.pieceId,
        hash: uplinkPieceHash.hash,
        pieceSize: uplinkPieceHash.pieceSize,
        timestamp: now,
      });
      await stream.send({ pieceHash: receipt });
      return;
    }
  } finally {
    if (!committed) await writer.abort();
  }
}

/** `order` with byte fields of its own (a big frame's decoded byte strings are views into it). */
function ownOrder(order: Order): Order {
  return { serialNumber: order.serialNumber.slice(), amount: order.amount, uplinkSignature: order.uplinkSignature.slice() };
}

function full(): ResourceExhaustedError {
  return new ResourceExhaustedError('this node has no free space for the piece');
}

function checkUplinkHash(limit: OrderLimit, pieceHash: PieceHash, digest: Uint8Array, size: number): void {
  if (!equalBytes(pieceHash.pieceId, limit.pieceId)) throw new InvalidArgumentError('"pieceHash.pieceId" does not match the order limit');
  if (!verifyPieceHashSignature(pieceHash, limit.piecePublicKey)) {
    throw new InvalidArgumentError('piece hash is not signed by the piece key of the order limit');
  }
  if (pieceHash.pieceSize !== size) throw new InvalidArgumentError(`"pieceHash.pieceSize" is ${pieceHash.pieceSize}, but ${size} bytes were sent`);
  if (!equalBytes(pieceHash.hash, digest)) throw new InvalidArgumentError('"pieceHash.hash" does not match the SHA-256 of the bytes sent');
}
