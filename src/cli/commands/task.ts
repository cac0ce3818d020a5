/** `handoff task pause|resume|cancel ID`: a user's control of one task, asked of the core. */
import type { TaskControl, TransferTask } from '../../transfer/types.js';
import { UsageError } from '../args.js';
import { defineCommand, type AnyCommand } from '../command.js';
import { formatPercent } from '../format.js';
import { clientOptions, openTransferClient, type ClientOptions } from './transfer.js';

interface Options extends ClientOptions {
  json: boolean;
}

const SUMMARIES: Record<TaskControl, string> = {
  pause: 'pause a transfer task (its provider keeps what has arrived)',
  resume: 'resume a paused transfer task where it stopped',
  cancel: 'stop a transfer task for good (HALTED; half-sent files are removed)',
};

function controlCommand(control: TaskControl): AnyCommand {
  return defineCommand<Options>({
    path: ['task', control],
    summary: SUMMARIES[control],
    define: (cmd) => clientOptions(cmd.argument('<id>', 'the task id, as handoff transfer printed it')).option('--json', 'the task as JSON', false),
    details: 'It returns once the source provider has carried it out.',
    async run({ args, options }, { io, env }) {
      const id = Number(args[0]);
      if (!Number.isSafeInteger(id) || id <= 0) throw new UsageError(`the task id is a whole number, got ${JSON.stringify(args[0])}`);
      const client = await openTransferClient(options, env);
      try {
        const task: TransferTask = control === 'pause' ? await client.pause(id) : control === 'resume' ? await client.resume(id) : await client.cancel(id);
        io.out(options.json ? JSON.stringify(task) : `task ${task.id} is ${task.state} at ${formatPercent(task.progress)}${task.failureReason ? `: ${task.failureReason}` : ''}`);
      } finally {
        await client.close();
      }
      return 0;
    },
  });
}

export const taskPause = controlCommand('pause');
export const taskResume = controlCommand('resume');
export const taskCancel = controlCommand('cancel');
