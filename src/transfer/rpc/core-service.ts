/**
 * The core's RPC service: users' methods (`TransferCore.*`) and the source providers' updates
 * (`FilesControl.UpdateTransferTask`). Who calls is always `ctx.peer`, the key the handshake
 * proved: a user through the host's {@link UserDirectory}, a provider through the
 * {@link ProviderRegistry}. The core also grants sessions for the key exchange, signed with its
 * own key, and is not involved after that.
 */
import { systemClock, type Clock } from '../../core/clock.js';
import { FailedPreconditionError, PermissionDeniedError, UnauthenticatedError } from '../../core/errors.js';
import type { NodeId } from '../../crypto/node-id.js';
import type { Signer } from '../../crypto/signing.js';
import type { RpcServer } from '../../rpc/server.js';
import type { TransferCore } from '../core/transfer-core.js';
import { DEFAULT_SESSION_LIFETIME_MS, grantToWire, signSessionGrant } from '../session/grant.js';
import { isTerminal, type TaskControl, type TransferTask, type TransferTaskUpdate, type UserId } from '../types.js';
import { BrowseTasks, ControlTask, GetTask, GrantSessions, ListDrives, ListFolder, TransferFiles, UpdateTransferTask, type WireSessionOffer } from './core-methods.js';
import { clipText, taskToWire } from './fields.js';
import type { ProviderContact, ProviderRegistry } from './registry.js';
import { InMemoryUserDirectory, type UserDirectory } from './users.js';

/** Options of the core's RPC service: the provider registry and the user directory. */
export interface TransferCoreServiceOptions<U extends UserDirectory = InMemoryUserDirectory> {
  /** The providers this core works with: who may push updates, and where sessions lead. */
  readonly providers: ProviderRegistry;
  /** Which user each client key acts for; an empty {@link InMemoryUserDirectory} by default. */
  readonly users?: U;
  /** Signs session grants; the server's identity by default (providers verify with the core's node id). */
  readonly signer?: Signer;
  /** How long a session grant is valid (default 10 minutes). */
  readonly sessionLifetimeMs?: number;
  readonly clock?: Clock;
}

/** What {@link registerTransferCoreService} set up. */
export interface TransferCoreService<U extends UserDirectory = InMemoryUserDirectory> {
  /** The user directory in use (the default one, if none was passed, to add users to). */
  readonly users: U;
}

/**
 * Registers the core's methods on `server`.
 *
 * @example
 * ```ts
 * const server = new RpcServer({ identity: coreIdentity });
 * const { users } = registerTransferCoreService(server, core, { providers });
 * users.add(aliceKey, 'alice');
 * await server.listen(tcpTransport(), '0.0.0.0:7000');
 * ```
 */
export function registerTransferCoreService<U extends UserDirectory = InMemoryUserDirectory>(
  server: RpcServer,
  core: TransferCore,
  options: TransferCoreServiceOptions<U>,
): TransferCoreService<U> {
  const users = (options.users ?? new InMemoryUserDirectory()) as U;
  const providers = options.providers;
  const signer = options.signer ?? server.identity;
  const clock = options.clock ?? systemClock;
  const lifetime = options.sessionLifetimeMs ?? DEFAULT_SESSION_LIFETIME_MS;

  const userOf = async (peer: NodeId): Promise<UserId> => {
    const user = await users.resolveUser(peer);
    if (user === undefined) throw new UnauthenticatedError(`key ${peer.toString()} belongs to no user of this core`);
    return user;
  };

  server.unary(TransferFiles, async (request, ctx) => {
    const user = await userOf(ctx.peer);
    const items = request.items.map((item) => ({ sourcePath: item.sourcePath, destinationPath: request.destinationPath }));
    const results = await core.transferFilesBetweenProviders(user, items, request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey });
    return {
      items: results.map((r) => (r.ok ? { outcome: 'success' as const, taskId: r.taskId } : { outcome: 'failure' as const, check: r.check, reason: clipText(r.reason) })),
    };
  });

  server.unary(GetTask, async (request, ctx) => ({ task: taskToWire(await core.getTask(await userOf(ctx.peer), request.taskId)) }));

  server.unary(BrowseTasks, async (request, ctx) => {
    const page = await core.browseTasks(await userOf(ctx.peer), request);
    return { tasks: page.tasks.map(taskToWire), nextCursor: page.nextCursor };
  });

  server.unary(ControlTask, async (request, ctx) => {
    const task = await controlTask(core, await userOf(ctx.peer), request.taskId, request.control);
    return { task: taskToWire(task) };
  });

  server.unary(ListDrives, async (_request, ctx) => ({ drives: await core.listDrives(await userOf(ctx.peer)) }));

  server.unary(ListFolder, async (request, ctx) => {
    const { path, ...page } = request;
    const answer = await core.listFolder(await userOf(ctx.peer), path, page);
    return { entries: [...answer.entries], nextCursor: answer.nextCursor };
  });

  server.unary(GrantSessions, async (request, ctx) => {
    const user = await userOf(ctx.peer);
    const task = await core.getTask(user, request.taskId);
    if (isTerminal(task.state)) throw new FailedPreconditionError(`task ${task.id} is ${task.state}: it needs no more sessions`);
    const issuedAt = clock.now();
    const offer = (contact: ProviderContact): WireSessionOffer => ({
      provider: contact.provider,
      nodeId: contact.nodeId.bytes,
      address: contact.address,
      grant: grantToWire(
        signSessionGrant(signer, {
          taskId: task.id,
          user,
          client: ctx.peer,
          provider: contact.provider,
          sourceProvider: task.sourceProvider,
          destinationProvider: task.destinationProvider,
          destinationPath: task.destinationPath,
          issuedAt,
          expiresAt: issuedAt + lifetime,
        }),
      ),
    });
    return { source: offer(providers.require(task.sourceProvider)), destination: offer(providers.require(task.destinationProvider)) };
  });

  server.unary(UpdateTransferTask, async (request, ctx) => {
    const contact = providers.byNode(ctx.peer);
    if (!contact) throw new PermissionDeniedError(`key ${ctx.peer.toString()} is not a registered provider: only a task's source provider may update it`);
    const results = await core.updateTransferTask(contact.provider, request.items.map(updateFromWire));
    return {
      items: results.map((r) => (r.ok ? { outcome: 'applied' as const } : { outcome: 'refused' as const, code: r.code, reason: clipText(r.reason) })),
    };
  });

  return { users };
}

function controlTask(core: TransferCore, user: UserId, taskId: number, control: TaskControl): Promise<TransferTask> {
  switch (control) {
    case 'cancel':
      return core.cancel(user, taskId);
    case 'pause':
      return core.pause(user, taskId);
    case 'resume':
      return core.resume(user, taskId);
  }
}

/** Null and absent both mean "unchanged" (the seed's Kotlin defaults); the core gets neither. */
function updateFromWire(item: { taskId: number; newState?: TransferTaskUpdate['newState'] | null; newProgress?: number | null; newStatus?: string | null }): TransferTaskUpdate {
  return {
    taskId: item.taskId,
    ...(item.newState == null ? {} : { newState: item.newState }),
    ...(item.newProgress == null ? {} : { newProgress: item.newProgress }),
    ...(item.newStatus == null ? {} : { newStatus: item.newStatus }),
  };
}
