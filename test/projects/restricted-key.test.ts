import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase32, toBase32 } from '../../src/core/bytes.js';
import { ManualClock } from '../../src/core/clock.js';

/** A manual clock that may also go back, so one property run can try many instants. */
class SettableClock extends ManualClock {
  #at: number;
  constructor(at: number) {
    super(at);
    this.#at = at;
  }
  override now(): number {
    return this.#at;
  }
  set(at: number): void {
    this.#at = at;
  }
}
import { encodeMessage } from '../../src/codec/message.js';
import { s } from '../../src/codec/s.js';
import { MemoryMetabaseStore } from '../../src/metainfo/metabase/memory.js';
import { ProjectScope } from '../../src/metainfo/endpoint/context.js';
import { apiKeyId } from '../../src/projects/api-key.js';
import { resolveApiKey } from '../../src/projects/authorize.js';
import { caveatRefusal, decodeCaveat, encodeCaveat, type AccessRequest, type Caveat } from '../../src/projects/caveat.js';
import { decodeRestrictedApiKey, RESTRICTED_API_KEY_PREFIX, restrictApiKey } from '../../src/projects/restricted-key.js';
import { CachingProjectStore } from '../../src/projects/cache.js';
import { MemoryProjectStore } from '../../src/projects/store/memory.js';

const T0 = Date.UTC(2026, 5, 1);
const buckets = ['alpha', 'beta', 'gamma'] as const;
const bytes = (...b: number[]) => new Uint8Array(b);

// Small alphabets so generated prefixes and keys actually overlap.
const arbKeyBytes = fc.uint8Array({ maxLength: 4 }).map((a) => a.map((x) => x % 3));
const arbPath = fc.record({ bucket: fc.constantFrom(...buckets), encryptedPrefix: arbKeyBytes });
const arbCaveat: fc.Arbitrary<Caveat> = fc.record(
  { readOnly: fc.boolean(), notAfter: fc.integer({ min: T0 - 10, max: T0 + 10 }), paths: fc.array(arbPath, { maxLength: 3 }) },
  { requiredKeys: [] },
);
const arbRequest: fc.Arbitrary<AccessRequest> = fc.oneof(
  fc.record({ op: fc.constantFrom('read', 'list', 'write'), bucket: fc.constantFrom(...buckets), encryptedKey: arbKeyBytes }),
  fc.record({ op: fc.constantFrom('read', 'write'), bucket: fc.constantFrom(...buckets) }),
  fc.record({ op: fc.constantFrom('read', 'list', 'write') }),
) as fc.Arbitrary<AccessRequest>;

async function project() {
  const clock = new SettableClock(T0);
  const projects = new MemoryProjectStore();
  const { projectId, apiKey } = await projects.createProject('p', T0);
  const scope = new ProjectScope({ metabase: new MemoryMetabaseStore(), projects, clock });
  return { clock, projects, projectId, apiKey, scope };
}

function chainOf(apiKey: string, caveats: readonly Caveat[]): string[] {
  const keys = [apiKey];
  for (const c of caveats) keys.push(restrictApiKey(keys.at(-1)!, c));
  return keys;
}

async function allows(scope: ProjectScope, apiKey: string, request: AccessRequest): Promise<boolean> {
  return scope.authorize({ apiKey }, request).then(
    () => true,
    (err: Error) => {
      expect(err.name).toBe('PermissionDeniedError');
      return false;
    },
  );
}

