/**
 * Child process for the crash test: stores one complete piece, then starts writing a large one
 * and keeps writing until the parent SIGKILLs it. Usage: `node --import tsx write-until-killed.ts <root>`.
 * Prints `committed <hex>` and then `writing <hex>` (after the first chunk hit the temp file).
 */
import { toHex } from '../../../src/core/bytes.js';
import { getCryptoProvider } from '../../../src/crypto/select.js';
import { Identity } from '../../../src/crypto/identity.js';
import { signOrderLimit } from '../../../src/orders/order-limit.js';
import { signPieceHash } from '../../../src/orders/piece-hash.js';
import { FsPieceStore } from '../../../src/piecestore/fs-store.js';

const root = process.argv[2];
if (!root) throw new Error('usage: write-until-killed.ts <root>');
const satellite = Identity.fromPrivateKey(new Uint8Array(32).fill(7));
const pieces = await FsPieceStore.open({ root });
const random = (n: number) => getCryptoProvider().randomBytes(n);

const kept = random(32);
const data = new Uint8Array(100_000).fill(42);
const pieceKey = Identity.generate();
const writer = await pieces.create(satellite.publicKey, kept);
await writer.write(data);
await writer.commit({
  orderLimit: signOrderLimit(satellite, {
    serialNumber: random(16), satelliteId: satellite.publicKey, storageNodeId: random(32), pieceId: kept, action: 'PUT',
    limitBytes: data.length, orderExpiration: Date.now() + 60_000, piecePublicKey: pieceKey.publicKey, createdAt: Date.now(),
  }),
  uplinkPieceHash: signPieceHash(pieceKey, { pieceId: kept, hash: getCryptoProvider().sha256(data), pieceSize: data.length, timestamp: Date.now() }),
  storedAt: Date.now(),
});
process.stdout.write(`committed ${toHex(kept)}\n`);

const doomed = random(32);
const big = await pieces.create(satellite.publicKey, doomed);
const chunk = new Uint8Array(64 * 1024).fill(9);
await big.write(chunk);
process.stdout.write(`writing ${toHex(doomed)}\n`);
// Keep the piece open and growing (bounded, in case the parent never kills us).
for (let i = 0; i < 4096; i++) {
  await big.write(chunk);
  await new Promise((r) => setTimeout(r, 1));
}
await new Promise((r) => setTimeout(r, 30_000));
