/**
 * Arbitraries of requests a schema must refuse: a valid request (from `arbitraryOf`) with one
 * field — at any depth — replaced by a value of another type or out of bounds, or removed; and
 * raw garbage of any shape. Every value is plain MessagePack data, so it reaches the server.
 */
import fc from 'fast-check';
import type { Schema } from '../../../src/codec/index.js';
import { arbitraryOf } from '../../support/arbitrary.js';

const OVERSIZED = [
  'x'.repeat(70_000),
  Array.from({ length: 1001 }, () => ({})),
  new Uint8Array(70),
  -1,
  0,
  1.5,
  2 ** 53,
  -(2 ** 60),
  '',
];

const leaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 12 }),
  fc.uint8Array({ maxLength: 40 }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
);

/**
 * Any plain MessagePack value: null, booleans, numbers, strings, bytes, arrays, maps. The
 * oversized values are not nested, so a message stays far below the transport's frame limit
 * (a frame over it is refused as `ResourceExhausted` before any schema sees it).
 */
export const wireValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4 }),
  ),
})).value;

type Path = (string | number)[];

function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (value instanceof Uint8Array || typeof value !== 'object' || value === null) return [];
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...pathsOf(child, [...prefix, key])]);
}

function mutate(valid: unknown, pick: number, replacement: unknown, remove: boolean): unknown {
  const copy = structuredClone(valid) as Record<string | number, unknown>;
  const paths = pathsOf(copy);
  if (paths.length === 0) return replacement;
  const path = paths[pick % paths.length]!;
  let parent: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (remove && !Array.isArray(parent)) delete parent[last];
  else parent[last] = replacement;
  return copy;
}

function rejects(schema: Schema<unknown>, value: unknown): boolean {
  try {
    schema.parse(value);
    return false;
  } catch {
    return true;
  }
}

/** Requests `schema` refuses: mutated valid ones and raw garbage. */
export function malformedRequest(schema: Schema<unknown>): fc.Arbitrary<unknown> {
  const mutated = fc
    .tuple(arbitraryOf(schema), fc.nat(), fc.oneof(wireValue, fc.constantFrom(...OVERSIZED)), fc.boolean())
    .map(([valid, pick, replacement, remove]) => mutate(valid, pick, replacement, remove));
  const garbage = fc.oneof(wireValue, fc.constantFrom(...OVERSIZED));
  return fc.oneof({ arbitrary: mutated, weight: 3 }, { arbitrary: garbage, weight: 1 }).filter((v) => rejects(schema, v));
}
