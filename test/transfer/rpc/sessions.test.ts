/**
 * Sessions for the key exchange: the core grants them, signed and expiring, for one task, user,
 * client key and provider; a provider serves a session call only when the grant verifies and the
 * connection proved the very client key the grant names.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { Identity } from '../../../src/crypto/identity.js';
import { GrantSessions } from '../../../src/transfer/rpc/core-methods.js';
import { AuthorizeTransferKey, IssueTransferKey } from '../../../src/transfer/rpc/provider-methods.js';
import { grantFromWire, grantToWire, signSessionGrant, verifySessionGrant, type WireSessionGrant } from '../../../src/transfer/session/grant.js';
import { createMemoryTransferNetwork, type MemoryTransferNetwork } from './memory-network.js';

const PUBLIC_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHandoffTestKeyHandoffTestKeyHandoffTest handoff-task-1';

let n: MemoryTransferNetwork | undefined;
afterEach(async () => {
  await n?.close();
  n = undefined;
});

interface Setup {
  network: MemoryTransferNetwork;
  clock: ManualClock;
  alice: Identity;
  taskId: number;
  /** Grants the core gave alice's key for her task. */
  source: WireSessionGrant;
  destination: WireSessionGrant;
}

async function setup(): Promise<Setup> {
  const clock = new ManualClock(Date.now());
  n = await createMemoryTransferNetwork({ pollIntervalMs: 3_600_000, providerClock: clock });
  const alice = Identity.generate();
  const client = n.client('alice', alice);
  const [result] = await client.transfer(['/1001/project'], '/2002/inbox');
  if (!result?.ok) throw new Error(`refused: ${JSON.stringify(result)}`);
  const offers = await n.raw('core', alice).call(GrantSessions, { taskId: result.taskId });
  return { network: n, clock, alice, taskId: result.taskId, source: offers.source.grant, destination: offers.destination.grant };
}

function nothingHappened(s: Setup): void {
  expect(s.network.plugin.issued).toEqual([]);
  expect(s.network.receiver.granted.size).toBe(0);
}

describe('sessions with providers for the key exchange', () => {
  it('the core grants one session per provider, naming the task, the user, the client key and the provider', async () => {
    const s = await setup();
    const source = grantFromWire(s.source);
    expect(source).toMatchObject({ taskId: s.taskId, user: 'alice', provider: 'a', sourceProvider: 'a', destinationProvider: 'b', destinationPath: '/2002/inbox' });
    expect(source.client.equals(s.alice.id)).toBe(true);
    expect(source.expiresAt - source.issuedAt).toBe(10 * 60_000);
    expect(grantFromWire(s.destination).provider).toBe('b');
    const now = source.issuedAt;
    expect(() => verifySessionGrant(source, { core: s.network.identities.core.id, provider: 'a', role: 'source', peer: s.alice.id, now })).not.toThrow();
  });

  it('with valid grants, the source issues the key and the destination authorizes it', async () => {
    const s = await setup();
    const { publicKey } = await s.network.raw('a', s.alice).call(IssueTransferKey, { grant: s.source });
    await s.network.raw('b', s.alice).call(AuthorizeTransferKey, { grant: s.destination, publicKey });
    expect(s.network.plugin.issued).toEqual([s.taskId]);
    expect(s.network.receiver.granted.get(s.taskId)).toEqual({ taskId: s.taskId, publicKey, sourceProvider: 'a', destinationPath: '/2002/inbox' });
  });

  it('refuses a session call without a grant', async () => {
    const s = await setup();
    const untyped = s.network.raw('a', s.alice) as unknown as { call(m: unknown, r: unknown): Promise<unknown> };
    await expect(untyped.call(IssueTransferKey, {})).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    await expect(untyped.call(AuthorizeTransferKey, { publicKey: PUBLIC_KEY })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    nothingHappened(s);
  });

  it('refuses a grant signed by anyone but the core, or altered after signing', async () => {
    const s = await setup();
    const mallory = Identity.generate();
    const forged = grantToWire(signSessionGrant(mallory, grantFromWire(s.destination)));
    const altered = { ...s.destination, destinationPath: '/2002/elsewhere' };
    const longer = { ...s.source, expiresAt: s.source.expiresAt + 86_400_000 };
    for (const grant of [forged, altered]) {
      await expect(s.network.raw('b', s.alice).call(AuthorizeTransferKey, { grant, publicKey: PUBLIC_KEY })).rejects.toMatchObject({
        name: 'UnauthenticatedError',
        message: expect.stringMatching(/not signed by the core/),
      });
    }
    await expect(s.network.raw('a', s.alice).call(IssueTransferKey, { grant: longer })).rejects.toMatchObject({ name: 'UnauthenticatedError' });
    nothingHappened(s);
  });

  it('refuses an expired grant', async () => {
    const s = await setup();
    s.clock.advance(10 * 60_000 + 1000);
    await expect(s.network.raw('a', s.alice).call(IssueTransferKey, { grant: s.source })).rejects.toMatchObject({
      name: 'UnauthenticatedError',
      message: expect.stringMatching(/expired/),
    });
    await expect(s.network.raw('b', s.alice).call(AuthorizeTransferKey, { grant: s.destination, publicKey: PUBLIC_KEY })).rejects.toMatchObject({
      name: 'UnauthenticatedError',
    });
    nothingHappened(s);
  });

  it('refuses a grant presented by another client key, even another key of the same user', async () => {
    const s = await setup();
    const mallory = Identity.generate();
    const alicePhone = Identity.generate();
    s.network.users.add(alicePhone.id, 'alice');
    for (const key of [mallory, alicePhone, s.network.identities.b]) {
      await expect(s.network.raw('a', key).call(IssueTransferKey, { grant: s.source })).rejects.toMatchObject({
        name: 'PermissionDeniedError',
        message: expect.stringMatching(/another client key/),
      });
    }
    await expect(s.network.raw('b', mallory).call(AuthorizeTransferKey, { grant: s.destination, publicKey: PUBLIC_KEY })).rejects.toMatchObject({
      name: 'PermissionDeniedError',
    });
    nothingHappened(s);
  });

  it('refuses a grant at the wrong provider or for the wrong role', async () => {
    const s = await setup();
    // The destination's grant at the source, and the source's grant at the destination.
    await expect(s.network.raw('a', s.alice).call(IssueTransferKey, { grant: s.destination })).rejects.toMatchObject({ name: 'PermissionDeniedError' });
    await expect(s.network.raw('b', s.alice).call(AuthorizeTransferKey, { grant: s.source, publicKey: PUBLIC_KEY })).rejects.toMatchObject({
      name: 'PermissionDeniedError',
    });
    nothingHappened(s);
  });

  it('grants sessions only for the caller\'s own tasks that have not ended', async () => {
    const s = await setup();
    const bob = Identity.generate();
    s.network.users.add(bob.id, 'bob');
    await expect(s.network.raw('core', bob).call(GrantSessions, { taskId: s.taskId })).rejects.toMatchObject({ name: 'NotFoundError' });
    await expect(s.network.raw('core', Identity.generate()).call(GrantSessions, { taskId: s.taskId })).rejects.toMatchObject({ name: 'UnauthenticatedError' });
    await s.network.client('alice', s.alice).cancel(s.taskId);
    await expect(s.network.raw('core', s.alice).call(GrantSessions, { taskId: s.taskId })).rejects.toMatchObject({ name: 'FailedPreconditionError' });
  });
});
