/**
 * `handoff tasks`: the user's transfer tasks as the core knows them, newest first — once, or with
 * `--watch` followed live (bars in a terminal, a line per change otherwise) until every task
 * shown has ended or Ctrl-C.
 */
import { isTaskState, TASK_STATES } from '../../transfer/lifecycle.js';
import type { TransferClient } from '../../transfer/session/transfer-client.js';
import { isTerminal, type TaskState, type TransferTask } from '../../transfer/types.js';
import { parseDate, parseDuration, UsageError } from '../args.js';
import { defineCommand, type CommandContext } from '../command.js';
import { formatPercent, formatTime, isoTime, table } from '../format.js';
import { ProgressDisplay } from '../progress.js';
import { collect } from './node-run.js';
import { clientOptions, openTransferClient, type ClientOptions } from './transfer.js';

interface Options extends ClientOptions {
  watch: boolean;
  state: string[];
  since?: string;
  interval: string;
  json: boolean;
}

/** Most tasks listed (pages of the core's maximum are followed up to this). */
const MAX_LISTED = 1000;

/** `--since`: a time (2026-11-01, an ISO time) or how long ago (30m, 2d). */
export function parseSince(text: string, now: number): number {
  return /^\d+(\.\d+)?\s*(ms|s|m|min|h|d)$/i.test(text.trim()) ? now - parseDuration(text) : parseDate(text, 'since');
}

async function listTasks(client: TransferClient, states: TaskState[] | undefined, since: number | undefined): Promise<TransferTask[]> {
  const tasks: TransferTask[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.browse({ ...(states ? { states } : {}), ...(since === undefined ? {} : { since }), limit: 100, ...(cursor ? { cursor } : {}) });
    tasks.push(...page.tasks);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && tasks.length < MAX_LISTED);
  return tasks;
}

function describe(task: TransferTask): string {
  return task.failureReason ?? task.status ?? '';
}

export const tasks = defineCommand<Options>({
  path: ['tasks'],
  summary: 'list your transfer tasks, or follow them live with --watch',
  define: (cmd) =>
    clientOptions(cmd)
      .option('--watch', 'follow the tasks live until every one shown has ended (or Ctrl-C)', false)
      .option('--state <state>', `only tasks in this state: ${TASK_STATES.join(', ')} (repeat it)`, collect, [])
      .option('--since <time>', 'ended tasks last updated since then: 2026-11-01, an ISO time, or 30m, 2d ago (default: the core\'s window)')
      .option('--interval <duration>', 'how often --watch asks the core', '1s')
      .option('--json', 'one JSON object per task (with --watch: per change)', false),
  details: 'Exit status with --watch: 0 when every task shown succeeded, 1 when one failed or was halted.',
  async run({ options }, { io, env, stop }) {
    const states = options.state.length === 0 ? undefined : options.state.map((s) => s.toUpperCase());
    if (states && !states.every(isTaskState)) throw new UsageError(`--state is one of ${TASK_STATES.join(', ')}, got ${JSON.stringify(options.state.join(','))}`);
    const since = options.since === undefined ? undefined : parseSince(options.since, Date.now());
    const interval = parseDuration(options.interval);
    const client = await openTransferClient(options, env);
    try {
      if (!options.watch) {
        const listed = await listTasks(client, states as TaskState[] | undefined, since);
        if (options.json) for (const t of listed) io.out(JSON.stringify({ ...t, createdAt: isoTime(t.createdAt), lastUpdate: isoTime(t.lastUpdate) }));
        else if (listed.length === 0) io.out('no tasks');
        else {
          const rows = listed.map((t) => [String(t.id), t.state, formatPercent(t.progress), `${t.sourceProvider}:${t.sourcePath} → ${t.destinationProvider}:${t.destinationPath}`, formatTime(t.lastUpdate), describe(t)]);
          for (const line of table([['ID', 'STATE', 'PROGRESS', 'TRANSFER', 'UPDATED', 'STATUS'], ...rows])) io.out(line);
        }
        return 0;
      }
      return await watch(client, states as TaskState[] | undefined, since, interval, options.json, io, stop);
    } finally {
      await client.close();
    }
  },
});

async function watch(
  client: TransferClient,
  states: TaskState[] | undefined,
  since: number | undefined,
  intervalMs: number,
  json: boolean,
  io: CommandContext['io'],
  stop: CommandContext['stop'],
): Promise<number> {
  const stopRequest = stop();
  let stopped = false;
  void stopRequest.requested.then(() => (stopped = true));
  const bars = io.stdout.isTTY && !json ? new ProgressDisplay(io.stderr ?? io.stdout, { out: io.out }) : undefined;
  const seen = new Map<number, string>();
  try {
    for (;;) {
      const listed = await listTasks(client, states, since);
      for (const t of listed.reverse()) {
        const label = `task ${t.id} ${t.sourcePath} → ${t.destinationPath}`;
        if (bars) {
          if (isTerminal(t.state)) bars.finish(String(t.id), label, t.progress, `${t.state}${describe(t) ? `: ${describe(t)}` : ''}`);
          else bars.update(String(t.id), label, t.progress, `${t.state} ${describe(t)}`);
          continue;
        }
        // A line when the state changes or the progress passes another tenth.
        const mark = `${t.state}:${Math.floor(t.progress / 10)}`;
        if (seen.get(t.id) === mark) continue;
        seen.set(t.id, mark);
        io.out(json ? JSON.stringify({ id: t.id, state: t.state, progress: t.progress, status: t.status, failureReason: t.failureReason }) : `task ${t.id}  ${t.state.padEnd(9)} ${formatPercent(t.progress).padStart(7)}  ${describe(t)}`);
      }
      if (listed.length > 0 && listed.every((t) => isTerminal(t.state))) return listed.every((t) => t.state === 'SUCCESS') ? 0 : 1;
      await Promise.race([new Promise((r) => setTimeout(r, intervalMs)), stopRequest.requested]);
      if (stopped) return 0;
    }
  } finally {
    bars?.close();
    stopRequest.dispose();
  }
}
