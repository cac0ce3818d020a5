/**
 * One side of an in-memory connection and the link both sides share: frames are copied across,
 * counted for traffic, delayed or dropped as the network's faults say, with backpressure.
 */
import { concatBytes } from '../core/bytes.js';
import { ResourceExhaustedError, UnavailableError } from '../core/errors.js';
import { FrameConnection } from './frame-connection.js';
import type { FrameLimits } from './types.js';
import type { MemoryNetwork, MemoryTraffic } from './memory.js';

/** @internal What both ends of one in-memory connection share. */
export interface Link {
  net: MemoryNetwork;
  address: string;
  fromHost: string;
  toHost: string;
  frames: number;
  dropAfter: number | undefined;
  traffic: MemoryTraffic;
}

/** @internal One side of an in-memory connection. */
export class MemoryConnection extends FrameConnection {
  readonly remoteAddress: string;
  readonly localAddress: string;
  readonly link: Link;
  peer!: MemoryConnection;
  readonly #toListener: boolean;
  #drained: { promise: Promise<void>; resolve: () => void } | undefined;
  #pending = Promise.resolve();

  constructor(link: Link, remoteAddress: string, localAddress: string, limits: FrameLimits, accepted: boolean) {
    super(limits);
    this.link = link;
    this.remoteAddress = remoteAddress;
    this.localAddress = localAddress;
    this.#toListener = !accepted;
  }

  /** Every frame is copied as it is sent (before `send` returns), so nothing is ever held. */
  released(): Promise<void> {
    return Promise.resolve();
  }

  protected async sendFrame(parts: readonly Uint8Array[], length: number): Promise<void> {
    const link = this.link;
    link.frames++;
    if (this.#toListener) {
      link.traffic.frames++;
      link.traffic.bytes += length;
    }
    if (link.dropAfter !== undefined && link.frames > link.dropAfter) {
      const reason = new UnavailableError('connection dropped (fault injection)');
      this.breakLink(reason);
      throw reason;
    }
    // A real receiver refuses a frame by the length in its header; here, before the copy.
    const limit = this.peer.incomingFrameLimit;
    if (length > limit) {
      this.peer.reset(new ResourceExhaustedError(`peer sent a frame of ${length} bytes, over the limit of ${limit}`));
      return;
    }
    // The receiver owns what it gets: copy, as a real network would.
    const copy = concatBytes(...parts);
    const latency = link.net.faults.latencyMs;
    if (latency > 0) {
      this.#pending = this.#pending.then(() => new Promise((r) => setTimeout(r, latency))).then(() => this.peer.accept(copy));
    } else {
      this.peer.accept(copy);
    }
    // Backpressure: wait while the peer holds more than its high-water mark unread.
    while (!this.closed && this.peer.isPaused) await this.peer.waitDrained();
  }

  /** @internal */
  accept(frame: Uint8Array): void {
    this.deliver(frame);
  }

  #pausedFlag = false;
  get isPaused(): boolean {
    return this.#pausedFlag;
  }

  /** @internal */
  waitDrained(): Promise<void> {
    this.#drained ??= (() => {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      return { promise, resolve };
    })();
    return this.#drained.promise;
  }

  protected pauseSource(): void {
    this.#pausedFlag = true;
  }

  protected resumeSource(): void {
    this.#pausedFlag = false;
    const drained = this.#drained;
    this.#drained = undefined;
    drained?.resolve();
  }

  protected async closeSink(): Promise<void> {
    await this.#pending;
    this.peer.remoteEnded();
    if (this.peer.closed) {
      this.finished();
      this.peer.finished();
    }
  }

  protected destroy(reason: Error): void {
    this.resumeSource();
    this.peer.breakFromPeer(reason);
    this.finished();
  }

  /** @internal The link broke under both ends (partition, kill, dropped). */
  breakLink(reason: Error): void {
    this.reset(reason);
  }

  /** @internal */
  breakFromPeer(reason: Error): void {
    this.resumeSource();
    this.fail(new UnavailableError('connection reset by peer', { cause: reason }));
    this.finished();
  }

  /** @internal */
  override remoteEnded(): void {
    super.remoteEnded();
  }

  /** @internal */
  override finished(): void {
    super.finished();
  }
}