import { abortReason } from '../core/abort.js';
import { DecodeError, UnavailableError, errorFromCode } from '../core/errors.js';
import type { PooledConnection, RpcClient } from './client.js';
import { Kind, encodeEnvelope } from './frames.js';
import type { StreamMethod } from './method.js';

/**
 * The client's side of a bidirectional stream. Send with `send`, finish sending with
 * `closeSend`, read with `receive` or `for await`. The stream ends when the server sends END
 * (receive yields `undefined`) or an error (receive throws it, typed).
 *
 * @example
 * ```ts
 * const stream = await client.stream(Upload);
 * await stream.send({ chunk });
 * await stream.closeSend();
 * for await (const reply of stream) console.log(reply);
 * ```
 */
export class ClientStream<Req, Res> implements AsyncIterable<Res> {
  #sentClose = false;
  #serverDone = false;
  #released = false;
  readonly #onAbort: () => void;

  constructor(
    private readonly client: RpcClient,
    private readonly pooled: PooledConnection,
    private readonly method: StreamMethod<Req, Res>,
    private readonly signal: AbortSignal,
    private readonly dispose: () => void,
  ) {
    this.#onAbort = () => this.#abandon(true);
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Sends one message; waits while the server is slow to read. */
  async send(message: Req): Promise<void> {
    this.#checkUsable();
    if (this.#sentClose) throw new UnavailableError(`${this.method.name}: send after closeSend`);
    const body = this.method.request.parse(message, 'message');
    await this.#guard(this.pooled.connection.send(encodeEnvelope({ kind: Kind.MSG, body }), this.signal));
  }

  /**
   * Resolves once the transport holds no reference to the bytes of the messages sent so far (see
   * `Connection.released`); `undefined` when the transport cannot tell.
   */
  released(): Promise<void> | undefined {
    return this.pooled.connection.released?.();
  }

  /** Tells the server we will send nothing more. */
  async closeSend(): Promise<void> {
    if (this.#sentClose || this.#released) return;
    this.#checkUsable();
    this.#sentClose = true;
    await this.#guard(this.pooled.connection.send(encodeEnvelope({ kind: Kind.CLOSE_SEND }), this.signal));
    this.#maybeRelease();
  }

  /** The next server message, or `undefined` when the server finished. */
  async receive(): Promise<Res | undefined> {
    if (this.#serverDone) return undefined;
    this.#checkUsable();
    const envelope = await this.#guard(this.pooled.next(this.signal));
    if (envelope === undefined) {
      this.#abandon(false);
      throw new UnavailableError(`${this.method.name}: connection closed before the stream ended`);
    }
    switch (envelope.kind) {
      case Kind.MSG:
        try {
          return this.method.response.parse(envelope.body, 'message');
        } catch (err) {
          this.#abandon(true);
          throw new DecodeError(`${this.method.name}: invalid message: ${(err as Error).message}`, { cause: err });
        }
      case Kind.END:
        this.#serverDone = true;
        await this.#finishSending();
        return undefined;
      case Kind.ERROR:
        this.#serverDone = true;
        // A protocol violation the server ends the connection for: it must not go back to the pool.
        if (envelope.ending === true) this.#abandon(false);
        else await this.#finishSending();
        throw errorFromCode(envelope.code, envelope.message);
      default:
        this.#abandon(true);
        throw new DecodeError(`${this.method.name}: unexpected frame kind ${envelope.kind}`);
    }
  }

  /** Abandons the stream: the server's handler is aborted and the connection is dropped. */
  cancel(): void {
    this.#abandon(true);
  }

  /** @internal The client closed: the stream ends here, and later calls say it is closed. */
  clientClosed(): void {
    if (this.#released) return;
    this.#released = true;
    this.#cleanup();
    this.client.discard(this.pooled, false);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Res> {
    try {
      for (;;) {
        const message = await this.receive();
        if (message === undefined) return;
        yield message;
      }
    } finally {
      // A consumer that breaks out early abandons the stream rather than leaving it half-read.
      if (!this.#serverDone) this.cancel();
    }
  }

  async #finishSending(): Promise<void> {
    if (!this.#sentClose) {
      this.#sentClose = true;
      await this.pooled.connection.send(encodeEnvelope({ kind: Kind.CLOSE_SEND })).catch(() => undefined);
    }
    this.#maybeRelease();
  }

  #maybeRelease(): void {
    if (this.#released || !this.#sentClose || !this.#serverDone) return;
    this.#released = true;
    this.#cleanup();
    this.client.release(this.pooled);
  }

  #abandon(canceled: boolean): void {
    if (this.#released) return;
    this.#released = true;
    this.#serverDone = true;
    this.#cleanup();
    this.client.discard(this.pooled, canceled);
  }

  #cleanup(): void {
    this.signal.removeEventListener('abort', this.#onAbort);
    this.dispose();
  }

  #checkUsable(): void {
    if (this.signal.aborted) throw abortReason(this.signal);
    if (this.#released) throw new UnavailableError(`${this.method.name}: stream is closed`);
  }

  async #guard<T>(promise: Promise<T>): Promise<T> {
    try {
      return await promise;
    } catch (err) {
      if (this.signal.aborted) throw abortReason(this.signal);
      this.#abandon(false);
      throw err;
    }
  }
}
