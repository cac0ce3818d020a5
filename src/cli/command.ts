/**
 * What every `handoff` command is: a path (`node exit-status`), a one-line summary, its
 * arguments and options declared on a commander `Command`, and a run function over injected
 * input and output — so tests and the real process drive the same code. `program.ts` turns the
 * list in `commands/index.ts` into one commander program.
 */
import type { Command as Commander } from 'commander';
import type { Readable } from 'node:stream';
import type { StopRequest } from './stop.js';

export type { Commander };

/** The process's streams as a command sees them. */
export interface CliIo {
  /** A line of results (stdout). */
  out(line: string): void;
  /** A line of diagnostics: errors, warnings, usage (stderr). */
  err(line: string): void;
  /** Where answers to prompts come from. */
  readonly stdin: Readable & { readonly isTTY?: boolean; setRawMode?(mode: boolean): unknown };
  /** Where prompts and progress bars go. */
  readonly stdout: { write(chunk: string | Uint8Array): unknown; readonly isTTY?: boolean; readonly columns?: number };
  /** Where live progress bars go (default: `stdout`), so results on stdout stay clean. */
  readonly stderr?: { write(text: string): unknown; readonly isTTY?: boolean; readonly columns?: number };
}

export interface CommandContext {
  readonly io: CliIo;
  /** Starts watching for Ctrl-C and SIGTERM (the long-running commands and watchers call it). */
  readonly stop: () => StopRequest;
  /** The environment (process.env in the real process): secrets and paths some commands read. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The user's handoff directory: `config.json`, `accesses.json` (see `config.ts`). */
  readonly configDir: string;
  /** The log level chosen with `--log-level` (or its environment variable / config key). */
  readonly log: Logger;
}

/** The CLI's log levels, quietest first. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Diagnostics on stderr, filtered by level; results never go through it. */
export interface Logger {
  readonly level: LogLevel;
  error(line: string): void;
  warn(line: string): void;
  info(line: string): void;
  debug(line: string): void;
}

/** A logger writing to `err` the lines at `level` or louder. */
export function logger(level: LogLevel, err: (line: string) => void): Logger {
  const at = LOG_LEVELS.indexOf(level);
  const line = (l: LogLevel) => (text: string) => void (LOG_LEVELS.indexOf(l) <= at ? err(text) : undefined);
  return { level, error: line('error'), warn: line('warn'), info: line('info'), debug: line('debug') };
}

/** What a command was given: its positional arguments and its options (camelCase names). */
export interface CommandInput<O> {
  readonly args: string[];
  readonly options: O;
}

/**
 * One `handoff` command. Adding one is a file under `commands/` exporting `defineCommand({...})`
 * and one line in `commands/index.ts`.
 */
export interface CommandSpec<O = Record<string, unknown>> {
  /** The words that name it, e.g. `['node', 'exit-status']`. */
  readonly path: readonly string[];
  /** One line for `handoff help`. */
  readonly summary: string;
  /** Declares its arguments and options, e.g. `cmd.argument('<file>').option('--force', 'replace it')`. */
  readonly define?: (cmd: Commander) => void;
  /** The rest of `--help`, after the options: what it does, its exit statuses. */
  readonly details?: string;
  /** Runs it; resolves with the exit status. */
  run(input: CommandInput<O>, context: CommandContext): Promise<number>;
}

/** A command of any option shape, as the registry holds them. */
export type AnyCommand = CommandSpec<never>;

/**
 * Declares a command; `O` is the shape of its options as commander delivers them.
 *
 * @example
 * ```ts
 * export const identityShow = defineCommand<{ json: boolean }>({
 *   path: ['identity', 'show'],
 *   summary: 'print the node id of an identity file',
 *   define: (cmd) => cmd.argument('<file>').option('--json', 'as JSON', false),
 *   async run({ args, options }, { io }) {
 *     io.out(options.json ? JSON.stringify({ file: args[0] }) : String(args[0]));
 *     return 0;
 *   },
 * });
 * ```
 */
export function defineCommand<O>(spec: CommandSpec<O>): AnyCommand {
  return spec as unknown as AnyCommand;
}
