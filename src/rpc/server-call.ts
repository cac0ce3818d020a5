import { CanceledError, DeadlineExceededError, InternalError, InvalidArgumentError, UnavailableError, isHandoffError, toWireError } from '../core/errors.js';
import type { NodeId } from '../crypto/node-id.js';
import type { Connection } from '../transport/types.js';
import type { CallContext, ServerStream } from './context.js';
import { Kind, encodeEnvelope } from './frames.js';
import { Inbox } from './inbox.js';
import type { Method } from './method.js';

export interface CallHooks {
  /** An unexpected (non-handoff) error thrown by a handler, for the host's logs. */
  onHandlerError(error: unknown, method: string): void;
  /** The call is over on both sides; the connection may serve the next one. */
  onFinished(): void;
}

/**
 * One call being served on a connection: its abort signal, deadline, inbox of client messages
 * and the rule that it ends only when both sides have finished sending.
 */
export class ServerCall {
  /**
   * Made when first asked for (see {@link signal}): most unary handlers never look at their
   * signal, and an AbortController, its signal and the abort event at the end of every call
   * were about a tenth of the CPU of a sequential unary call.
   */
  #controller: AbortController | undefined;
  /** Why the call was aborted (or that it finished); set once. */
  #reason: Error | undefined;
  readonly #inbox: Inbox<unknown> | undefined;
  readonly context: CallContext;
  #clientDone: boolean;
  #serverDone = false;
  #finished = false;
  readonly #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly connection: Connection,
    readonly name: string,
    readonly kind: 'unary' | 'stream',
    /** The registered method's schemas; undefined for an unknown method. */
    readonly method: Method | undefined,
    peer: NodeId,
    timeoutMs: number | undefined,
    readonly hooks: CallHooks,
  ) {
    this.#clientDone = kind === 'unary';
    this.#inbox = kind === 'stream' ? new Inbox<unknown>() : undefined;
    if (timeoutMs !== undefined) {
      this.#timer = setTimeout(() => this.abort(new DeadlineExceededError(`deadline of ${timeoutMs} ms exceeded`)), timeoutMs);
    }
    this.context = new ServerCallContext(this, peer, name, timeoutMs === undefined ? undefined : Date.now() + timeoutMs, connection.remoteAddress);
  }

  /** Aborted when the call is abandoned, its deadline passes, or it finished. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#reason !== undefined) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: Error): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    // An aborted call's deadline means nothing more; its timer must not outlive a closed server.
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#controller?.abort(reason);
    this.#inbox?.fail(reason);
  }

  /** Queues a client message for a streaming handler; waits while the handler is behind. */
  put(body: unknown): Promise<void> {
    if (!this.#inbox) throw new InvalidArgumentError('protocol error: message for a unary call');
    return this.#inbox.put(body);
  }

  /** The client sent CLOSE_SEND (or canceled). */
  clientFinished(): void {
    this.#clientDone = true;
    this.#inbox?.end();
    this.#maybeFinish();
  }

  /** Sends the handler's outcome (unless the call was abandoned) and marks the server side done. */
  async respond(outcome: { ok: true; body?: unknown } | { ok: false; error: unknown }): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    // The handler is done: client messages still in flight are dropped, never queued for nobody
    // (a full inbox would stop the connection's reader before it ever saw CLOSE_SEND).
    this.#inbox?.end();
    const reason = this.#reason;
    const abandoned = reason !== undefined && !isHandoffError(reason, 'DeadlineExceeded');
    if (!abandoned && !this.connection.closed) {
      let frame: Uint8Array[];
      if (outcome.ok) {
        frame = encodeEnvelope(this.kind === 'unary' ? { kind: Kind.RESULT, body: outcome.body } : { kind: Kind.END });
      } else {
        if (!isHandoffError(outcome.error) || outcome.error.code === 'Internal') this.hooks.onHandlerError(outcome.error, this.name);
        const wire = toWireError(reason ?? outcome.error);
        frame = encodeEnvelope({ kind: Kind.ERROR, code: wire.code, message: wire.message });
      }
      try {
        await this.connection.send(frame);
      } catch {
        // The connection broke: the call ends all the same (its loss is reported elsewhere).
      }
    }
    this.#serverDone = true;
    this.#maybeFinish();
  }

  /** The stream object handed to a streaming handler. */
  stream(): ServerStream<unknown, unknown> {
    const call = this;
    const method = this.method;
    if (!method) throw new InternalError(`no method ${this.name}`);
    const receive = async (): Promise<unknown> => {
      const next = await call.#inbox!.take(call.signal);
      return next.done ? undefined : method.request.parse(next.value, 'message');
    };
    return {
      receive,
      async send(message: unknown) {
        if (call.#reason !== undefined) throw call.#reason;
        let body: unknown;
        try {
          body = method.response.parse(message, 'response');
        } catch (err) {
          throw new InternalError(`${call.name} handler sent an invalid message`, { cause: err });
        }
        await call.connection.send(encodeEnvelope({ kind: Kind.MSG, body }), call.signal);
      },
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const message = await receive();
          if (message === undefined) return;
          yield message;
        }
      },
    };
  }

  #maybeFinish(): void {
    if (this.#finished || !this.#clientDone || !this.#serverDone) return;
    this.#finished = true;
    if (this.#reason === undefined) {
      this.#reason = callFinished();
      this.#controller?.abort(this.#reason);
    }
    this.hooks.onFinished();
  }
}

/**
 * A handler's {@link CallContext}: its signal made only when asked for (see {@link ServerCall.signal}).
 * A class, not an object literal with a getter: V8 defined the getter on every call's literal
 * anew, turning each context into a dictionary-mode object — about 4% of a TLS server's CPU
 * under 64 callers.
 */
class ServerCallContext implements CallContext {
  readonly #call: ServerCall;

  constructor(
    call: ServerCall,
    readonly peer: NodeId,
    readonly method: string,
    readonly deadline: number | undefined,
    readonly remoteAddress: string,
  ) {
    this.#call = call;
  }

  get signal(): AbortSignal {
    return this.#call.signal;
  }
}

let finishedReason: CanceledError | undefined;

/**
 * The reason a finished call's signal gives: one error made on first use and shared. A fresh
 * error per call captured a stack trace for every call served, most never looked at (about
 * 0.3 s of a node's profile in an exit run).
 */
function callFinished(): CanceledError {
  return (finishedReason ??= new CanceledError('call finished'));
}

export const connectionLost = (): UnavailableError => new UnavailableError('connection lost');