describe('restricted API keys', () => {
  it('a caveat survives encoding and decoding', () => {
    fc.assert(
      fc.property(arbCaveat, (c) => {
        const back = decodeCaveat(encodeCaveat(c));
        expect(back.readOnly ?? false).toBe(c.readOnly ?? false);
        expect(back.notAfter).toBe(c.notAfter);
        expect(back.paths).toEqual(c.paths);
        expect(encodeCaveat(back)).toEqual(encodeCaveat(c));
      }),
    );
  });

  it('are derived offline, verified against the base key, and carry their whole chain', async () => {
    const { projects, projectId, apiKey } = await project();
    const restricted = restrictApiKey(restrictApiKey(apiKey, { readOnly: true }), { notAfter: T0 + 5 });
    expect(restricted.startsWith(RESTRICTED_API_KEY_PREFIX)).toBe(true);
    expect(await resolveApiKey(projects, restricted)).toEqual({ projectId, caveats: [{ readOnly: true }, { notAfter: T0 + 5 }] });
    expect(await resolveApiKey(projects, apiKey)).toEqual({ projectId, caveats: [] });
  });

  it('a restriction never widens: whatever a chain allows, the chain without its last caveat allows too', async () => {
    const { scope, apiKey } = await project();
    await fc.assert(
      fc.asyncProperty(fc.array(arbCaveat, { minLength: 1, maxLength: 4 }), arbRequest, fc.integer({ min: -12, max: 12 }), async (caveats, request, dt) => {
        (scope.deps.clock as SettableClock).set(T0 + dt);
        const keys = chainOf(apiKey, caveats);
        for (let i = keys.length - 1; i > 0; i--) {
          if (await allows(scope, keys[i]!, request)) expect(await allows(scope, keys[i - 1]!, request)).toBe(true);
        }
        // And the satellite's verdict is exactly "every caveat allows it".
        const expected = caveats.every((c) => caveatRefusal(c, { op: 'read' }, T0 + dt) === undefined && caveatRefusal(c, request, T0 + dt) === undefined);
        expect(await allows(scope, keys.at(-1)!, request)).toBe(expected);
      }),
      { numRuns: 150 },
    );
  });

  it('a modified, truncated, reordered or re-tagged key is refused', async () => {
    const { projects, apiKey } = await project();
    const Body = s.object({ keyHash: s.bytes({ length: 32 }), caveats: s.array(s.bytes()), tag: s.bytes({ length: 32 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(arbCaveat, { minLength: 2, maxLength: 3 }), arbCaveat, fc.nat(), fc.integer({ min: 1, max: 255 }), async (caveats, other, at, flip) => {
        const key = chainOf(apiKey, caveats).at(-1)!;
        const body = decodeRestrictedApiKey(key);
        const forge = (b: { keyHash: Uint8Array; caveats: Uint8Array[]; tag: Uint8Array }) => RESTRICTED_API_KEY_PREFIX + toBase32(encodeMessage(Body, b));
        const raw = fromBase32(key.slice(RESTRICTED_API_KEY_PREFIX.length));
        const flipped = raw.slice();
        flipped[at % raw.length]! ^= flip;
        const forgeries = [
          RESTRICTED_API_KEY_PREFIX + toBase32(flipped),
          key.slice(0, RESTRICTED_API_KEY_PREFIX.length + (at % (key.length - RESTRICTED_API_KEY_PREFIX.length))),
          // A caveat dropped, replaced or swapped, with the tag the key carried.
          forge({ keyHash: body.keyHash, caveats: body.caveatBytes.slice(1), tag: body.tag }),
          forge({ keyHash: body.keyHash, caveats: body.caveatBytes.slice(0, -1), tag: body.tag }),
          forge({ keyHash: body.keyHash, caveats: [...body.caveatBytes.slice(0, -1), encodeCaveat(other)], tag: body.tag }),
          forge({ keyHash: body.keyHash, caveats: [...body.caveatBytes].reverse(), tag: body.tag }),
        ];
        for (const forged of forgeries) {
          const grant = await resolveApiKey(projects, forged);
          // A forgery can only pass if it spells the very same chain (a swap of equal caveats).
          if (grant) expect(decodeRestrictedApiKey(forged).caveatBytes.map(toBase32).sort()).toEqual(body.caveatBytes.map(toBase32).sort());
        }
      }),
      { numRuns: 100 },
    );
  });

  it('a key restricted from another base key, or from a guessed secret, is refused', async () => {
    const { projects, apiKey } = await project();
    const { apiKey: otherProjectKey } = await projects.createProject('other', T0);
    const body = decodeRestrictedApiKey(restrictApiKey(otherProjectKey, { readOnly: true }));
    const mine = decodeRestrictedApiKey(restrictApiKey(apiKey, { readOnly: true }));
    const Body = s.object({ keyHash: s.bytes({ length: 32 }), caveats: s.array(s.bytes()), tag: s.bytes({ length: 32 }) });
    const spliced = RESTRICTED_API_KEY_PREFIX + toBase32(encodeMessage(Body, { keyHash: mine.keyHash, caveats: [...body.caveatBytes], tag: body.tag }));
    expect(await resolveApiKey(projects, spliced)).toBeUndefined();
  });

  it('random text as a key is a PermissionDenied error, never anything else', async () => {
    const { scope } = await project();
    const base32 = fc.stringMatching(/^[a-z2-7]{0,200}$/);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 300 }), base32.map((t) => RESTRICTED_API_KEY_PREFIX + t), fc.uint8Array({ maxLength: 300 }).map((b) => RESTRICTED_API_KEY_PREFIX + toBase32(b))), async (apiKey) => {
        await expect(scope.authorize({ apiKey }, { op: 'read', bucket: 'alpha' })).rejects.toMatchObject({ name: 'PermissionDeniedError' });
      }),
      { numRuns: 300 },
    );
  });

  it('a well-formed key body with random caveat bytes, key hash and tag is refused, never a crash', async () => {
    const { projects, apiKey } = await project();
    const Body = s.object({ keyHash: s.bytes({ length: 32 }), caveats: s.array(s.bytes()), tag: s.bytes({ length: 32 }) });
    const real = decodeRestrictedApiKey(restrictApiKey(apiKey, { readOnly: true }));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { minLength: 1, maxLength: 4 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.boolean(), async (caveats, tag, realHash) => {
        const forged = RESTRICTED_API_KEY_PREFIX + toBase32(encodeMessage(Body, { keyHash: realHash ? real.keyHash : tag, caveats, tag }));
        expect(await resolveApiKey(projects, forged)).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });

  it('revoking the base key revokes every key restricted from it, through the cache too', async () => {
    const { projects, apiKey, clock } = await project();
    const cached = new CachingProjectStore(projects, { clock });
    const restricted = restrictApiKey(restrictApiKey(apiKey, { paths: [{ bucket: 'alpha', encryptedPrefix: bytes(1) }] }), { readOnly: true });
    expect(await resolveApiKey(cached, restricted)).toBeDefined();
    await cached.revokeApiKey(apiKeyId(apiKey));
    expect(await resolveApiKey(cached, restricted)).toBeUndefined();
    expect(await resolveApiKey(cached, apiKey)).toBeUndefined();
  });

  it('an expired key is refused even for calls that touch no bucket, with a message saying so', async () => {
    const { scope, apiKey, clock } = await project();
    const key = restrictApiKey(apiKey, { notAfter: T0 + 1000 });
    await expect(scope.authorize({ apiKey: key })).resolves.toBeDefined();
    clock.set(T0 + 1001);
    await expect(scope.authorize({ apiKey: key })).rejects.toMatchObject({ name: 'PermissionDeniedError', message: expect.stringContaining('expired') });
  });
});
