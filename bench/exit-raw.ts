/**
 * The raw copy bench/exit.ts measures the exit against, as two bench parties (see
 * bench/exit-party.ts): `raw-receivers`, N plain TCP listeners writing durable files as
 * FsPieceStore does, and `raw-sender`, which copies the exiting node's piece bytes to them. With
 * `floor` set they also do the cryptography and the satellite round trip the exit protocol
 * requires (bench/exit-floor.ts): the protocol floor.
 */
import net from 'node:net';
import { mkdir, open, readdir, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fromHex } from '../src/core/bytes.js';
import { ASSIGNMENT_BYTES, decodeAssignment, makeOriginal, onFixedMessages, PROOF_BYTES, proveForUpload, receiveWithProof, RECEIPT_BYTES, reportTransfer, type Assignment, type Original } from './exit-floor.js';

/** A bench party: what it prints when ready, its measured work, its shutdown. */
export interface Party {
  ready: unknown;
  go?: () => Promise<unknown>;
  close(): Promise<void>;
}

export type OnError = (error: unknown, where: string) => void;

export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const HEADER = 4 + 32;

/** Writes every byte of `parts` with as few writev calls as the kernel allows. */
async function writeParts(handle: FileHandle, parts: Buffer[]): Promise<void> {
  let rest = parts;
  while (rest.length > 0) {
    let { bytesWritten } = await handle.writev(rest);
    while (rest.length > 0 && bytesWritten >= rest[0]!.length) bytesWritten -= rest.shift()!.length;
    if (bytesWritten > 0) rest[0] = rest[0]!.subarray(bytesWritten);
  }
}

/**
 * Listeners that take frames `u32be length ‖ 32-byte piece id ‖ bytes`, write each piece as
 * FsPieceStore does (temp file, fsync, rename into a fan-out directory, directory fsync; a new
 * directory's parent synced once) and answer one byte when it is durable. The bytes go to the
 * file as the socket delivered them (one writev of its chunks), never copied. With `floor`, the
 * frame's header carries the proofs of bench/exit-floor.ts after the id: they are checked before
 * the write, and the answer is the receiver's signed piece hash; a piece that fails them ends the
 * connection.
 */
