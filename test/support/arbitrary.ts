/**
 * `arbitraryOf(schema)`: a fast-check arbitrary producing values the schema accepts, built by
 * walking `schema.def`. Every generated value is a fixed point of `schema.parse` (already
 * normalized: no `-0`, `bigint` for u64/i64, only declared fields), so property tests can
 * compare an encode→decode round trip with plain deep equality.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(arbitraryOf(OrderLimit), (limit) => {
 *   expect(decodeMessage(OrderLimit, encodeMessage(OrderLimit, limit))).toEqual(limit);
 * }));
 * ```
 */
import fc from 'fast-check';
import type { Infer, Schema, SchemaDef, StringDef } from '../../src/codec/index.js';

/** Unbounded lengths are generated up to this far above their minimum, to keep cases small. */
const UNBOUNDED_EXTRA = 24;

export function arbitraryOf<S extends Schema<unknown>>(schema: S): fc.Arbitrary<Infer<S>> {
  return arbitraryOfDef(schema.def) as fc.Arbitrary<Infer<S>>;
}

function cap(min: number, max: number): number {
  return Number.isFinite(max) ? max : min + UNBOUNDED_EXTRA;
}

function arbitraryOfDef(def: SchemaDef): fc.Arbitrary<unknown> {
  switch (def.kind) {
    case 'bytes':
      return fc.uint8Array({ minLength: def.min, maxLength: cap(def.min, def.max) });
    case 'string':
      return stringArbitrary(def);
    case 'int': {
      const wide = fc.bigInt({ min: BigInt(def.min), max: BigInt(def.max) }).map(Number);
      const small = fc.integer({ min: Math.max(def.min, -1000), max: Math.min(def.max, 1000) });
      const edges = fc.constantFrom(def.min, def.max);
      const arbs = def.min <= 1000 && def.max >= -1000 ? [small, wide, edges] : [wide, edges];
      return fc.oneof(...arbs).map((n) => (n === 0 ? 0 : n));
    }
    case 'u64':
    case 'i64':
      return fc.oneof(fc.bigInt({ min: def.min, max: def.max }), fc.constantFrom(def.min, def.max));
    case 'float':
      return fc.double({ min: def.min, max: def.max, noNaN: true, noDefaultInfinity: true }).map((n) => (n === 0 ? 0 : n));
    case 'bool':
      return fc.boolean();
    case 'literal':
      return fc.constant(def.value);
    case 'enum':
      return fc.constantFrom(...def.values);
    case 'array':
      return fc.array(arbitraryOfDef(def.item.def), { minLength: def.min, maxLength: cap(def.min, def.max) });
    case 'optional':
      return fc.option(arbitraryOfDef(def.inner.def), { nil: undefined });
    case 'nullable':
      return fc.option(arbitraryOfDef(def.inner.def), { nil: null });
    case 'object':
      return objectArbitrary(def.fields);
    case 'variant':
      return fc.oneof(
        ...Object.entries(def.cases).map(([name, body]) =>
          objectArbitrary(body.def.fields).map((fields) => ({ [def.tag]: name, ...fields })),
        ),
      );
    case 'map':
      return fc
        .uniqueArray(fc.tuple(arbitraryOfDef(def.key.def) as fc.Arbitrary<string>, arbitraryOfDef(def.value.def)), {
          maxLength: Math.min(def.maxKeys, UNBOUNDED_EXTRA),
          selector: ([key]) => key,
        })
        .map((entries) => Object.fromEntries(entries.filter(([key]) => key !== '__proto__')));
  }
}

/** Declared fields in declaration order; an optional field is sometimes left out entirely. */
function objectArbitrary(fields: Readonly<Record<string, Schema<unknown>>>): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(fields).map(([key, field]) => {
    const arb = field.def.kind === 'optional' ? fc.option(arbitraryOfDef(field.def.inner.def), { nil: undefined }) : arbitraryOfDef(field.def);
    return arb.map((value) => [key, value] as const);
  });
  return fc.tuple(...entries).map((pairs) => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of pairs) if (value !== undefined) out[key] = value;
    return out;
  });
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** Strings within the byte bounds: mostly ASCII (to reach the limits), some any code point. */
function stringArbitrary(def: StringDef): fc.Arbitrary<string> {
  const max = cap(def.min, def.max);
  const fits = (text: string) => {
    const n = utf8Length(text);
    return n >= def.min && n <= max;
  };
  if (def.pattern) return fc.stringMatching(def.pattern).filter(fits);
  const ascii = fc.string({ unit: 'binary-ascii', minLength: def.min, maxLength: max });
  const anyCodePoint = fc.string({ unit: 'binary', minLength: Math.ceil(def.min / 4), maxLength: Math.max(Math.ceil(def.min / 4), Math.floor(max / 4)) });
  return fc.oneof({ arbitrary: ascii, weight: 2 }, { arbitrary: anyCodePoint.filter(fits), weight: 1 });
}
