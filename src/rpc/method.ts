import { InvalidArgumentError } from '../core/errors.js';
import type { Schema } from '../codec/index.js';

/** A request/response call: one message each way. */
export interface UnaryMethod<Req, Res> {
  readonly kind: 'unary';
  /** `Service.Method`, e.g. `Metainfo.BeginMoveObject`. */
  readonly name: string;
  readonly request: Schema<Req>;
  readonly response: Schema<Res>;
}

/** A bidirectional stream: any number of `Req` from the client and `Res` from the server. */
export interface StreamMethod<Req, Res> {
  readonly kind: 'stream';
  readonly name: string;
  readonly request: Schema<Req>;
  readonly response: Schema<Res>;
}

/** Any declared method, unary or stream. */
export type Method = UnaryMethod<any, any> | StreamMethod<any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const METHOD_NAME = /^[A-Z][A-Za-z0-9]{0,63}\.[A-Z][A-Za-z0-9]{0,63}$/;

function checkName(name: string): void {
  if (!METHOD_NAME.test(name)) throw new InvalidArgumentError(`method name ${JSON.stringify(name)} must look like Service.Method`);
}

/**
 * Declares a unary RPC once, with the schemas that validate both messages; server and client
 * then share the declaration, so types and checks cannot drift apart.
 *
 * @example
 * ```ts
 * const Echo = unaryMethod('Test.Echo', s.object({ text: s.string() }), s.object({ text: s.string() }));
 * server.unary(Echo, ({ text }) => ({ text }));
 * await client.call(Echo, { text: 'hi' });
 * ```
 */
export function unaryMethod<Req, Res>(name: string, request: Schema<Req>, response: Schema<Res>): UnaryMethod<Req, Res> {
  checkName(name);
  return { kind: 'unary', name, request, response };
}

/** Declares a bidirectional streaming RPC (see {@link unaryMethod}). */
export function streamMethod<Req, Res>(name: string, request: Schema<Req>, response: Schema<Res>): StreamMethod<Req, Res> {
  checkName(name);
  return { kind: 'stream', name, request, response };
}
