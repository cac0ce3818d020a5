/**
 * The uplink bench's listeners and its two baselines: raw TCP (the bytes only) and the protocol
 * floor — the bytes plus the work the protocol itself requires, done as fast as node:crypto and
 * the uplink's own erasure engine can do it, with no framing, signing, orders or buffering.
 *
 * Floor upload, in the uplink process: every segment gets a fresh AES-256-GCM stream over its
 * content (one streaming cipher; the real format seals 64 KiB blocks with a tag each), the
 * ciphertext is spread into the `k` data pieces share by share, the same `ErasureEngine` the
 * uplink uses computes the `n − k` parity pieces, every piece chunk is hashed (one streaming
 * SHA-256 per piece) and written straight to its socket in 1 MiB writes, from two sets of piece
 * buffers reused in turn (as the uplink reuses its chunks). In the network process
 * each listener hashes every byte as it arrives (the node checks the hash it countersigns).
 *
 * Floor download: `k` listeners send their data pieces; the uplink process interleaves each run
 * of shares back into segment order and runs AES-256-GCM over it into the result, computing the
 * tag at the segment's end. Nobody hashes a download: the protocol does not (the node sends what
 * it stores, the uplink authenticates the content by its AEAD tags), so hashing there would only
 * flatter the uplink. Decoding from data pieces is the interleaving copy; parity is not needed.
 */
import { createCipheriv, createHash, randomBytes, type CipherGCM, type Hash } from 'node:crypto';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { ErasureEngine } from '../src/uplink/erasure/engine.js';

const MiB = 1024 * 1024;

/** What the floor needs of the scheme and the uplink's segmentation. */
export interface FloorShape {
  readonly required: number;
  readonly total: number;
  readonly shareSize: number;
  /** Plaintext bytes per segment (the uplink's segment size). */
  readonly segmentSize: number;
}

/**
 * A raw listener. A connection starts with 9 bytes: a mode letter and a u64 count. 'u': it reads
 * that many bytes, then answers one byte. 'h': the same, hashing every byte with SHA-256 as it
 * arrives. 'd': it writes that many bytes.
 */
