/**
 * Two providers with real integration modules and a real transfer plugin: "a" sends, "b"
 * receives. The plugin comes from a {@link PluginKit} (rsync over a real sshd, or the built-in
 * plugin over TCP), so every plugin runs the same stories. The core is an in-memory link that
 * records what "a" reports; the client's part of the key exchange is done by
 * {@link World.startTransfer}.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync, lstatSync } from 'node:fs';
import { join, relative } from 'node:path';
import { MemoryCoreLink, MemoryPeerNetwork } from '../../../src/transfer/integration/memory.js';
import { ProviderIntegration } from '../../../src/transfer/integration/provider-integration.js';
import { SqliteIntegrationStore } from '../../../src/transfer/integration/sqlite-store.js';
import type { IntegrationPolicy } from '../../../src/transfer/integration/policy.js';
import type { FileTransferPlugin, FileTransferReceiver } from '../../../src/transfer/plugin.js';
import type { TaskId, TaskState } from '../../../src/transfer/types.js';

export interface WorldOptions {
  readonly bandwidthLimitKiBps?: number;
  readonly policy?: Partial<IntegrationPolicy>;
  readonly verifyChecksums?: boolean;
  /** Directory names for keys and plugin state (to test odd paths). */
  readonly keyDirName?: string;
}

/** One plugin's two halves for one world, and what the shared stories ask of them. */
export interface PluginSides {
  /** A new source plugin instance (a module restart makes another one on the same folders). */
  plugin(keyDir: string, options: { readonly bandwidthLimitKiBps?: number }): FileTransferPlugin;
  readonly receiver: FileTransferReceiver;
  /** True while the destination accepts the task's key. */
  isKeyAuthorized(taskId: TaskId): Promise<boolean>;
  close(): Promise<void>;
}

/** A transfer plugin as the shared stories see it. */
export interface PluginKit {
  readonly name: string;
  /** Wires the plugin for one world whose destination folders live under `destinationRoot`. */
  open(dir: string, destinationRoot: string): Promise<PluginSides>;
  /** True for a temporary or holding file of an unfinished transfer (relative to the destination). */
  isPartial(relativePath: string): boolean;
  /** Where an interrupted `name` in the folder `copy` is kept while task `taskId` is paused. */
  partialPath(copy: string, name: string, taskId: TaskId): string;
  /** Stops the running transfer from outside (a killed process, a dropped connection). */
  interrupt(world: World, taskId: TaskId): Promise<void>;
}

