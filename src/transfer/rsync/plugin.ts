/**
 * The rsync-over-SSH transfer plugin, source side (seed 004 "Rsync plugin example", done
 * properly): start spawns rsync (see `args.ts`), pause and cancel stop its whole process group,
 * resume re-runs it with the same parameters (rsync continues inside the kept partial file),
 * getState reads progress from rsync's output file and classifies how a run ended.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { InvalidArgumentError } from '../../core/errors.js';
import type { TransferKeyring } from '../keys/keyring.js';
import type { FileTransferPlugin, PluginRun, PluginTask, PluginTransferState } from '../plugin.js';
import { measuredTotalBytes, TaskRuns, type RunEntry } from '../plugin-kit/task-runs.js';
import type { PluginCapabilities, TaskId } from '../types.js';
import { knownHostsLine, parseRsyncEndpoint, rsyncArguments, type RsyncEndpoint } from './args.js';
import { classifyRsyncExit } from './exit-codes.js';
import { processGroupOf, readCmdline } from './process-group.js';
import { transferPercentage } from './progress.js';
import { RsyncProcess } from './rsync-process.js';
import { measureTree } from './scan.js';

/** The plugin type both providers must run. */
export const RSYNC_PLUGIN_TYPE = 'rsync';

/** Options of {@link rsyncPlugin}: its state directory, keyring and limits. */
export interface RsyncPluginOptions {
  /** Directory for per-task working files (known_hosts, rsync output); one 0700 subdirectory per task. */
  readonly stateDir: string;
  /** Where the per-task SSH keys are. */
  readonly keyring: TransferKeyring;
  /** rsync binary (default `rsync` on PATH). */
  readonly rsync?: string;
  /** ssh binary (default `ssh` on PATH). */
  readonly ssh?: string;
  /** Extra `-o Key=Value` options for ssh. */
  readonly sshOptions?: readonly string[];
  /** `--bwlimit` in KiB/s for every transfer (default unlimited). */
  readonly bandwidthLimitKiBps?: number;
  /** rsync `--timeout` in seconds (default 300). */
  readonly ioTimeoutSeconds?: number;
  /** How long pause/cancel wait after SIGTERM before SIGKILL (default 5000 ms). */
  readonly stopGraceMs?: number;
}

interface Entry extends RunEntry<RsyncProcess> {
  readonly endpoint: RsyncEndpoint;
  readonly dir: string;
  readonly keyPath: string;
  readonly totalBytes: number;
}

/**
 * Creates the rsync plugin.
 *
 * @example
 * ```ts
 * const keyring = new TransferKeyring({ dir: '/var/lib/handoff/keys' });
 * const plugin = rsyncPlugin({ stateDir: '/var/lib/handoff/rsync', keyring });
 * ```
 */
export function rsyncPlugin(options: RsyncPluginOptions): RsyncPlugin {
  return new RsyncPlugin(options);
}

/** See {@link rsyncPlugin}. */
export class RsyncPlugin implements FileTransferPlugin {
  readonly type = RSYNC_PLUGIN_TYPE;
  readonly capabilities: PluginCapabilities = { canPause: true };
  readonly #options: RsyncPluginOptions;
  readonly #runs: TaskRuns<Entry, RsyncProcess>;

