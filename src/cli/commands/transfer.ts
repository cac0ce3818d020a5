/**
 * `handoff transfer SRC... DST`: one bulk request to the transfer core — each source into the
 * destination folder — then, for each accepted task, the key exchange with its two providers
 * (in sessions the core grants), after which the providers move the files on their own.
 * Prints each item's task id or why it was refused.
 */
import { Identity } from '../../crypto/identity.js';
import { isHandoffError } from '../../core/errors.js';
import { tcpTransport } from '../../transport/tcp.js';
import { TransferClient } from '../../transfer/session/transfer-client.js';
import { parseSatelliteRef, UsageError } from '../args.js';
import { defineCommand, type Commander } from '../command.js';
import { CommandError } from './reach.js';

/** The options every transfer client command takes. */
export interface ClientOptions {
  core?: string;
  identity?: string;
}

/** Declares `--core` and `--identity` on a client command. */
export function clientOptions(cmd: Commander): Commander {
  return cmd
    .option('--core <id@host:port>', 'the transfer core, as core run prints it (or HANDOFF_CORE)')
    .option('--identity <file>', "the user's key, made by handoff identity new (or HANDOFF_IDENTITY)");
}

/**
 * A client of the core with the user's key. The two options may also come from HANDOFF_CORE and
 * HANDOFF_IDENTITY, whatever the command's group.
 */
export async function openTransferClient(options: ClientOptions, env: Readonly<Record<string, string | undefined>>): Promise<TransferClient> {
  const coreText = options.core ?? env.HANDOFF_CORE;
  const identityPath = options.identity ?? env.HANDOFF_IDENTITY;
  if (!coreText) throw new UsageError('--core <id>@<host:port> is required (or set HANDOFF_CORE)');
  if (!identityPath) throw new UsageError('--identity <file> is required (or set HANDOFF_IDENTITY)');
  const core = parseSatelliteRef(coreText);
  let identity: Identity;
  try {
    identity = await Identity.load(identityPath);
  } catch (err) {
    if (isHandoffError(err, 'NotFound')) throw new CommandError(`no identity file at ${identityPath} (make one with: handoff identity new ${identityPath})`);
    throw err;
  }
  return new TransferClient({ transport: tcpTransport(), coreAddress: core.address, coreId: core.id, identity });
}

interface Options extends ClientOptions {
  idempotencyKey?: string;
  json: boolean;
}

export const transfer = defineCommand<Options>({
  path: ['transfer'],
  summary: 'transfer files or folders from one provider to a folder at another',
  define: (cmd) =>
    clientOptions(cmd.argument('<paths...>', 'the sources, then the destination folder (core paths: /<drive>/…)'))
      .option('--idempotency-key <key>', 'a key that makes a retried submission create no second set of tasks')
      .option('--json', 'one JSON object per source', false),
  details: `Exit status: 0 when every source became a task and its keys were exchanged, 1 otherwise.
Follow the tasks with handoff tasks --watch.`,
  async run({ args, options }, { io, env }) {
    if (args.length < 2) throw new UsageError('give at least one source and the destination folder');
    const sources = args.slice(0, -1);
    const destination = args.at(-1)!;
    const client = await openTransferClient(options, env);
    let failed = false;
    try {
      const results = await client.transfer(sources, destination, options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey });
      for (const [i, result] of results.entries()) {
        const source = sources[i]!;
        if (!result.ok) {
          failed = true;
          io.out(options.json ? JSON.stringify({ source, ok: false, check: result.check, reason: result.reason }) : `refused  ${source}: ${result.reason}`);
          continue;
        }
        // The key exchange lets the source push to the destination; the core never sees the key.
        let exchange: string | undefined;
        try {
          await client.exchangeKeys(result.taskId);
        } catch (err) {
          failed = true;
          exchange = err instanceof Error ? err.message : String(err);
        }
        if (options.json) io.out(JSON.stringify({ source, ok: true, taskId: result.taskId, ...(exchange === undefined ? {} : { keyExchangeError: exchange }) }));
        else io.out(`task ${result.taskId}  ${source} → ${destination}${exchange === undefined ? '' : `  (the key exchange failed: ${exchange})`}`);
      }
    } finally {
      await client.close();
    }
    return failed ? 1 : 0;
  },
});
