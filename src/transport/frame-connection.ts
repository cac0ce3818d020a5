import { abortReason, raceAbort, throwIfAborted } from '../core/abort.js';
import { ResourceExhaustedError, UnavailableError } from '../core/errors.js';
import {
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_RECEIVE_HIGH_WATER,
  type Connection,
  type FrameLimits,
} from './types.js';

interface Waiter {
  resolve(frame: Uint8Array | undefined): void;
  reject(err: Error): void;
}

/**
 * The shared half of every transport: receive queue with high/low water marks, ordering,
 * close/reset state and error surfacing. A concrete transport implements only "send these
 * bytes", "pause/resume reading", "close" and "destroy", and calls {@link deliver} and
 * {@link remoteEnded} as bytes arrive. TCP, WebSocket and memory behave alike because this
 * code is theirs in common.
 */
export abstract class FrameConnection implements Connection {
  abstract readonly remoteAddress: string;
  abstract readonly localAddress: string;
  readonly channelBinding: Uint8Array | undefined = undefined;
  readonly maxFrameBytes: number;
  #incomingLimit: number;
  readonly #highWater: number;
  readonly #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #waiter: Waiter | undefined;
  #paused = false;
  #remoteEnded = false;
  #localClosed = false;
  #failure: Error | undefined;
  #resolveDone!: (err: Error | undefined) => void;
  readonly done: Promise<Error | undefined>;

  protected constructor(limits: FrameLimits = {}) {
    this.maxFrameBytes = limits.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.#incomingLimit = this.maxFrameBytes;
    this.#highWater = limits.receiveHighWater ?? DEFAULT_RECEIVE_HIGH_WATER;
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
  }

  /** Writes one frame (the concatenation of `parts`, `length` bytes) to the peer; resolves when the sink can take more. */
  protected abstract sendFrame(parts: readonly Uint8Array[], length: number): Promise<void>;
  /** Stop reading from the peer until {@link resumeSource}. */
  protected abstract pauseSource(): void;
  protected abstract resumeSource(): void;
  /** Half-close: flush, then signal end-of-stream to the peer. */
  protected abstract closeSink(): Promise<void>;
  /** Tear down at once. */
  protected abstract destroy(reason: Error): void;
  /**
   * The limit for frames from the peer changed (see {@link limitIncomingFrames}): a transport
   * that parses frame headers checks them against it from now on, and resets the connection if
   * the frame it is receiving is over it. Without this, frames are checked whole in {@link deliver}.
   */
  protected applyIncomingLimit(_maxBytes: number): void {}

  get closed(): boolean {
    return this.#localClosed || this.#remoteEnded || this.#failure !== undefined;
  }

  /** Bytes received but not yet taken by `receive`. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Largest frame accepted from the peer right now (see {@link limitIncomingFrames}). */
  get incomingFrameLimit(): number {
    return this.#incomingLimit;
  }

  limitIncomingFrames(maxBytes: number | undefined): void {
    const limit = Math.min(maxBytes ?? this.maxFrameBytes, this.maxFrameBytes);
    this.#incomingLimit = limit;
    if (this.#failure) return;
    if (this.#queue.some((frame) => frame.length > limit)) {
      this.reset(new ResourceExhaustedError(`peer sent a frame over the limit of ${limit} bytes`));
      return;
    }
    this.applyIncomingLimit(limit);
  }

  send(frame: Uint8Array | readonly Uint8Array[], signal?: AbortSignal): Promise<void> {
    try {
      throwIfAborted(signal);
      if (this.#failure) throw this.#failure;
      if (this.#localClosed) throw new UnavailableError('connection is closed');
      if (this.#remoteEnded) throw new UnavailableError('connection was closed by the peer');
      const parts = frame instanceof Uint8Array ? [frame] : frame;
      let length = 0;
      for (const part of parts) length += part.length;
      if (length > this.maxFrameBytes) {
        throw new ResourceExhaustedError(`frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes}`);
      }
      return raceAbort(this.sendFrame(parts, length), signal);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  receive(signal?: AbortSignal): Promise<Uint8Array | undefined> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const frame = this.#queue.shift();
    if (frame !== undefined) {
      this.#queuedBytes -= frame.length;
      if (this.#paused && this.#queuedBytes <= this.#highWater / 2) {
        this.#paused = false;
        this.resumeSource();
      }
      return Promise.resolve(frame);
    }
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#remoteEnded) return Promise.resolve(undefined);
    if (this.#waiter) return Promise.reject(new Error('receive() is already pending on this connection'));
    // Without a signal the promise's own functions are the waiter: no closures per receive.
    if (signal === undefined) return new Promise<Uint8Array | undefined>((resolve, reject) => (this.#waiter = { resolve, reject }));
    return new Promise<Uint8Array | undefined>((resolve, reject) => {
      const onAbort = (): void => {
        // Clear the waiter synchronously so a frame arriving later stays queued, not lost.
        if (this.#waiter === waiter) this.#waiter = undefined;
        reject(abortReason(signal!));
      };
      const waiter: Waiter = {
        resolve: (frame) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(frame);
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      this.#waiter = waiter;
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async close(): Promise<void> {
    if (this.#localClosed || this.#failure) return;
    this.#localClosed = true;
    try {
      await this.closeSink();
    } catch (err) {
      this.fail(err instanceof Error ? err : new UnavailableError('close failed', { cause: err }));
    }
  }

  reset(reason: Error = new UnavailableError('connection reset')): void {
    if (this.#failure) return;
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    this.fail(reason);
    this.destroy(reason);
  }

  /** Called by the concrete transport for each whole frame from the peer. */
  protected deliver(frame: Uint8Array): void {
    if (this.#failure || this.#remoteEnded) return;
    if (frame.length > this.#incomingLimit) {
      this.reset(new ResourceExhaustedError(`peer sent a frame of ${frame.length} bytes, over the limit of ${this.#incomingLimit}`));
      return;
    }
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.resolve(frame);
      return;
    }
    this.#queue.push(frame);
    this.#queuedBytes += frame.length;
    if (!this.#paused && this.#queuedBytes > this.#highWater) {
      this.#paused = true;
      this.pauseSource();
    }
  }

  /** Called by the concrete transport when the peer closed its sending side cleanly. */
  protected remoteEnded(): void {
    if (this.#remoteEnded || this.#failure) return;
    this.#remoteEnded = true;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resolve(undefined);
  }

  /** Called by the concrete transport when the connection broke. */
  protected fail(reason: Error): void {
    if (this.#failure) return;
    this.#failure = reason;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(reason);
  }

  /**
   * Called by the concrete transport when the underlying channel is fully closed (a socket's
   * 'close'): only then does `done` resolve, so whoever awaits it knows nothing is left open.
   */
  protected finished(): void {
    if (!this.#failure && !(this.#localClosed && this.#remoteEnded)) {
      if (!this.#remoteEnded) this.fail(new UnavailableError('connection closed by peer'));
      else this.#localClosed = true;
    }
    this.#resolveDone(this.#failure);
  }
}
