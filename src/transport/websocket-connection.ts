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
  #closing: (() => void) | undefined;

  constructor(socket: WebSocketLike, kind: WebSocketKind, limits: FrameLimits, remoteAddress: string, localAddress: string) {
    super(limits);
    this.#socket = socket;
    this.#kind = kind;
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
      this.#closing = resolve;
      this.#socket.close(CLOSE_NORMAL);
    });
  }

  protected destroy(): void {
    if (this.#socket.terminate) this.#socket.terminate();
    else this.#socket.close(4000, 'reset');
  }
}
