/**
 * A whole transfer network wired over handoff's RPC, each party with its own identity, server and
 * clients: a core, a source provider "a", a destination provider "b", and clients for users. The
 * transport is the caller's choice (memory or TCP), and so are the plugin and the receiver.
 */
import { ManualClock, systemClock, type Clock } from '../../../src/core/clock.js';
import { Identity } from '../../../src/crypto/identity.js';
import { RpcClient } from '../../../src/rpc/client.js';
import { RpcServer } from '../../../src/rpc/server.js';
import type { Transport } from '../../../src/transport/types.js';
import { InMemoryProviderDirectory } from '../../../src/transfer/core/in-memory-directory.js';
import { TransferCore } from '../../../src/transfer/core/transfer-core.js';
import type { ProviderFiles } from '../../../src/transfer/integration/files.js';
import type { IntegrationPolicy } from '../../../src/transfer/integration/policy.js';
import { ProviderIntegration } from '../../../src/transfer/integration/provider-integration.js';
import { SqliteIntegrationStore } from '../../../src/transfer/integration/sqlite-store.js';
import type { FileTransferPlugin, FileTransferReceiver } from '../../../src/transfer/plugin.js';
import { RpcCoreLink } from '../../../src/transfer/rpc/core-link.js';
import { registerTransferCoreService } from '../../../src/transfer/rpc/core-service.js';
import { RpcPeerProvider } from '../../../src/transfer/rpc/peer-provider.js';
import { RpcProviderGateway } from '../../../src/transfer/rpc/provider-gateway.js';
import { registerProviderService } from '../../../src/transfer/rpc/provider-service.js';
import { ProviderRegistry } from '../../../src/transfer/rpc/registry.js';
import { InMemoryUserDirectory } from '../../../src/transfer/rpc/users.js';
import { TransferClient } from '../../../src/transfer/session/transfer-client.js';
import { MemoryTransferTaskStore } from '../../../src/transfer/store/memory.js';
import type { TransferTask } from '../../../src/transfer/types.js';

export type Party = 'core' | 'a' | 'b';

export interface NetworkOptions {
  /** The transport each party uses. */
  transportFor(party: Party | 'client'): Transport;
  /** The address each party listens on (`127.0.0.1:0`, `core:0`, ...). */
  listenAddress(party: Party): string;
  readonly plugin: FileTransferPlugin;
  readonly receiver: FileTransferReceiver;
  /** Maps the core's source paths to paths at "a". */
  readonly resolveSource?: (path: string) => string;
  readonly pollIntervalMs?: number;
  readonly policy?: Partial<IntegrationPolicy>;
  /** The clock the providers judge session grants by. */
  readonly providerClock?: Clock;
  /** The files each provider lists (`FilesProvider.ListFolder`); none by default. */
  readonly files?: Partial<Record<'a' | 'b', ProviderFiles>>;
}

export interface TransferNetwork {
  readonly core: TransferCore;
  readonly coreStore: MemoryTransferTaskStore;
  readonly world: InMemoryProviderDirectory;
  readonly users: InMemoryUserDirectory;
  readonly identities: Record<Party, Identity>;
  /** Each party's RPC server (to register more services on, as a host would). */
  readonly servers: Record<Party, RpcServer>;
  readonly addresses: Record<Party, string>;
  readonly a: ProviderIntegration;
  readonly b: ProviderIntegration;
  /** Every task the core announced, in order. */
  readonly events: TransferTask[];
  /** What the modules and servers reported as handled or unexpected errors. */
  readonly errors: string[];
  /** A client for `user` with a fresh key (registered to the user unless `user` is null). */
  client(user?: string | null, identity?: Identity): TransferClient;
  /** A raw RPC client to `party`, with `identity`. */
  raw(party: Party, identity: Identity): RpcClient;
  close(): Promise<void>;
}

