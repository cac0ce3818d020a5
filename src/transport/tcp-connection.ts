/**
 * An open TCP or TLS connection: its reads (into our buffers through a `ReadInput`, or parsed
 * from 'data' events), its frame writes (`writeFrame`: small parts joined with the header, large
 * ones written where they lie) and its reset.
 */
import type net from 'node:net';
import type tls from 'node:tls';
import { ResourceExhaustedError, UnavailableError } from '../core/errors.js';
import { FrameConnection } from './frame-connection.js';
import { FrameParser, PeerResetSignal, RESET_MARKER, frameHeader } from './frame-parser.js';
import type { ReadInput } from './read-input.js';
import type { FrameLimits } from './types.js';
import { formatHostPort } from './host-port.js';

/** Label and length for TLS keying material export (RFC 5705) that the handshake signs. */
const EXPORTER_LABEL = 'EXPORTER-handoff-channel-binding';

/** Parts shorter than this are copied together with the header (and each other) into one buffer. */
const JOIN_BELOW = 16 * 1024;

/**
 * Writes the frame's header and `parts` to `socket`: runs of small parts go out joined with the
 * header into one Node buffer (from Node's pool), large parts as they are, never copied. A small
 * frame is then one buffer and, alone in its turn, one plain write; written as header and body
 * apart, Node wrapped each Uint8Array in a Buffer and flushed them with writev. Each buffer is
 * written once the next is made (no array of them per frame), the last with `onWritten`: writes
 * complete in order, so its callback says the socket is done with all of them.
 */
function writeFrame(socket: net.Socket, parts: readonly Uint8Array[], length: number, onWritten?: (err?: Error | null) => void): boolean {
  // The header always opens a buffer, so there is one before the loop ends.
  let unwritten: Buffer | undefined;
  let start = 0;
  let joined = 4;
  for (let i = 0; i <= parts.length; i++) {
    const part = parts[i];
    if (part !== undefined && part.length < JOIN_BELOW) {
      joined += part.length;
      continue;
    }
    if (joined > 0) {
      const out = Buffer.allocUnsafe(joined);
      let at = 0;
      if (start === 0) {
        out.writeUInt32BE(length, 0);
        at = 4;
      }
      for (let j = start; j < i; j++) {
        out.set(parts[j]!, at);
        at += parts[j]!.length;
      }
      if (unwritten !== undefined) socket.write(unwritten);
      unwritten = out;
    }
    if (part === undefined) break;
    if (unwritten !== undefined) socket.write(unwritten);
    unwritten = part.constructor === Buffer ? (part as Buffer) : Buffer.from(part.buffer, part.byteOffset, part.length);
    start = i + 1;
    joined = 0;
  }
  return onWritten ? socket.write(unwritten!, onWritten) : socket.write(unwritten!);
}