export interface World {
  readonly dir: string;
  readonly sourceRoot: string;
  readonly destinationRoot: string;
  readonly keyDir: string;
  readonly core: MemoryCoreLink;
  readonly network: MemoryPeerNetwork;
  readonly sides: PluginSides;
  a: ProviderIntegration;
  readonly b: ProviderIntegration;
  readonly errors: string[];
  /** Accepts the transfer at "a" and does the client's key exchange. */
  startTransfer(taskId: TaskId, sourcePath?: string, destinationPath?: string): Promise<void>;
  /** Closes "a" and opens a new module (new plugin instance) on the same store file. */
  restartA(between?: () => Promise<void> | void): Promise<void>;
  waitForState(taskId: TaskId, state: TaskState, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function createWorld(kit: PluginKit, dir: string, options: WorldOptions = {}): Promise<World> {
  const sourceRoot = join(dir, 'a-data');
  const destinationRoot = join(dir, 'b-data');
  mkdirSync(join(destinationRoot, 'inbox'), { recursive: true });
  mkdirSync(sourceRoot, { recursive: true });
  const keyDir = join(dir, options.keyDirName ?? 'a-keys');
  const storePath = join(dir, 'a.db');
  const core = new MemoryCoreLink();
  const network = new MemoryPeerNetwork();
  const errors: string[] = [];
  const onError = (err: unknown, context: string): void => void errors.push(`${context}: ${String(err)}`);
  const sides = await kit.open(dir, destinationRoot);
  const policy: Partial<IntegrationPolicy> = { retryInitialMs: 200, retryMaxMs: 1000, ...options.policy };

  const openA = async (): Promise<{ im: ProviderIntegration; store: SqliteIntegrationStore }> => {
    const plugin = sides.plugin(keyDir, options.bandwidthLimitKiBps === undefined ? {} : { bandwidthLimitKiBps: options.bandwidthLimitKiBps });
    const store = SqliteIntegrationStore.open({ path: storePath });
    const im = await ProviderIntegration.open({
      providerId: 'a',
      store,
      core,
      peers: network.linkFor('a'),
      plugin,
      resolveSource: (p) => join(sourceRoot, p),
      pollIntervalMs: 100,
      policy,
      verifyChecksums: options.verifyChecksums ?? false,
      onError,
    });
    network.register('a', im);
    return { im, store };
  };

  let a = await openA();
  const bStore = SqliteIntegrationStore.open({ path: ':memory:' });
  const b = await ProviderIntegration.open({
    providerId: 'b',
    store: bStore,
    core: new MemoryCoreLink(),
    peers: network.linkFor('b'),
    receiver: sides.receiver,
    onError,
  });
  network.register('b', b);

  const world: World = {
    dir,
    sourceRoot,
    destinationRoot,
    keyDir,
    core,
    network,
    sides,
    a: a.im,
    b,
    errors,
    async startTransfer(taskId, sourcePath = '/project', destinationPath = '/inbox') {
      const [accepted] = await world.a.acceptTransfers([{ taskId, sourcePath, destinationPath, destinationProvider: 'b' }]);
      if (!accepted?.ok) throw new Error(`not accepted: ${JSON.stringify(accepted)}`);
      const publicKey = await world.a.issueTransferKey(taskId);
      await b.authorizeTransferKey({ taskId, publicKey, sourceProvider: 'a', destinationPath });
    },
    async restartA(between) {
      await a.im.close();
      a.store.close();
      await between?.();
      a = await openA();
      world.a = a.im;
    },
    async waitForState(taskId, state, timeoutMs = 20_000) {
      await waitFor(() => world.a.getTask(taskId)?.state === state, timeoutMs, () => `task ${taskId} to be ${state}; it is ${JSON.stringify(world.a.getTask(taskId))}; errors: ${errors.join('; ')}`);
    },
    async close() {
      await a.im.close();
      a.store.close();
      await b.close();
      bStore.close();
      await sides.close();
    },
  };
  return world;
}

/**
 * Live processes anywhere on the machine whose command line mentions `needle`: a task's key path
 * names both its rsync and the ssh under it. Zombies (dead, not yet reaped) do not count.
 */
export function processesMentioning(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(needle)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Polls `condition` every 25 ms until it holds; fails after `timeoutMs` with `describe()`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${describe()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A project folder: one large random file, small files, a nested folder, an empty file. */
export function makeProject(root: string, largeMiB: number): string {
  const project = join(root, 'project');
  mkdirSync(join(project, 'notes', 'deep'), { recursive: true });
  const big = Buffer.alloc(largeMiB * 1024 * 1024);
  for (let off = 0; off < big.length; off += 1 << 20) randomBytes(1 << 20).copy(big, off);
  writeFileSync(join(project, 'big.bin'), big);
  writeFileSync(join(project, 'notes', 'readme.txt'), 'hello from provider a\n');
  writeFileSync(join(project, 'notes', 'deep', 'table.csv'), randomBytes(100_000).toString('hex'));
  writeFileSync(join(project, 'empty'), '');
  return project;
}

/** relative path → sha256 of every regular file under `dir`. */
export function treeDigest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out[relative(dir, full)] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  if (existsSync(dir) && lstatSync(dir).isDirectory()) walk(dir);
  return out;
}

/** Every path under `dir` (files and folders), relative. */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      out.push(relative(dir, join(d, entry.name)));
      if (entry.isDirectory()) walk(join(d, entry.name));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}
