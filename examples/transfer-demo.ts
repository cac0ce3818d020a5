/**
 * A transfer between two providers, on this machine, the way it runs between sites: a core and
 * two providers ("hippo" sends, "aau" receives), each its own RPC server with its own key on
 * loopback TCP, a user's client, the key exchange in sessions the core grants, and rsync over a
 * real (private, temporary) sshd — or, with `plugin: 'builtin'`, the built-in plugin, which
 * needs nothing outside the package. The demo makes a folder of large and small files, transfers
 * it with a live progress bar, pauses at about 30 %, resumes, checks every byte and says what
 * happened. Everything it starts or writes is removed at the end.
 *
 *   npx tsx examples/transfer-demo.ts
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Identity } from '../src/crypto/identity.js';
import { RpcServer } from '../src/rpc/server.js';
import { tcpTransport } from '../src/transport/tcp.js';
import {
  InMemoryProviderDirectory,
  isTerminal,
  ProviderIntegration,
  ProviderRegistry,
  registerProviderService,
  registerTransferCoreService,
  RpcCoreLink,
  RpcPeerProvider,
  RpcProviderGateway,
  TransferClient,
  TransferCore,
  type TransferTask,
} from '../src/transfer/index.js';
import { AuthorizedKeysFile, TransferKeyring } from '../src/transfer/keys/index.js';
import { rsyncPlugin, rsyncReceiver } from '../src/transfer/rsync/index.js';
import { builtinPlugin, builtinReceiver } from '../src/transfer/builtin.js';
import { SqliteIntegrationStore, SqliteTransferTaskStore } from '../src/transfer/sqlite.js';
import { startSshd, sshUnavailableReason } from '../src/testing/sshd.js';
import { consoleAssetsDir } from '../src/console/assets.js';
import { serveConsole } from '../src/console/server.js';
import { registerConsoleService } from '../src/console/service/register.js';
import { ConsoleStore } from '../src/console/service/store.js';
import type { UserDirectory } from '../src/transfer/rpc/users.js';

export interface TransferDemoOptions {
  /** Size of each of the two large files (default 32 MiB). */
  readonly largeFileMiB?: number;
  /** rsync over a private sshd (the default), or the built-in plugin, which needs neither. */
  readonly plugin?: 'rsync' | 'builtin';
  /** The plugin's bandwidth limit, so the transfer lasts long enough to watch (default 8 MiB/s). */
  readonly bandwidthLimitKiBps?: number;
  /** Where the progress bar goes (default stderr). */
  readonly progress?: { write(text: string): unknown };
  /** Stops the demo early; it still cleans up. */
  readonly signal?: AbortSignal;
  /**
   * Serve the web console while the transfer runs (default: when this build has one — `npm run
   * build` makes it). The demo prints its address and where Alice's identity file is to sign in.
   */
  readonly console?: boolean;
  /** Awaited after the transfer, before anything stops, while the console is up (an interactive demo waits for Enter). */
  readonly holdConsole?: (() => Promise<void>) | undefined;
}

/** What the demo saw; undefined when it could not run here. */
export interface TransferDemoResult {
  readonly taskId: number;
  readonly state: TransferTask['state'];
  readonly files: number;
  readonly bytes: number;
  /** The progress the task showed when it paused, or undefined when it finished first. */
  readonly pausedAt: number | undefined;
  /** True when every file arrived byte for byte. */
  readonly identical: boolean;
  /** True when the destination no longer lists the task's key once it ended. */
  readonly keyRevoked: boolean;
}

/**
 * Runs the demo and reports each step through `log`.
 *
 * @example
 * ```ts
 * const result = await runTransferDemo((line) => console.log(line));
 * ```
 */
