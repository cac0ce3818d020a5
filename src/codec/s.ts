/**
 * `s`: the schema builders. Each RPC declares its request and response shape once with them,
 * and every decoded message passes its schema before a handler sees it.
 *
 * @example
 * ```ts
 * const OrderLimit = s.object({
 *   pieceId: s.bytes({ length: 32 }),
 *   action: s.enum(['PUT', 'GET', 'GET_AUDIT', 'PUT_REPAIR', 'PUT_GRACEFUL_EXIT', 'DELETE'] as const),
 *   limit: s.u64(),
 *   expiresAt: s.int({ min: 0 }),
 *   note: s.optional(s.string({ max: 256 })),
 * });
 * type OrderLimit = Infer<typeof OrderLimit>;
 * const limit = OrderLimit.parse(untrusted); // throws InvalidArgumentError naming the field
 * ```
 */
import { array, map, nullable, object, optional, variant } from './schema-compounds.js';
import { bool, bytes, enumOf, float, i64, int, literal, string, u64 } from './schema-scalars.js';

/** Schema builders for wire messages: `s.object({ name: s.string({ max: 63 }) })`; each schema validates what it decodes. */
export const s = {
  bytes,
  string,
  int,
  u64,
  i64,
  float,
  bool,
  literal,
  enum: enumOf,
  array,
  object,
  optional,
  nullable,
  variant,
  map,
} as const;
