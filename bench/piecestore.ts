/**
 * Piece upload to one storage node over TCP (1 MiB pieces, filesystem store with fsync, the
 * node's SQLite database on disk) against a baseline measured in the same run: a raw TCP stream
 * of the same bytes plus the durable writes of the same pieces (temp file + fsync + rename +
 * directory fsync), timed separately and added. Goal: ≥ 0.5.
 */
import net from 'node:net';
import { mkdir, mkdtemp, open, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { toHex } from '../src/core/bytes.js';
import { Identity } from '../src/crypto/index.js';
import { getCryptoProvider } from '../src/crypto/select.js';
import { NodeDatabase } from '../src/node/db/index.js';
import { signOrderLimit } from '../src/orders/order-limit.js';
import { generatePieceKey, pieceSigner } from '../src/orders/piece-key.js';
import { uploadPiece } from '../src/piecestore/client.js';
import { FsPieceStore } from '../src/piecestore/fs-store.js';
import { registerPiecestore } from '../src/piecestore/service.js';
import { RpcClient, RpcServer, tcpTransport } from '../src/transport/index.js';
import { fmt, mbps, type BenchSection } from './lib.js';

const PIECE = 1024 * 1024;
const PIECES = 200;
const WARM_UP = 10;
const ROUNDS = 3;
const random = (n: number) => getCryptoProvider().randomBytes(n);

/** ms to push PIECES × PIECE bytes through a raw loopback socket, until the receiver has them all. */
async function rawTcp(data: Uint8Array): Promise<number> {
  const total = PIECES * PIECE;
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.on('data', (chunk) => {
      received += chunk.length;
      if (received >= total) done();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const socket = await new Promise<net.Socket>((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => resolve(s));
  });
  const start = performance.now();
  for (let i = 0; i < PIECES; i++) {
    if (!socket.write(data)) await new Promise((r) => socket.once('drain', r));
  }
  await finished;
  const ms = performance.now() - start;
  socket.destroy();
  await new Promise((r) => server.close(r));
  return ms;
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** ms to write PIECES pieces durably the way the store does, without any protocol. */
async function durableWrites(root: string, data: Uint8Array): Promise<number> {
  const tmp = join(root, 'tmp');
  await mkdir(tmp, { recursive: true });
  const satellite = toHex(random(32));
  const start = performance.now();
  for (let i = 0; i < PIECES; i++) {
    const piece = toHex(random(32));
    const tmpPath = join(tmp, `${piece}.part`);
    const handle = await open(tmpPath, 'wx');
    await handle.write(data);
    await handle.sync();
    await handle.close();
    const dir = join(root, satellite, piece.slice(0, 2));
    if ((await mkdir(dir, { recursive: true })) !== undefined) {
      await syncDir(join(root, satellite));
      await syncDir(root);
    }
    await rename(tmpPath, join(dir, piece));
    await syncDir(dir);
  }
  return performance.now() - start;
}

/** ms to upload PIECES pieces to a node over TCP, one after another. */
async function pieceUploads(root: string, data: Uint8Array): Promise<number> {
  const node = Identity.generate();
  const satellite = Identity.generate();
  await mkdir(root, { recursive: true });
  const db = await NodeDatabase.open({ path: join(root, 'node.db') });
  db.trustSatellite({ id: satellite.publicKey, address: 'satellite', addedAt: Date.now() });
  const pieces = await FsPieceStore.open({ root: join(root, 'pieces') });
  const server = new RpcServer({ identity: node });
  registerPiecestore(server, { identity: node, pieces, db, trusted: (id) => db.isTrusted(id) });
  const listener = await server.listen(tcpTransport(), '127.0.0.1:0');
  const client = new RpcClient({ transport: tcpTransport(), address: listener.address });
  // The satellite's work (piece keys, signed limits) and the uplink's key import happen before
  // the clock starts: this measures the upload, not limit issuance.
  const prepare = () => {
    const key = generatePieceKey();
    const limit = signOrderLimit(satellite, {
      serialNumber: random(16), satelliteId: satellite.publicKey, storageNodeId: node.publicKey, pieceId: random(32),
      action: 'PUT', limitBytes: PIECE, orderExpiration: Date.now() + 3_600_000, piecePublicKey: key.publicKey, createdAt: Date.now(),
    });
    return { limit, pieceKey: pieceSigner(key.privateKey) };
  };
  const warmUp = Array.from({ length: WARM_UP }, prepare);
  const uploads = Array.from({ length: PIECES }, prepare);
  try {
    for (const upload of warmUp) await uploadPiece(client, { ...upload, data });
    const start = performance.now();
    for (const upload of uploads) await uploadPiece(client, { ...upload, data });
    return performance.now() - start;
  } finally {
    await client.close();
    await server.close();
    db.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function benchPiecestore(): Promise<BenchSection> {
  const root = await mkdtemp(join(tmpdir(), 'handoff-bench-piecestore-'));
  try {
    const data = random(PIECE);
    await rawTcp(data); // warm-up
    // Three interleaved rounds, medians compared: one run on a shared machine is too noisy.
    const tcpRuns: number[] = [];
    const writeRuns: number[] = [];
    const uploadRuns: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      tcpRuns.push(await rawTcp(data));
      writeRuns.push(await durableWrites(join(root, `baseline-${round}`), data));
      uploadRuns.push(await pieceUploads(join(root, `node-${round}`), data));
    }
    const tcpMs = median(tcpRuns);
    const writeMs = median(writeRuns);
    const uploadMs = median(uploadRuns);
    const bytes = PIECES * PIECE;
    const baselineMs = tcpMs + writeMs;
    return {
      title: 'Piece storage (issue 3)',
      rows: [
        {
          name: `piece upload to one node over TCP (${PIECES} × 1 MiB, fs store with fsync, sequential)`,
          value: `${fmt(mbps(bytes, uploadMs))} MB/s (${fmt((PIECES * 1000) / uploadMs, 1)} pieces/s)`,
          baseline: `raw TCP ${fmt(tcpMs)} ms + durable writes ${fmt(writeMs)} ms = ${fmt(mbps(bytes, baselineMs))} MB/s`,
          ratio: baselineMs / uploadMs,
          goal: '≥ 0.5',
        },
      ],
      notes: [
        'The upload includes what the baseline does not: order-limit and per-chunk order signatures (Ed25519), SHA-256 on both sides, the serial and order rows in the node database, and the node-signed receipt.',
      ],
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
