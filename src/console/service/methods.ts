/**
 * The console's own methods on the core's RPC server, beside `TransferCore.*`: the user's
 * notification setting and a task's history of states. The caller is the key the handshake
 * proved, mapped to a user by the core's user directory; no request names a user.
 */
import { s, type Infer } from '../../codec/index.js';
import { unaryMethod } from '../../rpc/method.js';
import { taskIdField, taskStateField, textField, timeField } from '../../transfer/rpc/fields.js';

/** Longest history returned for one task (its newest entries). */
export const MAX_HISTORY_ENTRIES = 200;

const settingsSchema = s.object({
  /** Mail the user when one of their tasks is interrupted or succeeds (sending is not part of handoff). */
  emailNotifications: s.bool(),
  /** Where to; empty when not set. */
  email: s.string({ max: 254 }),
});

/** The caller's console settings (defaults when never saved). */
export const GetSettings = unaryMethod('Console.GetSettings', s.object({}), settingsSchema);

/** Saves the caller's console settings; returns them as stored. */
export const SetSettings = unaryMethod('Console.SetSettings', settingsSchema, settingsSchema);

/** One of the caller's tasks' states, oldest first, with the reason the task gave. */
export const TaskHistory = unaryMethod(
  'Console.TaskHistory',
  s.object({ taskId: taskIdField }),
  s.object({ entries: s.array(s.object({ state: taskStateField, at: timeField, reason: s.nullable(textField) }), { max: MAX_HISTORY_ENTRIES }) }),
);

export type ConsoleSettings = Infer<typeof settingsSchema>;
export type HistoryEntry = Infer<typeof TaskHistory.response>['entries'][number];
