/**
 * `TransferFilesBetweenProviders`: check each item, store a task for each accepted one, forward
 * the accepted items to their source providers, and record each provider's answer. With an
 * idempotency key, a retried request finds the tasks it already created instead of adding more;
 * once the key has expired, the request claims it anew and creates new tasks.
 */
import type { Clock } from '../../core/clock.js';
import { InvalidArgumentError, isHandoffError } from '../../core/errors.js';
import { newTask } from '../lifecycle.js';
import type { TransferTaskStore } from '../store/port.js';
import type { ProviderId, ProviderTransferRequest, TaskId, TransferTask, UserId } from '../types.js';
import { alreadyActive, checkTransferItem, ownTask, type CheckFailure, type CheckPorts } from './checks.js';
import type { ProviderGateway } from './provider-gateway.js';
import { requestFingerprint, type TransferItem } from './requests.js';
import type { TaskEvent, TaskWriter } from './task-writer.js';

/**
 * Per item: a task was created (`ok`, follow it by id — if the provider refused, the task is in
 * `FAILURE` with the provider's reason) or the item was refused by a check, with the reason.
 */
export type TransferItemResult = { readonly ok: true; readonly taskId: TaskId } | CheckFailure;

/** What a submission needs from the core that runs it. */
export interface SubmissionContext {
  readonly ports: CheckPorts;
  readonly store: TransferTaskStore;
  readonly gateway: ProviderGateway;
  readonly writer: TaskWriter;
  readonly clock: Clock;
  /** Claim time before which an idempotency key has expired and counts as absent. */
  idempotencyKeysExpiredBefore(): number;
  announceCreated(task: TransferTask): void;
}

/** Runs one `TransferFilesBetweenProviders` request; see the file comment. */
export async function submitTransfers(
  ctx: SubmissionContext,
  user: UserId,
  items: readonly TransferItem[],
  idempotencyKey: string | undefined,
): Promise<TransferItemResult[]> {
  const earlier = new Map<number, TransferTask>();
  if (idempotencyKey !== undefined) {
    const fingerprint = requestFingerprint(items);
    const claimed = await ctx.store.claimIdempotencyKey(user, idempotencyKey, fingerprint, ctx.clock.now(), ctx.idempotencyKeysExpiredBefore());
    if (claimed !== fingerprint) {
      throw new InvalidArgumentError(`idempotency key ${JSON.stringify(idempotencyKey)} was already used for a different request`);
    }
    for (const t of await ctx.store.findByIdempotencyKey(user, idempotencyKey)) earlier.set(t.requestIndex ?? -1, t);
  }

  const results: TransferItemResult[] = [];
  const toForward: TransferTask[] = [];
  try {
    // In order, one at a time: a later item identical to an earlier one must see its task.
    for (const [index, item] of items.entries()) {
      const existing = earlier.get(index);
      if (existing) {
        results.push({ ok: true, taskId: existing.id });
        // Created by an attempt that never heard back from the provider: ask again.
        if (existing.state === 'INITIATED' && existing.capabilities === null) toForward.push(existing);
        continue;
      }
      const outcome = await createTask(ctx, user, item, idempotencyKey, index);
      results.push(outcome.result);
      if (outcome.created) toForward.push(outcome.created);
    }
  } finally {
    // Even if a later item threw (store down), the tasks already created must reach their provider.
    await Promise.all([...groupBySource(toForward)].map(([provider, tasks]) => forward(ctx, provider, tasks)));
  }
  return results;
}

async function createTask(
  ctx: SubmissionContext,
  user: UserId,
  item: TransferItem,
  idempotencyKey: string | undefined,
  index: number,
): Promise<{ result: TransferItemResult; created?: TransferTask }> {
  const request = idempotencyKey === undefined ? undefined : { idempotencyKey, index };
  const checked = await checkTransferItem(ctx.ports, user, item, request);
  if (!checked.ok) return { result: checked };
  // A concurrent copy of this request created the item's task after we read the key's tasks: it
  // holds the route, and it is our answer. Its creator forwards it.
  if (checked.own) return { result: { ok: true, taskId: checked.own.id } };
  const draft = { ...checked.route, initiatedBy: user, idempotencyKey: idempotencyKey ?? null, requestIndex: idempotencyKey === undefined ? null : index };
  try {
    const task = await ctx.store.insert(newTask(draft, ctx.clock.now()));
    ctx.announceCreated(task);
    return { result: { ok: true, taskId: task.id }, created: task };
  } catch (err) {
    if (!isHandoffError(err, 'AlreadyExists')) throw err;
    // Lost a race: to a concurrent copy of this very request (same key), or to another transfer.
    const twin = request && (await ownTask(ctx.store, user, request));
    if (twin) return { result: { ok: true, taskId: twin.id } };
    return { result: alreadyActive(user, await ctx.store.findActive(checked.route)) };
  }
}

function groupBySource(tasks: readonly TransferTask[]): Map<ProviderId, TransferTask[]> {
  const groups = new Map<ProviderId, TransferTask[]>();
  for (const t of tasks) {
    const group = groups.get(t.sourceProvider);
    if (group) group.push(t);
    else groups.set(t.sourceProvider, [t]);
  }
  return groups;
}

/** Forwards one provider's tasks in one bulk call; each answer moves its task on. */
async function forward(ctx: SubmissionContext, provider: ProviderId, tasks: readonly TransferTask[]): Promise<void> {
  const requests: ProviderTransferRequest[] = tasks.map((t) => ({
    taskId: t.id,
    sourcePath: t.sourcePath,
    destinationPath: t.destinationPath,
    destinationProvider: t.destinationProvider,
  }));
  let answers: readonly unknown[] | undefined;
  let unreachable = '';
  try {
    const response: unknown = await ctx.gateway.forwardTransfers(provider, requests);
    answers = Array.isArray(response) ? response : [];
  } catch (err) {
    unreachable = `provider "${provider}" could not take the transfer: ${isHandoffError(err) ? err.message : 'unexpected error'}`;
  }
  const events: TaskEvent[] = tasks.map((t, i) => ({ taskId: t.id, event: answerEvent(provider, answers?.[i], unreachable) }));
  // Refusals here are stale answers (the provider already reported on the task): its report stands.
  await ctx.writer.applyMany(events);
}

function answerEvent(provider: ProviderId, answer: unknown, unreachable: string): TaskEvent['event'] {
  if (unreachable) return { type: 'refused', reason: unreachable };
  const a = answer as { ok?: unknown; reason?: unknown; capabilities?: { canPause?: unknown } } | undefined;
  if (a?.ok === true && typeof a.capabilities?.canPause === 'boolean') {
    return { type: 'accepted', capabilities: { canPause: a.capabilities.canPause } };
  }
  if (a?.ok === false && typeof a.reason === 'string') return { type: 'refused', reason: `provider "${provider}" refused: ${a.reason}` };
  return { type: 'refused', reason: `provider "${provider}" gave no valid answer for this item` };
}
