#!/usr/bin/env node
/**
 * The `handoff` command: run a satellite or a storage node, manage identities, and use the
 * network as a client. `handoff help` lists the commands.
 */
import { identityCommand, nodeCommand, satelliteCommand } from './servers.js';
import { UsageError } from './args.js';
import { DataDirectoryError } from './data-dir.js';
import { watchStopSignals, type StopRequest } from './stop.js';

const HELP = `handoff — hand custody of data between parties of a storage network

  handoff identity new <file>            make an identity (PKCS#8 PEM, 0600) and print its node id
  handoff identity show <file>           print the node id of an identity file
  handoff satellite run [options]        run a satellite (--address, --identity, --store, --project)
  handoff node run [options]             run a storage node (--dir, --satellite id@addr, --capacity)

Run a command without arguments to see its options.`;

/**
 * Runs one command; resolves with the exit status. `stop` is asked for when a long-running
 * command starts (default: the process's SIGINT and SIGTERM, see `watchStopSignals`).
 */
export async function main(argv: string[], out: (line: string) => void = console.log, stop: () => StopRequest = () => watchStopSignals(out)): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'identity':
        await identityCommand(rest, out);
        return 0;
      case 'satellite':
        await satelliteCommand(rest, out, stop().requested);
        return 0;
      case 'node':
        await nodeCommand(rest, out, stop().requested);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out(HELP);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}\n\n${HELP}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      out(err.message);
      return 2;
    }
    if (err instanceof DataDirectoryError) {
      out(`handoff: ${err.message}`);
      return 1;
    }
    out(`handoff: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    return 1;
  }
}

const invokedDirectly = process.argv[1] !== undefined && /(?:^|[\\/])(?:cli[\\/]index\.[jt]s|handoff)$/.test(process.argv[1]);
if (invokedDirectly) process.exitCode = await main(process.argv.slice(2));
