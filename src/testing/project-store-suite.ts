/**
 * The `ProjectStore` contract as a test suite. The memory, SQLite and PostgreSQL stores run it,
 * and so should a store you write:
 *
 * ```ts
 * import { projectStoreSuite } from 'handoff/testing';
 * projectStoreSuite({ name: 'my store', open: async () => MyProjectStore.open(freshDatabase()) });
 * ```
 *
 * It checks project creation (random ids, well-formed keys), authentication (own project only;
 * malformed, unknown and revoked keys refused without throwing), extra keys, revocation,
 * listings and, when `reopen` is given, durability.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { apiKeyHash, apiKeyId, generateApiKey } from '../projects/api-key.js';
import { caveatSecret } from '../projects/restricted-key.js';
import type { ProjectStore } from '../projects/port.js';

/** How {@link projectStoreSuite} opens the store under test. */
export interface ProjectStoreSuiteSetup {
  /** Names the `describe` block, e.g. `'SQLite'`. */
  readonly name: string;
  /** A new, empty store for one test. The suite closes it. */
  open(): Promise<ProjectStore>;
  /** Closes `store` and opens the same data again; omit for stores that keep nothing. */
  reopen?(store: ProjectStore): Promise<ProjectStore>;
}

const T0 = 1_700_000_000_000;

/** Registers the store contract tests for one implementation. */
export function projectStoreSuite(setup: ProjectStoreSuiteSetup): void {
  describe(`project store: ${setup.name}`, () => {
    let store: ProjectStore | undefined;
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });
    const open = async (): Promise<ProjectStore> => (store = await setup.open());

    it('creates a project with a random 16-byte id and an hk1_ API key that authenticates it', async () => {
      const s = await open();
      const { projectId, apiKey } = await s.createProject('photos — été 2024', T0);
      expect(projectId).toBeInstanceOf(Uint8Array);
      expect(projectId).toHaveLength(16);
      expect(apiKey).toMatch(/^hk1_[a-z2-7]{52}$/);
      expect(await s.authenticate(apiKey)).toEqual(projectId);
      expect(await s.getProject(projectId)).toEqual({ id: projectId, name: 'photos — été 2024', createdAt: T0 });
      expect(await s.listApiKeys(projectId)).toEqual([{ keyId: apiKeyId(apiKey), projectId, createdAt: T0, revokedAt: null }]);
    });

    it("authenticates each key to its own project only", async () => {
      const s = await open();
      const a = await s.createProject('a', T0);
      const b = await s.createProject('b', T0 + 1);
      expect(a.projectId).not.toEqual(b.projectId);
      expect(a.apiKey).not.toBe(b.apiKey);
      expect(await s.authenticate(a.apiKey)).toEqual(a.projectId);
      expect(await s.authenticate(b.apiKey)).toEqual(b.projectId);
    });

    it('refuses malformed and unknown keys with undefined, never an error', async () => {
      const s = await open();
      const { apiKey } = await s.createProject('p', T0);
      const malformed = ['', 'hk1_', apiKey.toUpperCase(), `${apiKey}a`, apiKey.slice(0, -1), `hk2_${apiKey.slice(4)}`, `${apiKey.slice(0, -1)}1`];
      for (const key of malformed) expect(await s.authenticate(key)).toBeUndefined();
      expect(await s.authenticate(undefined as unknown as string)).toBeUndefined();
      expect(await s.authenticate(generateApiKey())).toBeUndefined();
    });

    it('adds keys to an existing project, and refuses a project that does not exist', async () => {
      const s = await open();
      const { projectId, apiKey } = await s.createProject('p', T0);
      const second = await s.createApiKey(projectId, T0 + 5);
      expect(second).not.toBe(apiKey);
      expect(await s.authenticate(second)).toEqual(projectId);
      expect((await s.listApiKeys(projectId)).map((k) => k.keyId)).toEqual([apiKeyId(apiKey), apiKeyId(second)]);
      await expect(s.createApiKey(new Uint8Array(16).fill(7))).rejects.toMatchObject({ name: 'NotFoundError' });
    });

    it('revokes one key by its id: that key stops working, the others keep working', async () => {
      const s = await open();
      const { projectId, apiKey } = await s.createProject('p', T0);
      const other = await s.createApiKey(projectId, T0);
      expect(await s.revokeApiKey(apiKeyId(apiKey), T0 + 9)).toBe(true);
      expect(await s.authenticate(apiKey)).toBeUndefined();
      expect(await s.authenticate(other)).toEqual(projectId);
      expect(await s.revokeApiKey(apiKeyId(apiKey), T0 + 10)).toBe(false);
      expect(await s.revokeApiKey(apiKeyId(generateApiKey()))).toBe(false);
      const revoked = (await s.listApiKeys(projectId)).find((k) => k.keyId === apiKeyId(apiKey));
      expect(revoked?.revokedAt).toBe(T0 + 9);
    });

    it("looks a key up by its hash with the caveat secret restricted keys are checked against, until it is revoked", async () => {
      const s = await open();
      const { projectId, apiKey } = await s.createProject('p', T0);
      const other = await s.createApiKey(projectId, T0);
      expect(await s.lookupApiKey(apiKeyHash(apiKey))).toEqual({ projectId, caveatSecret: caveatSecret(apiKey) });
      expect((await s.lookupApiKey(apiKeyHash(other)))?.caveatSecret).toEqual(caveatSecret(other));
      expect(await s.lookupApiKey(apiKeyHash(generateApiKey()))).toBeUndefined();
      expect(await s.lookupApiKey(new Uint8Array(31))).toBeUndefined();
      await s.revokeApiKey(apiKeyId(apiKey), T0 + 1);
      expect(await s.lookupApiKey(apiKeyHash(apiKey))).toBeUndefined();
    });

    it('lists projects oldest first', async () => {
      const s = await open();
      const b = await s.createProject('second', T0 + 2);
      const a = await s.createProject('first', T0 + 1);
      expect((await s.listProjects()).map((p) => [p.name, p.id, p.createdAt])).toEqual([
        ['first', a.projectId, T0 + 1],
        ['second', b.projectId, T0 + 2],
      ]);
      expect(await s.getProject(new Uint8Array(16))).toBeUndefined();
    });

    it('refuses bad names, project ids and key ids with InvalidArgument', async () => {
      const s = await open();
      for (const name of ['', '   ', 'x'.repeat(129)]) {
        await expect(s.createProject(name)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
      }
      await expect(s.getProject(new Uint8Array(15))).rejects.toMatchObject({ name: 'InvalidArgumentError' });
      await expect(s.revokeApiKey('hk1_not-an-id')).rejects.toMatchObject({ name: 'InvalidArgumentError' });
      expect(await s.listProjects()).toEqual([]);
    });

    if (setup.reopen) {
      const reopen = setup.reopen.bind(setup);
      it('keeps projects, keys and revocations across a reopen', async () => {
        const s = await open();
        const { projectId, apiKey } = await s.createProject('kept', T0);
        const revoked = await s.createApiKey(projectId, T0 + 1);
        await s.revokeApiKey(apiKeyId(revoked), T0 + 2);
        const again = (store = await reopen(s));
        expect(await again.authenticate(apiKey)).toEqual(projectId);
        expect(await again.authenticate(revoked)).toBeUndefined();
        expect(await again.getProject(projectId)).toEqual({ id: projectId, name: 'kept', createdAt: T0 });
      });
    }
  });
}
