/**
 * Bad input gets a typed error and changes no state (invariant 7): for every transfer method,
 * requests with any field of the wrong type, out of bounds or missing — and raw garbage — are
 * refused with `InvalidArgument` naming the field, by the right caller too, and nothing moves:
 * not the core's tasks or events, not the providers' tasks, keys or releases.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Schema } from '../../../src/codec/index.js';
import { Identity } from '../../../src/crypto/identity.js';
import type { Method } from '../../../src/rpc/method.js';
import { unaryMethod } from '../../../src/rpc/method.js';
import { BrowseTasks, ControlTask, GetTask, GrantSessions, ListDrives, ListFolder, TransferFiles, UpdateTransferTask } from '../../../src/transfer/rpc/core-methods.js';
import {
  AuthorizeTransferKey,
  ControlTransfer,
  IssueTransferKey,
  ListProviderFolder,
  NegotiateTransfer,
  ReleaseTransfer,
  StatProviderFile,
  TransferFilesForProvider,
} from '../../../src/transfer/rpc/provider-methods.js';
import { createMemoryTransferNetwork, type MemoryTransferNetwork } from './memory-network.js';
import { malformedRequest } from './malformed.js';
import type { Party } from './network.js';

/** Sends any body under a method's name: the client-side schema check is skipped on purpose. */
const anything: Schema<unknown> = { def: { kind: 'bool' }, expected: 'anything', parse: (value) => value };
function raw(method: Method) {
  return unaryMethod<unknown, unknown>(method.name, anything, anything);
}

let n: MemoryTransferNetwork;
let alice: Identity;
let taskId: number;

beforeAll(async () => {
  // Modules never poll on their own here: nothing may change unless a request changes it.
  n = await createMemoryTransferNetwork({ pollIntervalMs: 3_600_000 });
  alice = Identity.generate();
  const client = n.client('alice', alice);
  const [result] = await client.transfer(['/1001/project'], '/2002/inbox');
  if (!result?.ok) throw new Error(`refused: ${JSON.stringify(result)}`);
  taskId = result.taskId;
});
afterAll(async () => {
  await n?.close();
});

async function snapshot(): Promise<string> {
  return JSON.stringify({
    events: n.events.length,
    tasks: await n.coreStore.browse({ initiatedBy: 'alice', since: 0, limit: 100 }),
    atA: [taskId, taskId + 1].map((id) => n.a.getTask(id) ?? null),
    calls: n.plugin.calls,
    issued: n.plugin.issued,
    granted: [...n.receiver.granted],
    released: n.receiver.released,
  });
}

const cases: { method: Method; party: Party; caller: () => Identity }[] = [
  { method: TransferFiles, party: 'core', caller: () => alice },
  { method: GetTask, party: 'core', caller: () => alice },
  { method: BrowseTasks, party: 'core', caller: () => alice },
  { method: ControlTask, party: 'core', caller: () => alice },
  { method: GrantSessions, party: 'core', caller: () => alice },
  { method: UpdateTransferTask, party: 'core', caller: () => n.identities.a },
  { method: TransferFilesForProvider, party: 'a', caller: () => n.identities.core },
  { method: ControlTransfer, party: 'a', caller: () => n.identities.core },
  { method: NegotiateTransfer, party: 'b', caller: () => n.identities.a },
  { method: ReleaseTransfer, party: 'b', caller: () => n.identities.a },
  { method: IssueTransferKey, party: 'a', caller: () => alice },
  { method: AuthorizeTransferKey, party: 'b', caller: () => alice },
  { method: ListDrives, party: 'core', caller: () => alice },
  { method: ListFolder, party: 'core', caller: () => alice },
  { method: ListProviderFolder, party: 'a', caller: () => n.identities.core },
  { method: StatProviderFile, party: 'a', caller: () => n.identities.core },
];

describe('malformed requests to the transfer services', () => {
  for (const { method, party, caller } of cases) {
    it(`${method.name} refuses them with InvalidArgument and changes nothing`, async () => {
      const before = await snapshot();
      const client = n.raw(party, caller());
      const unchecked = raw(method);
      await fc.assert(
        fc.asyncProperty(malformedRequest(method.request), async (body) => {
          const error = await client.call(unchecked, body).then(
            () => undefined,
            (err: unknown) => err as Error,
          );
          expect(error?.name).toBe('InvalidArgumentError');
          expect(error?.message).toMatch(/"request[^"]*" expected|^expected/);
        }),
        // A counterexample is reported as found: shrinking it would replay many calls.
        { numRuns: 60, endOnFailure: true },
      );
      expect(await snapshot()).toBe(before);
      // The server still serves well-formed calls.
      await expect(n.client('alice', alice).getTask(taskId)).resolves.toMatchObject({ id: taskId, state: 'INITIATED' });
    });
  }
});
