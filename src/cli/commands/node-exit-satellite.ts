/**
 * `handoff node exit-satellite`: starts a graceful exit on a running node after the operator
 * has read what it means and typed which satellite, then watches it.
 */
import { NodeId } from '../../crypto/node-id.js';
import { toHex } from '../../core/bytes.js';
import { isHandoffError } from '../../core/errors.js';
import type { AdminExitStatus, AdminSatellite } from '../../node/admin/methods.js';
import type { NodeAdminClient, StartExitResult } from '../../node/admin/client.js';
import type { ExitBandwidthChoice } from '../../exit/types.js';
import { stillServes } from '../../node/admin/service.js';
import { parseSize, required, UsageError } from '../args.js';
import { defineCommand, type CliIo, type CommandContext } from '../command.js';
import { formatBytes, formatPercent, table } from '../format.js';
import { ProgressDisplay } from '../progress.js';
import { disqualifiedLine, exitStatusJson, outcomeText, progressDetail, satelliteName } from './exit-view.js';
import { ask, matchSatellite as match } from './prompt.js';
import { adminCall, CommandError, reachNode } from './reach.js';

const CONSEQUENCES = `A graceful exit hands every piece this node stores for a satellite to other nodes, so the
satellite does not have to repair them, and earns the held amount back:
  - it cannot be cancelled once started: keep the node running until it finishes;
  - the satellite stops sending this node new data; each piece is deleted from this disk once its
    new holder is recorded, and whatever is left is removed at the end;
  - if the exit fails (pieces lost or not handed over, bad data sent, offline for too long), the
    satellite disqualifies this node and keeps its held amount;
  - when it completes, the satellite signs a receipt (handoff node exit-status shows it).`;

const PARTIAL_CONSEQUENCES = (bytes: number): string => `A partial graceful exit moves ${formatBytes(bytes)} of what this node stores for a satellite to
other nodes, and the node stays:
  - the satellite, not the node, chooses which pieces go (those of its healthiest segments);
  - the space this node offers is lowered by ${formatBytes(bytes)} at once and for good, so it does not refill;
  - it cannot be cancelled once started; each piece moved is deleted from this disk;
  - if it fails (pieces lost or not handed over, bad data sent), the satellite disqualifies this
    node and keeps its held amount, as for a full exit.`;

interface Options {
  dir?: string;
  satellite?: string;
  all: boolean;
  yes: boolean;
  detach: boolean;
  json: boolean;
  reduceBy?: string;
  bandwidth?: string;
}

export const nodeExitSatellite = defineCommand<Options>({
  path: ['node', 'exit-satellite'],
  summary: 'leave one satellite (or all) gracefully: hand over every piece, get the held amount back',
  define: (cmd) =>
    cmd
      .usage('--dir <dir> [--satellite <id>|<host:port> [--reduce-by <size>] | --all] [options]')
      .option('--dir <dir>', "the node's data directory (as given to handoff node run; required)")
      .option('--satellite <id|addr>', 'the satellite to exit')
      .option('--all', 'exit every satellite not exited yet', false)
      .option('--reduce-by <size>', "a partial exit instead: move this much off the satellite and stay (the satellite picks the pieces; the node's allocation drops for good)")
      .option('--bandwidth <exceed|wait>', "when the node's monthly bandwidth allocation cannot cover the exit: go past it, or transfer what fits and wait for the next month (asked at a terminal when needed)")
      .option('--yes', 'do not ask (for scripts; needs --satellite or --all); without it a command whose standard input is not a terminal refuses to start', false)
      .option('--detach', 'start, then return without watching', false)
      .option('--json', "no bar; print the exits' status as JSON when done (or once started)", false),
  details: `Explains what a graceful exit means, lists the satellites the node running on <dir> has not
exited (id, address, space used) and starts the exit once you type the satellite's id or address
(or "all" with --all). It then shows the exit's progress until it ends; Ctrl-C only stops
watching: the exit goes on in the node.

Exit status: 0 when every exit completed (or started, with --detach); 1 when one was refused or
failed (the satellite disqualified the node); 130 when you stopped watching.`,
  run: ({ options }, context) => exitSatellite(options, context),
});

