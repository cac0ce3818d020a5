import type { IncomingMessage } from 'node:http';
import type { WebSocket as NodeWebSocket, WebSocketServer } from 'ws';
import { raceAbort, throwIfAborted } from '../core/abort.js';
import { concatBytes } from '../core/bytes.js';
import { ResourceExhaustedError, UnavailableError } from '../core/errors.js';
import { FrameConnection } from './frame-connection.js';
import { parseHostPort } from './tcp.js';
import { DEFAULT_MAX_FRAME_BYTES, type Connection, type DialOptions, type FrameLimits, type Listener, type Transport } from './types.js';

export interface WebSocketTransportOptions extends FrameLimits {
  /** URL path the listener serves and the dialer requests (default `/handoff`). */
  path?: string;
  /** Dial timeout in milliseconds (default 10 s). */
  connectTimeoutMs?: number;
}

/**
 * One frame per binary WebSocket message. Listening uses `ws` (Node only); dialing uses `ws` on
 * Node and the platform `WebSocket` in browsers. Addresses are `host:port` or a `ws://` /
 * `wss://` URL.
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

const CLOSE_NORMAL = 1000;
const CLOSE_TOO_BIG = 1009;

function isNode(): boolean {
  return typeof globalThis.process?.versions?.node === 'string';
}

class WebSocketTransport implements Transport {
  readonly name = 'websocket';
  readonly #options: WebSocketTransportOptions;
  readonly #path: string;

  constructor(options: WebSocketTransportOptions) {
    this.#options = options;
    this.#path = options.path ?? '/handoff';
  }

  async listen(address: string, onConnection: (connection: Connection) => void): Promise<Listener> {
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
      const connection = new WsConnection(socket, this.#options, remote, address);
      connections.add(connection);
      void connection.done.then(() => connections.delete(connection));
      onConnection(connection);
    });
    const bound = (server.address() as { port: number }).port;
    return {
      address: host.includes(':') ? `[${host}]:${bound}` : `${host}:${bound}`,
      async close() {
        const closing = [...connections].map((connection) => (connection.reset(new UnavailableError('listener closed')), connection.done));
        await Promise.all([new Promise<void>((resolve) => server.close(() => resolve())), ...closing]);
      },
    };
  }

  async dial(address: string, options: DialOptions = {}): Promise<Connection> {
    throwIfAborted(options.signal);
    const url = /^wss?:\/\//.test(address) ? address : `ws://${address}${this.#path}`;
    const maxPayload = this.#options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    let socket: WebSocketLike;
    if (isNode()) {
      const { WebSocket } = await import('ws');
      socket = new WebSocket(url, { perMessageDeflate: false, maxPayload }) as unknown as WebSocketLike;
    } else {
      socket = new globalThis.WebSocket(url) as unknown as WebSocketLike;
    }
    socket.binaryType = 'arraybuffer';
    const timeoutMs = this.#options.connectTimeoutMs ?? 10_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const opened = new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new UnavailableError(`dial ${url}: timed out after ${timeoutMs} ms`)), timeoutMs);
      socket.onopen = () => {
        clearTimeout(timer);
        resolve();
      };
      socket.onerror = (event: unknown) => {
        clearTimeout(timer);
        const message = (event as { message?: string }).message ?? 'connection failed';
        reject(new UnavailableError(`dial ${url}: ${message}`));
      };
    });
    try {
      await raceAbort(opened, options.signal);
    } catch (err) {
      clearTimeout(timer);
      // Returns once the socket is closed, so nothing of an abandoned dial outlives the caller.
      if (socket.readyState !== 3) {
        const closed = new Promise<void>((resolve) => (socket.onclose = () => resolve()));
        socket.close();
        await closed;
      }
      throw err;
    }
    return new WsConnection(socket, this.#options, address, 'client');
  }
}

/**
 * The part of a `ws` socket's message parser we steer: it checks each frame header's length
 * against `_maxPayload` (read on every frame; 0 means no limit) before buffering the payload, and
 * `_totalPayloadLength` is what the message being received announced so far. Browsers have no
 * such parser to reach; there frames are checked whole (`FrameConnection.deliver`).
 */
