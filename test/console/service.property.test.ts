/**
 * The console's methods on the core under hostile input: malformed requests (any field of the
 * wrong type, out of bounds or missing, and raw garbage) get `InvalidArgument` and change no
 * setting; a key of no user gets `Unauthenticated`; another user's task history is `NotFound`,
 * like `GetTask`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Schema } from '../../src/codec/index.js';
import { GetSettings, SetSettings, TaskHistory } from '../../src/console/service/methods.js';
import { registerConsoleService } from '../../src/console/service/register.js';
import { ConsoleStore } from '../../src/console/service/store.js';
import { Identity } from '../../src/crypto/identity.js';
import { unaryMethod, type Method } from '../../src/rpc/method.js';
import { malformedRequest } from '../transfer/rpc/malformed.js';
import { createMemoryTransferNetwork, type MemoryTransferNetwork } from '../transfer/rpc/memory-network.js';

/** Sends any body under a method's name: the client-side schema check is skipped on purpose. */
const anything: Schema<unknown> = { def: { kind: 'bool' }, expected: 'anything', parse: (value) => value };
const raw = (method: Method) => unaryMethod<unknown, unknown>(method.name, anything, anything);

let n: MemoryTransferNetwork;
let dir: string;
let store: ConsoleStore;
let unregister: () => void;
const alice = Identity.generate();
const bob = Identity.generate();
let taskId: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'handoff-console-service-'));
  n = await createMemoryTransferNetwork({ pollIntervalMs: 3_600_000 });
  store = ConsoleStore.open(join(dir, 'console.db'));
  unregister = registerConsoleService(n.servers.core, { core: n.core, users: n.users, store });
  const [result] = await n.client('alice', alice).transfer(['/1001/project'], '/2002/inbox');
  if (!result?.ok) throw new Error(`refused: ${JSON.stringify(result)}`);
  taskId = result.taskId;
  n.users.add(bob.id, 'bob');
  store.saveSettings('alice', { emailNotifications: true, email: 'alice@example.org' });
});

afterAll(async () => {
  unregister?.();
  await n?.close();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

for (const method of [GetSettings, SetSettings, TaskHistory] as Method[]) {
  it(`${method.name} refuses malformed requests with InvalidArgument and changes nothing`, async () => {
    const client = n.raw('core', alice);
    await fc.assert(
      fc.asyncProperty(malformedRequest(method.request), async (body) => {
        const error = await client.call(raw(method), body).then(
          () => undefined,
          (err: unknown) => err as Error,
        );
        expect(error?.name).toBe('InvalidArgumentError');
      }),
      { numRuns: 60, endOnFailure: true },
    );
    expect(store.settings('alice')).toEqual({ emailNotifications: true, email: 'alice@example.org' });
    expect(await client.call(GetSettings, {})).toEqual({ emailNotifications: true, email: 'alice@example.org' });
  });
}

it('a key of no user is Unauthenticated; another user\'s task history is NotFound; the owner reads it', async () => {
  const stranger = n.raw('core', Identity.generate());
  await expect(stranger.call(GetSettings, {})).rejects.toMatchObject({ name: 'UnauthenticatedError' });
  await expect(stranger.call(SetSettings, { emailNotifications: true, email: 'x@y' })).rejects.toMatchObject({ name: 'UnauthenticatedError' });
  await expect(n.raw('core', bob).call(TaskHistory, { taskId })).rejects.toMatchObject({ name: 'NotFoundError' });
  await expect(n.raw('core', bob).call(TaskHistory, { taskId: taskId + 1000 })).rejects.toMatchObject({ name: 'NotFoundError' });
  const { entries } = await n.raw('core', alice).call(TaskHistory, { taskId });
  expect(entries.map((e) => e.state)).toEqual(['INITIATED']);
  // Bob's setting is his own.
  expect(await n.raw('core', bob).call(SetSettings, { emailNotifications: false, email: ' bob@example.org ' })).toEqual({ emailNotifications: false, email: 'bob@example.org' });
  expect(store.settings('alice')).toEqual({ emailNotifications: true, email: 'alice@example.org' });
});
