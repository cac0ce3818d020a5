/**
 * The transfer task lifecycle as a pure function: `transition(task, event, now)` decides the next
 * task and the effects a runner must execute (persist, then announce, then notify), or refuses.
 * No clock, store or network here, so every branch is testable on plain data.
 *
 * ```text
 * INITIATED ──► RUNNING ◄──► PAUSED
 *     │            │           │
 *     └────────────┴───────────┴──► SUCCESS | FAILURE | HALTED   (terminal)
 * ```
 *
 * `HALTED` means stopped on purpose before finishing — canceled by the user, or stopped by the
 * provider's policy (e.g. paused longer than it allows) — as opposed to `FAILURE`, an error.
 */
import { FailedPreconditionError, InvalidArgumentError } from '../core/errors.js';
import {
  isTerminal,
  type PluginCapabilities,
  type TaskControl,
  type TaskState,
  type TransferTask,
} from './types.js';

/** Every task state, in lifecycle order. */
export const TASK_STATES: readonly TaskState[] = ['INITIATED', 'RUNNING', 'PAUSED', 'SUCCESS', 'FAILURE', 'HALTED'];

/** Longest accepted status or reason, in UTF-16 code units: enough for a sentence, not a log. */
export const MAX_STATUS_LENGTH = 1024;

/** The failure reason recorded when a user's cancel has been acknowledged by the provider. */
export const CANCELED_BY_USER = 'canceled by the user';

/** States a non-terminal task may move to (besides staying where it is). Nothing returns to INITIATED. */
const NEXT_STATES: Readonly<Record<TaskState, readonly TaskState[]>> = {
  INITIATED: ['RUNNING', 'PAUSED', 'SUCCESS', 'FAILURE', 'HALTED'],
  RUNNING: ['PAUSED', 'SUCCESS', 'FAILURE', 'HALTED'],
  PAUSED: ['RUNNING', 'SUCCESS', 'FAILURE', 'HALTED'],
  SUCCESS: [],
  FAILURE: [],
  HALTED: [],
};

/** True when `value` is one of {@link TASK_STATES} (input from the wire is checked with this). */
export function isTaskState(value: unknown): value is TaskState {
  return typeof value === 'string' && (TASK_STATES as readonly string[]).includes(value);
}

/** What can happen to a task. */
export type LifecycleEvent =
  /** The source provider accepted the forwarded request; its plugin can do `capabilities`. */
  | { readonly type: 'accepted'; readonly capabilities: PluginCapabilities }
  /** The source provider refused the request, or could not be reached. */
  | { readonly type: 'refused'; readonly reason: string }
  /** An `UpdateTransferTask` item from the source provider. */
  | { readonly type: 'update'; readonly state?: TaskState; readonly progress?: number; readonly status?: string }
  /** The source provider acknowledged a user's cancel, pause or resume. */
  | { readonly type: 'control'; readonly control: TaskControl };

/** Why the user is told: interrupted (PAUSED by an error, FAILURE, HALTED not by them) or done. */
export type NotificationKind = 'interrupted' | 'succeeded';

/** Effects, in the order a runner must execute them: persist, then announce, then notify. */
export type LifecycleEffect =
  | { readonly type: 'persist'; readonly task: TransferTask; readonly previous: TransferTask }
  | { readonly type: 'announce'; readonly task: TransferTask; readonly previous: TransferTask }
  | { readonly type: 'notify'; readonly task: TransferTask; readonly kind: NotificationKind };

/** The outcome of {@link transition}: a next task with effects (none when nothing changed), or a refusal. */
export type TransitionResult =
  | { readonly ok: true; readonly task: TransferTask; readonly effects: readonly LifecycleEffect[] }
  | { readonly ok: false; readonly error: FailedPreconditionError | InvalidArgumentError };

/** The fields a new task starts from; everything else takes its initial value. */
export interface TaskDraft {
  readonly initiatedBy: string;
  readonly sourceProvider: string;
  readonly sourcePath: string;
  readonly destinationProvider: string;
  readonly destinationPath: string;
  readonly idempotencyKey: string | null;
  readonly requestIndex: number | null;
}

/** A task before the store has given it an id. */
export type NewTransferTask = Omit<TransferTask, 'id'>;

/** A new task: `INITIATED`, progress 0, no capabilities until the provider accepts it. */
export function newTask(draft: TaskDraft, now: number): NewTransferTask {
  return {
    ...draft,
    state: 'INITIATED',
    progress: 0,
    status: null,
    failureReason: null,
    capabilities: null,
    pausedByUser: false,
    createdAt: now,
    lastUpdate: now,
    revision: 0,
  };
}