export async function createTransferNetwork(options: NetworkOptions): Promise<TransferNetwork> {
  const identities: Record<Party, Identity> = { core: Identity.generate(), a: Identity.generate(), b: Identity.generate() };
  const errors: string[] = [];
  const onServerError = (party: Party) => (err: unknown, method: string) => void errors.push(`${party} ${method}: ${String(err)}`);
  const servers: Record<Party, RpcServer> = {
    core: new RpcServer({ identity: identities.core, onError: onServerError('core') }),
    a: new RpcServer({ identity: identities.a, onError: onServerError('a') }),
    b: new RpcServer({ identity: identities.b, onError: onServerError('b') }),
  };
  const addresses = {} as Record<Party, string>;
  for (const party of ['core', 'a', 'b'] as const) {
    addresses[party] = (await servers[party].listen(options.transportFor(party), options.listenAddress(party))).address;
  }

  // One registry serves both sides here; a real core and real providers each keep their own.
  const providers = new ProviderRegistry()
    .add({ provider: 'a', nodeId: identities.a.id, address: addresses.a })
    .add({ provider: 'b', nodeId: identities.b.id, address: addresses.b });

  const world = new InMemoryProviderDirectory()
    .addDrive('1001', 'a')
    .addDrive('2002', 'b')
    .addFolder('/1001/project')
    .addFolder('/1001/second')
    .addFolder('/2002/inbox');
  for (const user of ['alice', 'bob']) {
    world.grant(user, '1001', 'read').grant(user, '2002', 'read', 'edit').allocate(user, 'a').allocate(user, 'b');
  }
  const coreStore = new MemoryTransferTaskStore();
  const gateway = new RpcProviderGateway({ transport: options.transportFor('core'), identity: identities.core, providers });
  const core = new TransferCore({ store: coreStore, drives: world, driveCatalogue: world, permissions: world, allocations: world, files: world, gateway });
  const events: TransferTask[] = [];
  core.events.on('task', (task) => events.push(task));
  const { users } = registerTransferCoreService(servers.core, core, { providers });

  const adapters: { close(): Promise<void> }[] = [gateway];
  const stores: SqliteIntegrationStore[] = [];
  const onError = (party: Party) => (err: unknown, context: string) => void errors.push(`${party} ${context}: ${String(err)}`);
  const openModule = async (party: 'a' | 'b', roles: { plugin?: FileTransferPlugin; receiver?: FileTransferReceiver }) => {
    const coreLink = new RpcCoreLink({ transport: options.transportFor(party), identity: identities[party], coreAddress: addresses.core, coreId: identities.core.id });
    const peers = new RpcPeerProvider({ transport: options.transportFor(party), identity: identities[party], providers });
    adapters.push(coreLink, peers);
    const store = SqliteIntegrationStore.open({ path: ':memory:' });
    stores.push(store);
    const module = await ProviderIntegration.open({
      providerId: party,
      store,
      core: coreLink,
      peers,
      ...roles,
      ...(options.resolveSource ? { resolveSource: options.resolveSource } : {}),
      ...(options.files?.[party] ? { files: options.files[party] } : {}),
      pollIntervalMs: options.pollIntervalMs ?? 20,
      policy: { retryInitialMs: 50, retryMaxMs: 200, ...options.policy },
      onError: onError(party),
    });
    registerProviderService(servers[party], module, { core: identities.core.id, providers, clock: options.providerClock ?? systemClock });
    return module;
  };
  const a = await openModule('a', { plugin: options.plugin });
  const b = await openModule('b', { receiver: options.receiver });

  const clients: { close(): Promise<void> }[] = [];
  return {
    core,
    coreStore,
    world,
    users,
    identities,
    servers,
    addresses,
    a,
    b,
    events,
    errors,
    client(user = 'alice', identity = Identity.generate()) {
      if (user !== null) users.add(identity.id, user);
      const client = new TransferClient({ transport: options.transportFor('client'), coreAddress: addresses.core, coreId: identities.core.id, identity });
      clients.push(client);
      return client;
    },
    raw(party, identity) {
      const client = new RpcClient({ transport: options.transportFor('client'), address: addresses[party], identity, expectedPeer: identities[party].id });
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      // One last round each, so no push to the core is still under way when the links close.
      for (const module of [a, b]) {
        await module.tick();
        await module.close();
      }
      await Promise.all(adapters.map((x) => x.close()));
      await Promise.all(Object.values(servers).map((s) => s.close()));
      await coreStore.close();
      for (const store of stores) store.close();
    },
  };
}

/** A manual clock starting now, for tests that move time past a grant's expiry. */
export function manualClockNow(): ManualClock {
  return new ManualClock(Date.now());
}

/** Polls `condition` every 10 ms until it holds; fails after `timeoutMs` with `describe()`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, describe: () => string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${describe()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
