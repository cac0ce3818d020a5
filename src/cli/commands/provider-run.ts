/**
 * `handoff provider run`: a storage provider's integration module (seed 004) in this process until
 * Ctrl-C — it sends the transfers the core forwards with its transfer plugin and receives those
 * other providers send, files under one folder, tasks in SQLite in its data directory or in
 * PostgreSQL (`--store postgres://…`, several providers may share one database). The built-in
 * plugin is the default: it needs nothing outside the package.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RpcServer } from '../../rpc/server.js';
import { tcpTransport } from '../../transport/tcp.js';
import { builtinPlugin } from '../../transfer/builtin/plugin.js';
import { builtinReceiver } from '../../transfer/builtin/receiver.js';
import { localPath } from '../../transfer/integration/files.js';
import { filesystemFiles } from '../../transfer/integration/fs-files.js';
import { ProviderIntegration } from '../../transfer/integration/provider-integration.js';
import { SqliteIntegrationStore } from '../../transfer/integration/sqlite-store.js';
import type { IntegrationStore } from '../../transfer/integration/store.js';
import { AuthorizedKeysFile } from '../../transfer/keys/authorized-keys-file.js';
import { TransferKeyring } from '../../transfer/keys/keyring.js';
import type { FileTransferPlugin, FileTransferReceiver } from '../../transfer/plugin.js';
import { RpcCoreLink } from '../../transfer/rpc/core-link.js';
import { RpcPeerProvider } from '../../transfer/rpc/peer-provider.js';
import { registerProviderService } from '../../transfer/rpc/provider-service.js';
import { ProviderRegistry } from '../../transfer/rpc/registry.js';
import { rsyncPlugin } from '../../transfer/rsync/plugin.js';
import { rsyncReceiver } from '../../transfer/rsync/receiver.js';
import { parseSatelliteRef, required, UsageError } from '../args.js';
import { defineCommand } from '../command.js';
import { loadOrCreate, redactStore, withDataDirectory } from '../servers.js';
import { parseProviderRef } from './core-run.js';
import { collect } from './node-run.js';

interface Options {
  dir?: string;
  id?: string;
  core?: string;
  root?: string;
  address: string;
  advertise?: string;
  peer: string[];
  plugin: string;
  bandwidthLimit?: string;
  ssh?: string;
  sshHostKey?: string;
  authorizedKeys?: string;
  sourceAddress: string[];
  rrsync?: string;
  store: string;
}

const PLUGINS = ['builtin', 'rsync'] as const;

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`--${flag} is a whole number above 0, got ${JSON.stringify(text)}`);
  return n;
}

/** `user@host:port` for the rsync receiver's sshd. */
function parseSsh(text: string): { user: string; host: string; port: number } {
  const match = /^([^@\s]+)@(.+):(\d+)$/.exec(text);
  if (!match) throw new UsageError(`--ssh is <user>@<host>:<port>, got ${JSON.stringify(text)}`);
  return { user: match[1]!, host: match[2]!, port: positiveInt(match[3]!, 'ssh port') };
}

async function openStore(spec: string, dir: string, providerId: string, onError: (err: unknown, context: string) => void): Promise<IntegrationStore> {
  if (spec === 'sqlite') return SqliteIntegrationStore.open({ path: join(dir, 'provider.db') });
  if (/^postgres(ql)?:\/\//.test(spec)) {
    // Loaded only when asked for: the pg driver is not needed otherwise.
    const { PostgresIntegrationStore } = await import('../../transfer/integration/postgres-store.js');
    return PostgresIntegrationStore.open({ connectionString: spec, providerId, onError });
  }
  throw new UsageError(`--store is sqlite or a postgres:// URL, got ${JSON.stringify(redactStore(spec))}`);
}

