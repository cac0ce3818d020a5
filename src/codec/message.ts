/** Schema-checked messages: the two calls the RPC layer makes for every request and response. */
import { DecodeError, InvalidArgumentError, isHandoffError } from '../core/errors.js';
import { type DecodeOptions, decode, packPlain } from './msgpack.js';
import type { Schema } from './schema.js';

/**
 * Validates `value` against `schema` (throwing `InvalidArgumentError` that names the field) and
 * encodes the parsed result, so only declared fields reach the wire.
 *
 * @example
 * ```ts
 * const bytes = encodeMessage(OrderLimit, limit);
 * ```
 */
export function encodeMessage<T>(schema: Schema<T>, value: T): Uint8Array {
  const message = schema.parse(value);
  if (message === undefined) throw new InvalidArgumentError('a message cannot be absent');
  // Schema output is plain data by construction, so the generic encoder's structural walk is skipped.
  return packPlain(message);
}

/**
 * Decodes `bytes` (size cap first, see {@link decode}) and validates the result against
 * `schema`. Any failure, malformed bytes or a wrong shape, is a `DecodeError`; a shape error
 * keeps the field path, e.g. `"limits[3].pieceId" expected 32 bytes, got 31`.
 *
 * @example
 * ```ts
 * const limit = decodeMessage(OrderLimit, frame, { maxBytes: 64 * 1024 });
 * ```
 */
export function decodeMessage<T>(schema: Schema<T>, bytes: Uint8Array, options?: DecodeOptions): T {
  const value = decode(bytes, options);
  try {
    return schema.parse(value);
  } catch (err) {
    if (isHandoffError(err, 'InvalidArgument')) throw new DecodeError(err.message, { cause: err });
    throw err;
  }
}
