import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBytes, concatBytes, equalBytes, fromUtf8, utf8 } from '../../../src/core/bytes.js';
import { decodeComponent, encodeComponent } from '../../../src/uplink/encryption/component-encoding.js';
import { COMPONENT_ALPHABET, decryptPath, decryptPrefix, encryptedPathLength, encryptPath, encryptPrefix, maxPathLength, pathContentKey } from '../../../src/uplink/encryption/index.js';

const root = new Uint8Array(32).fill(1);
const otherRoot = new Uint8Array(32).fill(2);
const SLASH = 0x2f;

const component = fc.string({ unit: 'binary', maxLength: 12 }).map((s) => s.replaceAll('/', ''));
const components = fc.array(component, { minLength: 1, maxLength: 6 });

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && equalBytes(bytes.subarray(0, prefix.length), prefix);
}

function expectUnauthenticated(run: () => unknown): void {
  expect(run).toThrow(expect.objectContaining({ name: 'UnauthenticatedError', message: expect.stringMatching(/^cannot decrypt: wrong passphrase or key/) }));
}

describe('object keys encrypted component by component', () => {
  it('round-trip any path, including empty components and a trailing "/"', () => {
    fc.assert(
      fc.property(components, (cs) => {
        const path = cs.join('/');
        expect(decryptPath(root, 'photos', encryptPath(root, 'photos', path))).toBe(path);
      }),
    );
    for (const path of ['', '/', 'a/', '/a', 'a//b', '//', 'a/b/c/']) expect(decryptPath(root, 'photos', encryptPath(root, 'photos', path))).toBe(path);
  });

  it('encrypt the same way every time, so the satellite can look names up', () => {
    expect(encryptPath(root, 'photos', 'a/b')).toEqual(encryptPath(root, 'photos', 'a/b'));
    expect(equalBytes(encryptPath(root, 'photos', 'a/b'), encryptPath(root, 'videos', 'a/b'))).toBe(false);
    expect(equalBytes(encryptPath(root, 'photos', 'a/b'), encryptPath(otherRoot, 'photos', 'a/b'))).toBe(false);
  });

  it('keep "/" as the only separator: one per plaintext "/", never inside a component', () => {
    const allowed = new Set(utf8(COMPONENT_ALPHABET));
    fc.assert(
      fc.property(components, (cs) => {
        const encrypted = encryptPath(root, 'photos', cs.join('/'));
        const parts = fromUtf8(encrypted).split('/');
        expect(parts).toHaveLength(cs.length);
        for (const part of parts) for (const byte of utf8(part)) expect(allowed.has(byte)).toBe(true);
      }),
    );
  });

  it('make every encrypted directory prefix a byte prefix of the encrypted paths below it', () => {
    fc.assert(
      fc.property(components, component, fc.nat(), (cs, extra, cut) => {
        const full = [...cs, extra];
        const k = (cut % full.length) + 1; // directory depth 1..n
        const directory = full.slice(0, k - 1).join('/');
        const prefix = full.slice(0, k - 1).map((c) => `${c}/`).join('');
        const encryptedFull = encryptPath(root, 'photos', full.join('/'));
        const encryptedPrefix = encryptPrefix(root, 'photos', prefix);
        expect(startsWith(encryptedFull, encryptedPrefix)).toBe(true);
        if (k > 1) {
          // "a/" lists everything below the object key "a", and "a" encrypts as that prefix minus "/".
          expect(encryptedPrefix).toEqual(concatBytes(encryptPath(root, 'photos', directory), Uint8Array.of(SLASH)));
          expect(decryptPrefix(root, 'photos', encryptedPrefix)).toBe(prefix);
        }
      }),
    );
  });

  it('encrypt a name differently under different parents: only equality within one directory shows', () => {
    const x1 = fromUtf8(encryptPath(root, 'photos', 'a/x')).split('/')[1];
    const x2 = fromUtf8(encryptPath(root, 'photos', 'b/x')).split('/')[1];
    const x3 = fromUtf8(encryptPath(root, 'photos', 'a/x/y')).split('/')[1];
    expect(x1).not.toBe(x2);
    expect(x1).toBe(x3);
  });

  it('list the whole bucket with the empty prefix and refuse a prefix ending inside a component', () => {
    expect(encryptPrefix(root, 'photos', '')).toEqual(new Uint8Array(0));
    expect(decryptPrefix(root, 'photos', new Uint8Array(0))).toBe('');
    expect(() => encryptPrefix(root, 'photos', 'a/b')).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
    expect(decryptPrefix(root, 'photos', encryptPrefix(root, 'photos', '/'))).toBe('/');
  });

  it('fail authentication under the wrong root key or bucket, never returning a wrong name', () => {
    const encrypted = encryptPath(root, 'photos', 'holiday/beach.jpg');
    expectUnauthenticated(() => decryptPath(otherRoot, 'photos', encrypted));
    expectUnauthenticated(() => decryptPath(root, 'videos', encrypted));
  });

  it('detect a flipped bit anywhere, and any other alteration', () => {
    const encrypted = encryptPath(root, 'photos', 'holiday/2024/beach.jpg');
    fc.assert(
      fc.property(fc.nat({ max: encrypted.length * 8 - 1 }), (bit) => {
        const altered = encrypted.slice();
        altered[bit >> 3]! ^= 1 << (bit & 7);
        expectUnauthenticated(() => decryptPath(root, 'photos', altered));
      }),
    );
    expectUnauthenticated(() => decryptPath(root, 'photos', encrypted.subarray(0, encrypted.length - 1)));
    expectUnauthenticated(() => decryptPath(root, 'photos', utf8('not-a-ciphertext')));
    const [first, second] = fromUtf8(encrypted).split('/');
    expectUnauthenticated(() => decryptPath(root, 'photos', utf8(`${second}/${first}`)));
  });

  it('refuse a name that UTF-8 cannot carry (a lone surrogate)', () => {
    expect(() => encryptPath(root, 'photos', 'bad\ud800name')).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
  });

  it('derive a different content key for every path and bucket', () => {
    const keys = ['a', 'a/', 'a/b', 'b', ''].map((p) => pathContentKey(root, 'photos', p));
    keys.push(pathContentKey(root, 'videos', 'a'));
    for (let i = 0; i < keys.length; i++) for (let j = i + 1; j < keys.length; j++) expect(equalBytes(keys[i]!, keys[j]!)).toBe(false);
  });
});

