/**
 * Browsing through the core over the in-memory transport, every party its own host: the drives a
 * user has rights on (never another user's), folder listings checked by the core (unknown drive,
 * no right, another user's drive) and answered by the drive's provider, paging, the provider
 * method refused to anyone but the core (malformed requests: test/transfer/rpc/malformed-requests.test.ts).
 * Also the provider-backed metadata check: a missing source is refused at submission.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Identity } from '../../../src/crypto/identity.js';
import { memoryNetwork } from '../../../src/transport/memory.js';
import { InMemoryProviderDirectory } from '../../../src/transfer/core/in-memory-directory.js';
import { providerFileMetadata } from '../../../src/transfer/core/provider-metadata.js';
import { TransferCore } from '../../../src/transfer/core/transfer-core.js';
import { LocalProviderGateway } from '../../../src/transfer/core/provider-gateway.js';
import { MemoryProviderFiles } from '../../../src/transfer/integration/files.js';
import { ListDrives, ListFolder } from '../../../src/transfer/rpc/core-methods.js';
import { ListProviderFolder, StatProviderFile } from '../../../src/transfer/rpc/provider-methods.js';
import { RpcProviderGateway } from '../../../src/transfer/rpc/provider-gateway.js';
import { ProviderRegistry } from '../../../src/transfer/rpc/registry.js';
import { MemoryTransferTaskStore } from '../../../src/transfer/store/memory.js';
import { FakePlugin, FakeReceiver } from '../integration/fakes.js';
import { createTransferNetwork, type TransferNetwork } from '../rpc/network.js';

let n: TransferNetwork;
let net: ReturnType<typeof memoryNetwork>;
const filesA = new MemoryProviderFiles().addFolder('/1001/project').addFile('/1001/project/data.csv', 1200, 1_700_000_000_000).addFolder('/1001/second').addFolder('/3003/private');
const filesB = new MemoryProviderFiles().addFolder('/2002/inbox');
for (let i = 0; i < 25; i++) filesA.addFile(`/1001/many/f${String(i).padStart(2, '0')}`, i);

beforeAll(async () => {
  net = memoryNetwork();
  n = await createTransferNetwork({
    transportFor: (party) => net.transport({ host: party === 'client' ? `client-${Math.random().toString(36).slice(2)}` : party }),
    listenAddress: (party) => `${party}:0`,
    plugin: new FakePlugin(),
    receiver: new FakeReceiver(),
    pollIntervalMs: 3_600_000,
    files: { a: filesA, b: filesB },
  });
  // Carol's own drive at provider a; alice and bob have no right on it.
  n.world.addDrive('3003', 'a').grant('carol', '3003', 'read').allocate('carol', 'a').addDrive('4004', 'b');
});
afterAll(async () => {
  await n?.close();
});

describe('TransferCore.ListDrives', () => {
  it('lists the drives the caller has a right on, with which rights, and no one else\'s', async () => {
    expect(await n.client('alice').listDrives()).toEqual([
      { drive: '1001', provider: 'a', canRead: true, canEdit: false },
      { drive: '2002', provider: 'b', canRead: true, canEdit: true },
    ]);
    expect(await n.client('carol').listDrives()).toEqual([{ drive: '3003', provider: 'a', canRead: true, canEdit: false }]);
    expect(await n.client('dave').listDrives()).toEqual([]);
  });

  it('is Unauthenticated for a key of no user', async () => {
    await expect(n.client(null).listDrives()).rejects.toMatchObject({ name: 'UnauthenticatedError' });
  });
});

describe('TransferCore.ListFolder', () => {
  it('lists a folder on a drive the caller may read, as the provider has it', async () => {
    const alice = n.client('alice');
    expect(await alice.listFolder('/1001')).toEqual({
      entries: [
        { name: 'many', kind: 'folder', size: 0, modifiedAt: 0 },
        { name: 'project', kind: 'folder', size: 0, modifiedAt: 0 },
        { name: 'second', kind: 'folder', size: 0, modifiedAt: 0 },
      ],
      nextCursor: null,
    });
    expect((await alice.listFolder('/1001/project')).entries).toEqual([{ name: 'data.csv', kind: 'file', size: 1200, modifiedAt: 1_700_000_000_000 }]);
    // The destination drive is at the other provider; the path is normalized first.
    expect((await alice.listFolder('//2002/')).entries.map((e) => e.name)).toEqual(['inbox']);
  });

  it('refuses another user\'s drive, an unknown drive, a missing folder and a file, each with its error', async () => {
    const alice = n.client('alice');
    await expect(alice.listFolder('/3003')).rejects.toMatchObject({ name: 'PermissionDeniedError', message: 'no permission to read or edit the drive "3003"' });
    await expect(alice.listFolder('/3003/private')).rejects.toMatchObject({ name: 'PermissionDeniedError' });
    await expect(alice.listFolder('/4004')).rejects.toMatchObject({ name: 'PermissionDeniedError' });
    await expect(alice.listFolder('/9999/x')).rejects.toMatchObject({ name: 'NotFoundError', message: 'the drive of "/9999/x" does not exist' });
    await expect(alice.listFolder('/1001/absent')).rejects.toMatchObject({ name: 'NotFoundError' });
    await expect(alice.listFolder('/1001/project/data.csv')).rejects.toMatchObject({ name: 'InvalidArgumentError', message: expect.stringMatching(/not a folder/) });
    await expect(alice.listFolder('/1001/../3003')).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    // Carol reads her own drive.
    expect((await n.client('carol').listFolder('/3003')).entries.map((e) => e.name)).toEqual(['private']);
  });

  it('pages by name: 25 files in pages of 10', async () => {
    const alice = n.client('alice');
    const first = await alice.listFolder('/1001/many', { limit: 10 });
    expect(first.entries.map((e) => e.name)).toEqual(Array.from({ length: 10 }, (_, i) => `f${String(i).padStart(2, '0')}`));
    expect(first.nextCursor).toBe('f09');
    const second = await alice.listFolder('/1001/many', { limit: 10, cursor: first.nextCursor! });
    const third = await alice.listFolder('/1001/many', { limit: 10, cursor: second.nextCursor! });
    expect([second.entries[0]!.name, third.entries.map((e) => e.name)]).toEqual(['f10', ['f20', 'f21', 'f22', 'f23', 'f24']]);
    expect(third.nextCursor).toBeNull();
  });

  it('FilesProvider.ListFolder and Stat answer the core only', async () => {
    const alice = Identity.generate();
    await expect(n.raw('a', alice).call(ListProviderFolder, { path: '/1001' })).rejects.toMatchObject({ name: 'PermissionDeniedError' });
    await expect(n.raw('a', n.identities.b).call(StatProviderFile, { path: '/1001/project' })).rejects.toMatchObject({ name: 'PermissionDeniedError' });
    expect(await n.raw('a', n.identities.core).call(StatProviderFile, { path: '/1001/project/data.csv' })).toEqual({ entry: { name: 'data.csv', kind: 'file', size: 1200, modifiedAt: 1_700_000_000_000 } });
  });
});

describe('provider-backed metadata (what core run uses)', () => {
  it('refuses a missing source at submission and checks the destination is a folder; a provider that cannot tell counts as a folder', async () => {
    const world = new InMemoryProviderDirectory().addDrive('1001', 'a').addDrive('2002', 'b').addDrive('5005', 'c')
      .grant('alice', '1001', 'read').grant('alice', '5005', 'read').grant('alice', '2002', 'read', 'edit')
      .allocate('alice', 'a').allocate('alice', 'b').allocate('alice', 'c');
    const forwarded: string[] = [];
    const endpoint = (files?: MemoryProviderFiles) => ({
      forwardTransfers: async (requests: readonly { sourcePath: string }[]) => requests.map((r) => (forwarded.push(r.sourcePath), { ok: true as const, capabilities: { canPause: false } })),
      control: async () => undefined,
      ...(files ? { listFolder: files.list.bind(files), statFile: files.stat.bind(files) } : {}),
    });
    // Provider c does not list its files: its paths count as folders, as before.
    const gateway = new LocalProviderGateway().register('a', endpoint(filesA)).register('b', endpoint(filesB)).register('c', endpoint());
    const core = new TransferCore({ store: new MemoryTransferTaskStore(), drives: world, permissions: world, allocations: world, files: providerFileMetadata(world, gateway), gateway });
    const results = await core.transferFilesBetweenProviders('alice', [
      { sourcePath: '/1001/project', destinationPath: '/2002/inbox' },
      { sourcePath: '/1001/gone', destinationPath: '/2002/inbox' },
      { sourcePath: '/5005/anything', destinationPath: '/2002/inbox' },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.reason))).toEqual(['ok', 'the source "/1001/gone" does not exist', 'ok']);
    const [toFile] = await core.transferFilesBetweenProviders('alice', [{ sourcePath: '/1001/second', destinationPath: '/2002/inbox/missing' }]);
    expect(toFile).toMatchObject({ ok: false, check: 'destination-folder', reason: 'the destination "/2002/inbox/missing" does not exist' });
    expect(forwarded).toEqual(['/1001/project', '/5005/anything']);
  });

  it('counts a path as a folder when its provider is unreachable over RPC, and asks a reachable one', async () => {
    const world = new InMemoryProviderDirectory().addDrive('1001', 'a').addDrive('7007', 'gone');
    const providers = new ProviderRegistry()
      .add({ provider: 'a', nodeId: n.identities.a.id, address: n.addresses.a })
      .add({ provider: 'gone', nodeId: Identity.generate().id, address: 'nobody:1' });
    // The core's own key, so provider a answers; "gone" has no listener at all.
    const gateway = new RpcProviderGateway({ transport: net.transport({ host: 'core-2' }), identity: n.identities.core, providers, listTimeoutMs: 5_000 });
    try {
      const files = providerFileMetadata(world, gateway);
      expect(await files.metadata('/7007/whatever')).toEqual({ kind: 'folder', sensitivity: null, dataAgreements: [] });
      expect(await files.metadata('/9999/x')).toBeUndefined();
      // Provider a answers over RPC: what exists, and what does not.
      expect(await files.metadata('/1001/project/data.csv')).toEqual({ kind: 'file', sensitivity: null, dataAgreements: [] });
      expect(await files.metadata('/1001/gone')).toBeUndefined();
    } finally {
      await gateway.close();
    }
  });
});