export async function rawSink(): Promise<string> {
  const payload = randomBytes(MiB);
  const server = net.createServer({ noDelay: true }, (socket) => {
    let header = Buffer.alloc(0);
    let left = -1;
    let hash: Hash | undefined;
    socket.on('data', (chunk) => {
      if (left < 0) {
        header = Buffer.concat([header, chunk]);
        if (header.length < 9) return;
        const mode = String.fromCharCode(header[0]!);
        const count = Number(header.readBigUInt64BE(1));
        chunk = header.subarray(9);
        if (mode === 'd') return void sendMany(socket, payload, count);
        if (mode === 'h') hash = createHash('sha256');
        left = count;
      }
      hash?.update(chunk);
      left -= chunk.length;
      if (left === 0) {
        hash?.digest();
        socket.write(Buffer.from([1]));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

async function sendMany(socket: net.Socket, payload: Uint8Array, count: number): Promise<void> {
  for (let sent = 0; sent < count; sent += payload.length) {
    const part = payload.subarray(0, Math.min(payload.length, count - sent));
    if (!socket.write(part)) await new Promise((resolve) => socket.once('drain', resolve));
  }
}

function dial(address: string): Promise<net.Socket> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: host!, port: Number(port), noDelay: true }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function header(mode: 'u' | 'h' | 'd', count: number): Buffer {
  const out = Buffer.alloc(9);
  out[0] = mode.charCodeAt(0);
  out.writeBigUInt64BE(BigInt(count), 1);
  return out;
}

const drained = (socket: net.Socket) => new Promise((resolve) => socket.once('drain', resolve));

/** ms to push `perSink` bytes to each sink at once, until every sink has them all. */
export async function rawUpload(sinks: string[], perSink: number, data: Uint8Array): Promise<number> {
  const sockets = await Promise.all(sinks.map(dial));
  const start = performance.now();
  await Promise.all(
    sockets.map(async (socket, i) => {
      const acked = new Promise((resolve) => socket.once('data', resolve));
      socket.write(header('u', perSink));
      const from = (i * perSink) % (data.length - perSink + 1);
      await sendMany(socket, data.subarray(from, from + perSink), perSink);
      await acked;
    }),
  );
  const ms = performance.now() - start;
  for (const socket of sockets) socket.destroy();
  return ms;
}

/** ms to receive `perSink` bytes from each of `sinks` at once, into one buffer per sink. */
export async function rawDownload(sinks: string[], perSink: number): Promise<number> {
  const sockets = await Promise.all(sinks.map(dial));
  const start = performance.now();
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise<void>((resolve) => {
          const into = new Uint8Array(perSink);
          let at = 0;
          socket.on('data', (chunk) => {
            into.set(chunk, at);
            at += chunk.length;
            if (at >= perSink) resolve();
          });
          socket.write(header('d', perSink));
        }),
    ),
  );
  const ms = performance.now() - start;
  for (const socket of sockets) socket.destroy();
  return ms;
}

/** Stripes of each batch: 1 MiB of every piece, as the uplink sends them. */
const batchStripes = (shape: FloorShape) => Math.max(1, Math.floor(MiB / shape.shareSize));

/** Segment plaintext lengths of an object of `size` bytes. */
function segmentsOf(size: number, segmentSize: number): number[] {
  const out: number[] = [];
  for (let at = 0; at < size; at += segmentSize) out.push(Math.min(segmentSize, size - at));
  return out;
}

/** Bytes of each piece the floor sends for an object of `size` bytes (whole stripes per segment). */
export function floorPieceBytes(shape: FloorShape, size: number): number {
  const stripe = shape.required * shape.shareSize;
  return segmentsOf(size, shape.segmentSize).reduce((sum, length) => sum + Math.ceil(length / stripe) * shape.shareSize, 0);
}

/** Copies `bytes` (whole stripes, zero-padded past its end) into the `k` data pieces. */
function spread(bytes: Uint8Array, data: Uint8Array[], shareSize: number, stripes: number): void {
  const k = data.length;
  for (let stripe = 0, at = 0; stripe < stripes; stripe++) {
    for (let i = 0; i < k; i++, at += shareSize) {
      const share = bytes.subarray(at, at + shareSize);
      data[i]!.set(share, stripe * shareSize);
      if (share.length < shareSize) data[i]!.fill(0, stripe * shareSize + share.length, (stripe + 1) * shareSize);
    }
  }
}

/**
 * The floor's upload of `data` to `sinks` (one per piece): returns ms from the first byte
 * encrypted until every sink has hashed its whole piece.
 */
export async function floorUpload(sinks: string[], shape: FloorShape, data: Uint8Array): Promise<number> {
  const { required, total, shareSize, segmentSize } = shape;
  const engine = new ErasureEngine(required, total, shareSize);
  const perSink = floorPieceBytes(shape, data.length);
  const sockets = await Promise.all(sinks.slice(0, total).map(dial));
  const start = performance.now();
  const acked = sockets.map((socket) => new Promise((resolve) => socket.once('data', resolve)));
  sockets.forEach((socket) => socket.write(header('h', perSink)));
  const stripeSize = required * shareSize;
  const stripesPerBatch = batchStripes(shape);
  // Two sets of piece buffers, reused in turn (as the uplink reuses its chunks): a set is
  // overwritten only once the socket has written every piece of its previous batch.
  const sets = [0, 1].map(() => ({ pieces: Array.from({ length: total }, () => Buffer.allocUnsafe(stripesPerBatch * shareSize)), written: Promise.resolve() as Promise<unknown> }));
  let batchIndex = 0;
  let segmentStart = 0;
  for (const segmentLength of segmentsOf(data.length, segmentSize)) {
    const cipher = createCipheriv('aes-256-gcm', randomBytes(32), randomBytes(12));
    const hashes = sockets.map(() => createHash('sha256'));
    for (let at = 0; at < segmentLength; at += stripesPerBatch * stripeSize) {
      const plain = data.subarray(segmentStart + at, segmentStart + Math.min(segmentLength, at + stripesPerBatch * stripeSize));
      const sealed = cipher.update(plain);
      const stripes = Math.ceil(sealed.length / stripeSize);
      const set = sets[batchIndex++ % 2]!;
      await set.written;
      const pieces = set.pieces.map((piece) => piece.subarray(0, stripes * shareSize));
      spread(sealed, pieces.slice(0, required), shareSize, stripes);
      engine.parityOf(pieces.slice(0, required), pieces.slice(required));
      const waits: Promise<unknown>[] = [];
      set.written = Promise.all(
        pieces.map((piece, i) => {
          hashes[i]!.update(piece);
          return new Promise<void>((resolve) => {
            if (!sockets[i]!.write(piece, () => resolve())) waits.push(drained(sockets[i]!));
          });
        }),
      );
      await Promise.all(waits);
    }
    cipher.final();
    cipher.getAuthTag();
    for (const hash of hashes) hash.digest();
    segmentStart += segmentLength;
  }
  await Promise.all(acked);
  const ms = performance.now() - start;
  for (const socket of sockets) socket.destroy();
  return ms;
}

/** Receives exactly `count` bytes of `socket`, handing each run of `batch` bytes (and the last) to `onRun`. */
function receiveRuns(socket: net.Socket, count: number, batch: number, onRun: (run: Buffer) => void): Promise<void> {
  return new Promise((resolve) => {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      pending.push(chunk);
      pendingBytes += chunk.length;
      while (pendingBytes >= batch || (received >= count && pendingBytes > 0)) {
        const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
        const take = Math.min(batch, all.length);
        onRun(all.subarray(0, take));
        const rest = all.subarray(take);
        pending = rest.length > 0 ? [rest] : [];
        pendingBytes = rest.length;
      }
      if (received >= count) resolve();
    });
  });
}

/**
 * The floor's download of an object of `size` bytes from `k` sinks (the data pieces): returns
 * ms until the whole plaintext is in one fresh buffer.
 */
export async function floorDownload(sinks: string[], shape: FloorShape, size: number): Promise<number> {
  const { required, shareSize, segmentSize } = shape;
  const perSink = floorPieceBytes(shape, size);
  const stripeSize = required * shareSize;
  const batch = batchStripes(shape) * shareSize;
  const sockets = await Promise.all(sinks.slice(0, required).map(dial));
  const start = performance.now();
  const result = Buffer.allocUnsafe(size);
  const runs: Buffer[][] = sockets.map(() => []);
  const interleaved = Buffer.allocUnsafe(batch * required);
  const segments = segmentsOf(size, segmentSize);
  let segment = 0;
  let segmentDone = 0;
  let cipher: CipherGCM | undefined;
  let written = 0;
  // Every time each data piece has its next run, put the run's shares back in segment order
  // and run AES-GCM over the part of it that is content (the rest of the last stripe is padding).
  const decodeReady = () => {
    while (runs.every((queue) => queue.length > 0)) {
      const chunks = runs.map((queue) => queue.shift()!);
      const stripes = chunks[0]!.length / shareSize;
      for (let stripe = 0, at = 0; stripe < stripes; stripe++) {
        for (const chunk of chunks) {
          chunk.copy(interleaved, at, stripe * shareSize, (stripe + 1) * shareSize);
          at += shareSize;
        }
      }
      let from = 0;
      while (from < stripes * stripeSize && segment < segments.length) {
        cipher ??= createCipheriv('aes-256-gcm', randomBytes(32), randomBytes(12));
        const left = segments[segment]! - segmentDone;
        const take = Math.min(left, stripes * stripeSize - from);
        written += cipher.update(interleaved.subarray(from, from + take)).copy(result, written);
        segmentDone += take;
        from += take;
        if (segmentDone === segments[segment]) {
          cipher.final();
          cipher.getAuthTag();
          cipher = undefined;
          segment++;
          segmentDone = 0;
          from = Math.ceil(from / stripeSize) * stripeSize; // the segment's padding ends its last stripe
        }
      }
    }
  };
  await Promise.all(
    sockets.map((socket, i) => {
      const done = receiveRuns(socket, perSink, batch, (run) => {
        runs[i]!.push(run);
        decodeReady();
      });
      socket.write(header('d', perSink));
      return done;
    }),
  );
  const ms = performance.now() - start;
  for (const socket of sockets) socket.destroy();
  if (written !== size) throw new Error(`the floor download wrote ${written} of ${size} bytes`);
  return ms;
}

/**
 * CPU ms to spread `data` into pieces and compute their parity (the engine the uplink uses),
 * 1 MiB of each piece per batch, into fresh arrays for every batch (as the uplink did before its chunk pool,
 * eight batches kept alive as if in flight) and into one reused set of arrays. The difference is
 * what the first touch of fresh memory costs on this machine.
 */
export function freshVersusReusedPieces(shape: FloorShape, data: Uint8Array): { freshMs: number; reusedMs: number } {
  const { required, total, shareSize } = shape;
  const engine = new ErasureEngine(required, total, shareSize);
  const stripes = batchStripes(shape);
  const batch = stripes * required * shareSize;
  const words = (piece: Uint8Array) => new Int32Array(piece.buffer, piece.byteOffset, piece.length >>> 2);
  const run = (fresh: boolean): number => {
    const reused = Array.from({ length: total }, () => new Uint8Array(stripes * shareSize));
    const inFlight: Uint8Array[][] = [];
    const before = process.cpuUsage();
    for (let at = 0; at + batch <= data.length; at += batch) {
      const pieces = fresh ? Array.from({ length: total }, () => new Uint8Array(stripes * shareSize)) : reused;
      spread(data.subarray(at, at + batch), pieces.slice(0, required), shareSize, stripes);
      engine.encodeParity(pieces.slice(0, required).map(words), pieces.slice(required).map(words), 0, (stripes * shareSize) >>> 2);
      if (fresh && inFlight.push(pieces) > 8) inFlight.shift();
    }
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000;
  };
  run(false); // warm the kernel up
  return { freshMs: run(true), reusedMs: run(false) };
}
