/**
 * One rsync run: spawned directly (argument array, no shell) as the leader of its own process
 * group, with stdout and stderr going to files rather than pipes. Files, because the module may
 * restart while rsync keeps running: a pipe would break (and kill rsync with EPIPE), a file can be
 * read again by the next module, which adopts the process.
 */
import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { openSync, closeSync } from 'node:fs';
import { FailedPreconditionError } from '../../core/errors.js';
import { groupMembers, isLiveProcess, stopGroup, waitForGroupGone } from './process-group.js';
import { Progress2Reader, type Progress2Sample } from './progress.js';

/** How a run ended; `known: false` for an adopted process, whose exit status nobody can read. */
export interface RsyncRunEnd {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly known: boolean;
}

export interface SpawnRsyncOptions {
  readonly rsync: string;
  readonly args: readonly string[];
  readonly stdoutPath: string;
  readonly stderrPath: string;
}

/**
 * A running (or finished) rsync process group.
 *
 * @example
 * ```ts
 * const run = await RsyncProcess.spawn({ rsync: 'rsync', args, stdoutPath, stderrPath });
 * const sample = await run.readProgress();
 * await run.stop();   // SIGTERM to the group, SIGKILL after a grace period, waits until gone
 * ```
 */
export class RsyncProcess {
  readonly pid: number;
  readonly #stdoutPath: string;
  readonly #stderrPath: string;
  readonly #progress = new Progress2Reader();
  #offset = 0;
  #end: RsyncRunEnd | null = null;
  readonly #ended: Promise<void>;
  #markEnded: () => void = () => undefined;
  readonly #adopted: boolean;

  private constructor(pid: number, stdoutPath: string, stderrPath: string, adopted: boolean) {
    this.pid = pid;
    this.#stdoutPath = stdoutPath;
    this.#stderrPath = stderrPath;
    this.#adopted = adopted;
    this.#ended = new Promise((resolve) => (this.#markEnded = resolve));
  }

  /** Starts rsync; resolves once it runs. Throws `FailedPreconditionError` when it cannot be started. */
  static async spawn(options: SpawnRsyncOptions): Promise<RsyncProcess> {
    const out = openSync(options.stdoutPath, 'w', 0o600);
    const err = openSync(options.stderrPath, 'w', 0o600);
    try {
      const child = spawn(options.rsync, [...options.args], {
        detached: true, // its own process group: pause and cancel reach rsync and ssh together
        shell: false,
        stdio: ['ignore', out, err],
        // A fixed locale: numbers without locale separators surprises, messages in English for classification.
        env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
      });
      const pid = await new Promise<number>((resolve, reject) => {
        child.once('spawn', () => resolve(child.pid as number));
        child.once('error', (e) => reject(new FailedPreconditionError(`cannot start ${options.rsync}: ${e.message}`, { cause: e })));
      });
      const run = new RsyncProcess(pid, options.stdoutPath, options.stderrPath, false);
      child.once('exit', (code, signal) => void run.#finish({ code, signal, known: true }));
      // The group leads its own life: our event loop must not wait for it.
      child.unref();
      return run;
    } finally {
      closeSync(out);
      closeSync(err);
    }
  }

  /** Takes over a process started by an earlier module instance (see the plugin's `restore`). */
  static adopt(pid: number, stdoutPath: string, stderrPath: string): RsyncProcess {
    return new RsyncProcess(pid, stdoutPath, stderrPath, true);
  }

  /** How the run ended, once it has and its whole group is gone; null while anything of it runs. */
  get end(): RsyncRunEnd | null {
    if (this.#end === null && this.#adopted && !isLiveProcess(this.pid)) {
      void this.#finish({ code: null, signal: null, known: false });
    }
    return this.#end;
  }

  /** Resolves once the run has ended and its group is gone. */
  async ended(): Promise<RsyncRunEnd> {
    if (this.#adopted) {
      while (this.end === null && isLiveProcess(this.pid)) await new Promise((r) => setTimeout(r, 50));
      void this.end;
    }
    await this.#ended;
    return this.#end as RsyncRunEnd;
  }

  /** Stops the whole group (SIGTERM, then SIGKILL after `graceMs`) and waits until it has ended. */
  async stop(graceMs = 5000): Promise<RsyncRunEnd> {
    if (this.#end === null) await stopGroup(this.pid, graceMs);
    return this.ended();
  }

  /** Reads whatever rsync wrote since the last call and returns the latest progress sample. */
  async readProgress(): Promise<Progress2Sample | undefined> {
    let file;
    try {
      file = await open(this.#stdoutPath, 'r');
    } catch {
      return this.#progress.latest;
    }
    try {
      const buffer = Buffer.alloc(64 * 1024);
      for (;;) {
        const { bytesRead } = await file.read(buffer, 0, buffer.length, this.#offset);
        if (bytesRead === 0) break;
        this.#offset += bytesRead;
        this.#progress.feed(buffer.toString('latin1', 0, bytesRead));
      }
    } finally {
      await file.close();
    }
    return this.#progress.latest;
  }

  /** The last `maxBytes` of rsync's stderr. */
  async stderrTail(maxBytes = 8192): Promise<string> {
    try {
      const file = await open(this.#stderrPath, 'r');
      try {
        const { size } = await file.stat();
        const start = Math.max(0, size - maxBytes);
        const buffer = Buffer.alloc(size - start);
        await file.read(buffer, 0, buffer.length, start);
        return buffer.toString('utf8');
      } finally {
        await file.close();
      }
    } catch {
      return '';
    }
  }

  async #finish(end: RsyncRunEnd): Promise<void> {
    if (this.#end !== null) return;
    // rsync is gone; its ssh child may linger (e.g. rsync was SIGKILLed). Nothing of the run may
    // outlive it, or a resumed run would overlap the old one.
    if (groupMembers(this.pid).length > 0 && !(await waitForGroupGone(this.pid, 1000))) await stopGroup(this.pid, 2000);
    if (this.#end !== null) return;
    this.#end = end;
    this.#markEnded();
  }
}
