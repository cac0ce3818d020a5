/**
 * The WebSocket transport: `ws` on Node (listening and dialing), the platform `WebSocket` in
 * browsers (dialing). `ws` is imported only when Node runs this, so a browser bundle holds none
 * of it beyond the package's browser stub, and no Node built-in.
 */
import type { IncomingMessage } from 'node:http';
import type { WebSocket as NodeWebSocket, WebSocketServer } from 'ws';
import { throwIfAborted } from '../core/abort.js';
import { UnavailableError } from '../core/errors.js';
import { formatHostPort, parseHostPort } from './host-port.js';
import { DEFAULT_MAX_FRAME_BYTES, type Connection, type DialOptions, type FrameLimits, type Listener, type Transport } from './types.js';
import { DEFAULT_WEBSOCKET_PATH, WsConnection, type WebSocketLike } from './websocket-connection.js';
import { openWebSocket } from './websocket-open.js';
import { platformWebSocket, type PlatformWebSocketClass } from './websocket-platform.js';

/** Options of {@link webSocketTransport}: frame limits and how to reach or serve the socket. */
export interface WebSocketTransportOptions extends FrameLimits {
  /** URL path the listener serves and the dialer requests (default `/handoff`). */
  path?: string;
  /** Dial timeout in milliseconds (default 10 s). */
  connectTimeoutMs?: number;
  /**
   * Longest wait for a socket's `close` event once this side closed or reset it (default 5 s).
   * After that a clean close becomes a reset, and a reset is given up on: a browser's socket
   * cannot be torn down, and it may wait a minute for a peer that never finishes closing.
   */
  closeTimeoutMs?: number;
  /**
   * Dial with this standard (WHATWG) `WebSocket` class, as in a browser: a polyfill, or a
   * runtime's own. Default: `ws` on Node, the platform's `WebSocket` elsewhere.
   */
  webSocketClass?: PlatformWebSocketClass;
}

export { DEFAULT_WEBSOCKET_PATH };

/**
 * One frame per binary WebSocket message. Listening uses `ws` (Node only); dialing uses `ws` on
 * Node and the platform `WebSocket` in browsers. Addresses are `host:port` (dialed as
 * `ws://host:port/handoff`) or a `ws://` / `wss://` URL.
 *
 * @example
 * ```ts
 * const transport = webSocketTransport();
 * const listener = await transport.listen('127.0.0.1:0', onConnection);
 * const conn = await transport.dial(listener.address);
 * ```
 */
export function webSocketTransport(options: WebSocketTransportOptions = {}): Transport {
  return new WebSocketTransport(options);
}

/** The URL a WebSocket dialer opens for `address`: a `ws://`/`wss://` URL as is, `host:port` on `path`. */
export function webSocketUrl(address: string, path = DEFAULT_WEBSOCKET_PATH): string {
  return /^wss?:\/\//.test(address) ? address : `ws://${address}${path}`;
}

function isNode(): boolean {
  return typeof globalThis.process?.versions?.node === 'string';
}

class WebSocketTransport implements Transport {
  readonly name = 'websocket';
  readonly #options: WebSocketTransportOptions;
  readonly #path: string;

  constructor(options: WebSocketTransportOptions) {
    this.#options = options;
    this.#path = options.path ?? DEFAULT_WEBSOCKET_PATH;
  }

  async listen(address: string, onConnection: (connection: Connection) => void): Promise<Listener> {
    if (!isNode()) throw new UnavailableError('a WebSocket listener needs Node; browsers can only dial');
    const { host, port } = parseHostPort(address);
    const { WebSocketServer } = await import('ws');
    const server: WebSocketServer = new WebSocketServer({
      host,
      port,
      path: this.#path,
      maxPayload: this.#options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      perMessageDeflate: false,
    });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    server.on('error', () => {});
    const connections = new Set<WsConnection>();
    server.on('connection', (socket: NodeWebSocket, request: IncomingMessage) => {
      const remote = `${request.socket.remoteAddress ?? '?'}:${request.socket.remotePort ?? 0}`;
      const connection = new WsConnection(socket as unknown as WebSocketLike, 'ws', this.#options, remote, address);
      connections.add(connection);
      void connection.done.then(() => connections.delete(connection));
      onConnection(connection);
    });
    const bound = (server.address() as { port: number }).port;
    return {
      address: formatHostPort(host, bound),
      async close() {
        const closing = [...connections].map((connection) => (connection.reset(new UnavailableError('listener closed')), connection.done));
        await Promise.all([new Promise<void>((resolve) => server.close(() => resolve())), ...closing]);
      },
    };
  }

  async dial(address: string, options: DialOptions = {}): Promise<Connection> {
    throwIfAborted(options.signal);
    const url = webSocketUrl(address, this.#path);
    const onNode = this.#options.webSocketClass === undefined && isNode();
    let socket: WebSocketLike;
    if (onNode) {
      const { WebSocket } = await import('ws');
      const maxPayload = this.#options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
      socket = new WebSocket(url, { perMessageDeflate: false, maxPayload }) as unknown as WebSocketLike;
    } else {
      socket = platformWebSocket(url, this.#options.webSocketClass);
    }
    socket.binaryType = 'arraybuffer';
    await openWebSocket(socket, url, this.#options.connectTimeoutMs ?? 10_000, options.signal, this.#options.closeTimeoutMs);
    return new WsConnection(socket, onNode ? 'ws' : 'platform', this.#options, address, 'client');
  }
}