async function exitSatellite(values: Options, { io, stop }: CommandContext): Promise<number> {
  const dir = required(values.dir, 'dir');
  if (values.all && values.satellite !== undefined) throw new UsageError('--satellite and --all exclude each other');
  const reduceBy = values.reduceBy === undefined ? undefined : parseSize(values.reduceBy, 'reduce-by');
  if (reduceBy !== undefined && (values.all || values.satellite === undefined)) throw new UsageError('--reduce-by is for one satellite: give --satellite <id>|<host:port>');
  if (reduceBy === 0) throw new UsageError('--reduce-by must be more than 0 bytes');
  let bandwidth = values.bandwidth === undefined ? undefined : bandwidthChoice(values.bandwidth);
  if (values.yes && !values.all && values.satellite === undefined) throw new UsageError('--yes needs the satellite to exit: --satellite <id>|<host:port>, or --all');
  if (!values.yes && io.stdin.isTTY !== true) {
    throw new CommandError('refusing to start a graceful exit without confirmation: standard input is not a terminal (add --yes with --satellite <id>|<host:port> or --all)');
  }
  const { admin, identity } = await reachNode(dir);
  const what = `the storage node in ${dir}`;
  try {
    const satellites = await adminCall(what, () => admin.listSatellites());
    const named = values.satellite === undefined ? undefined : pick(values.satellite, satellites);
    const open = satellites.filter((s) => s.exit === null || stillServes(s.exit));
    if (open.length === 0) throw new CommandError(`storage node ${identity.id} has no satellite left to exit`);
    const chosen = values.all ? open : named === undefined ? undefined : [named];
    const human = !values.json;
    if (human) {
      io.out(reduceBy === undefined ? CONSEQUENCES : PARTIAL_CONSEQUENCES(reduceBy));
      io.out('');
      io.out(`Satellites storage node ${identity.id} has not exited:`);
      for (const line of table(open.map((s) => ['  ' + NodeId.fromPublicKey(s.id).toString(), s.address, formatBytes(s.usedBytes), s.exit === null || s.exit.state !== 'exiting' ? '' : `(exiting, ${formatPercent(s.exit.percent)})`]))) io.out(line);
      io.out('');
    }
    const targets = values.yes ? chosen! : await confirm(io, open, chosen);
    if (targets === undefined) return 1;

    const scope = values.all ? ('all' as const) : targets.map((t) => ({ satelliteId: t.id, ...(reduceBy === undefined ? {} : { bytes: reduceBy }) }));
    let { started, short } = await start(io, admin, what, scope, bandwidth, human);
    if (short.length > 0 && bandwidth === undefined) {
      // The allocation cannot cover it and nobody said what to do: ask at a terminal, else say how to.
      bandwidth = values.yes ? undefined : await askBandwidth(io, short);
      if (bandwidth === undefined) {
        for (const result of short) io.err(`handoff: satellite ${NodeId.fromPublicKey(result.satelliteId)}: ${result.error!.message} (add --bandwidth exceed or --bandwidth wait); nothing was started`);
      } else {
        const again = await start(io, admin, what, short.map((r) => ({ satelliteId: r.satelliteId, ...(reduceBy === undefined ? {} : { bytes: reduceBy }) })), bandwidth, human);
        started = [...started, ...again.started];
      }
    }
    const ids = started;
    if (ids.length === 0) return 1;
    if (values.detach) {
      if (values.json) io.out(JSON.stringify({ nodeId: identity.id.toString(), exits: (await admin.exitStatus()).filter((e) => ids.includes(toHex(e.satelliteId))).map((e) => exitStatusJson(e, identity.id.bytes)) }, null, 2));
      else io.out(`Follow it with: handoff node exit-status --dir ${dir}`);
      return 0;
    }
    return await watch(io, admin, what, ids, { json: values.json, nodeId: identity.id, dir, stop });
  } finally {
    await admin.close();
  }
}

/** The satellite `text` names (its id or address); refuses one already exited. */
function pick(text: string, satellites: readonly AdminSatellite[]): AdminSatellite {
  const found = match(text, satellites);
  if (found === undefined) throw new CommandError(`this node does not serve a satellite ${JSON.stringify(text)} (give its id or its host:port)`);
  if (found.exit !== null && !stillServes(found.exit)) throw new CommandError(`this node already exited satellite ${NodeId.fromPublicKey(found.id)} (${found.exit.state})`);
  return found;
}

/** Asks the operator to type the satellite (or "all"); undefined when the answer does not match. */
async function confirm(io: CliIo, open: readonly AdminSatellite[], chosen: readonly AdminSatellite[] | undefined): Promise<readonly AdminSatellite[] | undefined> {
  const all = chosen !== undefined && chosen.length === open.length && chosen.length > 1;
  const question =
    chosen === undefined ? 'Type the id or address of the satellite to exit: ' : all ? 'Type "all" to exit every satellite listed above: ' : `Type the id or address of satellite ${chosen[0]!.address} to confirm: `;
  const answer = await ask(io, question);
  if (answer === undefined) {
    io.err('handoff: no answer: nothing was started');
    return undefined;
  }
  if (all) {
    if (answer.trim() === 'all') return chosen;
  } else {
    const typed = match(answer, open);
    if (typed !== undefined && (chosen === undefined || toHex(typed.id) === toHex(chosen[0]!.id))) return [typed];
  }
  io.err(`handoff: ${JSON.stringify(answer.trim())} does not match ${chosen === undefined ? 'a satellite listed above' : all ? '"all"' : `satellite ${chosen[0]!.address}`}: nothing was started`);
  return undefined;
}

