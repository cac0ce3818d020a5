/**
 * A transport moves whole frames (byte strings) between two endpoints, in order, with
 * backpressure. Everything above it — identity handshake, calls, streams, deadlines, errors —
 * is the RPC layer's, so a new transport only has to move frames (see `transportSuite`).
 */

/** One end of an open connection. */
export interface Connection {
  /** The address the peer dialed (listener side) or was dialed at (dialer side). */
  readonly remoteAddress: string;
  readonly localAddress: string;
  /**
   * Bytes both ends derive from the secure channel under the transport (TLS exported keying
   * material), or `undefined` when there is none. The identity handshake signs it, binding the
   * proof of identity to this very channel.
   */
  readonly channelBinding: Uint8Array | undefined;
  /**
   * True once the connection is finished for sending: closed locally, closed by the peer (there
   * is no half-close), or reset.
   */
  readonly closed: boolean;
  /**
   * Sends one frame, given whole or as parts that are concatenated on the wire (so large
   * payloads need not be copied into one buffer). Resolves when the transport can take more (a
   * slow peer slows the sender). The bytes must not be modified afterwards. Rejects with
   * `UnavailableError` once closed and `ResourceExhaustedError` when it exceeds the frame limit.
   */
  send(frame: Uint8Array | readonly Uint8Array[], signal?: AbortSignal): Promise<void>;
  /**
   * Resolves once the transport holds no reference to the bytes of any frame sent before the
   * call (it copied them, or the operating system has them), so their memory may be reused;
   * rejects when it cannot tell (the connection broke with writes in flight). Optional: a
   * transport without it may keep the bytes for as long as it likes, and they must not be reused.
   */
  released?(): Promise<void>;
  /**
   * The next frame, or `undefined` when the peer closed cleanly. Rejects with the reset reason
   * (`UnavailableError`, `ResourceExhaustedError`, ...) when the connection broke.
   */
  receive(signal?: AbortSignal): Promise<Uint8Array | undefined>;
  /** Closes our side after queued frames are sent; the peer's `receive` then yields `undefined`. */
  close(): Promise<void>;
  /** Breaks the connection at once; pending and later calls reject with `reason`. */
  reset(reason?: Error): void;
  /**
   * Caps the frames accepted from the peer from now on at `maxBytes` (never above the
   * transport's own limit); `undefined` restores that limit. A frame announced larger — even one
   * already partly received — resets the connection with `ResourceExhaustedError` as soon as its
   * length is known, before its body is buffered. The RPC layer holds every connection to the
   * handshake's 1 KiB until the peer has proven its identity.
   */
  limitIncomingFrames(maxBytes: number | undefined): void;
  /**
   * Resolves when the connection is fully gone (both sides) and the transport holds nothing of it
   * (its socket is closed), with the reset reason if any.
   */
  readonly done: Promise<Error | undefined>;
}

/** An accepting endpoint. */
export interface Listener {
  /** The address peers dial, with a real port when `:0` was asked for. */
  readonly address: string;
  /** Stops accepting, resets every connection it accepted and resolves once they are all gone. */
  close(): Promise<void>;
}

/** How to dial: cancellation, and the limits of the connection. */
export interface DialOptions {
  signal?: AbortSignal;
}

/** A way to reach peers: listen for connections and dial them. */
export interface Transport {
  /** Short name for logs and errors, e.g. `"tcp"`. */
  readonly name: string;
  listen(address: string, onConnection: (connection: Connection) => void): Promise<Listener>;
  dial(address: string, options?: DialOptions): Promise<Connection>;
}

/** Options every shipped transport accepts. */
export interface FrameLimits {
  /** Largest frame accepted or sent, in bytes. Default {@link DEFAULT_MAX_FRAME_BYTES}. */
  maxFrameBytes?: number;
  /**
   * Bytes a receiver queues before it stops reading from the peer. Default
   * {@link DEFAULT_RECEIVE_HIGH_WATER}.
   */
  receiveHighWater?: number;
}

/** 8 MiB: room for a 4 MiB message (the codec's default cap) and its envelope, with margin. */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;
/** 4 MiB: enough to keep a fast link busy, small enough that many connections stay cheap. */
export const DEFAULT_RECEIVE_HIGH_WATER = 4 * 1024 * 1024;
