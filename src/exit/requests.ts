/**
 * The satellite's decisions on what a node may ask about its exit outside the `Process` stream,
 * pure: start an exit of a kind (`GracefulExit.Initiate`), keep a paused exit alive
 * (`GracefulExit.KeepAlive`), and rejoin after a completed exit (`GracefulExit.Rejoin`). The
 * runner (`ExitCoordinator`) reads the node and its exit, asks here, and does what comes back.
 */
import { FailedPreconditionError, InvalidArgumentError, PermissionDeniedError, type HandoffError } from '../core/errors.js';
import type { NodeRecord } from '../overlay/types.js';
import type { NewExit } from './queue-store.js';
import type { ExitConfig, ExitKind, ExitRecord } from './types.js';

/** What a node asks `GracefulExit.Initiate` for. */
export interface ExitRequest {
  readonly kind: ExitKind;
  /** Bytes to move off (a partial exit); absent for a full exit. */
  readonly targetBytes?: number;
}

/** Whether the satellite accepts an exit request, and if not, the rule that refused it. */
export type InitiateDecision =
  | { readonly type: 'refuse'; readonly error: HandoffError }
  /** The same exit is in progress already: answer with it (the call is idempotent). */
  | { readonly type: 'existing'; readonly exit: ExitRecord }
  /**
   * Record a new exit; `archive`: first move the node's finished one to the archive (after a
   * partial exit, or a rejoin the archive step of which a crash interrupted). A full exit also
   * marks the node `exiting`; a partial one leaves it `active`.
   */
  | { readonly type: 'start'; readonly exit: NewExit; readonly archive: boolean };

/**
 * Decides an `Initiate` request from `node` (as the overlay knows it) whose current exit record
 * is `exit`. A partial exit always transfers (the satellite chooses the pieces); a full one follows
 * `config.policy`.
 *
 * @example
 * ```ts
 * decideInitiate({ node, exit, request: { kind: 'partial', targetBytes: 5e9 }, now, config });
 * // { type: 'start', exit: { kind: 'partial', targetBytes: 5e9, policy: 'transfer' }, archive: false }
 * ```
 */
export function decideInitiate(input: { readonly node: NodeRecord | undefined; readonly exit: ExitRecord | undefined; readonly request: ExitRequest; readonly now: number; readonly config: ExitConfig }): InitiateDecision {
  const { node, exit, request, now, config } = input;
  const refuse = (error: HandoffError): InitiateDecision => ({ type: 'refuse', error });
  const target = request.targetBytes ?? null;
  if (request.kind === 'full' && target !== null) return refuse(new InvalidArgumentError('"targetBytes" is for a partial exit only'));
  if (request.kind === 'partial' && target === null) return refuse(new InvalidArgumentError('"targetBytes" expected for a partial exit: how many bytes to move off'));
  if (node === undefined) return refuse(new PermissionDeniedError('this node is not known to the satellite: check in first'));
  if (node.status === 'disqualified') return refuse(new PermissionDeniedError(`a disqualified node cannot exit${node.disqualifiedReason ? ` (${node.disqualifiedReason})` : ''}`));
  if (node.status === 'exited') return refuse(new FailedPreconditionError('this node has already exited; it may rejoin first'));
  if (exit !== undefined && exit.finishedAt === null) {
    if (exit.kind === request.kind && exit.targetBytes === target) return { type: 'existing', exit };
    return refuse(new FailedPreconditionError(`${describe(exit)} is in progress; another can start once it has finished`));
  }
  // A finished full exit leaves the node exited (or about to be): only a rejoin reopens it.
  if (exit !== undefined && exit.kind === 'full' && node.status !== 'active') return refuse(new FailedPreconditionError('this node has already exited; it may rejoin first'));
  const young = tooYoungToExit(node, now, config);
  if (young !== undefined) return refuse(young);
  const policy = request.kind === 'partial' ? 'transfer' : config.policy;
  return { type: 'start', exit: { kind: request.kind, targetBytes: target, policy }, archive: exit !== undefined };
}

