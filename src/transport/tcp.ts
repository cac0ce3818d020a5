import type net from 'node:net';
import type tls from 'node:tls';
import { raceAbort, throwIfAborted } from '../core/abort.js';
import { InvalidArgumentError, ResourceExhaustedError, UnavailableError, isHandoffError } from '../core/errors.js';
import { FrameConnection } from './frame-connection.js';
import { FrameParser, PeerResetSignal, RESET_MARKER, frameHeader } from './frame-parser.js';
import { ReadInput } from './read-input.js';
import { readTlsInto } from './tls-input.js';
import { DEFAULT_MAX_FRAME_BYTES, type Connection, type DialOptions, type FrameLimits, type Listener, type Transport } from './types.js';
import { DEFAULT_WEBSOCKET_PATH } from './websocket-connection.js';
import { webSocketUpgrades } from './websocket-upgrade.js';
import { formatHostPort, parseHostPort } from './host-port.js';

/** TLS material for {@link tcpTransport}. Certificates need not be CA-signed: identities are
 * proven by the handoff handshake, which signs the TLS exported keying material. */
export interface TcpTlsOptions {
  /** PEM certificate chain for the listening side. */
  cert?: string | Uint8Array;
  /** PEM private key for the listening side. */
  key?: string | Uint8Array;
}

/** Options of {@link tcpTransport}: frame limits, TLS, dial timeout. */
export interface TcpTransportOptions extends FrameLimits {
  /** Wrap connections in TLS. */
  tls?: TcpTlsOptions;
  /** Dial timeout in milliseconds (default 10 s). */
  connectTimeoutMs?: number;
  /**
   * Listeners also accept WebSocket clients on the same port (browsers dial `ws://host:port/handoff`,
   * or `path`), told apart from TCP by their first byte; dialing is unchanged. Not with `tls`:
   * browsers need a certificate they trust, so put a TLS-terminating proxy in front instead.
   */
  acceptWebSocket?: boolean | { readonly path?: string };
}

/** Label and length for TLS keying material export (RFC 5705) that the handshake signs. */
const EXPORTER_LABEL = 'EXPORTER-handoff-channel-binding';

/**
 * Length-prefixed frames over node:net, optionally inside node:tls. Addresses are `host:port`;
 * listen on `127.0.0.1:0` for a free port and read it back from `listener.address`.
 *
 * @example
 * ```ts
 * const transport = tcpTransport();
 * const listener = await transport.listen('127.0.0.1:0', (conn) => { ... });
 * const conn = await transport.dial(listener.address);
 * ```
 */
export function tcpTransport(options: TcpTransportOptions = {}): Transport {
  return new TcpTransport(options);
}

export { parseHostPort };

/** node:net and node:tls, as the values a TCP transport calls. */
interface SocketModules {
  readonly net: typeof net;
  readonly tls: typeof tls;
}

/**
 * node:net and node:tls, loaded when a TCP transport is made rather than when this module is:
 * `handoff/transport` also serves browsers, where TCP cannot exist. `process.getBuiltinModule`
 * (Node >= 20.16) is synchronous and invisible to bundlers, so a browser build never resolves them.
 */
function socketModules(): SocketModules {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof proc?.getBuiltinModule !== 'function') {
    throw new UnavailableError('TCP needs Node (node:net); in a browser use webSocketTransport()');
  }
  return { net: proc.getBuiltinModule('node:net') as typeof net, tls: proc.getBuiltinModule('node:tls') as typeof tls };
}

class TcpTransport implements Transport {
  readonly name: string;
  readonly #options: TcpTransportOptions;
  readonly #sockets: SocketModules;

  constructor(options: TcpTransportOptions) {
    if (options.acceptWebSocket && options.tls) throw new InvalidArgumentError('"acceptWebSocket" cannot be combined with "tls"');
    this.#options = options;
    this.#sockets = socketModules();
    this.name = options.tls ? 'tls' : 'tcp';
  }