/** @internal */
export class TcpConnection extends FrameConnection {
  readonly remoteAddress: string;
  readonly localAddress: string;
  override readonly channelBinding: Uint8Array | undefined;
  readonly #socket: net.Socket;
  /** The TCP socket under TLS where we made it (accepted connections); else #socket itself. */
  readonly #raw: net.Socket;
  readonly #secure: boolean;
  /** Bytes of an incomplete frame received so far. */
  readonly #buffered: () => number;
  /** Changes the parser's frame limit; throws `RangeError` when the frame it is receiving is over it. */
  readonly #setLimit: (maxFrameBytes: number) => void;
  /** Writes are held (corked) until the end of this turn. */
  #corked = false;
  readonly #uncork = (): void => {
    this.#corked = false;
    this.#socket.uncork();
  };
  /**
   * Settles when the socket has written the last frame that referenced a caller's bytes (a part
   * of {@link JOIN_BELOW} bytes or more, written where it lies); see {@link released}.
   */
  #lastUncopied: Promise<void> = Promise.resolve();

  constructor(socket: net.Socket, raw: net.Socket, limits: FrameLimits, secure: boolean, input?: ReadInput) {
    super(limits);
    this.#socket = socket;
    this.#raw = raw;
    this.#secure = secure;
    this.remoteAddress = formatHostPort(socket.remoteAddress ?? '?', socket.remotePort ?? 0);
    this.localAddress = formatHostPort(socket.localAddress ?? '?', socket.localPort ?? 0);
    this.channelBinding = secure
      ? new Uint8Array((socket as tls.TLSSocket).exportKeyingMaterial(32, EXPORTER_LABEL, Buffer.alloc(0)))
      : undefined;
    socket.setNoDelay(true);
    if (input !== undefined) {
      this.#buffered = () => input.buffered;
      this.#setLimit = (limit) => input.setLimit(limit);
      input.attach((result) => this.#take(result));
    } else {
      const parser = new FrameParser(this.maxFrameBytes);
      this.#buffered = () => parser.buffered;
      this.#setLimit = (limit) => parser.setLimit(limit);
      socket.on('data', (chunk: Buffer) => {
        let result: Uint8Array[] | Error;
        try {
          result = parser.push(chunk);
        } catch (err) {
          result = err as Error;
        }
        this.#take(result);
      });
    }
    socket.on('end', () => {
      if (this.#buffered() > 0) this.reset(new UnavailableError('peer closed in the middle of a frame'));
      else this.remoteEnded();
    });
    const onError = (err: Error): void => this.fail(new UnavailableError(`connection error: ${err.message}`, { cause: err }));
    socket.on('error', onError);
    // Under TLS a reset shows on the TCP socket; the TLS socket may only report a close.
    if (raw !== socket) raw.on('error', onError);
    socket.on('close', () => this.finished());
  }

  /** Delivers parsed frames, or acts on what the parser threw (a reset marker, an oversized frame). */
  #take(result: Uint8Array[] | Error): void {
    if (!(result instanceof Error)) {
      for (const frame of result) this.deliver(frame);
    } else if (result instanceof PeerResetSignal) {
      this.fail(new UnavailableError('connection reset by peer'));
      this.#raw.destroy();
    } else {
      this.reset(new ResourceExhaustedError(result.message));
    }
  }

  protected override applyIncomingLimit(maxBytes: number): void {
    try {
      this.#setLimit(maxBytes);
    } catch (err) {
      this.#take(err as Error);
    }
  }

  protected sendFrame(parts: readonly Uint8Array[], length: number): Promise<void> {
    const socket = this.#socket;
    // Frames sent in one turn go out in one write: a stream's last message and its end, or a
    // burst of small messages, cost one syscall (and under TLS one record) instead of one each.
    // process.nextTick runs after the promise chain that sends them, before any I/O.
    // Not a frame with a large part under TLS: Node encrypts a corked batch of buffers as one,
    // after copying them all into a single buffer — a second copy of every 1 MiB chunk. Written
    // uncorked, each buffer is encrypted where it lies (frames corked before it go first).
    if (this.#secure && length >= JOIN_BELOW) {
      if (this.#corked) this.#uncork();
    } else if (!this.#corked) {
      this.#corked = true;
      socket.cork();
      process.nextTick(this.#uncork);
    }
    let onWritten: ((err?: Error | null) => void) | undefined;
    if (parts.some((part) => part.length >= JOIN_BELOW)) {
      // Node calls a write's callback once the data is handed to the kernel (or, under TLS,
      // encrypted and written); with an error when the socket broke first.
      this.#lastUncopied = new Promise<void>((resolve, reject) => {
        onWritten = (err) => (err ? reject(new UnavailableError(`write failed: ${err.message}`, { cause: err })) : resolve());
      });
      this.#lastUncopied.catch(() => undefined);
    }
    const ok = writeFrame(socket, parts, length, onWritten);
    if (ok) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        if (this.closed && !socket.writable) reject(new UnavailableError('connection closed while sending'));
        else resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }

  /** Frames of small parts are copied as they are sent; large parts live until their write is done. */
  released(): Promise<void> {
    return this.#lastUncopied;
  }

  protected pauseSource(): void {
    this.#socket.pause();
  }

  protected resumeSource(): void {
    this.#socket.resume();
  }

  protected closeSink(): Promise<void> {
    return new Promise((resolve) => this.#socket.end(resolve));
  }

  protected destroy(): void {
    // An RST, not a FIN: the peer must see a broken connection, not a clean end. Frames sent
    // before it (an error telling the peer why) still go first.
    if (this.#corked) this.#uncork();
    if (this.#raw.destroyed) return;
    if (!this.#secure) {
      // Once our FIN is under way (we closed, or Node answered the peer's FIN), libuv refuses the
      // RST and Node then never closes the handle: the socket would stay open for good.
      if (this.#raw.writableEnded) this.#raw.destroy();
      else this.#raw.resetAndDestroy();
      return;
    }
    // resetAndDestroy on a socket wrapped by TLS crashes Node; tell the peer in-band instead.
    const socket = this.#socket;
    if (socket.writable) socket.end(frameHeader(RESET_MARKER), () => socket.destroy());
    else socket.destroy();
    const timer = setTimeout(() => socket.destroy(), 1000);
    socket.once('close', () => clearTimeout(timer));
  }
}
