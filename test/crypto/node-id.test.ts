import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/core/bytes.js';
import { Identity, NodeId } from '../../src/crypto/index.js';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const keys = fc.uint8Array({ minLength: 32, maxLength: 32 });
const invalidArgument = expect.objectContaining({ name: 'InvalidArgumentError', code: 'InvalidArgument' });

/** Parses `text`; returns the id or the error's name — a typo must never produce an id. */
function attempt(text: string): NodeId | string {
  try {
    return NodeId.parse(text);
  } catch (err) {
    return (err as Error).name;
  }
}

describe('a node id', () => {
  it('prints as 58 lowercase base32 characters and parses back to the same key', () => {
    fc.assert(
      fc.property(keys, (key) => {
        const id = NodeId.fromPublicKey(key);
        const text = id.toString();
        expect(text).toMatch(/^[a-z2-7]{58}$/);
        const parsed = NodeId.parse(text);
        expect(parsed.equals(id)).toBe(true);
        expect(toHex(parsed.bytes)).toBe(toHex(key));
        expect(NodeId.parse(text.toUpperCase()).equals(id)).toBe(true);
      }),
    );
  });

  it('is an error when one character is changed, never another id', () => {
    fc.assert(
      fc.property(keys, fc.nat(57), fc.integer({ min: 1, max: 31 }), (key, position, shift) => {
        const text = NodeId.fromPublicKey(key).toString();
        const changed = BASE32[(BASE32.indexOf(text[position]!) + shift) % 32]!;
        const typo = text.slice(0, position) + changed + text.slice(position + 1);
        expect(attempt(typo)).toBe('InvalidArgumentError');
      }),
      { numRuns: 500 },
    );
  });

  it('is an error when a character is missing or extra, or two are swapped', () => {
    fc.assert(
      fc.property(keys, fc.nat(57), fc.constantFrom(...BASE32), (key, position, extra) => {
        const text = NodeId.fromPublicKey(key).toString();
        expect(attempt(text.slice(0, position) + text.slice(position + 1))).toBe('InvalidArgumentError');
        expect(attempt(text.slice(0, position) + extra + text.slice(position))).toBe('InvalidArgumentError');
        const a = text[position]!;
        const b = text[(position + 1) % 58]!;
        if (a !== b && position < 57) {
          expect(attempt(text.slice(0, position) + b + a + text.slice(position + 2))).toBe('InvalidArgumentError');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses text that is not a node id at all, naming the problem', () => {
    const text = NodeId.fromPublicKey(new Uint8Array(32).fill(7)).toString();
    expect(() => NodeId.parse('')).toThrow(invalidArgument);
    expect(() => NodeId.parse(` ${text.slice(1)}`)).toThrow(/not base32/);
    expect(() => NodeId.parse(`${text.slice(0, 57)}1`)).toThrow(invalidArgument);
    expect(() => NodeId.parse(`${text}\n`)).toThrow(/expected 58 characters, got 59/);
    expect(() => NodeId.parse(42 as unknown as string)).toThrow(invalidArgument);
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (junk) => void expect(attempt(junk)).toBe('InvalidArgumentError')));
  });

  it('is made from exactly 32 bytes, which it copies', () => {
    expect(() => NodeId.fromPublicKey(new Uint8Array(31))).toThrow('"publicKey" expected 32 bytes, got 31');
    const key = new Uint8Array(32).fill(1);
    const id = NodeId.fromPublicKey(key);
    key.fill(2);
    id.bytes.fill(3);
    expect(id.bytes).toEqual(new Uint8Array(32).fill(1));
    expect(id.publicKey).toEqual(id.bytes);
  });

  it('compares by key, serializes as its text, and shows itself readably', () => {
    const identity = Identity.generate();
    const id = NodeId.fromPublicKey(identity.publicKey);
    expect(id.equals(identity.id)).toBe(true);
    expect(id.equals(NodeId.fromPublicKey(new Uint8Array(32)))).toBe(false);
    expect(JSON.parse(JSON.stringify({ peer: id }))).toEqual({ peer: id.toString() });
    expect(String(id)).toBe(id.toString());
    expect(`${(id as unknown as Record<symbol, () => string>)[Symbol.for('nodejs.util.inspect.custom')]!()}`).toBe(`NodeId(${id})`);
  });
});
