/** How the console shows times, progress and states. */
import type { TransferTask } from '../../transfer/types.js';

/** `42.5 %`, or `…` while the plugin does not know the total yet (progress -1). */
export function percent(task: TransferTask): string {
  return task.progress < 0 ? '…' : `${task.progress.toFixed(1)} %`;
}

/** A local date and time, to the second. */
export function when(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

/** What the user can do with the task now: pause and resume only where its plugin can. */
export function controlsFor(task: TransferTask): { pause: boolean; resume: boolean; cancel: boolean } {
  const running = task.state === 'INITIATED' || task.state === 'RUNNING';
  const canPause = task.capabilities?.canPause === true;
  return {
    pause: running && canPause,
    resume: task.state === 'PAUSED' && canPause,
    cancel: running || task.state === 'PAUSED',
  };
}
