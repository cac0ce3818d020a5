/** Schemas built from other schemas: arrays, objects, optional and nullable fields, variants, maps. */
import { InvalidArgumentError } from '../core/errors.js';
import {
  type ArrayDef, type MapDef, type NullableDef, type ObjectOutput, type ObjectSchema, type OptionalSchema,
  type Schema, type Shape, type VariantCases, type VariantDef, type VariantOutput,
  checkBounds, defineSchema, describeValue, fail, fieldPath, isRecord, rangeText,
} from './schema.js';
import { string } from './schema-scalars.js';

/** Length bounds of `s.array()`. */
export interface ArrayOptions {
  readonly min?: number;
  readonly max?: number;
}

/** Arrays whose every item matches `item`. The length is checked before any item is. */
export function array<T>(item: Schema<T>, options: ArrayOptions = {}): Schema<T[]> & { readonly def: ArrayDef } {
  const min = options.min ?? 0;
  const max = options.max ?? Infinity;
  checkBounds('s.array', min, max);
  refuseOptional('s.array', item);
  const count = min === 0 && max === Infinity ? '' : ` of ${rangeText(min, max)} items`;
  const expected = `array${count}`;
  return defineSchema({ kind: 'array', item, min, max }, expected, (value, path) => {
    if (!Array.isArray(value)) return fail(path, expected, describeValue(value));
    if (value.length < min || value.length > max) return fail(path, expected, `${value.length} items`);
    const out: T[] = [];
    for (let i = 0; i < value.length; i++) out.push(item.parse(value[i], `${path}[${i}]`));
    return out;
  });
}

/**
 * Objects with the declared fields, in declaration order. Unknown extra keys are ignored (a
 * newer peer may send more) and never copied into the result. Fields are read only as own
 * properties, so `toString` or `constructor` can never come from a prototype.
 */
export function object<const S extends Shape>(shape: S): ObjectSchema<ObjectOutput<S>> & { readonly def: { readonly kind: 'object'; readonly fields: S } } {
  const fields = Object.entries(shape);
  for (const [key] of fields) {
    if (key === '__proto__') throw new InvalidArgumentError('s.object: a field may not be named "__proto__"');
  }
  return defineSchema({ kind: 'object', fields: shape }, 'object', (value, path) => {
    if (!isRecord(value)) return fail(path, 'object', describeValue(value));
    const out: Record<string, unknown> = {};
    for (const [key, field] of fields) {
      const raw = Object.hasOwn(value, key) ? value[key] : undefined;
      if (field.def.kind === 'optional') {
        if (raw !== undefined) out[key] = field.def.inner.parse(raw, fieldPath(path, key));
      } else {
        out[key] = field.parse(raw, fieldPath(path, key));
      }
    }
    return out as ObjectOutput<S>;
  });
}

/**
 * A field that may be absent. In the parsed object it is absent too (never `undefined`), as
 * `exactOptionalPropertyTypes` expects; a field set to `undefined` counts as absent.
 */
export function optional<T>(inner: Schema<T>): OptionalSchema<T> {
  return defineSchema({ kind: 'optional', inner }, `${inner.expected} or nothing`, (value, path) =>
    value === undefined ? undefined : inner.parse(value, path),
  );
}

/** `null` or a value of `inner`. The field itself must be present. */
export function nullable<T>(inner: Schema<T>): Schema<T | null> & { readonly def: NullableDef } {
  refuseOptional('s.nullable', inner);
  const expected = `${inner.expected} or null`;
  return defineSchema({ kind: 'nullable', inner }, expected, (value, path) => {
    if (value === null) return null;
    if (value === undefined) return fail(path, expected, 'nothing');
    return inner.parse(value, path);
  });
}

/**
 * A tagged union: the `tag` field names the case, and that case's object schema describes the
 * other fields. The result carries the tag first, then the case's fields.
 *
 * @example
 * ```ts
 * const Event = s.variant('type', {
 *   started: s.object({ taskId: s.bytes({ length: 16 }) }),
 *   progress: s.object({ bytesDone: s.u64() }),
 * });
 * type Event = Infer<typeof Event>; // { type: 'started'; taskId: Uint8Array } | { type: 'progress'; bytesDone: bigint }
 * ```
 */
export function variant<const Tag extends string, const C extends VariantCases>(
  tag: Tag,
  cases: C,
): Schema<VariantOutput<Tag, C>> & { readonly def: VariantDef } {
  const byName = new Map(Object.entries(cases));
  if (byName.size === 0) throw new InvalidArgumentError('s.variant: at least one case is needed');
  for (const [name, body] of byName) {
    if (Object.hasOwn(body.def.fields, tag)) {
      throw new InvalidArgumentError(`s.variant: case "${name}" declares the tag field "${tag}" itself`);
    }
  }
  const expectedTag = `one of ${[...byName.keys()].map((n) => JSON.stringify(n)).join(', ')}`;
  return defineSchema({ kind: 'variant', tag, cases }, `object tagged by "${tag}"`, (value, path) => {
    if (!isRecord(value)) return fail(path, 'object', describeValue(value));
    const name = Object.hasOwn(value, tag) ? value[tag] : undefined;
    const body = typeof name === 'string' ? byName.get(name) : undefined;
    if (body === undefined) return fail(fieldPath(path, tag), expectedTag, describeValue(name));
    return { [tag]: name, ...body.parse(value, path) } as VariantOutput<Tag, C>;
  });
}

/** Size bound of `s.map()`. */
export interface MapOptions {
  /** Most keys; checked before any key or value is. Default unlimited (the message cap applies). */
  readonly maxKeys?: number;
  /** A schema for the keys, e.g. `s.string({ max: 64, pattern: /^[a-z]+$/ })`. */
  readonly key?: Schema<string>;
}

/** A string-keyed dictionary (a plain object on the wire) whose values all match `value`. */
export function map<T>(value: Schema<T>, options: MapOptions = {}): Schema<Record<string, T>> & { readonly def: MapDef } {
  const maxKeys = options.maxKeys ?? Infinity;
  const key = options.key ?? string();
  checkBounds('s.map', 0, maxKeys);
  refuseOptional('s.map', value);
  const expected = maxKeys === Infinity ? 'map' : `map of at most ${maxKeys} keys`;
  return defineSchema({ kind: 'map', key, value, maxKeys }, expected, (input, path) => {
    if (!isRecord(input)) return fail(path, expected, describeValue(input));
    const keys = Object.keys(input);
    if (keys.length > maxKeys) return fail(path, expected, `${keys.length} keys`);
    const out: Record<string, T> = {};
    for (const k of keys) {
      const entryPath = `${path}[${JSON.stringify(k)}]`;
      // Assigning "__proto__" would replace the result's prototype instead of adding a key.
      if (k === '__proto__') return fail(path, 'keys other than "__proto__"', '"__proto__"');
      key.parse(k, `${entryPath} (key)`);
      out[k] = value.parse(input[k], entryPath);
    }
    return out;
  });
}

/**
 * `s.optional` means "this object field may be absent". Anywhere else an absent value would
 * have to travel as `undefined`, which MessagePack cannot carry.
 */
function refuseOptional(where: string, inner: Schema<unknown>): void {
  if (inner.def.kind === 'optional') throw new InvalidArgumentError(`${where}: s.optional is only allowed as an object field`);
}
