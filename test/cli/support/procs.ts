/**
 * `handoff` processes for the CLI stories: long-running ones (a satellite, nodes) waited on by a
 * line of their output, one-shot ones run to their exit status; every one is killed by `killAll`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI_CWD, cliArgv } from './cli.js';

const WAIT_MS = 60_000;

/** A running `handoff` process with its output (stdout and stderr) kept. */
export class CliProcess {
  stdout = '';
  stderr = '';
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  /** `terminal`: run it in a pseudo-terminal (`script`), as a person at a terminal would, its keys typed with `type`. */
  constructor(args: readonly string[], env: Readonly<Record<string, string>>, terminal = false) {
    const quoted = [process.execPath, ...cliArgv(args)].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    this.child = terminal
      ? spawn('script', ['-qfec', `stty cols 120 rows 40; exec ${quoted}`, '/dev/null'], { cwd: CLI_CWD, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(process.execPath, cliArgv(args), { cwd: CLI_CWD, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (c: Buffer) => void (this.stdout += c.toString()));
    this.child.stderr!.on('data', (c: Buffer) => void (this.stderr += c.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Keys typed at its terminal. */
  type(text: string): void {
    this.child.stdin!.write(text);
  }

  get output(): string {
    return this.stdout + this.stderr;
  }

  /** Resolves with the match once the output matches `pattern`; rejects if the process ends first or `ms` pass. */
  waitFor(pattern: RegExp, ms = WAIT_MS): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const match = pattern.exec(this.output);
        if (match) finish(() => resolve(match));
      };
      const onExit = (): void => finish(() => reject(new Error(`ended before printing ${pattern}:\n${this.output}`)));
      const timer = setTimeout(() => finish(() => reject(new Error(`no ${pattern} within ${ms / 1000} s:\n${this.output}`))), ms);
      const finish = (then: () => void): void => {
        clearTimeout(timer);
        this.child.stdout!.off('data', check);
        this.child.stderr!.off('data', check);
        this.child.off('exit', onExit);
        then();
      };
      this.child.stdout!.on('data', check);
      this.child.stderr!.on('data', check);
      this.child.once('exit', onExit);
      check();
    });
  }
}

/** Starts and tracks `handoff` processes sharing one environment. */
export class CliProcesses {
  readonly #all: CliProcess[] = [];
  readonly env: Record<string, string>;

  constructor(env: Record<string, string>) {
    this.env = env;
  }

  start(args: readonly string[], env: Readonly<Record<string, string>> = {}, terminal = false): CliProcess {
    const proc = new CliProcess(args, { ...this.env, ...env }, terminal);
    this.#all.push(proc);
    return proc;
  }

  /** Runs `handoff ...args` to its end. */
  async run(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const proc = this.start(args, env);
    const code = await proc.exited;
    return { code, stdout: proc.stdout, stderr: proc.stderr };
  }

  /** Kills every process still running and waits for each to end. */
  async killAll(): Promise<void> {
    await Promise.all(
      this.#all.splice(0).map(async (proc) => {
        if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
        await proc.exited;
      }),
    );
  }
}
