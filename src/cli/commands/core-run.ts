/**
 * `handoff core run`: the transfer core (seed 004) in this process until Ctrl-C — the task store
 * (SQLite in the data directory, or PostgreSQL), its RPC service for users and providers, and
 * the drives, users and rights it authorizes transfers by, all from options.
 */
import { join } from 'node:path';
import { consoleAssetsDir } from '../../console/assets.js';
import { serveConsole } from '../../console/server.js';
import { registerConsoleService } from '../../console/service/register.js';
import { ConsoleStore } from '../../console/service/store.js';
import { NodeId } from '../../crypto/node-id.js';
import { RpcServer } from '../../rpc/server.js';
import { tcpTransport } from '../../transport/tcp.js';
import { InMemoryProviderDirectory, type DriveRight } from '../../transfer/core/in-memory-directory.js';
import { providerFileMetadata } from '../../transfer/core/provider-metadata.js';
import { TransferCore } from '../../transfer/core/transfer-core.js';
import { registerTransferCoreService } from '../../transfer/rpc/core-service.js';
import { RpcProviderGateway } from '../../transfer/rpc/provider-gateway.js';
import { ProviderRegistry } from '../../transfer/rpc/registry.js';
import type { TransferTaskStore } from '../../transfer/store/port.js';
import { SqliteTransferTaskStore } from '../../transfer/store/sqlite.js';
import { required, UsageError } from '../args.js';
import { defineCommand } from '../command.js';
import { loadOrCreate, redactStore, withDataDirectory } from '../servers.js';
import { collect } from './node-run.js';

interface Options {
  dir?: string;
  address: string;
  store: string;
  provider: string[];
  drive: string[];
  user: string[];
  grant: string[];
  console?: string;
}

/** `hippo=<node id>@host:port`: a provider's id, key and RPC address. */
export function parseProviderRef(text: string, flag: string): { provider: string; nodeId: NodeId; address: string } {
  const match = /^([^=@\s]+)=([^@\s]+)@(\S+)$/.exec(text);
  if (!match) throw new UsageError(`--${flag} is <provider>=<node id>@<host:port>, got ${JSON.stringify(text)}`);
  try {
    return { provider: match[1]!, nodeId: NodeId.parse(match[2]!), address: match[3]! };
  } catch (err) {
    throw new UsageError(`--${flag} ${JSON.stringify(text)}: ${(err as Error).message}`, { cause: err });
  }
}

function pair(text: string, flag: string, shape: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0 || at === text.length - 1) throw new UsageError(`--${flag} is ${shape}, got ${JSON.stringify(text)}`);
  return [text.slice(0, at), text.slice(at + 1)];
}

/** The directory the options describe: drives, users' rights, and allocations where they hold rights. */
export function directoryFromOptions(options: Pick<Options, 'drive' | 'grant'>, providers: ReadonlySet<string>): InMemoryProviderDirectory {
  const world = new InMemoryProviderDirectory();
  const driveProvider = new Map<string, string>();
  for (const text of options.drive) {
    const [drive, provider] = pair(text, 'drive', '<drive>=<provider>');
    if (!providers.has(provider)) throw new UsageError(`--drive ${text}: no --provider ${provider}=… was given`);
    driveProvider.set(drive, provider);
    world.addDrive(drive, provider);
  }
  for (const text of options.grant) {
    const match = /^([^:\s]+):([^:\s]+):(read|edit|read\+edit)$/.exec(text);
    if (!match) throw new UsageError(`--grant is <user>:<drive>:read|edit|read+edit, got ${JSON.stringify(text)}`);
    const [, user, drive, rights] = match as unknown as [string, string, string, string];
    const provider = driveProvider.get(drive);
    if (provider === undefined) throw new UsageError(`--grant ${text}: no --drive ${drive}=… was given`);
    world.grant(user, drive, ...(rights.split('+') as DriveRight[])).allocate(user, provider);
  }
  return world;
}

async function openStore(spec: string, dir: string): Promise<TransferTaskStore> {
  if (spec === 'sqlite') return SqliteTransferTaskStore.open({ path: join(dir, 'core.db') });
  if (/^postgres(ql)?:\/\//.test(spec)) {
    // Loaded only when asked for: the pg driver is not needed otherwise.
    const { PostgresTransferTaskStore } = await import('../../transfer/store/postgres.js');
    return PostgresTransferTaskStore.open({ connectionString: spec });
  }
  throw new UsageError(`--store is sqlite or a postgres:// URL, got ${JSON.stringify(redactStore(spec))}`);
}

