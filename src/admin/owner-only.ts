/**
 * Registration of admin methods that only the party's own identity may call. Wrapping every
 * handler at registration means no method can forget the check.
 */
import { PermissionDeniedError } from '../core/errors.js';
import type { NodeId } from '../crypto/node-id.js';
import type { CallContext, StreamHandler, UnaryHandler } from '../rpc/context.js';
import type { StreamMethod, UnaryMethod } from '../rpc/method.js';
import type { RpcServer } from '../rpc/server.js';

/** Registers handlers that run only for calls authenticated as the owner. */
export interface OwnerOnlyRegistry {
  unary<Req, Res>(method: UnaryMethod<Req, Res>, handler: UnaryHandler<Req, Res>): OwnerOnlyRegistry;
  stream<Req, Res>(method: StreamMethod<Req, Res>, handler: StreamHandler<Req, Res>): OwnerOnlyRegistry;
}

/**
 * Handlers registered through the result answer `PermissionDenied` to any caller whose
 * handshake did not prove `owner` — before reading the request. `calls` hears when an owner's
 * call begins and ends.
 *
 * @example
 * ```ts
 * ownerOnly(server, identity.id).unary(NodeAdminListSatellites, () => listSatellites());
 * ```
 */
export function ownerOnly(server: RpcServer, owner: NodeId, calls?: { begin(): void; end(): void }): OwnerOnlyRegistry {
  const check = (ctx: CallContext): void => {
    if (!ctx.peer.equals(owner)) throw new PermissionDeniedError(`${ctx.method} is for ${owner.toString()} only; ${ctx.peer.toString()} may not call it`);
  };
  const registry: OwnerOnlyRegistry = {
    unary(method, handler) {
      server.unary(method, async (request, ctx) => {
        check(ctx);
        calls?.begin();
        try {
          return await handler(request, ctx);
        } finally {
          calls?.end();
        }
      });
      return registry;
    },
    stream(method, handler) {
      server.stream(method, async (stream, ctx) => {
        check(ctx);
        calls?.begin();
        try {
          await handler(stream, ctx);
        } finally {
          calls?.end();
        }
      });
      return registry;
    },
  };
  return registry;
}