  constructor(options: RsyncPluginOptions) {
    this.#options = options;
    this.#runs = new TaskRuns<Entry, RsyncProcess>('rsync', {
      prepare: (task) => this.#prepare(task),
      launch: (entry) => this.#launch(entry),
      stop: (entry) => this.#stopRun(entry),
      pid: (run) => run.pid,
    });
  }

  async issueTransferKey(taskId: TaskId): Promise<string> {
    return this.#options.keyring.issue(taskId);
  }

  start(task: PluginTask): Promise<PluginRun> {
    return this.#runs.start(task);
  }

  resume(taskId: TaskId): Promise<PluginRun> {
    return this.#runs.resume(taskId);
  }

  pause(taskId: TaskId): Promise<void> {
    return this.#runs.pause(taskId);
  }

  cancel(taskId: TaskId): Promise<void> {
    return this.#runs.cancel(taskId);
  }

  async getState(taskId: TaskId): Promise<PluginTransferState> {
    const entry = this.#runs.require(taskId);
    if (entry.run) await this.#observe(entry, entry.run);
    return this.#runs.stateOf(entry);
  }

  async restore(task: PluginTask, pid: number | null, running: boolean): Promise<PluginRun | null> {
    const entry = await this.#runs.learn(task);
    if (entry.run && entry.phase === 'running') return { pid: entry.run.pid };
    entry.phase = 'paused';
    if (pid === null || !this.#isOurRsync(pid, entry)) return null;
    const run = RsyncProcess.adopt(pid, join(entry.dir, 'rsync.out'), join(entry.dir, 'rsync.err'));
    if (!running) {
      // Stored as not running (e.g. the module died between stopping and recording): stop it.
      await run.stop(this.#options.stopGraceMs);
      return null;
    }
    entry.run = run;
    entry.phase = 'running';
    entry.outcome = undefined;
    return { pid };
  }

  async release(taskId: TaskId): Promise<void> {
    await this.#runs.forget(taskId);
    await rm(this.#taskDir(taskId), { recursive: true, force: true });
    await this.#options.keyring.discard(taskId);
  }

  async #prepare(task: PluginTask): Promise<Entry> {
    const endpoint = parseRsyncEndpoint(task.parameters);
    const keyPath = await this.#options.keyring.requireKey(task.taskId);
    const dir = this.#taskDir(task.taskId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(join(dir, 'known_hosts'), knownHostsLine(endpoint), { mode: 0o600 });
    const totalBytes = await measuredTotalBytes(dir, task.sourcePath, measureTree);
    return { task, endpoint, dir, keyPath, totalBytes, phase: 'paused', run: null, floor: 0, status: undefined, outcome: undefined };
  }

  async #launch(entry: Entry): Promise<PluginRun> {
    await this.#stopRun(entry);
    const o = this.#options;
    const args = rsyncArguments({
      sourcePath: entry.task.sourcePath,
      endpoint: entry.endpoint,
      privateKeyPath: entry.keyPath,
      knownHostsPath: join(entry.dir, 'known_hosts'),
      verifyChecksums: entry.task.verifyChecksums,
      ...(o.bandwidthLimitKiBps === undefined ? {} : { bandwidthLimitKiBps: o.bandwidthLimitKiBps }),
      ...(o.ioTimeoutSeconds === undefined ? {} : { ioTimeoutSeconds: o.ioTimeoutSeconds }),
      ...(o.ssh === undefined ? {} : { ssh: o.ssh }),
      ...(o.sshOptions === undefined ? {} : { sshOptions: o.sshOptions }),
    });
    const run = await RsyncProcess.spawn({ rsync: o.rsync ?? 'rsync', args, stdoutPath: join(entry.dir, 'rsync.out'), stderrPath: join(entry.dir, 'rsync.err') });
    entry.run = run;
    entry.phase = 'running';
    entry.outcome = undefined;
    entry.status = undefined;
    return { pid: run.pid };
  }

  /** Reads the run's progress and, once it has ended, how it ended. */
  async #observe(entry: Entry, run: RsyncProcess): Promise<void> {
    const sample = await run.readProgress();
    if (sample) {
      entry.floor = transferPercentage(sample.bytes, entry.totalBytes, entry.floor);
      entry.status = `${sample.rate}, ${sample.eta} left`;
    }
    const end = run.end;
    if (end === null || entry.phase !== 'running') return;
    entry.run = null;
    if (!end.known) {
      // An adopted process (started before a module restart) is not our child: its exit status is
      // lost. Re-running with the same parameters is cheap when it had finished (rsync finds
      // nothing to do) and continues it when it had not; that run's exit is ours to read.
      await this.#launch(entry);
      entry.status = 'confirming the transfer after a module restart';
      return;
    }
    entry.phase = 'ended';
    entry.outcome = classifyRsyncExit({ code: end.code, signal: end.signal, stderr: await run.stderrTail() });
  }

  async #stopRun(entry: Entry): Promise<void> {
    const run = entry.run;
    if (!run) return;
    await run.stop(this.#options.stopGraceMs);
    await run.readProgress().then((s) => {
      if (s) entry.floor = transferPercentage(s.bytes, entry.totalBytes, entry.floor);
    });
    if (entry.run === run) entry.run = null;
  }

  /** A live process that leads its own group, is rsync, and carries this task's private key path. */
  #isOurRsync(pid: number, entry: Entry): boolean {
    const argv = readCmdline(pid);
    if (!argv?.[0] || processGroupOf(pid) !== pid) return false;
    const name = basename(argv[0]);
    const expected = basename(this.#options.rsync ?? 'rsync');
    return name === expected && argv.some((a) => a.includes(entry.keyPath));
  }

  #taskDir(taskId: TaskId): string {
    if (!Number.isSafeInteger(taskId) || taskId < 0) throw new InvalidArgumentError(`"taskId" expected a non-negative safe integer, got ${taskId}`);
    return join(this.#options.stateDir, `task-${taskId}`);
  }
}
