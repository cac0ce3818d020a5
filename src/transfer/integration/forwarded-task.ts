/**
 * The first steps of a transfer at the source provider: turning the core's forwarded request
 * into a stored task, and asking the destination which plugin and parameters to use.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { TransferParameters } from '../plugin.js';
import type { ProviderId, ProviderTransferRequest } from '../types.js';
import type { PeerNegotiationResponse, PeerProvider } from './ports.js';
import type { OutgoingTask } from './store.js';

export interface ForwardContext {
  readonly providerId: ProviderId;
  readonly pluginType: string;
  readonly resolveSource: (sourcePath: string) => string;
  readonly verifyChecksums: boolean;
  readonly now: number;
}

/** The new INITIATED task for a forwarded request. Throws `InvalidArgumentError` naming the field. */
export function outgoingTaskFor(item: ProviderTransferRequest, context: ForwardContext): OutgoingTask {
  if (!Number.isSafeInteger(item.taskId) || item.taskId < 0) throw new InvalidArgumentError('"taskId" expected a non-negative safe integer');
  for (const field of ['sourcePath', 'destinationPath', 'destinationProvider'] as const) {
    if (typeof item[field] !== 'string' || item[field].length === 0) throw new InvalidArgumentError(`"${field}" expected a non-empty string`);
  }
  if (item.destinationProvider === context.providerId) throw new InvalidArgumentError('source and destination are the same provider');
  const entryName = item.sourcePath.replace(/\/+$/, '').split('/').at(-1) ?? '';
  if (entryName === '' || entryName === '.' || entryName === '..') throw new InvalidArgumentError('"sourcePath" names no file or folder');
  return {
    taskId: item.taskId,
    pluginType: context.pluginType,
    sourcePath: item.sourcePath,
    localSourcePath: context.resolveSource(item.sourcePath),
    destinationProvider: item.destinationProvider,
    destinationPath: item.destinationPath,
    entryName,
    verifyChecksums: context.verifyChecksums,
    parameters: null,
    state: 'INITIATED',
    progress: 0,
    status: null,
    pid: null,
    attempts: 0,
    pausedAt: null,
    pauseCause: null,
    nextAttemptAt: null,
    lastError: null,
    releasePending: false,
    createdAt: context.now,
    updatedAt: context.now,
  };
}

/** Whether a re-delivered forward names the same transfer as the stored task. */
export function sameTransfer(stored: OutgoingTask, incoming: OutgoingTask): boolean {
  return (
    stored.sourcePath === incoming.sourcePath &&
    stored.destinationPath === incoming.destinationPath &&
    stored.destinationProvider === incoming.destinationProvider
  );
}

/**
 * Asks the destination provider to agree on `pluginType` for `task`. An unreachable peer or a
 * destination that is not ready yet is not fatal; a refusal the destination calls final is.
 */
export async function negotiate(
  peers: PeerProvider,
  pluginType: string,
  task: OutgoingTask,
): Promise<{ parameters: TransferParameters } | { fatal: boolean; reason: string }> {
  let answer: PeerNegotiationResponse;
  try {
    answer = await peers.negotiate(task.destinationProvider, {
      taskId: task.taskId,
      pluginType,
      destinationPath: task.destinationPath,
      entryName: task.entryName,
    });
  } catch (err) {
    return { fatal: false, reason: `the destination provider "${task.destinationProvider}" could not be reached: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!answer.ok) return { fatal: !answer.retryable, reason: answer.reason };
  if (answer.pluginType !== pluginType) {
    return { fatal: true, reason: `the providers run different transfer plugins: "${pluginType}" here, "${answer.pluginType}" at "${task.destinationProvider}"` };
  }
  return { parameters: answer.parameters };
}
