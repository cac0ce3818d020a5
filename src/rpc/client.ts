import { abortReason, throwIfAborted } from '../core/abort.js';
import { systemClock, type Clock, type TimerHandle } from '../core/clock.js';
import { DecodeError, InvalidArgumentError, UnavailableError, errorFromCode, isHandoffError } from '../core/errors.js';
import { Identity } from '../crypto/identity.js';
import type { NodeId } from '../crypto/node-id.js';
import type { Connection } from '../transport/types.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../transport/types.js';
import { Kind, decodeEnvelope, encodeEnvelope, type Envelope } from './frames.js';
import { clientHandshake } from './handshake.js';
import type { StreamMethod, UnaryMethod } from './method.js';
import { ClientStream } from './client-stream.js';
import { DEFAULT_MAX_CONCURRENT_DIALS, type CallOptions, type RpcClientOptions } from './client-options.js';
import { callSignal, unlimitedListeners } from './client-signals.js';
import { WaiterQueue } from './waiters.js';

export { DEFAULT_MAX_CONCURRENT_DIALS, type CallOptions, type RpcClientOptions } from './client-options.js';

/** @internal An authenticated connection, checked out of the pool for one call. */
export interface PooledConnection {
  readonly connection: Connection;
  readonly peer: NodeId;
  /** Receives and decodes the next envelope; `undefined` when the server closed. */
  next(signal?: AbortSignal): Promise<Envelope | undefined>;
}

interface IdleEntry {
  pooled: PooledConnection;
  /** When it was returned to the pool (ms). */
  since: number;
}

/**
 * Calls methods on one server. Connections are authenticated once and pooled, so many calls do
 * not re-handshake; calls made at the same time use separate connections.
 *
 * @example
 * ```ts
 * const client = new RpcClient({ transport: tcpTransport(), address, expectedPeer: serverId });
 * const reply = await client.call(Echo, { text: 'hi' }, { timeoutMs: 5_000 });
 * ```
 */
export class RpcClient {
  readonly identity: Identity;
  readonly #options: RpcClientOptions;
  readonly #idle: IdleEntry[] = [];
  readonly #active = new Set<Connection>();
  /** Every connection this client opened that is not fully gone yet (dialing, in use, idle, closing). */
  readonly #open = new Set<Connection>();
  /** Streams open on checked-out connections: close() abandons them (clearing their deadlines). */
  readonly #streams = new Map<Connection, ClientStream<unknown, unknown>>();
  /** Dials in flight (settling, never rejecting), so close() can wait for them. */
  readonly #dials = new Set<Promise<unknown>>();
  /** Aborts dials and handshakes in flight when the client closes. */
  readonly #closing = new AbortController();
  readonly #maxMessageBytes: number;
  #peer: NodeId | undefined;
  #closed = false;
  #sparesDialing = 0;
  #sweeper: TimerHandle | undefined;
  readonly #clock: Clock;
  /** Most connections in use at once lately, and when that was last reached (ms). */
  #demand = 0;
  #demandAt = 0;
  /** Calls waiting for a connection: queued, or dialing their own. */
  #waiting = 0;
  /** Dials in flight, spares included; at most {@link #maxDials}. */
  #dialing = 0;
  readonly #maxDials: number;
  /** Calls waiting for a connection (freed by another call, or dialed), oldest first. */
  readonly #queue = new WaiterQueue<PooledConnection>();

