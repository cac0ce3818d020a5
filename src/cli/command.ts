/**
 * What every `handoff` command is: a path (`node exit-status`), a one-line summary for the
 * command list, its help, and a run function over injected input and output — so tests and the
 * real process drive the same code.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Readable } from 'node:stream';
import { UsageError } from './args.js';
import type { StopRequest } from './stop.js';

/** The process's streams as a command sees them. */
export interface CliIo {
  /** A line of results (stdout). */
  out(line: string): void;
  /** A line of diagnostics: errors, warnings, usage (stderr). */
  err(line: string): void;
  /** Where answers to prompts come from. */
  readonly stdin: Readable & { readonly isTTY?: boolean };
  /** Where prompts and progress bars go. */
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean; readonly columns?: number };
}

export interface CommandContext {
  readonly io: CliIo;
  /** Starts watching for Ctrl-C and SIGTERM (the long-running commands and watchers call it). */
  readonly stop: () => StopRequest;
}

export interface Command {
  /** The words that name it, e.g. `['node', 'exit-status']`. */
  readonly path: readonly string[];
  /** One line for `handoff help`. */
  readonly summary: string;
  /** The usage line(s), printed after a usage error and at the top of `--help`. */
  readonly usage: string;
  /** The rest of `--help`: options and what the command does. */
  readonly details: string;
  /** Runs it; resolves with the exit status. */
  run(argv: string[], context: CommandContext): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;
type FlagsConfig<O extends Options> = { args: string[]; options: O; strict: true; allowPositionals: boolean };

/**
 * `parseArgs` in strict mode, with its errors as `UsageError` (exit status 2) in plain words.
 *
 * @example
 * ```ts
 * const { values } = parseFlags(argv, { dir: { type: 'string' }, json: { type: 'boolean' } });
 * ```
 */
export function parseFlags<const O extends Options>(argv: string[], options: O, allowPositionals = false): ReturnType<typeof parseArgs<FlagsConfig<O>>> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (err) {
    const message = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '').replace(/^Unknown option/, 'unknown option');
    throw new UsageError(message, { cause: err });
  }
}