export async function rawReceivers(
  o: { dir: string; count: number; fsync: boolean; floor?: { satellitePublicKey: string; privateKeys: string[] } },
  onError: OnError,
): Promise<Party> {
  const floor = o.floor && { satellitePublicKey: fromHex(o.floor.satellitePublicKey), privateKeys: o.floor.privateKeys.map(fromHex) };
  const headerBytes = HEADER + (floor ? PROOF_BYTES : 0);
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const ports: number[] = [];
  for (let i = 0; i < o.count; i++) {
    const root = join(o.dir, `raw-${i}`);
    const tmp = join(root, 'tmp');
    const pieces = join(root, 'pieces');
    await mkdir(tmp, { recursive: true });
    await mkdir(pieces, { recursive: true });
    const dirs = new Set<string>();
    let serial = 0;
    const store = async (id: string, parts: Buffer[]): Promise<void> => {
      const tmpPath = join(tmp, `${serial++}-${id.slice(0, 8)}.part`);
      const handle = await open(tmpPath, 'wx');
      try {
        await writeParts(handle, parts);
        if (o.fsync) await handle.sync();
      } finally {
        await handle.close();
      }
      const dir = join(pieces, id.slice(0, 2));
      if (!dirs.has(dir)) {
        if ((await mkdir(dir, { recursive: true })) !== undefined && o.fsync) await syncDir(pieces);
        dirs.add(dir);
      }
      await rename(tmpPath, join(dir, id));
      if (o.fsync) await syncDir(dir);
    };
    const server = net.createServer({ noDelay: true }, (socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      // The socket's chunks are kept as they came and written with one writev: no copy of a piece.
      const chunks: Buffer[] = [];
      let buffered = 0;
      let need = -1;
      let id = '';
      let head = Buffer.alloc(0);
      /** The next `n` buffered bytes, as slices of the socket's chunks. */
      const take = (n: number): Buffer[] => {
        const parts: Buffer[] = [];
        while (n > 0) {
          const chunk = chunks[0]!;
          if (chunk.length <= n) {
            parts.push(chunks.shift()!);
            n -= chunk.length;
          } else {
            parts.push(chunk.subarray(0, n));
            chunks[0] = chunk.subarray(n);
            n = 0;
          }
        }
        return parts;
      };
      let busy = false;
      const pump = async (): Promise<void> => {
        if (busy) return;
        busy = true;
        try {
          for (;;) {
            if (need < 0) {
              if (buffered < headerBytes) return;
              head = Buffer.concat(take(headerBytes)); // 36 bytes, and the proofs of the floor
              buffered -= headerBytes;
              need = head.readUInt32BE(0);
              id = head.subarray(4, HEADER).toString('hex');
            }
            if (buffered < need) return;
            const parts = take(need);
            buffered -= need;
            need = -1;
            const answer = floor ? receiveWithProof(head.subarray(HEADER), parts, floor.satellitePublicKey, floor.privateKeys[i]!) : ACK;
            await store(id, parts);
            socket.write(answer);
          }
        } finally {
          busy = false;
        }
      };
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        buffered += chunk.length;
        void pump().catch((err: unknown) => {
          onError(err, 'raw receiver');
          socket.destroy();
        });
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    ports.push((server.address() as net.AddressInfo).port);
  }
  return {
    ready: { ports },
    async close() {
      for (const socket of sockets) socket.destroy();
      for (const server of servers) await new Promise((resolve) => server.close(resolve));
    },
  };
}
const ACK = Buffer.from([1]);

/** One socket per (worker, peer): a request at a time, answered by `replyBytes` bytes. */
class RawConnection {
  readonly #socket: net.Socket;
  #waiting: { resolve: (reply: Buffer) => void; reject: (error: Error) => void } | undefined;

  private constructor(socket: net.Socket, replyBytes: number) {
    this.#socket = socket;
    onFixedMessages(socket, replyBytes, (reply) => {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting?.resolve(reply);
    });
    // A receiver that refused a piece hangs up: the request fails instead of waiting forever.
    socket.on('error', () => undefined);
    socket.on('close', () => this.#waiting?.reject(new Error('the receiver closed the connection before answering')));
  }

  static connect(port: number, replyBytes = 1): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => resolve(new RawConnection(socket, replyBytes)));
      socket.once('error', reject);
    });
  }

  request(frame: Uint8Array): Promise<Buffer> {
    const answered = new Promise<Buffer>((resolve, reject) => (this.#waiting = { resolve, reject }));
    this.#socket.write(frame);
    return answered;
  }

  close(): void {
    this.#socket.destroy();
  }
}

/**
 * The sender's one connection to the floor satellite: assignments arrive ahead (the satellite's
 * window) and queue up for the workers; reports go out as each piece is done.
 */
class SatelliteChannel {
  readonly #socket: net.Socket;
  readonly #queue: Assignment[] = [];
  readonly #waiting: { resolve: (assignment: Assignment | undefined) => void; reject: (error: Error) => void }[] = [];
  #done = false;
  #closedBy: Error | undefined;
  readonly #finished: Promise<void>;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    let finish!: () => void;
    let fail!: (error: Error) => void;
    this.#finished = new Promise((resolve, reject) => ((finish = resolve), (fail = reject)));
    this.#finished.catch(() => undefined); // read by verdict(); the workers hear it through next()
    socket.on('error', () => undefined);
    // A satellite that refused a report hangs up: every worker and the verdict fail.
    socket.on('close', () => {
      if (this.#done) return;
      const error = new Error('the floor satellite closed the connection before its verdict');
      for (const waiting of this.#waiting.splice(0)) waiting.reject(error);
      this.#closedBy = error;
      fail(error);
    });
    onFixedMessages(socket, ASSIGNMENT_BYTES, (bytes) => {
      const message = decodeAssignment(bytes);
      if (message === 'done') {
        this.#done = true;
        for (const waiting of this.#waiting.splice(0)) waiting.resolve(undefined);
        finish();
      } else if (this.#waiting.length > 0) this.#waiting.shift()!.resolve(message);
      else this.#queue.push(message);
    });
  }

  static connect(port: number): Promise<SatelliteChannel> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => resolve(new SatelliteChannel(socket)));
      socket.once('error', reject);
    });
  }

  /** The next piece to send; undefined once the satellite has verified every piece. */
  next(): Promise<Assignment | undefined> {
    const queued = this.#queue.shift();
    if (queued !== undefined || this.#done) return Promise.resolve(queued);
    if (this.#closedBy !== undefined) return Promise.reject(this.#closedBy);
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  report(report: Uint8Array): void {
    this.#socket.write(report);
  }

  /** Resolves once the satellite has verified every report; rejects if it hung up first. */
  verdict(): Promise<void> {
    return this.#finished;
  }

  hangUp(): void {
    this.#socket.destroy();
  }
}

interface SenderOptions {
  piecesRoot: string;
  satelliteId: string;
  ports: number[];
  concurrency: number;
  pieceSize: number;
  /** The protocol floor: the satellite's port, its key (to make the original proofs before the measurement), the receivers' keys. */
  floor?: { satellitePort: number; satellitePrivateKey: string; receiverPublicKeys: string[] };
}

/**
 * Copies every piece the exiting node holds for `satelliteId` (its data bytes, read from the
 * piece files) to the receivers, piece i to receiver i mod N, `concurrency` at a time. With
 * `floor`, each worker asks the floor satellite which piece to send next (reporting the one it
 * sent), and proves each piece as bench/exit-floor.ts describes.
 */
export async function rawSender(o: SenderOptions): Promise<Party> {
  const satDir = join(o.piecesRoot, o.satelliteId);
  const files: string[] = [];
  for (const fan of (await readdir(satDir)).sort()) for (const name of await readdir(join(satDir, fan))) files.push(join(fan, name));
  const headerBytes = HEADER + (o.floor ? PROOF_BYTES : 0);
  const originals: Original[] = [];
  if (o.floor) {
    const satelliteKey = fromHex(o.floor.satellitePrivateKey);
    const data = new Uint8Array(o.pieceSize);
    for (const name of files) {
      await readPiece(join(satDir, name), data, 0, o.pieceSize);
      originals.push(makeOriginal(satelliteKey, data));
    }
  }
  const receiverKeys = o.floor?.receiverPublicKeys.map(fromHex) ?? [];
  return {
    ready: { pieces: files.length },
    async go() {
      let next = 0;
      let bytes = 0;
      const start = performance.now();
      const satellite = o.floor && (await SatelliteChannel.connect(o.floor.satellitePort));
      try {
        await Promise.all(
          Array.from({ length: o.concurrency }, async () => {
            const connections = new Map<number, RawConnection>();
            try {
              for (;;) {
                const assignment = satellite && (await satellite.next());
                const i = satellite ? (assignment?.index ?? files.length) : next++;
                if (i >= files.length) return;
                const name = files[i]!;
                const frame = new Uint8Array(Buffer.allocUnsafeSlow(headerBytes + o.pieceSize).buffer, 0, headerBytes + o.pieceSize); // every byte is set below
                new DataView(frame.buffer).setUint32(0, o.pieceSize);
                frame.set(fromHex(name.slice(name.indexOf('/') + 1)), 4);
                await readPiece(join(satDir, name), frame, headerBytes, o.pieceSize);
                if (assignment) frame.set(proveForUpload(originals[i]!, frame.subarray(headerBytes), assignment), HEADER);
                const port = o.ports[i % o.ports.length]!;
                let connection = connections.get(port);
                if (connection === undefined) {
                  connection = await RawConnection.connect(port, o.floor ? RECEIPT_BYTES : 1);
                  connections.set(port, connection);
                }
                const answer = await connection.request(frame);
                if (assignment) satellite.report(reportTransfer(i, originals[i]!, answer, i % o.ports.length, receiverKeys[i % o.ports.length]!));
                bytes += o.pieceSize;
              }
            } finally {
              for (const c of connections.values()) c.close();
            }
          }),
        );
        // As the exit ends with the satellite's verdict: every report verified.
        await satellite?.verdict();
      } finally {
        satellite?.hangUp();
      }
      return { ms: performance.now() - start, bytes, pieces: files.length };
    },
    async close() {},
  };
}

/** Reads the first `size` bytes of the piece file at `path` into `into` at `offset`. */
async function readPiece(path: string, into: Uint8Array, offset: number, size: number): Promise<void> {
  const handle = await open(path, 'r');
  try {
    for (let at = 0; at < size; ) {
      const { bytesRead } = await handle.read(into, offset + at, size - at, at);
      if (bytesRead === 0) throw new Error(`${path} is short`);
      at += bytesRead;
    }
  } finally {
    await handle.close();
  }
}