  async listen(address: string, onConnection: (connection: Connection) => void): Promise<Listener> {
    const { host, port } = parseHostPort(address);
    const sockets = new Set<TcpConnection>();
    /** TLS handshakes in progress, and a promise that settles when each has ended either way. */
    const handshakes = new Map<net.Socket, Promise<void>>();
    let closing = false;
    const tlsOptions = this.#options.tls;
    const secureContext = tlsOptions ? this.#sockets.tls.createSecureContext({ cert: toPem(tlsOptions.cert), key: toPem(tlsOptions.key) }) : undefined;
    const limits = this.#options;
    const maxFrameBytes = limits.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    let listening = '';
    const webSocket = this.#options.acceptWebSocket;
    const upgrades = webSocket
      ? await webSocketUpgrades({
          ...limits,
          path: (typeof webSocket === 'object' ? webSocket.path : undefined) ?? DEFAULT_WEBSOCKET_PATH,
          timeoutMs: this.#options.connectTimeoutMs ?? 10_000,
          localAddress: () => listening,
          onConnection,
        })
      : undefined;
    // Plain sockets stay paused until adopted (see acceptedInput), so no byte is read into a
    // buffer of Node's first; a WebSocket-capable listener reads the first byte to tell them apart.
    const secure = secureContext !== undefined;
    const pauseOnConnect = !secure && upgrades === undefined;
    const accept = async (raw: net.Socket): Promise<void> => {
      raw.setNoDelay(true);
      if (upgrades !== undefined && (await upgrades.claim(raw))) return;
      let socket: net.Socket = raw;
      if (secureContext) {
        // Wrap the TCP socket ourselves so a reset can still send an RST on the raw socket.
        const tlsSocket = new this.#sockets.tls.TLSSocket(raw, { isServer: true, secureContext });
        const handshake = onceEvent(tlsSocket, 'secure', this.#options.connectTimeoutMs ?? 10_000);
        handshakes.set(tlsSocket, untilClosed(tlsSocket));
        try {
          await handshake;
        } catch {
          tlsSocket.destroy();
          raw.destroy();
          return;
        } finally {
          handshakes.delete(tlsSocket);
        }
        socket = tlsSocket;
      }
      const accepted = acceptedInput(this.#sockets.net, socket, secure, pauseOnConnect, maxFrameBytes);
      // Under TLS the TCP socket is still the one we wrapped; a plain one may have been adopted.
      const connection = new TcpConnection(accepted.socket, secure ? raw : accepted.socket, limits, secure, accepted.input);
      sockets.add(connection);
      void connection.done.then(() => sockets.delete(connection));
      // The listener closed during the TLS handshake: the connection is not served, only ended.
      if (closing) connection.reset(new UnavailableError('listener closed'));
      else onConnection(connection);
    };
    const server = this.#sockets.net.createServer({ noDelay: true, pauseOnConnect }, (raw) => void accept(raw));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', () => {});
    const bound = server.address() as net.AddressInfo;
    listening = formatHostPort(host, bound.port);
    return {
      address: listening,
      async close() {
        closing = true;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Wait for every socket to be really closed, not just told to: a socket Node still holds
        // keeps the process alive after the caller thinks everything stopped.
        const handshaking = [...handshakes].map(([secure, ended]) => (secure.destroy(), ended));
        const serving = [...sockets].map((connection) => (connection.reset(new UnavailableError('listener closed')), connection.done));
        await Promise.all([closed, ...handshaking, ...serving, upgrades?.close()]);
      },
    };
  }

  async dial(address: string, options: DialOptions = {}): Promise<Connection> {
    throwIfAborted(options.signal);
    const { host, port } = parseHostPort(address);
    // Both read into buffers we pick (see FrameReader). A TLS socket does so only when it makes
    // its own TCP socket: wrapped around one of ours, Node ignores `onread` and every 16 KiB
    // record became a fresh buffer, copied again into its frame.
    const input = new ReadInput(this.#options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
    const timeoutMs = this.#options.connectTimeoutMs ?? 10_000;
    const secure = this.#options.tls !== undefined;
    const sockets = this.#sockets;
    // tls.connect documents `onread` (honoured without `socket`); Node's typings lack it.
    const secureOptions: tls.ConnectionOptions & Pick<net.TcpSocketConnectOpts, 'onread'> = { host, port, rejectUnauthorized: false, onread: input.onread, ...(sockets.net.isIP(host) ? {} : { servername: host }) };
    const socket: net.Socket = secure ? sockets.tls.connect(secureOptions) : sockets.net.connect({ host, port, noDelay: true, onread: input.onread });
    try {
      await raceAbort(onceEvent(socket, secure ? 'secureConnect' : 'connect', timeoutMs), options.signal);
    } catch (err) {
      socket.destroy();
      // An aborted dial returns only once its socket is closed, so nothing outlives the caller's close().
      await untilClosed(socket);
      throw isHandoffError(err) && err.code !== 'Unavailable' ? err : new UnavailableError(`dial ${address}: ${(err as Error).message}`, { cause: err });
    }
    return new TcpConnection(socket, socket, this.#options, secure, input);
  }
}

/**
 * The socket to serve an accepted connection on, and the input it reads into our buffers
 * through, as a dialed socket does: a TLS socket (its handshake done) reads in place
 * (readTlsInto); a plain one still paused on connect moves under a new socket made to read so
 * (adoptSocket). No input — the socket is then read through 'data' events — for a plain socket
 * that was not paused (its listener reads the first byte, for WebSocket upgrades), or when this
 * Node lacks what those lean on.
 */
function acceptedInput(netModule: typeof net, socket: net.Socket, secure: boolean, pausedOnConnect: boolean, maxFrameBytes: number): { socket: net.Socket; input?: ReadInput } {
  if (!secure && !pausedOnConnect) return { socket };
  const input = new ReadInput(maxFrameBytes);
  if (secure) return readTlsInto(socket as tls.TLSSocket, input) ? { socket, input } : { socket };
  const adopted = adoptSocket(netModule, socket, input);
  return adopted === undefined ? { socket } : { socket: adopted, input };
}

/**
 * Moves an accepted socket's handle under a new socket that reads into `input`'s buffers: Node
 * offers `onread` only to sockets it makes itself, and a server's sockets are made by Node. The
 * accepted socket must still be paused (`pauseOnConnect`), so nothing was read yet. This leans on
 * two of `net.Socket`'s underscored fields (`_handle`, and `_server`, which keeps the server's
 * connection count right); if they are ever missing, `undefined`, and the socket is used as is.
 */
function adoptSocket(netModule: typeof net, raw: net.Socket, input: ReadInput): net.Socket | undefined {
  const inner = raw as unknown as { _handle?: object | null; _server?: unknown };
  const handle = inner._handle;
  if (handle === undefined || handle === null || !('readStart' in handle) || !('_server' in inner)) return undefined;
  const options = { handle, readable: true, writable: true, onread: input.onread };
  const socket = new netModule.Socket(options as net.SocketConstructorOpts);
  const adopted = socket as unknown as { _server?: unknown };
  inner._handle = null;
  adopted._server = inner._server;
  inner._server = null;
  return socket;
}

/** Resolves once `socket` has emitted 'close' (at once when it already has). */
function untilClosed(socket: net.Socket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

/** Resolves on `event`, rejects on 'error', 'close' or after `timeoutMs`. */
function onceEvent(emitter: net.Socket, event: string, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error): void => {
      clearTimeout(timer);
      emitter.off(event, onEvent);
      emitter.off('error', onError);
      emitter.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onEvent = (): void => done();
    const onError = (err: Error): void => done(err);
    const onClose = (): void => done(new Error('connection closed'));
    const timer = setTimeout(() => done(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    emitter.once(event, onEvent);
    emitter.once('error', onError);
    emitter.once('close', onClose);
  });
}

function toPem(value: string | Uint8Array | undefined): string | Buffer | undefined {
  if (value === undefined || typeof value === 'string') return value;
  return Buffer.from(value);
}

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
class TcpConnection extends FrameConnection {
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