export async function runTransferDemo(log: (line: string) => void, options: TransferDemoOptions = {}): Promise<TransferDemoResult | undefined> {
  const builtin = options.plugin === 'builtin';
  const missing = builtin ? undefined : sshUnavailableReason();
  if (missing !== undefined) {
    log(`This demo needs rsync and an OpenSSH server on this machine, and cannot run here: ${missing}.`);
    return undefined;
  }
  const signal = options.signal ?? new AbortController().signal;
  const bar = options.progress ?? process.stderr;
  const cleanup: (() => Promise<unknown> | unknown)[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'handoff-transfer-demo-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  try {
    const sshd = builtin ? undefined : await startSshd();
    cleanup.push(() => sshd?.stop());
    // WebSocket on the same ports too, so the web console in a browser reaches the core.
    const tcp = tcpTransport({ acceptWebSocket: true });
    const keys = { core: Identity.generate(), hippo: Identity.generate(), aau: Identity.generate(), alice: Identity.generate() };

    // Three servers, each proving its own key to whoever connects.
    const servers = { core: new RpcServer({ identity: keys.core }), hippo: new RpcServer({ identity: keys.hippo }), aau: new RpcServer({ identity: keys.aau }) };
    cleanup.push(() => Promise.all(Object.values(servers).map((s) => s.close())));
    const address = {
      core: (await servers.core.listen(tcp, '127.0.0.1:0')).address,
      hippo: (await servers.hippo.listen(tcp, '127.0.0.1:0')).address,
      aau: (await servers.aau.listen(tcp, '127.0.0.1:0')).address,
    };
    const providers = new ProviderRegistry()
      .add({ provider: 'hippo', nodeId: keys.hippo.id, address: address.hippo })
      .add({ provider: 'aau', nodeId: keys.aau.id, address: address.aau });
    log(`A core listens on ${address.core}; provider hippo on ${address.hippo}; provider aau on ${address.aau}${sshd ? `, with its sshd on port ${sshd.port}` : ''}.`);

    // The core: who may do what, the task store, and the way to reach providers.
    const world = new InMemoryProviderDirectory()
      .addDrive('4123', 'hippo').addDrive('5243', 'aau')
      .grant('alice', '4123', 'read').grant('alice', '5243', 'read', 'edit')
      .allocate('alice', 'hippo').allocate('alice', 'aau')
      .addFolder('/4123/results').addFolder('/5243/inbox');
    const store = await SqliteTransferTaskStore.open({ path: join(dir, 'core.db') });
    cleanup.push(() => store.close());
    const gateway = new RpcProviderGateway({ transport: tcp, identity: keys.core, providers });
    cleanup.push(() => gateway.close());
    const core = new TransferCore({ store, drives: world, permissions: world, allocations: world, files: world, gateway });
    core.start(); // background upkeep: forgets idempotency keys past their 24 h
    cleanup.push(() => core.stop());
    const { users } = registerTransferCoreService(servers.core, core, { providers });
    users.add(keys.alice.id, 'alice');
    const site = options.console === false ? undefined : await openConsole({ dir, core, users, server: servers.core, coreId: keys.core.id.toString(), coreAddress: address.core, alice: keys.alice, cleanup });
    if (site) log(`Watch it in the web console at ${site} — sign in as Alice with ${join(dir, 'alice.pem')}.`);

    // The providers' integration modules, each talking to the core and to the other provider over RPC.
    const hippoRoot = join(dir, 'hippo');
    const aauRoot = join(dir, 'aau');
    mkdirSync(join(aauRoot, '5243', 'inbox'), { recursive: true });
    const openModule = async (name: 'hippo' | 'aau', roles: Pick<Parameters<typeof ProviderIntegration.open>[0], 'plugin' | 'receiver' | 'resolveSource'>) => {
      const coreLink = new RpcCoreLink({ transport: tcp, identity: keys[name], coreAddress: address.core, coreId: keys.core.id });
      const peers = new RpcPeerProvider({ transport: tcp, identity: keys[name], providers });
      const imStore = SqliteIntegrationStore.open({ path: join(dir, `${name}.db`) });
      const im = await ProviderIntegration.open({ providerId: name, store: imStore, core: coreLink, peers, pollIntervalMs: 200, ...roles });
      cleanup.push(async () => {
        await im.close();
        await Promise.all([coreLink.close(), peers.close()]);
        imStore.close();
      });
      registerProviderService(servers[name], im, { core: keys.core.id, providers });
      return im;
    };
    const bandwidthLimitKiBps = options.bandwidthLimitKiBps ?? 8192;
    await openModule('hippo', {
      plugin: sshd
        ? rsyncPlugin({ stateDir: join(dir, 'hippo-rsync'), keyring: new TransferKeyring({ dir: join(dir, 'hippo-keys') }), bandwidthLimitKiBps })
        : builtinPlugin({ stateDir: join(dir, 'hippo-builtin'), transport: tcp, bandwidthLimitKiBps }),
      resolveSource: (path) => join(hippoRoot, path),
    });
    const authorizedKeys = sshd ? new AuthorizedKeysFile(sshd.authorizedKeysPath) : undefined;
    const builtinIn = sshd
      ? undefined
      : builtinReceiver({ stateDir: join(dir, 'aau-builtin'), resolveDestination: (path) => join(aauRoot, path), endpoint: { address: address.aau, nodeId: keys.aau.id } }).serve(servers.aau);
    await openModule('aau', {
      receiver:
        builtinIn ??
        rsyncReceiver({
          authorizedKeys: authorizedKeys!,
          ssh: { host: sshd!.host, port: sshd!.port, user: sshd!.user, hostKey: sshd!.hostKey },
          resolveDestination: (path) => join(aauRoot, path),
          sourceAddresses: () => ['127.0.0.1'],
          rrsync: sshd!.rrsync,
        }),
    });
    const mover = sshd ? { stopped: 'hippo stopped rsync and ssh', picked: 'rsync picked up where it stopped', over: 'over SSH' } : { stopped: 'hippo closed its push stream', picked: 'the built-in plugin continued inside the half-sent file', over: "over handoff's own RPC" };

    const source = join(hippoRoot, '4123', 'results');
    const { files, bytes } = makeTree(source, options.largeFileMiB ?? 32);
    log(`Alice has ${files} files (${mib(bytes)}) in /4123/results at hippo, and wants them in /5243/inbox at aau.`);

    const alice = new TransferClient({ transport: tcp, coreAddress: address.core, coreId: keys.core.id, identity: keys.alice });
    cleanup.push(() => alice.close());
    const [result] = await alice.transfer(['/4123/results'], '/5243/inbox', { idempotencyKey: 'demo' });
    if (!result?.ok) throw new Error(`the core refused the transfer: ${result?.reason ?? 'no answer'}`);
    const taskId = result.taskId;
    // If the demo stops early, stop the transfer too (before the client closes): rsync runs in
    // its own process group, so it would outlive the demo.
    cleanup.push(async () => {
      const task = await core.getTask('alice', taskId).catch(() => undefined);
      if (task && !isTerminal(task.state)) await alice.cancel(taskId).catch(() => undefined);
    });
    log(`The core checked the request and created task ${taskId}; hippo accepted it.`);

    const exchange = await alice.exchangeKeys(taskId);
    log(
      `Key exchange: in sessions the core granted, hippo generated a key pair (${exchange.publicKey.split(' ')[0]}) for task ${taskId} and gave Alice its public key, ` +
        'and aau authorized that key to write into /5243/inbox only, from hippo only, until the task ends. The core never saw a key.',
    );

    const watcher = watchTask(core, taskId, bar);
    cleanup.push(() => watcher.stop());
    // rsync reports about once a second (an eighth of this transfer at the default speed), so
    // pausing at the first report past 25 % lands near 30 %.
    const before = await watcher.until((t) => t.progress >= 25 || isTerminal(t.state), signal);
    let pausedAt: number | undefined;
    if (!isTerminal(before.state)) {
      await alice.pause(taskId);
      pausedAt = (await watcher.until((t) => t.state !== 'RUNNING', signal)).progress;
      watcher.note(`paused by alice at ${pausedAt.toFixed(1)} %`);
      await delay(1000, signal);
      watcher.note('');
      await alice.resume(taskId);
    }
    const last = await watcher.until((t) => isTerminal(t.state), signal);
    watcher.stop();
    log(
      pausedAt === undefined
        ? `The transfer finished before it could be paused; the task ended in ${last.state}.`
        : `Alice paused the transfer through the core at ${pausedAt.toFixed(1)} % (${mover.stopped}), resumed it a second later (${mover.picked}), and the task ended in ${last.state}.`,
    );

    const identical = last.state === 'SUCCESS' && sameTree(source, join(aauRoot, '5243', 'inbox', 'results'));
    const keyRevoked = authorizedKeys ? (await authorizedKeys.find(taskId)) === undefined : !(await builtinIn!.isAuthorized(taskId));
    log(
      identical
        ? `All ${files} files arrived at aau byte for byte (${mib(bytes)}), straight from hippo ${mover.over}; the core only heard the progress.`
        : `The files at aau do not match the source.`,
    );
    log(keyRevoked ? `aau revoked the task's key once the task ended, and hippo deleted its private key.` : `The task's key is still authorized at aau.`);
    if (site && options.holdConsole) await options.holdConsole();
    return { taskId, state: last.state, files, bytes, pausedAt, identical, keyRevoked };
  } finally {
    for (const step of cleanup.reverse()) {
      try {
        await step();
      } catch {
        // Clean up the rest regardless.
      }
    }
  }
}

