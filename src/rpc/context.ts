import type { NodeId } from '../crypto/node-id.js';

/** What a handler knows about the call it serves. */
export interface CallContext {
  /** The caller's authenticated node id, from the connection's handshake — never from the body. */
  readonly peer: NodeId;
  readonly method: string;
  /** Fires when the client cancels, the deadline passes, the connection breaks or the server closes. */
  readonly signal: AbortSignal;
  /** Milliseconds since the epoch after which the call is abandoned, when the client set one. */
  readonly deadline: number | undefined;
  readonly remoteAddress: string;
}

/** The server's side of a bidirectional stream. */
export interface ServerStream<Req, Res> extends AsyncIterable<Req> {
  /** The next client message (checked against the schema), or `undefined` once the client finished sending. */
  receive(): Promise<Req | undefined>;
  /** Sends one message; waits while the client is slow to read. */
  send(message: Res): Promise<void>;
}

/** Serves one unary call: the request in, the response out. */
export type UnaryHandler<Req, Res> = (request: Req, context: CallContext) => Res | Promise<Res>;
/** Serves one stream: reads and writes `stream` until the call ends. */
export type StreamHandler<Req, Res> = (stream: ServerStream<Req, Res>, context: CallContext) => Promise<void>;
