/**
 * The shape of a schema: what every `s.*` builder returns. A schema validates an untrusted
 * value and returns a clean copy typed `T`; its `def` describes it structurally so tools (the
 * fast-check arbitrary in test/support/arbitrary.ts, docs) can walk it.
 */
import { InvalidArgumentError } from '../core/errors.js';

/** A schema for values of type `T`. */
export interface Schema<T> {
  /** What this schema is, structurally. */
  readonly def: SchemaDef;
  /** A short phrase for error messages: `"32 bytes"`, `"integer in [0, 255]"`. */
  readonly expected: string;
  /**
   * Validates `value` and returns a normalized copy: only declared object fields, `bigint` for
   * `u64`/`i64`, `number` for `int`, plain `Uint8Array` (sharing memory with the input).
   * Throws `InvalidArgumentError` naming `path` and the expectation, e.g.
   * `"limits[3].pieceId" expected 32 bytes, got 31`.
   */
  parse(value: unknown, path?: string): T;
}

/** The TypeScript type a schema accepts and returns. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

/** A value a literal schema can hold. */
export type LiteralValue = string | number | boolean | null;

/** How a byte-string schema describes itself. */
export interface BytesDef { readonly kind: 'bytes'; readonly min: number; readonly max: number }
/** `min`/`max` count UTF-8 bytes, as on the wire. */
export interface StringDef { readonly kind: 'string'; readonly min: number; readonly max: number; readonly pattern: RegExp | undefined }
/** How a safe-integer schema describes itself. */
export interface IntDef { readonly kind: 'int'; readonly min: number; readonly max: number }
/** How a 64-bit integer schema describes itself. */
export interface BigIntDef { readonly kind: 'u64' | 'i64'; readonly min: bigint; readonly max: bigint }
/** How a floating-point schema describes itself. */
export interface FloatDef { readonly kind: 'float'; readonly min: number; readonly max: number }
/** How a boolean schema describes itself. */
export interface BoolDef { readonly kind: 'bool' }
/** How a literal schema describes itself. */
export interface LiteralDef { readonly kind: 'literal'; readonly value: LiteralValue }
/** How a string-enum schema describes itself. */
export interface EnumDef { readonly kind: 'enum'; readonly values: readonly string[] }
/** How an array schema describes itself. */
export interface ArrayDef { readonly kind: 'array'; readonly item: Schema<unknown>; readonly min: number; readonly max: number }
/** How an object schema describes itself. */
export interface ObjectDef { readonly kind: 'object'; readonly fields: Shape }
/** How an optional field's schema describes itself. */
export interface OptionalDef { readonly kind: 'optional'; readonly inner: Schema<unknown> }
/** How a nullable schema describes itself. */
export interface NullableDef { readonly kind: 'nullable'; readonly inner: Schema<unknown> }
/** How a tagged-union schema describes itself. */
export interface VariantDef { readonly kind: 'variant'; readonly tag: string; readonly cases: VariantCases }
/** How a string-keyed map schema describes itself. */
export interface MapDef { readonly kind: 'map'; readonly key: Schema<string>; readonly value: Schema<unknown>; readonly maxKeys: number }

/** Every kind of schema, for code that walks schemas (`switch (schema.def.kind)`). */
export type SchemaDef =
  | BytesDef | StringDef | IntDef | BigIntDef | FloatDef | BoolDef | LiteralDef | EnumDef
  | ArrayDef | ObjectDef | OptionalDef | NullableDef | VariantDef | MapDef;

/** A field of an object that may be absent. Only meaningful inside `s.object`. */
export interface OptionalSchema<T> extends Schema<T | undefined> {
  readonly def: OptionalDef;
}

/** An object schema; `fields` keeps each field's own schema. */
export interface ObjectSchema<T> extends Schema<T> {
  readonly def: ObjectDef;
}

/** The fields of an object schema. */
export type Shape = { readonly [key: string]: Schema<unknown> };

/** The cases of a variant schema: case name → object schema of the other fields. */
export type VariantCases = { readonly [name: string]: ObjectSchema<object> };

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends OptionalSchema<unknown> ? K : never }[keyof S];

/** The type of `s.object(shape)`: optional fields become `key?: T` (absent, never `undefined`). */
export type ObjectOutput<S extends Shape> = Simplify<
  { -readonly [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & {
    -readonly [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined>;
  }
>;

/** The type of `s.variant(tag, cases)`: a union with the tag field set to each case's name. */
export type VariantOutput<Tag extends string, C extends VariantCases> = {
  [K in keyof C & string]: Simplify<{ -readonly [P in Tag]: K } & Infer<C[K]>>;
}[keyof C & string];

/** Builds a schema object from its parts. @internal */
export function defineSchema<T, D extends SchemaDef>(def: D, expected: string, parse: (value: unknown, path: string) => T): Schema<T> & { readonly def: D } {
  return { def, expected, parse: (value: unknown, path = '') => parse(value, path) };
}

/** Throws the standard shape error: `"path" expected X, got Y`. @internal */
export function fail(path: string, expected: string, got: string): never {
  throw new InvalidArgumentError(`${path ? `"${path}" ` : ''}expected ${expected}, got ${got}`);
}

/** The path of an object field. @internal */
export function fieldPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** A short, bounded description of a received value for error messages. @internal */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}…` : JSON.stringify(value);
    case 'number':
    case 'boolean':
      return String(value);
    case 'bigint':
      return value.toString();
    case 'object':
      if (value instanceof Uint8Array) return `${value.length} bytes`;
      if (Array.isArray(value)) return `array of ${value.length}`;
      return 'object';
    default:
      return typeof value;
  }
}

/** True for an object whose own fields can be read as a record (not an array or byte view). @internal */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/** `[min, max]` as a phrase: "32", "at most 64", "at least 1", "1 to 64". @internal */
export function rangeText(min: number, max: number): string {
  if (min === max) return String(min);
  if (max === Infinity) return `at least ${min}`;
  if (min === 0) return `at most ${max}`;
  return `${min} to ${max}`;
}

/** Throws at schema construction time when bounds make no sense: a bug in the declaration. @internal */
export function checkBounds(what: string, min: number, max: number): void {
  if (!(Number.isInteger(min) && min >= 0 && (Number.isInteger(max) || max === Infinity) && min <= max)) {
    throw new InvalidArgumentError(`${what}: invalid bounds [${min}, ${max}]`);
  }
}