/**
 * Decides what `event` does to `task` at time `now` (ms). Refusals change nothing: invalid values
 * give `InvalidArgumentError`; a state the task cannot take, backwards progress or any change
 * after a terminal state give `FailedPreconditionError`. An event that changes nothing (a
 * re-delivered update) succeeds with no effects, so providers can retry pushes safely.
 *
 * @example
 * ```ts
 * const r = transition(task, { type: 'update', state: 'RUNNING', progress: 12.5 }, clock.now());
 * if (!r.ok) throw r.error;
 * for (const effect of r.effects) await run(effect); // persist, announce, notify — in order
 * ```
 */
export function transition(task: TransferTask, event: LifecycleEvent, now: number): TransitionResult {
  switch (event.type) {
    case 'accepted':
      return accept(task, event.capabilities, now);
    case 'refused':
      return refuse(task, event.reason, now);
    case 'update':
      return update(task, event, now);
    case 'control':
      return acknowledgeControl(task, event.control, now);
  }
}

/**
 * Whether a user may ask for `control` on `task` right now; the refusal to give them, or undefined.
 * The core checks this before forwarding the request to the provider.
 */
export function checkControl(task: TransferTask, control: TaskControl): FailedPreconditionError | undefined {
  if (isTerminal(task.state)) {
    return new FailedPreconditionError(`task ${task.id} is ${task.state}, a terminal state: it can no longer be ${PAST[control]}`);
  }
  if (control === 'cancel') return undefined;
  if (task.capabilities === null) {
    return new FailedPreconditionError(`task ${task.id} has not been accepted by provider "${task.sourceProvider}" yet: it cannot be ${PAST[control]} before that`);
  }
  if (!task.capabilities.canPause) {
    return new FailedPreconditionError(`the transfer plugin of provider "${task.sourceProvider}" cannot pause or resume; task ${task.id} can only be canceled`);
  }
  if (control === 'pause' && task.pausedByUser) {
    return new FailedPreconditionError(`task ${task.id} is already paused by the user`);
  }
  if (control === 'resume' && !task.pausedByUser && task.state !== 'PAUSED') {
    return new FailedPreconditionError(`task ${task.id} is ${task.state}, not paused: there is nothing to resume`);
  }
  return undefined;
}

const PAST: Readonly<Record<TaskControl, string>> = { cancel: 'canceled', pause: 'paused', resume: 'resumed' };

function accept(task: TransferTask, capabilities: PluginCapabilities, now: number): TransitionResult {
  if (typeof capabilities !== 'object' || capabilities === null || typeof capabilities.canPause !== 'boolean') {
    return refusal(new InvalidArgumentError('"capabilities.canPause" expected a boolean'));
  }
  // A provider may report a fast transfer finished before its acceptance reaches us: nothing to record then.
  if (isTerminal(task.state)) return unchanged(task);
  if (task.capabilities !== null && task.capabilities.canPause === capabilities.canPause) return unchanged(task);
  return changed(task, { capabilities: { canPause: capabilities.canPause } }, now, undefined);
}

function refuse(task: TransferTask, reason: string, now: number): TransitionResult {
  if (task.state !== 'INITIATED' || task.capabilities !== null) {
    // A late refusal (e.g. a timed-out repeat of the forward) after the provider accepted or reported is stale.
    return refusal(new FailedPreconditionError(`task ${task.id} is ${task.state}: provider "${task.sourceProvider}" already accepted it, so a refusal no longer applies`));
  }
  const text = toReason(reason) || `provider "${task.sourceProvider}" refused the transfer`;
  return changed(task, { state: 'FAILURE', failureReason: text }, now, 'interrupted');
}

