import type net from 'node:net';
import type tls from 'node:tls';
import { raceAbort, throwIfAborted } from '../core/abort.js';
import { InvalidArgumentError, UnavailableError, isHandoffError } from '../core/errors.js';
import { acceptedInput } from './accepted-input.js';
import { ReadInput } from './read-input.js';
import { TcpConnection } from './tcp-connection.js';
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
