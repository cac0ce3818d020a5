/**
 * The wire codec: one MessagePack configuration, typed schemas for every message, and the
 * canonical encoding signatures cover.
 */
export { DEFAULT_MAX_DEPTH, DEFAULT_MAX_MESSAGE_BYTES, type DecodeOptions, decode, encode } from './msgpack.js';
export { decodeMessage, encodeMessage } from './message.js';
export { s } from './s.js';
export type {
  ArrayDef, BigIntDef, BoolDef, BytesDef, EnumDef, FloatDef, Infer, IntDef, LiteralDef, LiteralValue, MapDef,
  NullableDef, ObjectDef, ObjectOutput, ObjectSchema, OptionalDef, OptionalSchema, Schema, SchemaDef, Shape,
  StringDef, VariantCases, VariantDef, VariantOutput,
} from './schema.js';
export type { BigIntOptions, FloatOptions, IntOptions, LengthOptions, StringOptions } from './schema-scalars.js';
export type { ArrayOptions, MapOptions } from './schema-compounds.js';
export { type CanonicalValue, canonicalEncode } from './canonical.js';
export { encodeParts, partsLength, GATHER_THRESHOLD } from './gather.js';