  constructor(options: RpcClientOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    unlimitedListeners(this.#closing.signal);
    this.identity = options.identity ?? Identity.generate();
    this.#maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.#maxDials = options.maxConcurrentDials ?? DEFAULT_MAX_CONCURRENT_DIALS;
    if (!Number.isSafeInteger(this.#maxDials) || this.#maxDials < 1) {
      throw new InvalidArgumentError(`maxConcurrentDials must be a positive integer, got ${String(options.maxConcurrentDials)}`);
    }
  }

  get address(): string {
    return this.#options.address;
  }

  /** The server's authenticated id, once a connection was made. */
  get peer(): NodeId | undefined {
    return this.#peer;
  }

  /** Authenticated connections pooled and ready for the next call, spares included. */
  get idleConnections(): number {
    return this.#idle.length;
  }

  /** Makes sure a connection can be had (dial + handshake) and returns the server's id. */
  async connect(options: CallOptions = {}): Promise<NodeId> {
    const pooled = await this.#acquire(options.signal);
    this.release(pooled);
    return pooled.peer;
  }

  /** Calls a unary method. Rejects with the server's typed error, or `UnavailableError` / `DeadlineExceededError` / `CanceledError`. */
  async call<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, options: CallOptions = NO_OPTIONS): Promise<Res> {
    const body = method.request.parse(request, 'request');
    const { signal, dispose } = callSignal(options);
    try {
      // An idle connection is taken without a promise of its own: most calls find one.
      const pooled = (signal?.aborted === true ? undefined : this.#takeIdle()) ?? (await this.#acquire(signal));
      try {
        await pooled.connection.send(encodeEnvelope({ kind: Kind.CALL, method: method.name, timeoutMs: options.timeoutMs, body }), signal);
        const reply = await pooled.next(signal);
        if (reply === undefined) throw new UnavailableError(`${method.name}: connection closed before a reply`);
        if (reply.kind === Kind.ERROR) {
          // A server ends the connection after a protocol violation (ERROR's `ending`): pooled, it
          // would fail the next call. A handler's refusal, whatever its code, keeps it.
          if (reply.ending === true) this.discard(pooled, false);
          else this.release(pooled);
          throw errorFromCode(reply.code, reply.message);
        }
        if (reply.kind !== Kind.RESULT) throw new DecodeError(`${method.name}: unexpected frame kind ${reply.kind}`);
        this.release(pooled);
        try {
          return method.response.parse(reply.body, 'response');
        } catch (err) {
          throw new DecodeError(`${method.name}: invalid response: ${(err as Error).message}`, { cause: err });
        }
      } catch (err) {
        const aborted = signal?.aborted === true;
        if (this.#active.has(pooled.connection)) this.discard(pooled, aborted);
        throw aborted && !isHandoffError(err, 'Unavailable') ? abortReason(signal!) : err;
      }
    } finally {
      dispose();
    }
  }

  /** Opens a bidirectional stream. */
  async stream<Req, Res>(method: StreamMethod<Req, Res>, options: CallOptions = {}): Promise<ClientStream<Req, Res>> {
    const combined = callSignal(options);
    const signal = combined.signal ?? new AbortController().signal;
    const dispose = combined.dispose;
    let pooled: PooledConnection;
    try {
      pooled = await this.#acquire(signal);
    } catch (err) {
      dispose();
      throw err;
    }
    try {
      await pooled.connection.send(encodeEnvelope({ kind: Kind.OPEN, method: method.name, timeoutMs: options.timeoutMs }), signal);
    } catch (err) {
      dispose();
      this.discard(pooled, false);
      throw err;
    }
    const stream = new ClientStream(this, pooled, method, signal, dispose);
    this.#streams.set(pooled.connection, stream as ClientStream<unknown, unknown>);
    return stream;
  }

  /**
   * Closes pooled connections, resets calls in flight, aborts dials in flight (spares too) and
   * fails calls still waiting for a connection (`UnavailableError`); resolves once every
   * connection the client opened is gone, so nothing of it is left running.
   */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#closing.abort(new UnavailableError('client closed'));
      this.#queue.failAll(new UnavailableError('client closed'));
    }
    this.#stopSweeper();
    this.#idle.length = 0;
    for (const stream of [...this.#streams.values()]) stream.clientClosed();
    for (const connection of this.#active) connection.reset(new UnavailableError('client closed'));
    await Promise.all([...this.#dials]);
    await Promise.all([...this.#open].map((connection) => endConnection(connection)));
  }

  /** @internal Returns a connection whose call ended cleanly on both sides. */
  release(pooled: PooledConnection): void {
    const connection = pooled.connection;
    this.#active.delete(connection);
    this.#streams.delete(connection);
    if (this.#closed || connection.closed) {
      void connection.close().catch(() => undefined);
      return;
    }
    // A call waiting for a connection takes this one at once (it stays in use).
    if (this.#queue.size > 0) {
      this.#active.add(connection);
      if (this.#queue.deliver(pooled)) return;
      this.#active.delete(connection);
    }
    if (this.#idle.length >= this.#kept()) {
      void connection.close().catch(() => undefined);
      return;
    }
    this.#idle.push({ pooled, since: this.#clock.now() });
    this.#startSweeper();
  }

  /**
   * How many idle connections to keep: the floor, or the recent demand when higher. Closing all
   * but 4 after a burst of 64 calls made the next burst dial 60 again, each with a handshake
   * (and under TLS a TLS handshake too), which cost more than the calls.
   */
  #kept(): number {
    const floor = this.#options.maxIdleConnections ?? 4;
    // 0 turns pooling off: callers that want each connection closed after its call still get that.
    if (floor === 0) return 0;
    // The connection being released has just left #active: it was in use too.
    this.#noteDemand(this.#active.size + this.#waiting + 1);
    return Math.max(floor, this.#demand);
  }

  /**
   * Notes `inUse` connections in use or wanted at once now (a call waiting for its dial counts:
   * quick calls may end before the burst's last dial does); a peak older than the idle timeout
   * is forgotten.
   */
  #noteDemand(inUse: number): void {
    const now = this.#clock.now();
    if (inUse < this.#demand && now - this.#demandAt <= this.#idleMs) return;
    this.#demand = inUse;
    this.#demandAt = now;
  }

  get #idleMs(): number {
    return this.#options.idleTimeoutMs ?? 60_000;
  }

  /** @internal Drops a connection after a failed or abandoned call. */
  discard(pooled: PooledConnection, canceled: boolean): void {
    const connection = pooled.connection;
    this.#active.delete(connection);
    this.#streams.delete(connection);
    if (canceled && !connection.closed) {
      void connection.send(encodeEnvelope({ kind: Kind.CANCEL })).catch(() => undefined).finally(() => connection.reset(new UnavailableError('call canceled')));
    } else {
      connection.reset(new UnavailableError('call failed'));
    }
  }

  /**
   * Closes idle connections older than the idle timeout; armed while any are pooled, for when the
   * oldest (first: calls reuse the newest) expires.
   */
  #startSweeper(): void {
    if (this.#sweeper !== undefined || this.#idle.length === 0) return;
    const due = this.#idle[0]!.since + this.#idleMs - this.#clock.now();
    this.#sweeper = this.#clock.setTimeout(() => {
      this.#sweeper = undefined;
      const cutoff = this.#clock.now() - this.#idleMs;
      for (let i = this.#idle.length - 1; i >= 0; i--) {
        const entry = this.#idle[i]!;
        if (entry.since > cutoff && !entry.pooled.connection.closed) continue;
        this.#idle.splice(i, 1);
        void entry.pooled.connection.close().catch(() => undefined);
      }
      this.#startSweeper();
    }, Math.max(0, due) + 1);
  }

  #stopSweeper(): void {
    if (this.#sweeper !== undefined) this.#clock.clearTimeout(this.#sweeper);
    this.#sweeper = undefined;
  }

  /** The newest usable idle connection, now in use; `undefined` when there is none (or the client is closed). */
  #takeIdle(): PooledConnection | undefined {
    if (this.#closed) return undefined;
    for (let entry = this.#idle.pop(); entry; entry = this.#idle.pop()) {
      // The server closes idle connections too; one it closed (or that broke) is never reused.
      if (entry.pooled.connection.closed || this.#clock.now() - entry.since > this.#idleMs) {
        void entry.pooled.connection.close().catch(() => undefined);
        continue;
      }
      this.#active.add(entry.pooled.connection);
      this.#noteDemand(this.#active.size + this.#waiting);
      this.#topUpSpares();
      return entry.pooled;
    }
    return undefined;
  }

  async #acquire(signal: AbortSignal | undefined): Promise<PooledConnection> {
    throwIfAborted(signal);
    if (this.#closed) throw new UnavailableError('client is closed');
    const idle = this.#takeIdle();
    if (idle !== undefined) return idle;
    this.#waiting++;
    this.#noteDemand(this.#active.size + this.#waiting);
    try {
      const waited = this.#queue.wait(signal);
      this.#dialForQueue();
      const pooled = await waited;
      // Handed over by release() (already counted in use); a caller that gave up meanwhile hands it on.
      if (signal?.aborted === true) {
        this.release(pooled);
        throw abortReason(signal);
      }
      this.#topUpSpares();
      return pooled;
    } finally {
      this.#waiting--;
    }
  }

  /**
   * Dials for the queued calls: one dial per call still without one, at most
   * {@link RpcClientOptions.maxConcurrentDials} in flight (spares included). A dial belongs to no
   * call: its connection goes to the oldest queued call (a call that gave up leaves the queue, so
   * the next one gets it), or to the pool when none waits; a failed dial fails the oldest queued
   * call, so each dial still fails at most one caller.
   */
  #dialForQueue(): void {
    while (!this.#closed && this.#dialing < this.#maxDials && this.#dialing - this.#sparesDialing < this.#queue.size) {
      this.#dialing++;
      void this.#dial().then(
        (pooled) => {
          this.#dialing--;
          this.#active.add(pooled.connection);
          this.release(pooled); // to the oldest queued call, or idle; closed when the client was closed meanwhile
          this.#dialForQueue();
        },
        (err: unknown) => {
          this.#dialing--;
          this.#queue.failOne(err instanceof Error ? err : new UnavailableError('dial failed', { cause: err }));
          this.#dialForQueue();
        },
      );
    }
  }

  /** A new authenticated connection (in no set but {@link #open}); close() aborts it and waits for it. */
  async #dial(): Promise<PooledConnection> {
    if (this.#closed) throw new UnavailableError('client is closed');
    const options = this.#options;
    // Dials serve the pool, not one call (a call that gives up leaves its dial to the next
    // caller): only the client's closing stops them.
    const signal = this.#closing.signal;
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    this.#dials.add(settled);
    let peer: NodeId;
    let connection: Connection;
    try {
      connection = await options.transport.dial(options.address, { signal });
      this.#open.add(connection);
      void connection.done.then(() => this.#open.delete(connection));
      peer = await clientHandshake(connection, this.identity, {
        expectedPeer: options.expectedPeer,
        timeoutMs: options.handshakeTimeoutMs,
        signal,
      }).catch((err: unknown) => {
        connection.reset(new UnavailableError('handshake failed'));
        throw err;
      });
      // A transport that finished its dial in spite of the abort: the client is gone, so is this.
      if (this.#closed) {
        connection.reset(new UnavailableError('client closed'));
        throw new UnavailableError('client is closed');
      }
    } finally {
      this.#dials.delete(settled);
      settle();
    }
    this.#peer = peer;
    const maxBytes = this.#maxMessageBytes;
    return {
      connection,
      peer,
      async next(s) {
        const frame = await connection.receive(s);
        return frame === undefined ? undefined : decodeEnvelope(frame, maxBytes);
      },
    };
  }

  /** Dials spares in the background until {@link RpcClientOptions.spareConnections} are idle or on their way. */
  #topUpSpares(): void {
    const wanted = this.#options.spareConnections ?? 0;
    // Spares never wait for a dial slot: calls need them more.
    while (!this.#closed && this.#idle.length + this.#sparesDialing < wanted && this.#dialing < this.#maxDials) {
      this.#sparesDialing++;
      this.#dialing++;
      void this.#dial().then(
        (pooled) => {
          this.#sparesDialing--;
          this.#dialing--;
          this.#active.add(pooled.connection);
          this.release(pooled); // to a queued call, or idle; closed instead when the client was closed meanwhile
          this.#dialForQueue();
        },
        () => {
          // Queued calls have dials of their own, which report their failures.
          this.#sparesDialing--;
          this.#dialing--;
          this.#dialForQueue();
        },
      );
    }
  }
}

const NO_OPTIONS: CallOptions = Object.freeze({});

/** How long close() lets an idle connection end cleanly before it resets it. */
const CLOSE_GRACE_MS = 1000;

/** Ends `connection` cleanly (reset when the peer does not answer within the grace) and waits until it is gone. */
async function endConnection(connection: Connection): Promise<void> {
  void connection.close().catch(() => undefined);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), CLOSE_GRACE_MS)));
  const gone = await Promise.race([connection.done.then(() => true), late]);
  clearTimeout(timer);
  if (!gone) connection.reset(new UnavailableError('client closed'));
  await connection.done;
}