describe('the length of an encrypted key, known from the typed one', () => {
  it('is exactly what encryptPath produces, without encrypting', () => {
    fc.assert(
      fc.property(components, (parts) => {
        const path = parts.join('/');
        expect(encryptedPathLength(path)).toBe(encryptPath(root, 'photos', path).length);
      }),
    );
  });

  it('gives the most typed bytes a key of n parts may have: any such key fits, and one byte more can overflow', () => {
    const keyOf = (sizes: readonly number[]) => sizes.map((n) => 'x'.repeat(n)).join('/');
    fc.assert(
      fc.property(fc.integer({ min: 60, max: 1200 }), fc.integer({ min: 1, max: 6 }), fc.array(fc.nat(), { minLength: 6, maxLength: 6 }), (limit, parts, weights) => {
        const max = maxPathLength(limit, parts);
        if (max < 0) {
          expect(encryptedPathLength('/'.repeat(parts - 1))).toBeGreaterThan(limit);
          return;
        }
        // Any spread of max typed bytes over the parts fits.
        const plain = max - (parts - 1);
        const total = weights.slice(0, parts).reduce((a, b) => a + b, 0) || 1;
        const sizes = weights.slice(0, parts).map((w) => Math.floor((w * plain) / total));
        sizes[0]! += plain - sizes.reduce((a, b) => a + b, 0);
        expect(encryptedPathLength(keyOf(sizes))).toBeLessThanOrEqual(limit);
        // Some spread of one byte more does not.
        const over = Array.from({ length: parts }, (_, i) => [keyOf(Array.from({ length: parts }, (_, j) => (j === i ? plain + 1 : 0)))]).flat();
        const spreads = [...over, keyOf(spreadWorst(plain + 1, parts))];
        expect(Math.max(...spreads.map(encryptedPathLength))).toBeGreaterThan(limit);
      }),
    );
    expect(maxPathLength(1024, 1)).toBe(728);
  });
});

/** `plain` bytes over `parts` parts, as many as possible of length ≡ 0 (mod 3): each rounds up by 2/3 byte when encoded. */
function spreadWorst(plain: number, parts: number): number[] {
  const sizes = Array.from({ length: parts }, () => 0);
  let left = plain;
  for (let i = 0; i < parts - 1 && left >= 3; i++) {
    const take = Math.floor(left / (parts - i) / 3) * 3;
    sizes[i] = take;
    left -= take;
  }
  sizes[parts - 1] = left;
  return sizes;
}

describe('the component encoding', () => {
  it('round-trips, sorts like the bytes it encodes, and has exactly one spelling per value', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const encoded = encodeComponent(bytes);
        expect(decodeComponent(encoded)).toEqual(bytes);
        expect(encoded.includes(SLASH)).toBe(false);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 }).chain((n) => fc.tuple(fc.uint8Array({ minLength: n, maxLength: n }), fc.uint8Array({ minLength: n, maxLength: n }))), ([a, b]) => {
        expect(compareBytes(encodeComponent(a), encodeComponent(b))).toBe(compareBytes(a, b));
      }),
    );
    expect(decodeComponent(utf8('01'))).toBeUndefined(); // leftover bits set: a second spelling of one byte
    expect(decodeComponent(utf8('0'))).toBeUndefined(); // impossible length
    expect(decodeComponent(utf8('a-'))).toBeUndefined(); // foreign symbol
  });
});
