import { describe, expect, expectTypeOf, it } from 'vitest';
import { type Infer, s } from '../../src/codec/index.js';

const OrderLimit = s.object({
  pieceId: s.bytes({ length: 32 }),
  action: s.enum(['PUT', 'GET', 'DELETE'] as const),
  limit: s.u64(),
  expiresAt: s.int({ min: 0 }),
  note: s.optional(s.string({ max: 8 })),
});

const Request = s.object({
  limits: s.array(OrderLimit, { max: 10 }),
});

function validLimit(overrides: Record<string, unknown> = {}) {
  return { pieceId: new Uint8Array(32), action: 'PUT', limit: 1024n, expiresAt: 5, ...overrides };
}

function shapeError(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect((err as Error).name).toBe('InvalidArgumentError');
    return (err as Error).message;
  }
  throw new Error('expected InvalidArgumentError, but parsing succeeded');
}

describe('schemas', () => {
  it('name the field path and the expectation when a nested field is wrong', () => {
    const limits = [validLimit(), validLimit(), validLimit(), validLimit({ pieceId: new Uint8Array(31) })];
    expect(shapeError(() => Request.parse({ limits }))).toBe('"limits[3].pieceId" expected 32 bytes, got 31');
    expect(shapeError(() => Request.parse({ limits: [validLimit({ action: 'MOVE' })] }))).toBe(
      '"limits[0].action" expected one of "PUT", "GET", "DELETE", got "MOVE"',
    );
    expect(shapeError(() => Request.parse({ limits: [validLimit({ expiresAt: undefined })] }))).toBe(
      '"limits[0].expiresAt" expected integer in [0, 9007199254740991], got nothing',
    );
    expect(shapeError(() => Request.parse([]))).toBe('expected object, got array of 0');
    expect(shapeError(() => OrderLimit.parse(validLimit({ pieceId: new Uint8Array(33) }), 'request.limit'))).toBe(
      '"request.limit.pieceId" expected 32 bytes, got 33',
    );
  });

  it('infer the TypeScript type, with optional fields as absent keys', () => {
    type Limit = Infer<typeof OrderLimit>;
    expectTypeOf<Limit>().toEqualTypeOf<{
      pieceId: Uint8Array;
      action: 'PUT' | 'GET' | 'DELETE';
      limit: bigint;
      expiresAt: number;
      note?: string;
    }>();
  });

  it('ignore unknown keys and never copy them into the result', () => {
    const parsed = OrderLimit.parse({ ...validLimit(), extra: 'from a newer peer', note: 'hi' });
    expect(Object.keys(parsed)).toEqual(['pieceId', 'action', 'limit', 'expiresAt', 'note']);
  });

  it('leave absent optional fields absent, and treat undefined as absent', () => {
    expect('note' in OrderLimit.parse(validLimit())).toBe(false);
    expect('note' in OrderLimit.parse(validLimit({ note: undefined }))).toBe(false);
    expect(shapeError(() => OrderLimit.parse(validLimit({ note: null })))).toBe('"note" expected string of at most 8 UTF-8 bytes, got null');
  });

  it('read only own properties, never the prototype', () => {
    const Named = s.object({ toString: s.optional(s.string()), constructor: s.string() });
    expect(Named.parse({ constructor: 'x' })).toEqual({ constructor: 'x' });
    expect(shapeError(() => Named.parse({}))).toBe('"constructor" expected string, got nothing');
    const inherited = Object.create({ constructor: 'inherited' }) as object;
    expect(shapeError(() => Named.parse(inherited))).toBe('"constructor" expected string, got nothing');
  });

  it('accept a bigint for int and a number for u64, normalizing each', () => {
    expect(s.int().parse(5n)).toBe(5);
    expect(s.int().parse(-0)).toBe(0);
    expect(Object.is(s.float().parse(-0), 0)).toBe(true);
    expect(s.u64().parse(7)).toBe(7n);
    expect(s.i64().parse(-7)).toBe(-7n);
    expect(s.u64().parse(2n ** 64n - 1n)).toBe(2n ** 64n - 1n);
    expect(shapeError(() => s.int().parse(2n ** 53n))).toBe('expected safe integer, got 9007199254740992');
    expect(shapeError(() => s.int({ min: 0, max: 255 }).parse(1.5))).toBe('expected integer in [0, 255], got 1.5');
    expect(shapeError(() => s.u64().parse(-1))).toBe('expected u64, got -1');
    expect(shapeError(() => s.u64().parse(2 ** 60))).toBe('expected u64, got 1152921504606847000'); // not a safe integer: maybe rounded
    expect(shapeError(() => s.i64().parse(2n ** 63n))).toBe('expected i64, got 9223372036854775808');
    expect(shapeError(() => s.u64({ min: 1n, max: 10n }).parse(11n))).toBe('expected u64 in [1, 10], got 11');
  });

  it('accept only finite floats in range', () => {
    expect(s.float({ min: 0, max: 1 }).parse(0.5)).toBe(0.5);
    expect(shapeError(() => s.float().parse(Number.NaN))).toBe('expected finite number, got NaN');
    expect(shapeError(() => s.float().parse(Infinity))).toBe('expected finite number, got Infinity');
    expect(shapeError(() => s.float({ min: 0, max: 1 }).parse(2))).toBe('expected number in [0, 1], got 2');
  });

  it('count string limits in UTF-8 bytes and refuse unpaired surrogates', () => {
    const name = s.string({ min: 1, max: 4 });
    expect(name.parse('éé')).toBe('éé'); // 4 bytes, 2 characters
    expect(shapeError(() => name.parse('ééé'))).toBe('expected string of 1 to 4 UTF-8 bytes, got 6 bytes');
    expect(shapeError(() => name.parse(''))).toBe('expected string of 1 to 4 UTF-8 bytes, got 0 bytes');
    expect(shapeError(() => name.parse('\ud800'))).toBe('expected a well-formed Unicode string, got an unpaired surrogate');
    expect(name.parse('😀')).toBe('😀');
    const bucket = s.string({ pattern: /^[a-z0-9-]{3,63}$/ });
    expect(shapeError(() => bucket.parse('No'))).toBe('expected string matching /^[a-z0-9-]{3,63}$/, got "No"');
    expect(() => s.string({ pattern: /a/g })).toThrow(/g or y flag/);
  });

  it('check literals, booleans, nullables and bounded arrays', () => {
    expect(s.literal('v1').parse('v1')).toBe('v1');
    expect(shapeError(() => s.literal(3).parse(4))).toBe('expected 3, got 4');
    expect(shapeError(() => s.bool().parse(1))).toBe('expected boolean, got 1');
    const maybe = s.object({ replaced: s.nullable(s.bytes()) });
    expect(maybe.parse({ replaced: null })).toEqual({ replaced: null });
    expect(shapeError(() => maybe.parse({}))).toBe('"replaced" expected bytes or null, got nothing');
    const few = s.array(s.int(), { min: 1, max: 2 });
    expect(shapeError(() => few.parse([1, 2, 3]))).toBe('expected array of 1 to 2 items, got 3 items');
    expect(shapeError(() => few.parse([1, 'x']))).toBe('"[1]" expected safe integer, got "x"');
  });

  it('dispatch a variant on its tag and put the tag first', () => {
    const Event = s.variant('type', {
      started: s.object({ taskId: s.bytes({ length: 2 }) }),
      progress: s.object({ bytesDone: s.u64() }),
    });
    type Event = Infer<typeof Event>;
    expectTypeOf<Event>().toEqualTypeOf<{ type: 'started'; taskId: Uint8Array } | { type: 'progress'; bytesDone: bigint }>();
    const parsed = Event.parse({ bytesDone: 5, type: 'progress', taskId: 'ignored' });
    expect(parsed).toEqual({ type: 'progress', bytesDone: 5n });
    expect(Object.keys(parsed)).toEqual(['type', 'bytesDone']);
    expect(shapeError(() => Event.parse({ type: 'toString' }))).toBe('"type" expected one of "started", "progress", got "toString"');
    expect(shapeError(() => Event.parse({ type: 'started', taskId: new Uint8Array(3) }, 'events[2]'))).toBe(
      '"events[2].taskId" expected 2 bytes, got 3',
    );
    expect(() => s.variant('type', { a: s.object({ type: s.string() }) })).toThrow(/declares the tag field/);
  });

  it('bound maps by key count and check every key and value', () => {
    const Counts = s.map(s.int({ min: 0 }), { maxKeys: 2, key: s.string({ pattern: /^[a-z]+$/ }) });
    expect(Counts.parse({ a: 1, b: 2 })).toEqual({ a: 1, b: 2 });
    expect(shapeError(() => Counts.parse({ a: 1, b: 2, c: 3 }))).toBe('expected map of at most 2 keys, got 3 keys');
    expect(shapeError(() => Counts.parse({ a: -1 }))).toBe('"["a"]" expected integer in [0, 9007199254740991], got -1');
    expect(shapeError(() => Counts.parse({ A: 1 }))).toBe('"["A"] (key)" expected string matching /^[a-z]+$/, got "A"');
    // Assigning this key would replace the result's prototype instead of adding an entry.
    expect(shapeError(() => s.map(s.int()).parse(JSON.parse('{"__proto__": 1}')))).toBe(
      'expected keys other than "__proto__", got "__proto__"',
    );
  });

  it('refuse nonsensical declarations when they are built', () => {
    expect(() => s.bytes({ min: 5, max: 1 })).toThrow(/invalid bounds/);
    expect(() => s.int({ min: 0.5 })).toThrow(/invalid bounds/);
    expect(() => s.u64({ min: -1n })).toThrow(/invalid bounds/);
    expect(() => s.enum(['a', 'a'] as unknown as readonly ['a'])).toThrow(/duplicates/);
    expect(() => s.object(JSON.parse('{"__proto__": null}') as Record<string, never>)).toThrow(/__proto__/);
    expect(() => s.array(s.optional(s.int()))).toThrow('s.array: s.optional is only allowed as an object field');
    expect(() => s.map(s.optional(s.int()))).toThrow(/only allowed as an object field/);
    expect(() => s.nullable(s.optional(s.int()))).toThrow(/only allowed as an object field/);
  });
});
