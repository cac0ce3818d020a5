/**
 * Session grants: the core's signed permission for one client key to open a session with one
 * provider for one task (seed 004 "Exchange of keys": a session "only usable when combined with a
 * signature from the client"). The core signs the grant; the provider checks the core's signature
 * and that the connection's authenticated key (`ctx.peer`, proven in the handshake) is the client
 * key the grant names. A stolen grant is useless without the client's private key, and a grant
 * for one task, provider or role opens nothing else.
 */
import { s, type Infer } from '../../codec/index.js';
import { PermissionDeniedError, UnauthenticatedError } from '../../core/errors.js';
import { NodeId } from '../../crypto/node-id.js';
import { signStructure, verifyStructure, type Signer } from '../../crypto/signing.js';
import { idField, nodeIdField, pathField, signatureField, taskIdField, timeField } from '../rpc/fields.js';
import type { ProviderId, TaskId, UserId } from '../types.js';

/** The domain tag a grant's signature covers. */
export const SESSION_GRANT_TAG = 'handoff/transfer-session-grant/v1';

/** How long a grant is valid by default: enough for the key exchange, short enough to be useless later. */
export const DEFAULT_SESSION_LIFETIME_MS = 10 * 60_000;

/** Which end of the task the provider is: the source issues the key, the destination authorizes it. */
export type SessionRole = 'source' | 'destination';

/** What the core vouches for in a grant. */
export interface SessionGrantFields {
  readonly taskId: TaskId;
  /** The task's user, as the core knows them. */
  readonly user: UserId;
  /** The client key that may use the grant: the caller's node id when the core granted it. */
  readonly client: NodeId;
  /** The provider the grant opens a session with. */
  readonly provider: ProviderId;
  readonly sourceProvider: ProviderId;
  readonly destinationProvider: ProviderId;
  /** The destination folder as the core names it: the only folder a destination may authorize. */
  readonly destinationPath: string;
  /** Milliseconds since the epoch. */
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/** A grant with the core's signature over {@link SessionGrantFields}. */
export interface SessionGrant extends SessionGrantFields {
  readonly signature: Uint8Array;
}

/** What a provider expects of a grant presented on a connection. */
export interface SessionExpectation {
  /** The core's node id: the only signer of grants. */
  readonly core: NodeId;
  /** This provider. */
  readonly provider: ProviderId;
  /** The role the called method needs. */
  readonly role: SessionRole;
  /** The caller's authenticated node id (`ctx.peer`). */
  readonly peer: NodeId;
  readonly now: number;
}

/** The role `grant.provider` plays in the grant's task. */
export function sessionRole(grant: SessionGrantFields): SessionRole {
  return grant.provider === grant.sourceProvider ? 'source' : 'destination';
}

function signedFields(g: SessionGrantFields): [number, string, Uint8Array, string, string, string, string, number, number] {
  return [g.taskId, g.user, g.client.bytes, g.provider, g.sourceProvider, g.destinationProvider, g.destinationPath, g.issuedAt, g.expiresAt];
}

/**
 * Signs a grant with the core's key.
 *
 * @example
 * ```ts
 * const grant = signSessionGrant(coreIdentity, { taskId: 7, user: 'alice', client: ctx.peer, provider: 'a',
 *   sourceProvider: 'a', destinationProvider: 'b', destinationPath: '/5243/inbox', issuedAt: now, expiresAt: now + 600_000 });
 * ```
 */
export function signSessionGrant(signer: Signer, fields: SessionGrantFields): SessionGrant {
  return { ...fields, signature: signStructure(signer, SESSION_GRANT_TAG, signedFields(fields)) };
}

/**
 * Throws unless `grant` lets `expected.peer` use a session with `expected.provider` in
 * `expected.role` now: `UnauthenticatedError` when the core did not sign it (forged or altered)
 * or it expired; `PermissionDeniedError` when it is for another provider or role, or for another
 * client key than the caller's.
 *
 * @example
 * ```ts
 * verifySessionGrant(grant, { core: coreId, provider: 'b', role: 'destination', peer: ctx.peer, now: clock.now() });
 * ```
 */
export function verifySessionGrant(grant: SessionGrant, expected: SessionExpectation): void {
  if (!verifyStructure(expected.core.publicKey, SESSION_GRANT_TAG, signedFields(grant), grant.signature)) {
    throw new UnauthenticatedError(`the session grant for task ${grant.taskId} is not signed by the core`);
  }
  if (expected.now >= grant.expiresAt) {
    throw new UnauthenticatedError(`the session grant for task ${grant.taskId} expired at ${new Date(grant.expiresAt).toISOString()}`);
  }
  if (grant.provider !== expected.provider) {
    throw new PermissionDeniedError(`the session grant for task ${grant.taskId} is for provider "${grant.provider}", not "${expected.provider}"`);
  }
  const own = expected.role === 'source' ? grant.sourceProvider : grant.destinationProvider;
  if (own !== expected.provider) {
    throw new PermissionDeniedError(`the session grant for task ${grant.taskId} does not make provider "${expected.provider}" its ${expected.role}`);
  }
  if (!grant.client.equals(expected.peer)) {
    throw new PermissionDeniedError(`the session grant for task ${grant.taskId} belongs to another client key`);
  }
}

/** A grant on the wire. */
export const sessionGrantSchema = s.object({
  taskId: taskIdField,
  user: idField,
  client: nodeIdField,
  provider: idField,
  sourceProvider: idField,
  destinationProvider: idField,
  destinationPath: pathField,
  issuedAt: timeField,
  expiresAt: timeField,
  signature: signatureField,
});

/** The wire form of a grant. */
export type WireSessionGrant = Infer<typeof sessionGrantSchema>;

/** A grant as {@link sessionGrantSchema} carries it (the client key as its 32 bytes). */
export function grantToWire(grant: SessionGrant): WireSessionGrant {
  return { ...grant, client: grant.client.bytes };
}

/** A grant from its wire form; nothing is verified here (see {@link verifySessionGrant}). */
export function grantFromWire(wire: WireSessionGrant): SessionGrant {
  return { ...wire, client: NodeId.fromPublicKey(wire.client) };
}