/** What the satellite answers to a paused exit's keep-alive. */
export type KeepAliveDecision =
  | { readonly type: 'refuse'; readonly error: HandoffError }
  /** Record activity now; the exit goes on. */
  | { readonly type: 'touch' }
  /** The exit ended meanwhile: tell the node, which connects for its receipt. */
  | { readonly type: 'finished' };

/** Decides a `KeepAlive` from a node whose current exit record is `exit`. */
export function decideKeepAlive(exit: ExitRecord | undefined): KeepAliveDecision {
  if (exit === undefined) return { type: 'refuse', error: new FailedPreconditionError('this node has no exit to keep alive') };
  if (exit.finishedAt !== null) return { type: 'finished' };
  return { type: 'touch' };
}

/** Whether a node that exited may rejoin. */
export type RejoinDecision =
  | { readonly type: 'refuse'; readonly error: HandoffError }
  /**
   * Rejoin: `overlay` — bring the node back from `exited` (not yet done); `archive` — move its
   * completed exit to the archive (not yet done). Both steps are idempotent, so a crash between
   * them is finished by asking again.
   */
  | { readonly type: 'rejoin'; readonly overlay: boolean; readonly archive: boolean }
  /** Rejoined before: nothing to do; answer with when. */
  | { readonly type: 'rejoined'; readonly rejoinedAt: number };

/**
 * Decides a `Rejoin` from `node` whose current exit record is `exit`. Only a node whose full
 * exit completed may rejoin; a failed exit disqualified it, and the answer says why.
 *
 * @example
 * ```ts
 * decideRejoin(node, exit); // { type: 'rejoin', overlay: true, archive: true }
 * ```
 */
export function decideRejoin(node: NodeRecord | undefined, exit: ExitRecord | undefined): RejoinDecision {
  const refuse = (error: HandoffError): RejoinDecision => ({ type: 'refuse', error });
  if (node === undefined) return refuse(new PermissionDeniedError('this node is not known to the satellite'));
  if (node.status === 'disqualified') {
    return refuse(new PermissionDeniedError(`a disqualified node cannot rejoin${node.disqualifiedReason ? `: ${node.disqualifiedReason}` : ''}`));
  }
  const completedFull = exit !== undefined && exit.kind === 'full' && exit.outcome === 'completed';
  if (node.status === 'exited') {
    if (exit === undefined || completedFull) return { type: 'rejoin', overlay: true, archive: exit !== undefined };
    return refuse(new FailedPreconditionError('only a node whose graceful exit completed may rejoin'));
  }
  if (node.status === 'exiting') return refuse(new FailedPreconditionError('this node is still exiting: it may rejoin once its exit has completed'));
  // Active: back already (finish the archive step a crash may have left), or never exited.
  if (node.rejoinedAt !== null && completedFull) return { type: 'rejoin', overlay: false, archive: true };
  if (node.rejoinedAt !== null && (exit === undefined || exit.kind === 'partial' || exit.finishedAt === null)) return { type: 'rejoined', rejoinedAt: node.rejoinedAt };
  return refuse(new FailedPreconditionError('this node has not exited: there is nothing to rejoin'));
}

function describe(exit: ExitRecord): string {
  return exit.kind === 'partial' ? `a partial exit of ${exit.targetBytes} bytes` : 'a full exit';
}

/** Why a node that joined less than `minNodeAgeMs` ago may not exit yet (Initiate and Process refuse alike); undefined when it may. */
export function tooYoungToExit(node: NodeRecord, now: number, config: ExitConfig): FailedPreconditionError | undefined {
  const age = now - node.joinedAt;
  if (age >= config.minNodeAgeMs) return undefined;
  return new FailedPreconditionError(`a node may exit once it is ${days(config.minNodeAgeMs)} old; this one joined ${days(age)} ago`);
}

/** A span as refusals and failures name it: whole days, or hours under a day. */
export function days(ms: number): string {
  const d = ms / 86_400_000;
  return d >= 1 ? `${Math.round(d)} days` : `${Math.round(ms / 3_600_000)} hours`;
}