interface WsReceiver {
  _maxPayload?: number;
  _totalPayloadLength?: number;
}

/** The part of the WebSocket API shared by `ws` and browsers that we use. */
interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  onopen: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  send(data: Uint8Array, callback?: (err?: Error) => void): void;
  close(code?: number, reason?: string): void;
  terminate?(): void;
  pause?(): void;
  resume?(): void;
}

/** @internal */
class WsConnection extends FrameConnection {
  readonly remoteAddress: string;
  readonly localAddress: string;
  readonly #socket: WebSocketLike;
  readonly #highWater: number;
  #closing: (() => void) | undefined;

  constructor(socket: NodeWebSocket | WebSocketLike, limits: FrameLimits, remoteAddress: string, localAddress: string) {
    super(limits);
    this.#socket = socket as unknown as WebSocketLike;
    this.#socket.binaryType = 'arraybuffer';
    this.#highWater = limits.receiveHighWater ?? 4 * 1024 * 1024;
    this.remoteAddress = remoteAddress;
    this.localAddress = localAddress;
    this.#socket.onmessage = (event) => {
      const data = event.data;
      if (data instanceof ArrayBuffer) this.deliver(new Uint8Array(data));
      else if (ArrayBuffer.isView(data)) this.deliver(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      else this.reset(new UnavailableError('peer sent a text message; only binary frames are allowed'));
    };
    this.#socket.onerror = (event: unknown) => {
      // The parser refused a frame (ws closes politely and would wait 30 s for the peer): reset now.
      const code = (event as { error?: { code?: unknown } }).error?.code;
      if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.reset(new ResourceExhaustedError(`peer sent a frame over the limit of ${this.incomingFrameLimit} bytes`));
      else if (typeof code === 'string' && code.startsWith('WS_ERR_')) this.reset(new UnavailableError(`peer broke the WebSocket protocol (${code})`));
    };
    this.#socket.onclose = (event) => {
      if (event.code === CLOSE_NORMAL) this.remoteEnded();
      else if (event.code === CLOSE_TOO_BIG) this.fail(new ResourceExhaustedError('frame exceeds the peer\'s limit'));
      else this.fail(new UnavailableError(`connection closed (code ${event.code}${event.reason ? `: ${event.reason}` : ''})`));
      this.finished();
      this.#closing?.();
    };
  }

  protected sendFrame(parts: readonly Uint8Array[]): Promise<void> {
    const socket = this.#socket;
    const frame = parts.length === 1 ? parts[0]! : concatBytes(...parts);
    if (socket.readyState !== 1) return Promise.reject(new UnavailableError('connection is closed'));
    if (!isNode()) {
      socket.send(frame);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      socket.send(frame, (err) => {
        if (settled) return;
        settled = true;
        if (err) reject(new UnavailableError(`send failed: ${err.message}`, { cause: err }));
        else resolve();
      });
      // Resolve at once while the socket's buffer is small; wait for the flush otherwise.
      if (!settled && socket.bufferedAmount < this.#highWater) {
        settled = true;
        resolve();
      }
    });
  }

  protected override applyIncomingLimit(maxBytes: number): void {
    const receiver = (this.#socket as { _receiver?: WsReceiver })._receiver;
    if (receiver === undefined || typeof receiver._maxPayload !== 'number') return;
    receiver._maxPayload = Math.max(1, maxBytes);
    const announced = receiver._totalPayloadLength ?? 0;
    if (announced > maxBytes) this.reset(new ResourceExhaustedError(`peer sent a frame of ${announced} bytes, over the limit of ${maxBytes}`));
  }

  protected pauseSource(): void {
    this.#socket.pause?.();
  }

  protected resumeSource(): void {
    this.#socket.resume?.();
  }

  protected closeSink(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#closing = resolve;
      this.#socket.close(CLOSE_NORMAL);
    });
  }

  protected destroy(): void {
    if (this.#socket.terminate) this.#socket.terminate();
    else this.#socket.close(4000, 'reset');
  }
}
