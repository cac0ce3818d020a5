#!/usr/bin/env node
/**
 * The `handoff` command: run a satellite or a storage node, manage identities, and operate
 * running ones (graceful exits and their reports). `handoff help` lists the commands; every
 * command takes `--help`.
 */
import { UsageError } from './args.js';
import type { CliIo, Command } from './command.js';
import { COMMANDS } from './commands/index.js';
import { CommandError } from './commands/reach.js';
import { DataDirectoryError } from './data-dir.js';
import { watchStopSignals, type StopRequest } from './stop.js';

const processIo: CliIo = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  stdin: process.stdin,
  stdout: process.stdout,
};

/** The command list, for `handoff help` (all commands, or those under `prefix`). */
function overview(prefix: readonly string[] = []): string {
  const listed = COMMANDS.filter((c) => prefix.every((word, i) => c.path[i] === word));
  const width = Math.max(...listed.map((c) => c.path.join(' ').length));
  const lines = listed.map((c) => `  handoff ${c.path.join(' ').padEnd(width)}  ${c.summary}`);
  return `handoff — hand custody of data between parties of a storage network\n\n${lines.join('\n')}\n\nhandoff <command> --help explains a command and its options.`;
}

function help(command: Command): string {
  return `usage: ${command.usage}${command.summary ? `\n\n${command.summary[0]!.toUpperCase()}${command.summary.slice(1)}.` : ''}${command.details ? `\n\n${command.details}` : ''}`;
}

/** The command `argv` starts with, and the arguments after its name. */
function find(argv: readonly string[]): { command: Command; rest: string[] } | undefined {
  let best: Command | undefined;
  for (const command of COMMANDS) {
    if (command.path.every((word, i) => argv[i] === word) && command.path.length > (best?.path.length ?? 0)) best = command;
  }
  return best === undefined ? undefined : { command: best, rest: argv.slice(best.path.length) };
}

/**
 * Runs one command; resolves with the exit status. Results go to `io.out`; errors (one line
 * each), usage and warnings to `io.err`. `stop` is asked for when a long-running command starts
 * (default: the process's SIGINT and SIGTERM, see `watchStopSignals`).
 */
export async function main(argv: string[], io: CliIo = processIo, stop: () => StopRequest = () => watchStopSignals(io.err)): Promise<number> {
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  if (argv.length === 0 || argv[0] === 'help' || (wantsHelp && argv[0]?.startsWith('-'))) {
    const prefix = argv[0] === 'help' ? argv.slice(1) : [];
    (argv.length === 0 ? io.err : io.out)(overview(prefix));
    return argv.length === 0 ? 2 : 0;
  }
  const found = find(argv);
  if (found === undefined) {
    // A group name alone (`handoff node`) lists its commands; anything else is unknown.
    const group = COMMANDS.some((c) => c.path[0] === argv[0]) ? [argv[0]!] : undefined;
    if (group !== undefined && (argv.length === 1 || wantsHelp)) {
      (wantsHelp ? io.out : io.err)(overview(group));
      return wantsHelp ? 0 : 2;
    }
    io.err(`handoff: unknown command ${JSON.stringify(argv.filter((a) => !a.startsWith('-')).slice(0, 3).join(' '))}`);
    io.err('');
    io.err(overview(group));
    return 2;
  }
  const { command, rest } = found;
  if (wantsHelp) {
    io.out(help(command));
    return 0;
  }
  try {
    return await command.run(rest, { io, stop });
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: unknown }).code?.toString().startsWith('ERR_PARSE_ARGS')) {
      io.err(`handoff: ${(err as Error).message}`);
      io.err(`usage: ${command.usage}`);
      return 2;
    }
    if (err instanceof CommandError || err instanceof DataDirectoryError) {
      io.err(`handoff: ${err.message}`);
      return 1;
    }
    io.err(`handoff: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    return 1;
  }
}

const invokedDirectly = process.argv[1] !== undefined && /(?:^|[\\/])(?:cli[\\/]index\.[jt]s|handoff)$/.test(process.argv[1]);
if (invokedDirectly) process.exitCode = await main(process.argv.slice(2));
