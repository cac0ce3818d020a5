/**
 * A provider's RPC service around its integration module. Three kinds of caller, each told apart
 * by the key the handshake proved (`ctx.peer`):
 *
 * - the core (its node id is configured): forwards transfers and users' controls;
 * - other providers (through the {@link ProviderRegistry}): negotiate and release, and the module
 *   checks that only a task's own source does so;
 * - clients holding a core-signed session grant naming their key: the key exchange.
 */
import { systemClock, type Clock } from '../../core/clock.js';
import { FailedPreconditionError, PermissionDeniedError } from '../../core/errors.js';
import type { NodeId } from '../../crypto/node-id.js';
import type { CallContext } from '../../rpc/context.js';
import type { RpcServer } from '../../rpc/server.js';
import type { ProviderIntegration } from '../integration/provider-integration.js';
import { grantFromWire, verifySessionGrant, type SessionRole, type WireSessionGrant } from '../session/grant.js';
import type { ProviderId } from '../types.js';
import { clipText } from './fields.js';
import { parametersToWire } from './parameters.js';
import { AuthorizeTransferKey, ControlTransfer, IssueTransferKey, ListProviderFolder, NegotiateTransfer, ReleaseTransfer, StatProviderFile, TransferFilesForProvider } from './provider-methods.js';
import type { ProviderRegistry } from './registry.js';

/** What the service needs of an integration module (a `ProviderIntegration` has all of it). */
export type ProviderServiceModule = Pick<
  ProviderIntegration,
  'providerId' | 'acceptTransfers' | 'control' | 'issueTransferKey' | 'authorizeTransferKey' | 'handlePeerNegotiation' | 'handlePeerRelease' | 'getTask'
> &
  Partial<Pick<ProviderIntegration, 'listFolder' | 'statFile'>>;

/** Options of a provider's RPC service: who the core is and how to reach peers. */
export interface ProviderServiceOptions {
  /** The core's node id: the only caller of `FilesProvider.*`, and the only signer of session grants. */
  readonly core: NodeId;
  /** The other providers, by key. */
  readonly providers: ProviderRegistry;
  /** Decides whether a session grant has expired. */
  readonly clock?: Clock;
}

/**
 * Registers a provider's methods on `server`.
 *
 * @example
 * ```ts
 * const server = new RpcServer({ identity: hippoIdentity });
 * registerProviderService(server, integration, { core: coreId, providers });
 * await server.listen(tcpTransport(), '0.0.0.0:7100');
 * ```
 */
export function registerProviderService(server: RpcServer, module: ProviderServiceModule, options: ProviderServiceOptions): void {
  const clock = options.clock ?? systemClock;

  const requireCore = (ctx: CallContext): void => {
    if (!ctx.peer.equals(options.core)) throw new PermissionDeniedError(`only the core may call ${ctx.method}`);
  };
  const callerProvider = (ctx: CallContext): ProviderId => {
    const contact = options.providers.byNode(ctx.peer);
    if (!contact) throw new PermissionDeniedError(`key ${ctx.peer.toString()} is not a registered provider`);
    return contact.provider;
  };
  const sessionGrant = (wire: WireSessionGrant, role: SessionRole, ctx: CallContext) => {
    const grant = grantFromWire(wire);
    verifySessionGrant(grant, { core: options.core, provider: module.providerId, role, peer: ctx.peer, now: clock.now() });
    return grant;
  };

  server.unary(TransferFilesForProvider, async (request, ctx) => {
    requireCore(ctx);
    const answers = await module.acceptTransfers(request.items);
    return {
      items: answers.map((a) => (a.ok ? { outcome: 'accepted' as const, canPause: a.capabilities.canPause } : { outcome: 'refused' as const, reason: clipText(a.reason) })),
    };
  });

  server.unary(ControlTransfer, async (request, ctx) => {
    requireCore(ctx);
    await module.control(request.taskId, request.control);
    return {};
  });

  server.unary(ListProviderFolder, async (request, ctx) => {
    requireCore(ctx);
    if (!module.listFolder) throw new FailedPreconditionError(`provider "${module.providerId}" does not list its files`);
    const { path, ...page } = request;
    const answer = await module.listFolder(path, page);
    return { entries: [...answer.entries], nextCursor: answer.nextCursor };
  });

  server.unary(StatProviderFile, async (request, ctx) => {
    requireCore(ctx);
    if (!module.statFile) throw new FailedPreconditionError(`provider "${module.providerId}" does not list its files`);
    return { entry: (await module.statFile(request.path)) ?? null };
  });

  server.unary(NegotiateTransfer, async (request, ctx) => {
    const answer = await module.handlePeerNegotiation(callerProvider(ctx), request);
    return answer.ok
      ? { outcome: 'ready' as const, pluginType: answer.pluginType, parameters: parametersToWire(answer.parameters) }
      : { outcome: 'refused' as const, retryable: answer.retryable, reason: clipText(answer.reason) };
  });

  server.unary(ReleaseTransfer, async (request, ctx) => {
    await module.handlePeerRelease(callerProvider(ctx), request);
    return {};
  });

  server.unary(IssueTransferKey, async (request, ctx) => {
    const grant = sessionGrant(request.grant, 'source', ctx);
    const task = module.getTask(grant.taskId);
    // The core forwarded this task here; its grant must describe that same transfer.
    if (task && (task.destinationProvider !== grant.destinationProvider || task.destinationPath !== grant.destinationPath)) {
      throw new PermissionDeniedError(`the session grant for task ${grant.taskId} names another destination than the task`);
    }
    return { publicKey: await module.issueTransferKey(grant.taskId) };
  });

  server.unary(AuthorizeTransferKey, async (request, ctx) => {
    const grant = sessionGrant(request.grant, 'destination', ctx);
    // Everything but the key comes from the core's signed grant, nothing from the client's say-so.
    await module.authorizeTransferKey({
      taskId: grant.taskId,
      publicKey: request.publicKey,
      sourceProvider: grant.sourceProvider,
      destinationPath: grant.destinationPath,
    });
    return {};
  });
}
