/**
 * One handoff connection over one WebSocket: a frame is one binary message. The socket is either
 * a `ws` socket (Node: dialed or accepted) or the platform `WebSocket` of a browser; both are
 * driven through the small {@link WebSocketLike} surface they share, so this file imports neither.
 */
import { concatBytes } from '../core/bytes.js';
import { ResourceExhaustedError, UnavailableError } from '../core/errors.js';
import { FrameConnection } from './frame-connection.js';
import type { FrameLimits } from './types.js';

/** The path a WebSocket listener serves and a dialer requests unless told otherwise. */
export const DEFAULT_WEBSOCKET_PATH = '/handoff';

const CLOSE_NORMAL = 1000;
const CLOSE_TOO_BIG = 1009;
const OPEN = 1;
/**
 * How long a closing socket may wait for its `close` event by default. A browser waits for the
 * peer's half of the closing handshake (Chromium up to 60 s) and offers no way to cut it short.
 */
export const DEFAULT_WEBSOCKET_CLOSE_TIMEOUT_MS = 5_000;
/** How often a platform socket's `bufferedAmount` is looked at while a sender waits for it to drain. */
const DRAIN_POLL_MS = 5;

/** The part of the WebSocket API shared by `ws` and browsers that we use. */
export interface WebSocketLike {
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

/** Frame limits, and how long a closing socket may take: the options a {@link WsConnection} reads. */
export interface WebSocketConnectionLimits extends FrameLimits {
  /**
   * Longest wait for the socket's `close` event once this side closes or resets it (default
   * {@link DEFAULT_WEBSOCKET_CLOSE_TIMEOUT_MS}). A clean close not finished by then becomes a
   * reset; a reset not finished by then ends the connection anyway (`done` resolves): a platform
   * socket cannot be torn down, so it is let go of, its handlers detached, and the runtime closes
   * it in its own time.
   */
  readonly closeTimeoutMs?: number;
}

/**
 * Which API the socket is: `ws` calls back once a send is flushed and can pause reading; a
 * platform WebSocket does neither, so a sender waits for `bufferedAmount` to fall instead.
 */
export type WebSocketKind = 'ws' | 'platform';

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

/** @internal A {@link FrameConnection} over an open WebSocket. */
export class WsConnection extends FrameConnection {
  readonly remoteAddress: string;
  readonly localAddress: string;
  readonly #socket: WebSocketLike;
  readonly #kind: WebSocketKind;
  readonly #highWater: number;
  readonly #closeTimeoutMs: number;
  #closing: (() => void) | undefined;
  /** Set once the socket's `close` event came, or once it was let go of without one. */
  #gone = false;
  /** Set once destroy() ran: the socket was told to go at once. */
  #resetting = false;
  /** The timer that lets go of a socket whose `close` event is late (see {@link WebSocketConnectionLimits.closeTimeoutMs}). */
  #closeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(socket: WebSocketLike, kind: WebSocketKind, limits: WebSocketConnectionLimits, remoteAddress: string, localAddress: string) {
    super(limits);
    this.#socket = socket;
    this.#kind = kind;
    this.#socket.binaryType = 'arraybuffer';
    this.#highWater = limits.receiveHighWater ?? 4 * 1024 * 1024;
    this.#closeTimeoutMs = limits.closeTimeoutMs ?? DEFAULT_WEBSOCKET_CLOSE_TIMEOUT_MS;
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
      if (this.#gone) return;
      if (event.code === CLOSE_NORMAL) this.remoteEnded();
      else if (event.code === CLOSE_TOO_BIG) this.fail(new ResourceExhaustedError('frame exceeds the peer\'s limit'));
      else this.fail(new UnavailableError(`connection closed (code ${event.code}${event.reason ? `: ${event.reason}` : ''})`));
      this.#ended();
    };
  }

  /** The socket is closed, or let go of: `done` resolves and nothing of it is waited for any more. */
  #ended(): void {
    if (this.#gone) return;
    this.#gone = true;
    clearTimeout(this.#closeTimer);
    this.finished();
    this.#closing?.();
  }

  /**
   * Arms the close timer once: when the socket has not closed `closeTimeoutMs` after we asked
   * it to, a clean close becomes a reset, and a reset lets go of the socket.
   */
  #awaitClose(): void {
    if (this.#gone || this.#closeTimer !== undefined) return;
    this.#closeTimer = setTimeout(() => {
      this.#closeTimer = undefined;
      if (this.#gone) return;
      if (this.#resetting) return this.#letGo();
      // A clean close the peer never finished: break it (destroy() arms this timer once more).
      this.reset(new UnavailableError(`the peer did not finish closing within ${this.#closeTimeoutMs} ms`));
      if (!this.#resetting) this.destroy();
    }, this.#closeTimeoutMs);
  }

  /**
   * Stops waiting for a socket that does not close: its handlers are detached (nothing it does
   * later reaches us) and the connection counts as gone.
   */
  #letGo(): void {
    const socket = this.#socket;
    socket.onmessage = null;
    socket.onerror = null;
    socket.onclose = null;
    this.fail(new UnavailableError('connection closed (the socket did not report its close in time)'));
    this.#ended();
  }

  protected sendFrame(parts: readonly Uint8Array[]): Promise<void> {
    const socket = this.#socket;
    const frame = parts.length === 1 ? parts[0]! : concatBytes(...parts);
    if (socket.readyState !== OPEN) return Promise.reject(new UnavailableError('connection is closed'));
    if (this.#kind === 'platform') {
      socket.send(frame);
      return socket.bufferedAmount < this.#highWater ? Promise.resolve() : this.#drained();
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

  /**
   * Resolves once a platform socket has sent enough of what it buffered: browsers signal no
   * drain, and without this wait an upload would queue a whole segment's pieces in memory.
   */
  #drained(): Promise<void> {
    const socket = this.#socket;
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (socket.readyState !== OPEN) reject(new UnavailableError('connection closed while sending'));
        else if (socket.bufferedAmount < this.#highWater / 2) resolve();
        else setTimeout(check, DRAIN_POLL_MS);
      };
      setTimeout(check, DRAIN_POLL_MS);
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
      if (this.#gone) return resolve();
      this.#closing = resolve;
      this.#socket.close(CLOSE_NORMAL);
      this.#awaitClose();
    });
  }

  protected destroy(): void {
    this.#resetting = true;
    if (this.#socket.terminate) this.#socket.terminate();
    else this.#socket.close(4000, 'reset');
    // A browser's socket that is already closing ignores close(): its close event may be a
    // minute away, and `done` (which RpcClient.close awaits) must not wait that long.
    if (this.#closeTimer !== undefined) {
      clearTimeout(this.#closeTimer);
      this.#closeTimer = undefined;
    }
    this.#awaitClose();
  }
}
