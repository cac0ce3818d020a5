#!/usr/bin/env node
/**
 * The `handoff` command: run a satellite or a storage node, manage identities, accesses and
 * objects, and operate running parties (graceful exits and their reports). `handoff help` lists
 * the commands; every command takes `--help`.
 */
import { isHandoffError } from '../core/errors.js';
import { AccessError } from './access/grant.js';
import { UsageError } from './args.js';
import type { CliIo } from './command.js';
import { COMMANDS } from './commands/index.js';
import { CommandError } from './commands/reach.js';
import { configDirectory } from './config.js';
import { DataDirectoryError } from './data-dir.js';
import { INTERRUPTED, Interrupted } from './objects/session.js';
import { runProgram } from './program.js';
import { watchStopSignals, type StopRequest } from './stop.js';
import { loadNativeErasure, useNativeErasure } from '../uplink/native.js';

const processIo: CliIo = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
};

/** Where `main` finds the environment and the user's handoff directory (tests pass their own). */
export interface MainOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly configDir?: string;
}

/**
 * Runs one command; resolves with the exit status (0 done, 1 failed, 2 wrong command line,
 * 130 interrupted). Results go to `io.out`; errors (one line each), usage and warnings to
 * `io.err`. `stop` is asked for when a long-running command starts (default: the process's
 * SIGINT and SIGTERM, see `watchStopSignals`).
 */
export async function main(argv: string[], io: CliIo = processIo, stop: () => StopRequest = () => watchStopSignals(io.err), options: MainOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const configDir = options.configDir ?? configDirectory(env);
  try {
    return await runProgram(COMMANDS, argv, { io, stop, env, configDir });
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`handoff: ${err.message}`);
      return 2;
    }
    if (err instanceof Interrupted) {
      io.err(`handoff: ${err.message}`);
      return INTERRUPTED;
    }
    if (err instanceof CommandError || err instanceof DataDirectoryError || err instanceof AccessError) {
      io.err(`handoff: ${err.message}`);
      return 1;
    }
    if (isHandoffError(err)) {
      io.err(`handoff: ${err.message}`);
      return 1;
    }
    io.err(`handoff: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    return 1;
  }
}

const invokedDirectly = process.argv[1] !== undefined && /(?:^|[\\/])(?:cli[\\/]index\.[jt]s|handoff)$/.test(process.argv[1]);
if (invokedDirectly) {
  // `handoff cat … | head`: the reader left; that ends the command, it is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  // Erasure coding on the native GFNI kernel where it is built and the CPU has GFNI; else WebAssembly.
  if ('path' in loadNativeErasure()) useNativeErasure();
  process.exitCode = await main(process.argv.slice(2));
}