function update(task: TransferTask, event: Extract<LifecycleEvent, { type: 'update' }>, now: number): TransitionResult {
  const invalid = validateUpdateValues(event);
  if (invalid) return refusal(invalid);

  const state = event.state ?? task.state;
  // A push saying SUCCESS means everything arrived, whatever the plugin's last percentage said
  // (so a re-delivered one changes nothing). A push without a state is taken at its word: on a
  // finished task, lower progress is a change, refused below like on any terminal task.
  const progress = event.state === 'SUCCESS' ? 100 : (event.progress ?? task.progress);
  const status = event.status ?? task.status;
  const nothingChanges = state === task.state && progress === task.progress && status === task.status;
  if (nothingChanges) return unchanged(task);

  if (isTerminal(task.state)) {
    return refusal(new FailedPreconditionError(`task ${task.id} is ${task.state}, a terminal state: it can no longer change`));
  }
  if (state !== task.state && !NEXT_STATES[task.state].includes(state)) {
    return refusal(new FailedPreconditionError(`task ${task.id} cannot go from ${task.state} to ${state}`));
  }
  if (state !== 'SUCCESS' && progress < task.progress) {
    return refusal(new FailedPreconditionError(`task ${task.id}: progress cannot go backwards (from ${task.progress} to ${progress})`));
  }

  const entering = state !== task.state ? state : undefined;
  const ending = entering === 'FAILURE' || entering === 'HALTED';
  const patch: Partial<Mutable> = { state, progress, status };
  if (ending) patch.failureReason = status ?? (entering === 'FAILURE' ? 'the provider reported a failure' : 'stopped by the provider');
  // A task that runs again is no longer paused by the user.
  if (entering === 'RUNNING') patch.pausedByUser = false;

  let notify: NotificationKind | undefined;
  if (entering === 'SUCCESS') notify = 'succeeded';
  else if (ending || (entering === 'PAUSED' && !task.pausedByUser)) notify = 'interrupted';
  return changed(task, patch, now, notify);
}

function acknowledgeControl(task: TransferTask, control: TaskControl, now: number): TransitionResult {
  const refused = checkControl(task, control);
  if (refused) return refusal(refused);
  switch (control) {
    case 'cancel':
      // The user asked for it: no notification, and HALTED rather than FAILURE. The status says so
      // too, as the provider's own report will: that later push then changes nothing.
      return changed(task, { state: 'HALTED', status: CANCELED_BY_USER, failureReason: CANCELED_BY_USER }, now, undefined);
    case 'pause':
      return changed(task, { pausedByUser: true }, now, undefined);
    case 'resume':
      return changed(task, { pausedByUser: false }, now, undefined);
  }
}

type Mutable = { -readonly [K in 'state' | 'progress' | 'status' | 'failureReason' | 'capabilities' | 'pausedByUser']: TransferTask[K] };

function changed(task: TransferTask, patch: Partial<Mutable>, now: number, notify: NotificationKind | undefined): TransitionResult {
  const next: TransferTask = {
    ...task,
    ...patch,
    // Never earlier than the last change, even if the host's clock steps back.
    lastUpdate: Math.max(task.lastUpdate, now),
    revision: task.revision + 1,
  };
  const effects: LifecycleEffect[] = [
    { type: 'persist', task: next, previous: task },
    { type: 'announce', task: next, previous: task },
  ];
  if (notify) effects.push({ type: 'notify', task: next, kind: notify });
  return { ok: true, task: next, effects };
}

function unchanged(task: TransferTask): TransitionResult {
  return { ok: true, task, effects: [] };
}

function refusal(error: FailedPreconditionError | InvalidArgumentError): TransitionResult {
  return { ok: false, error };
}

/** Range and type checks of an update's values; the message names the field. */
function validateUpdateValues(event: Extract<LifecycleEvent, { type: 'update' }>): InvalidArgumentError | undefined {
  if (event.state !== undefined && !isTaskState(event.state)) {
    return new InvalidArgumentError(`"newState" expected one of ${TASK_STATES.join(', ')}, got ${show(event.state)}`);
  }
  if (event.progress !== undefined) {
    const p = event.progress;
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > 100) {
      return new InvalidArgumentError(`"newProgress" expected a finite number in [0, 100], got ${show(p)}`);
    }
  }
  if (event.status !== undefined) return checkText('newStatus', event.status, MAX_STATUS_LENGTH);
  return undefined;
}

/**
 * A string field that a database can store and a person can read: at most `max` UTF-16 units and
 * no NUL (PostgreSQL text cannot hold one).
 */
export function checkText(field: string, value: unknown, max: number): InvalidArgumentError | undefined {
  if (typeof value !== 'string') return new InvalidArgumentError(`"${field}" expected a string, got ${show(value)}`);
  if (value.length > max) return new InvalidArgumentError(`"${field}" expected at most ${max} characters, got ${value.length}`);
  if (value.includes('\u0000')) return new InvalidArgumentError(`"${field}" must not contain NUL characters`);
  return undefined;
}

/** A provider's free-text reason made storable: NULs dropped, cut to {@link MAX_STATUS_LENGTH}. */
function toReason(text: unknown): string {
  const s = typeof text === 'string' ? text : String(text);
  return s.replaceAll('\u0000', '').slice(0, MAX_STATUS_LENGTH);
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number') return String(value);
  return value === null ? 'null' : typeof value;
}