export const coreRun = defineCommand<Options>({
  path: ['core', 'run'],
  summary: 'run a transfer core (tasks between providers) until Ctrl-C',
  define: (cmd) =>
    cmd
      .usage('--dir <dir> --provider <id>=<node id>@<host:port>... --drive <drive>=<provider>... --user <name>=<node id>... --grant <user>:<drive>:<rights>... [options]')
      .option('--dir <dir>', 'its data directory: identity.pem (created when missing) and core.db (required)')
      .option('--address <host:port>', 'where users and providers reach it', '127.0.0.1:7400')
      .option('--store <store>', 'sqlite (core.db in --dir) or a postgres:// URL', 'sqlite')
      .option('--provider <id=key@host:port>', 'a provider, as provider run prints it (repeat it)', collect, [])
      .option('--drive <drive=provider>', 'a drive (the first folder of a path, /<drive>/…) and the provider storing it (repeat it)', collect, [])
      .option('--user <name=key>', "a user and the node id of the user's key (handoff identity new; repeat it)", collect, [])
      .option('--grant <user:drive:rights>', 'read, edit or read+edit on a drive; it also allocates the user at the drive\'s provider (repeat it)', collect, [])
      .option('--console <host:port>', 'also serve the web console (static files; it talks to the core over WebSocket on --address)'),
  details: `A transfer goes from a drive the user may read to a folder on a drive the user may edit, at
another provider. The command-line core keeps no file catalogue: it asks the drive's provider
whether a source exists and whether a destination is a folder; when a provider cannot be asked,
the path counts as a folder and a missing source fails at its provider.`,
  async run({ options }, { io, stop }) {
    const dir = required(options.dir, 'dir');
    const contacts = options.provider.map((p) => parseProviderRef(p, 'provider'));
    const providers = new ProviderRegistry(contacts);
    const world = directoryFromOptions(options, new Set(contacts.map((c) => c.provider)));
    const userKeys = options.user.map((text) => {
      const [name, key] = pair(text, 'user', '<name>=<node id>');
      try {
        return { name, key: NodeId.parse(key) };
      } catch (err) {
        throw new UsageError(`--user ${text}: ${(err as Error).message}`, { cause: err });
      }
    });
    const stopRequest = stop();
    try {
      await withDataDirectory(dir, 'handoff core run', async (closers) => {
        const identity = await loadOrCreate(join(dir, 'identity.pem'), io.out);
        const store = await openStore(options.store, dir);
        closers.push(() => store.close());
        // Browsers (the web console) reach the same RPC service as WebSocket clients on --address.
        const transport = tcpTransport({ acceptWebSocket: true });
        const gateway = new RpcProviderGateway({ transport, identity, providers });
        closers.push(() => gateway.close());
        // No file catalogue here: the providers say what exists (a stat per item at submission).
        const files = providerFileMetadata(world, gateway);
        const core = new TransferCore({ store, drives: world, driveCatalogue: world, permissions: world, allocations: world, files, gateway });
        core.start();
        closers.push(() => core.stop());
        const server = new RpcServer({ identity, onError: (err, method) => io.err(`error in ${method}: ${String(err)}`) });
        closers.push(() => server.close());
        const { users } = registerTransferCoreService(server, core, { providers });
        for (const { name, key } of userKeys) users.add(key, name);
        // The console's settings, task histories and email outbox, in a file of their own.
        const consoleStore = ConsoleStore.open(join(dir, 'console.db'));
        closers.push(() => consoleStore.close());
        closers.push(registerConsoleService(server, { core, users, store: consoleStore, onError: (err) => io.err(`console: ${String(err)}`) }));
        const listener = await server.listen(transport, options.address);
        io.out(`transfer core ${identity.id}@${listener.address} is serving ${contacts.length} provider(s) and ${userKeys.length} user(s) (store: ${redactStore(options.store)})`);
        if (options.console !== undefined) {
          const assetsDir = consoleAssetsDir();
          if (assetsDir === undefined) throw new UsageError('--console: this build of handoff has no console (npm run build makes dist/console)');
          const site = await serveConsole({ address: options.console, assetsDir, config: { coreId: identity.id.toString(), coreAddress: listener.address } });
          closers.push(() => site.close());
          io.out(`web console at ${site.url} (sign in with a --user's identity file)`);
        }
        await stopRequest.requested;
      });
    } finally {
      stopRequest.dispose();
    }
    io.out('transfer core stopped');
    return 0;
  },
});