/**
 * Starts the exits; returns the ids (hex) that started, after saying which were refused and why,
 * and apart those the bandwidth allocation cannot cover (nothing started for them).
 */
async function start(
  io: CliIo,
  admin: NodeAdminClient,
  what: string,
  scope: ReadonlyArray<{ satelliteId: Uint8Array; bytes?: number }> | 'all',
  bandwidth: ExitBandwidthChoice | undefined,
  human: boolean,
): Promise<{ started: string[]; short: StartExitResult[] }> {
  const options = bandwidth === undefined ? {} : { bandwidth };
  const results = scope === 'all' ? await adminCall(what, () => admin.startExit('all', options)) : (await Promise.all(scope.map((one) => adminCall(what, () => admin.startExit(one, options))))).flat();
  const started: string[] = [];
  const short: StartExitResult[] = [];
  for (const result of results) {
    const name = NodeId.fromPublicKey(result.satelliteId).toString();
    if (result.error?.bandwidthChoiceRequired !== undefined) short.push(result);
    else if (result.error !== null) io.err(`handoff: satellite ${name} refused the exit: ${result.error.message}`);
    else {
      started.push(toHex(result.satelliteId));
      const kind = result.status?.kind === 'partial' ? `Partial graceful exit (${formatBytes(result.status.targetBytes ?? 0)})` : 'Graceful exit';
      if (human) io.out(`${kind} from satellite ${name} started (it cannot be cancelled).`);
    }
  }
  return { started, short };
}

function bandwidthChoice(text: string): ExitBandwidthChoice {
  if (text !== 'exceed' && text !== 'wait') throw new UsageError(`--bandwidth is exceed or wait, got ${JSON.stringify(text)}`);
  return text;
}

/** Asks whether to exceed the bandwidth allocation or wait for it; undefined when not at a terminal or not answered. */
async function askBandwidth(io: CliIo, short: readonly StartExitResult[]): Promise<ExitBandwidthChoice | undefined> {
  if (io.stdin.isTTY !== true) return undefined;
  const need = short.reduce((sum, r) => sum + (r.error?.bandwidthChoiceRequired?.neededBytes ?? 0), 0);
  const { remainingBytes, allocationBytes, renewsAt } = short[0]!.error!.bandwidthChoiceRequired!;
  io.out(`This exit needs about ${formatBytes(need)} of bandwidth, but ${formatBytes(remainingBytes)} of this month's ${formatBytes(allocationBytes)} allocation is left (it renews ${new Date(renewsAt).toISOString()}).`);
  const answer = (await ask(io, 'Type exceed to go past the allocation, or wait to transfer what fits and wait for the next month: '))?.trim();
  return answer === 'exceed' || answer === 'wait' ? answer : undefined;
}

/** Shows the exits' progress until they end or the operator stops watching. */
async function watch(io: CliIo, admin: NodeAdminClient, what: string, ids: string[], options: { json: boolean; nodeId: NodeId; dir: string; stop: CommandContext['stop'] }): Promise<number> {
  // Bars where cp draws its bar (stderr), so stdout keeps the results; plain lines on stdout.
  const display = options.json ? undefined : new ProgressDisplay(io.stderr ?? io.stdout, { out: io.out });
  const last = new Map<string, AdminExitStatus>();
  const watching = new AbortController();
  const signals = options.stop();
  void signals.requested.then(() => watching.abort());
  try {
    const satelliteIds = ids.map((id) => Uint8Array.from(Buffer.from(id, 'hex')));
    for await (const status of admin.watchExits(satelliteIds, { signal: watching.signal })) {
      const key = toHex(status.satelliteId);
      last.set(key, status);
      const label = `satellite ${satelliteName(status).slice(0, 12)}…`;
      if (status.state === 'exiting') display?.update(key, label, status.percent, progressDetail(status));
      else display?.finish(key, label, status.percent, outcomeText(status));
    }
  } catch (err) {
    if (!watching.signal.aborted) {
      if (isHandoffError(err, 'Unavailable')) throw new CommandError(`lost ${what} while watching (${err.message}); the exit goes on when it runs again`, { cause: err });
      throw err;
    }
  } finally {
    display?.close();
    signals.dispose();
  }
  if (watching.signal.aborted) {
    io.err(`handoff: stopped watching; the exit goes on in the node (handoff node exit-status --dir ${options.dir})`);
    return 130;
  }
  const statuses = [...last.values()];
  if (options.json) io.out(JSON.stringify({ nodeId: options.nodeId.toString(), exits: statuses.map((s) => exitStatusJson(s, options.nodeId.bytes)) }, null, 2));
  const failed = statuses.filter((s) => s.state === 'failed');
  for (const status of failed) io.err(`handoff: ${disqualifiedLine(status)}`);
  return failed.length > 0 ? 1 : 0;
}
