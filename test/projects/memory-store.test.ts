import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { CachingProjectStore } from '../../src/projects/cache.js';
import { apiKeyId } from '../../src/projects/api-key.js';
import type { ProjectStore } from '../../src/projects/port.js';
import { MemoryProjectStore } from '../../src/projects/store/memory.js';
import { projectStoreSuite } from '../../src/testing/project-store-suite.js';

projectStoreSuite({ name: 'memory', open: async () => new MemoryProjectStore() });
projectStoreSuite({ name: 'memory behind the cache', open: async () => new CachingProjectStore(new MemoryProjectStore()) });

/** Counts the lookups that reach the store behind the cache. */
function counting(inner: ProjectStore): { store: ProjectStore; lookups: () => number } {
  let lookups = 0;
  const store = Object.assign(Object.create(inner) as ProjectStore, {
    authenticate: (key: string) => {
      lookups++;
      return inner.authenticate(key);
    },
  });
  return { store, lookups: () => lookups };
}

describe('the API key cache', () => {
  it('answers repeated lookups of a key from memory until its entry expires', async () => {
    const clock = new ManualClock(0);
    const inner = new MemoryProjectStore();
    const { store, lookups } = counting(inner);
    const cache = new CachingProjectStore(store, { ttlMs: 1000, clock });
    const { projectId, apiKey } = await inner.createProject('p');
    for (let i = 0; i < 5; i++) expect(await cache.authenticate(apiKey)).toEqual(projectId);
    expect(lookups()).toBe(1);
    clock.advance(1000);
    await cache.authenticate(apiKey);
    expect(lookups()).toBe(2);
  });

  it('forgets a key revoked through it at once', async () => {
    const cache = new CachingProjectStore(new MemoryProjectStore());
    const { apiKey } = await cache.createProject('p');
    await cache.authenticate(apiKey);
    await cache.revokeApiKey(apiKeyId(apiKey));
    expect(await cache.authenticate(apiKey)).toBeUndefined();
  });

  it('keeps at most maxEntries keys, evicting the least recently used', async () => {
    const inner = new MemoryProjectStore();
    const { store, lookups } = counting(inner);
    const cache = new CachingProjectStore(store, { maxEntries: 2 });
    const [a, b, c] = [await inner.createProject('a'), await inner.createProject('b'), await inner.createProject('c')];
    await cache.authenticate(a.apiKey);
    await cache.authenticate(b.apiKey);
    await cache.authenticate(a.apiKey); // a is now the most recent
    await cache.authenticate(c.apiKey); // evicts b
    expect(lookups()).toBe(3);
    await cache.authenticate(a.apiKey);
    expect(lookups()).toBe(3);
    await cache.authenticate(b.apiKey);
    expect(lookups()).toBe(4);
  });

  it('never caches a refusal, so a key made later works at once', async () => {
    const inner = new MemoryProjectStore();
    const { store, lookups } = counting(inner);
    const cache = new CachingProjectStore(store);
    expect(await cache.authenticate('not a key')).toBeUndefined();
    expect(lookups()).toBe(0);
  });
});
