import { systemClock, type Clock } from '../core/clock.js';
import { DecodeError, InternalError, InvalidArgumentError, NotFoundError, ResourceExhaustedError, UnavailableError, isHandoffError, toWireError } from '../core/errors.js';
import type { Identity } from '../crypto/identity.js';
import type { NodeId } from '../crypto/node-id.js';
import type { Connection, Listener, Transport } from '../transport/types.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../transport/types.js';
import type { StreamHandler, UnaryHandler } from './context.js';
import { Kind, decodeEnvelope, encodeEnvelope, type Envelope } from './frames.js';
import { HANDSHAKE_FRAME_LIMIT, serverHandshake } from './handshake.js';
import type { StreamMethod, UnaryMethod } from './method.js';
import { ServerCall, connectionLost, type CallHooks } from './server-call.js';

/** Options of {@link RpcServer}: its identity and limits. */
export interface RpcServerOptions {
  /** The server's identity, proven to every client in the handshake. */
  identity: Identity;
  /** A connection that has not finished the handshake by then is closed (default 10 s). */
  handshakeTimeoutMs?: number;
  /** A connection with no call for this long is closed (default 5 min). */
  idleTimeoutMs?: number;
  /** Connections beyond this many are refused with `ResourceExhausted` (default 1024). */
  maxConnections?: number;
  /**
   * Connections still in the handshake (not yet authenticated) beyond this many are refused with
   * `ResourceExhausted` and closed at once (default 256).
   */
  maxUnauthenticatedConnections?: number;
  /** The same, per remote host (the address without its port; default 32). */
  maxUnauthenticatedPerAddress?: number;
  /** Time for the handshake timeout (default: the system clock). */
  clock?: Clock;
  /** Largest message accepted (default: the transport's frame limit, 8 MiB). */
  maxMessageBytes?: number;
  /** Unexpected handler errors (bugs), for logs. Clients only ever see "internal error". */
  onError?: (error: unknown, method: string) => void;
}

type Registered =
  | { kind: 'unary'; method: UnaryMethod<unknown, unknown>; handler: UnaryHandler<unknown, unknown> }
  | { kind: 'stream'; method: StreamMethod<unknown, unknown>; handler: StreamHandler<unknown, unknown> };

/**
 * Serves registered methods on any number of transports. One call runs at a time per
 * connection; clients pool connections to run calls in parallel.
 *
 * @example
 * ```ts
 * const server = new RpcServer({ identity: Identity.generate() });
 * server.unary(Echo, (request, ctx) => ({ text: `${request.text} from ${ctx.peer}` }));
 * const listener = await server.listen(tcpTransport(), '127.0.0.1:0');
 * ```
 */
export class RpcServer {
  readonly identity: Identity;
  readonly #options: RpcServerOptions;
  readonly #methods = new Map<string, Registered>();
  readonly #listeners: Listener[] = [];
  /** Each open connection's session, with the promise that settles when it has ended. */
  readonly #sessions = new Map<ServerSession, Promise<void>>();
  /** Connections in the handshake, per remote host. */
  readonly #unauthenticated = new Map<string, number>();
  #closed = false;

  constructor(options: RpcServerOptions) {
    this.identity = options.identity;
    this.#options = options;
  }

  /** Registers a unary handler. */
  unary<Req, Res>(method: UnaryMethod<Req, Res>, handler: UnaryHandler<Req, Res>): this {
    this.#register({ kind: 'unary', method, handler } as unknown as Registered);
    return this;
  }

  /** Registers a bidirectional-stream handler. */
  stream<Req, Res>(method: StreamMethod<Req, Res>, handler: StreamHandler<Req, Res>): this {
    this.#register({ kind: 'stream', method, handler } as unknown as Registered);
    return this;
  }