/** Renders the task's progress from the core's events as one line, and waits for states. */
function watchTask(core: TransferCore, taskId: number, out: { write(text: string): unknown }) {
  let latest: TransferTask | undefined;
  let note = '';
  let drawn = '';
  const waiters = new Set<() => void>();
  const draw = (task: TransferTask): void => {
    const width = 30;
    const filled = Math.round((task.progress / 100) * width);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${task.progress.toFixed(1).padStart(5)} % ${task.state.padEnd(8)} ${note}`;
    if (line === drawn) return;
    // Pad with spaces so a shorter line fully covers the longer one before it.
    out.write(`\r${line.padEnd(drawn.length)}`);
    drawn = line;
  };
  const onTask = (task: TransferTask): void => {
    if (task.id !== taskId) return;
    latest = task;
    draw(task);
    for (const wake of waiters) wake();
  };
  core.events.on('task', onTask);
  return {
    note(text: string): void {
      note = text;
      if (latest) draw(latest);
    },
    until(condition: (task: TransferTask) => boolean, signal: AbortSignal): Promise<TransferTask> {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (latest && condition(latest)) done(() => resolve(latest!));
          else if (signal.aborted) done(() => reject(signal.reason));
        };
        const done = (settle: () => void): void => {
          waiters.delete(check);
          signal.removeEventListener('abort', check);
          settle();
        };
        waiters.add(check);
        signal.addEventListener('abort', check);
        check();
      });
    },
    stop(): void {
      core.events.off('task', onTask);
      if (drawn) out.write('\n');
      drawn = '';
    },
  };
}

/** Two large random files and a few dozen small ones, some in subfolders. */
function makeTree(root: string, largeFileMiB: number): { files: number; bytes: number } {
  mkdirSync(join(root, 'raw'), { recursive: true });
  mkdirSync(join(root, 'notes', '2024'), { recursive: true });
  let files = 0;
  let bytes = 0;
  const write = (path: string, data: Buffer): void => {
    writeFileSync(join(root, path), data);
    files += 1;
    bytes += data.length;
  };
  for (const name of ['raw/scan-1.bin', 'raw/scan-2.bin']) write(name, randomBytes(largeFileMiB * 1024 * 1024));
  for (let i = 0; i < 24; i++) write(`notes/${i < 12 ? '2024/' : ''}note-${i}.txt`, randomBytes(512 + i * 1024));
  write('README.txt', Buffer.from('Results of run 7, moved from hippo to aau.\n'));
  return { files, bytes };
}

function sameTree(a: string, b: string): boolean {
  const digest = (root: string): Map<string, string> => {
    const out = new Map<string, string>();
    const walk = (d: string): void => {
      for (const entry of readdirSync(d, { withFileTypes: true })) {
        const full = join(d, entry.name);
        if (entry.isDirectory()) walk(full);
        else out.set(relative(root, full), createHash('sha256').update(readFileSync(full)).digest('hex'));
      }
    };
    walk(root);
    return out;
  };
  try {
    const left = digest(a);
    const right = digest(b);
    return left.size === right.size && [...left].every(([path, hash]) => right.get(path) === hash);
  } catch {
    return false;
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function main(): Promise<void> {
  const controller = new AbortController();
  // Ctrl-C stops the demo, which still cancels the transfer and removes everything it made.
  process.once('SIGINT', () => controller.abort(new Error('interrupted')));
  try {
    await runTransferDemo((line) => console.log(line), { signal: controller.signal });
  } catch (err) {
    console.error(`The demo stopped: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}

/** Serves the console for the demo's core when this build has one; its URL, or undefined. */
async function openConsole(o: {
  dir: string; core: TransferCore; users: UserDirectory; server: RpcServer; coreId: string; coreAddress: string; alice: Identity; cleanup: (() => Promise<unknown> | unknown)[];
}): Promise<string | undefined> {
  const assetsDir = consoleAssetsDir();
  if (assetsDir === undefined) return undefined;
  const store = ConsoleStore.open(join(o.dir, 'console.db'));
  o.cleanup.push(() => store.close());
  o.cleanup.push(registerConsoleService(o.server, { core: o.core, users: o.users, store }));
  await o.alice.save(join(o.dir, 'alice.pem'));
  const site = await serveConsole({ address: '127.0.0.1:0', assetsDir, config: { coreId: o.coreId, coreAddress: o.coreAddress } });
  o.cleanup.push(() => site.close());
  return site.url;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
