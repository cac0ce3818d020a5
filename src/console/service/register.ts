/**
 * Registers the console's methods on the core's RPC server and records, from the core's task
 * events, each task's history of states and the emails a user who asked for them would get.
 */
import { UnauthenticatedError } from '../../core/errors.js';
import type { NodeId } from '../../crypto/node-id.js';
import type { RpcServer } from '../../rpc/server.js';
import type { TransferCore } from '../../transfer/core/transfer-core.js';
import type { UserDirectory } from '../../transfer/rpc/users.js';
import type { TransferTask, UserId } from '../../transfer/types.js';
import { notificationsFor } from '../ui/notifications.js';
import { GetSettings, SetSettings, TaskHistory } from './methods.js';
import type { ConsoleStore } from './store.js';

export interface ConsoleServiceOptions {
  readonly core: TransferCore;
  /** The core's user directory (what `registerTransferCoreService` returned). */
  readonly users: UserDirectory;
  readonly store: ConsoleStore;
  /** A listener failed to record; the task change itself stands. */
  readonly onError?: (err: unknown) => void;
}

/** Registers `Console.*` on `server`; returns a function that stops following the core's events. */
export function registerConsoleService(server: RpcServer, options: ConsoleServiceOptions): () => void {
  const { core, users, store } = options;
  const userOf = async (peer: NodeId): Promise<UserId> => {
    const user = await users.resolveUser(peer);
    if (user === undefined) throw new UnauthenticatedError(`key ${peer.toString()} belongs to no user of this core`);
    return user;
  };

  server.unary(GetSettings, async (_request, ctx) => store.settings(await userOf(ctx.peer)));
  server.unary(SetSettings, async (request, ctx) => {
    const user = await userOf(ctx.peer);
    store.saveSettings(user, { emailNotifications: request.emailNotifications, email: request.email.trim() });
    return store.settings(user);
  });
  server.unary(TaskHistory, async (request, ctx) => {
    // Ownership first: another user's task is NotFound, as in GetTask.
    const task = await core.getTask(await userOf(ctx.peer), request.taskId);
    return { entries: store.history(task.id) };
  });

  const onTask = (task: TransferTask, previous: TransferTask | undefined): void => {
    try {
      if (previous?.state === task.state) return;
      store.appendHistory(task.id, task.state, task.lastUpdate, task.failureReason ?? task.status);
      if (previous === undefined) return;
      // The same rules as the page's notifications, applied to the core's own event.
      const [note] = notificationsFor(new Map([[task.id, previous.state]]), [task], 0);
      const settings = note ? store.settings(task.initiatedBy) : undefined;
      if (note && settings?.emailNotifications && settings.email !== '') {
        store.enqueueEmail({ user: task.initiatedBy, email: settings.email, taskId: task.id, kind: note.kind, text: note.text, at: task.lastUpdate });
      }
    } catch (err) {
      options.onError?.(err);
    }
  };
  core.events.on('task', onTask);
  return () => void core.events.off('task', onTask);
}