  /** Starts accepting connections on `transport` at `address`. */
  async listen(transport: Transport, address: string): Promise<Listener> {
    if (this.#closed) throw new UnavailableError('server is closed');
    const listener = await transport.listen(address, (connection) => this.handle(connection));
    this.#listeners.push(listener);
    return listener;
  }

  /** Serves one already-open connection (for hosts that accept connections themselves). */
  handle(connection: Connection): void {
    // Before anything else, and before the transport reads on: a stranger sends small frames.
    connection.limitIncomingFrames(HANDSHAKE_FRAME_LIMIT);
    if (this.#closed) {
      connection.reset(new UnavailableError('server is closed'));
      return;
    }
    const max = this.#options.maxConnections ?? 1024;
    if (this.#sessions.size >= max) {
      this.#refuse(connection, `server is at its limit of ${max} connections`);
      return;
    }
    const host = remoteHost(connection.remoteAddress);
    const fromHost = this.#unauthenticated.get(host) ?? 0;
    const maxUnauthenticated = this.#options.maxUnauthenticatedConnections ?? 256;
    const maxPerAddress = this.#options.maxUnauthenticatedPerAddress ?? 32;
    if (this.unauthenticatedCount >= maxUnauthenticated) {
      this.#refuse(connection, `server is at its limit of ${maxUnauthenticated} connections in the handshake`);
      return;
    }
    if (fromHost >= maxPerAddress) {
      this.#refuse(connection, `server is at its limit of ${maxPerAddress} connections in the handshake from ${host}`);
      return;
    }
    this.#unauthenticated.set(host, fromHost + 1);
    const handshakeEnded = (): void => {
      const left = this.#unauthenticated.get(host)! - 1;
      if (left === 0) this.#unauthenticated.delete(host);
      else this.#unauthenticated.set(host, left);
    };
    const session = new ServerSession(this, connection, this.#options, handshakeEnded);
    this.#sessions.set(session, session.run().finally(() => this.#sessions.delete(session)));
  }

  /** Open connections right now. */
  get connectionCount(): number {
    return this.#sessions.size;
  }

  /** Open connections whose peer has not finished the handshake yet. */
  get unauthenticatedCount(): number {
    let count = 0;
    for (const fromHost of this.#unauthenticated.values()) count += fromHost;
    return count;
  }

  /** Stops listening, aborts running handlers and closes every connection. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#listeners.map((l) => l.close().catch(() => undefined)));
    const sessions = [...this.#sessions];
    for (const [session] of sessions) session.shutdown();
    // Only once every connection is really gone: nothing of the server outlives close().
    await Promise.all(sessions.map(([session, ended]) => Promise.all([ended, session.connection.done])));
  }

  /** @internal */
  lookup(name: string): Registered | undefined {
    return this.#methods.get(name);
  }

  #register(entry: Registered): void {
    if (this.#methods.has(entry.method.name)) throw new InvalidArgumentError(`${entry.method.name} is already registered`);
    this.#methods.set(entry.method.name, entry);
  }

  /** Tells the peer why (a small frame), then closes. */
  #refuse(connection: Connection, message: string): void {
    const refusal = encodeEnvelope({ kind: Kind.ERROR, code: 'ResourceExhausted', message });
    void connection.send(refusal).then(() => connection.close(), () => undefined).finally(() => connection.reset(new ResourceExhaustedError(message)));
  }
}

/**
 * The host part of a connection's remote address, which caps count per: `1.2.3.4:5678`,
 * `[::1]:5678` and `::1:5678` (as WebSocket reports it) lose the port, IPv4 mapped into IPv6
 * becomes plain IPv4, and a memory network's host name stays as it is.
 */
export function remoteHost(address: string): string {
  const host = address.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return host.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
}

/** One connection's life on the server: handshake, then calls one after another. Its calls report to it (it is their hooks: no closures per call). */
class ServerSession implements CallHooks {
  #call: ServerCall | undefined;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #idleSince: number | undefined;
  readonly #maxMessageBytes: number;

  constructor(
    readonly server: RpcServer,
    readonly connection: Connection,
    readonly options: RpcServerOptions,
    /** Called once when the handshake succeeded or failed. */
    readonly handshakeEnded: () => void,
  ) {
    this.#maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  async run(): Promise<void> {
    const connection = this.connection;
    let peer: NodeId;
    try {
      peer = await serverHandshake(connection, this.server.identity, this.options.handshakeTimeoutMs ?? 10_000, this.options.clock ?? systemClock);
    } catch (err) {
      this.handshakeEnded();
      const wire = toWireError(isHandoffError(err) ? err : new UnavailableError('handshake failed'));
      await connection.send(encodeEnvelope({ kind: Kind.ERROR, code: wire.code, message: wire.message })).catch(() => undefined);
      connection.reset(err instanceof Error ? err : undefined);
      return;
    }
    this.handshakeEnded();
    void connection.done.then(() => this.#call?.abort(connectionLost()));
    this.#armIdle();
    try {
      for (;;) {
        const frame = await connection.receive();
        if (frame === undefined) break;
        const waiting = this.#dispatch(decodeEnvelope(frame, this.#maxMessageBytes), peer);
        if (waiting !== undefined) await waiting;
      }
      this.#call?.abort(connectionLost());
      await connection.close();
    } catch (err) {
      // Malformed frames and protocol violations end the connection, never the server.
      if (err instanceof DecodeError || err instanceof InvalidArgumentError) {
        await connection.send(encodeEnvelope({ kind: Kind.ERROR, code: 'InvalidArgument', message: err.message, ending: true })).catch(() => undefined);
      }
      this.#call?.abort(connectionLost());
      connection.reset(err instanceof Error ? err : undefined);
    } finally {
      this.#stopIdleTimer();
    }
  }

  shutdown(): void {
    this.#call?.abort(new UnavailableError('server is shutting down'));
    this.connection.reset(new UnavailableError('server closed'));
  }

  /** Acts on one frame; returns a promise only when the reader must wait (a stream handler is behind). */
  #dispatch(envelope: Envelope, peer: NodeId): Promise<void> | undefined {
    const call = this.#call;
    if (call) {
      switch (envelope.kind) {
        case Kind.MSG:
          return call.put(envelope.body);
        case Kind.CLOSE_SEND:
          call.clientFinished();
          return;
        case Kind.CANCEL:
          call.abort(new UnavailableError('canceled by the client'));
          call.clientFinished();
          return;
        default:
          throw new InvalidArgumentError(`protocol error: frame kind ${envelope.kind} during a call`);
      }
    }
    if (envelope.kind !== Kind.CALL && envelope.kind !== Kind.OPEN) {
      throw new InvalidArgumentError(`protocol error: frame kind ${envelope.kind} outside a call`);
    }
    this.#clearIdle();
    const registered = this.server.lookup(envelope.method);
    const kind = envelope.kind === Kind.CALL ? 'unary' : 'stream';
    const started = new ServerCall(this.connection, envelope.method, kind, registered?.method, peer, envelope.timeoutMs, this);
    this.#call = started;
    void this.#serve(started, registered, envelope);
    return undefined;
  }

  async #serve(call: ServerCall, registered: Registered | undefined, envelope: Envelope): Promise<void> {
    try {
      if (!registered) throw new NotFoundError(`unknown method ${call.name}`);
      if (registered.kind !== call.kind) throw new InvalidArgumentError(`${call.name} is a ${registered.kind} method`);
      if (registered.kind === 'unary' && envelope.kind === Kind.CALL) {
        const request = registered.method.request.parse(envelope.body, 'request');
        const result = await registered.handler(request, call.context);
        let body: unknown;
        try {
          body = registered.method.response.parse(result, 'response');
        } catch (err) {
          throw new InternalError(`${call.name} produced an invalid response`, { cause: err });
        }
        await call.respond({ ok: true, body });
      } else if (registered.kind === 'stream') {
        await registered.handler(call.stream(), call.context);
        await call.respond({ ok: true });
      }
    } catch (error) {
      await call.respond({ ok: false, error });
    }
  }

  /** @internal {@link CallHooks}: a handler's unexpected error, for the server's `onError`. */
  onHandlerError(error: unknown, method: string): void {
    this.options.onError?.(error, method);
  }

  /** @internal {@link CallHooks}: the call is over on both sides; the connection waits for the next. */
  onFinished(): void {
    this.#call = undefined;
    this.#armIdle();
  }

  /** The connection is idle from now; a single timer checks it, re-armed only when it fires. */
  #armIdle(): void {
    this.#idleSince = Date.now();
    if (this.#idleTimer === undefined) this.#scheduleIdleCheck(this.options.idleTimeoutMs ?? 300_000);
  }

  #clearIdle(): void {
    this.#idleSince = undefined;
  }

  #scheduleIdleCheck(delay: number): void {
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.connection.closed) return;
      const idleMs = this.options.idleTimeoutMs ?? 300_000;
      if (this.#idleSince === undefined) return this.#scheduleIdleCheck(idleMs);
      const left = this.#idleSince + idleMs - Date.now();
      if (left <= 0) void this.connection.close();
      else this.#scheduleIdleCheck(left);
    }, delay);
    this.#idleTimer.unref?.();
  }

  #stopIdleTimer(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }
}