export const providerRun = defineCommand<Options>({
  path: ['provider', 'run'],
  summary: "run a provider's transfer integration module until Ctrl-C",
  define: (cmd) =>
    cmd
      .usage('--dir <dir> --id <provider> --core <id>@<host:port> --root <folder> [--peer <id>=<node id>@<host:port>...] [options]')
      .option('--dir <dir>', 'its data directory: identity.pem (created when missing), provider.db, per-task keys (required)')
      .option('--store <store>', 'where it keeps its tasks: sqlite (provider.db in --dir) or a postgres:// URL', 'sqlite')
      .option('--id <provider>', 'its provider id, as the core knows it (required)')
      .option('--core <id@host:port>', 'the transfer core, as core run prints it (required)')
      .option('--root <folder>', 'the local folder the core\'s paths start in: /4123/results is <folder>/4123/results (required)')
      .option('--address <host:port>', 'where the core and other providers reach it', '127.0.0.1:0')
      .option('--advertise <host:port>', 'the address other providers push to, when it differs from --address')
      .option('--peer <id=key@host:port>', 'another provider, as provider run prints it (repeat it)', collect, [])
      .option('--plugin <plugin>', `the transfer plugin: ${PLUGINS.join(' or ')} (both providers of a transfer must run the same)`, 'builtin')
      .option('--bandwidth-limit <KiB/s>', 'most KiB/s per transfer it sends (default: unlimited)')
      .option('--ssh <user@host:port>', 'rsync: the sshd other providers push to here')
      .option('--ssh-host-key <key|file>', "rsync: that sshd's host public key (ssh-ed25519 AAAA…), or a file holding it")
      .option('--authorized-keys <file>', "rsync: the authorized_keys file of the --ssh user, which per-task keys are added to")
      .option('--source-address <pattern>', 'rsync: an address other providers connect from (sshd from= syntax; repeat it)', collect, [])
      .option('--rrsync <path>', 'rsync: rrsync on this machine (default /usr/bin/rrsync)'),
  details: `It prints "provider <id> <node id>@<address>": give that to core run --provider and to the
other providers' --peer. The built-in plugin pushes files over handoff's own RPC with a key per
task; the rsync plugin needs rsync, an sshd and rrsync (--ssh, --ssh-host-key, --authorized-keys,
--source-address).`,
  async run({ options }, { io, stop }) {
    const dir = required(options.dir, 'dir');
    const providerId = required(options.id, 'id');
    const core = parseSatelliteRef(required(options.core, 'core'));
    const root = resolve(required(options.root, 'root'));
    if (!existsSync(root)) throw new UsageError(`--root ${root} does not exist`);
    if (!(PLUGINS as readonly string[]).includes(options.plugin)) throw new UsageError(`--plugin is ${PLUGINS.join(' or ')}, got ${JSON.stringify(options.plugin)}`);
    const bandwidthLimitKiBps = options.bandwidthLimit === undefined ? undefined : positiveInt(options.bandwidthLimit, 'bandwidth-limit');
    const providers = new ProviderRegistry(options.peer.map((p) => parseProviderRef(p, 'peer')));
    // The one mapping of core paths under --root, for the plugins and for listings alike.
    const resolvePath = (path: string): string => localPath(root, path);
    const stopRequest = stop();
    try {
      await withDataDirectory(dir, 'handoff provider run', async (closers) => {
        const identity = await loadOrCreate(join(dir, 'identity.pem'), io.out);
        // Browsers (the web console's transfer dialog does the key exchange) reach it over WebSocket on the same port.
        const transport = tcpTransport({ acceptWebSocket: true });
        const server = new RpcServer({ identity, onError: (err, method) => io.err(`error in ${method}: ${String(err)}`) });
        let advertised = options.advertise;
        let plugin: FileTransferPlugin & { close?(): Promise<void> };
        let receiver: FileTransferReceiver;
        if (options.plugin === 'builtin') {
          plugin = builtinPlugin({ stateDir: join(dir, 'builtin-out'), transport, ...(bandwidthLimitKiBps === undefined ? {} : { bandwidthLimitKiBps }) });
          receiver = builtinReceiver({
            stateDir: join(dir, 'builtin-in'),
            resolveDestination: resolvePath,
            // Known once the server listens; asked for only when a source negotiates.
            endpoint: () => ({ address: advertised!, nodeId: identity.id }),
          }).serve(server);
        } else {
          const ssh = parseSsh(required(options.ssh, 'ssh'));
          const keyText = required(options.sshHostKey, 'ssh-host-key');
          const hostKey = existsSync(keyText) ? readFileSync(keyText, 'utf8').trim() : keyText;
          if (options.sourceAddress.length === 0) throw new UsageError('--source-address is required with --plugin rsync (repeat it for several)');
          plugin = rsyncPlugin({ stateDir: join(dir, 'rsync'), keyring: new TransferKeyring({ dir: join(dir, 'keys') }), ...(bandwidthLimitKiBps === undefined ? {} : { bandwidthLimitKiBps }) });
          receiver = rsyncReceiver({
            authorizedKeys: new AuthorizedKeysFile(required(options.authorizedKeys, 'authorized-keys')),
            ssh: { ...ssh, hostKey },
            resolveDestination: resolvePath,
            sourceAddresses: () => options.sourceAddress,
            ...(options.rrsync === undefined ? {} : { rrsync: options.rrsync }),
          });
        }
        const coreLink = new RpcCoreLink({ transport, identity, coreAddress: core.address, coreId: core.id });
        closers.push(() => coreLink.close());
        const peers = new RpcPeerProvider({ transport, identity, providers });
        closers.push(() => peers.close());
        const onError = (err: unknown, context: string): void => io.err(`${context}: ${err instanceof Error ? err.message : String(err)}`);
        const store = await openStore(options.store, dir, providerId, onError);
        closers.push(() => store.close());
        const im = await ProviderIntegration.open({
          providerId,
          store,
          core: coreLink,
          peers,
          plugin,
          receiver,
          resolveSource: resolvePath,
          files: filesystemFiles(root),
          onError,
        });
        closers.push(() => plugin.close?.());
        closers.push(() => im.close());
        registerProviderService(server, im, { core: core.id, providers });
        // Closed first: no call reaches the module while it and its store shut down.
        closers.push(() => server.close());
        const listener = await server.listen(transport, options.address);
        advertised ??= listener.address;
        io.out(`provider ${providerId} ${identity.id}@${listener.address} is serving files under ${root} with the ${plugin.type} plugin (store: ${redactStore(options.store)})`);
        await stopRequest.requested;
      });
    } finally {
      stopRequest.dispose();
    }
    io.out('provider stopped');
    return 0;
  },
});
