/**
 * The satellite's view of a storage node: where to reach it, what it can hold, when it was last
 * heard from, and where it is in its life (active → exiting → exited, or disqualified).
 */
import { InvalidArgumentError } from '../core/errors.js';

export const NODE_STATUSES = ['active', 'exiting', 'exited', 'disqualified'] as const;
/**
 * `disqualified` is final. `exited` is final for every status change but one: a node that
 * completed a graceful exit may rejoin ({@link OverlayStore.rejoin}), back to `active`.
 */
export type NodeStatus = (typeof NODE_STATUSES)[number];

/** One node in the registry. Times are milliseconds since the epoch; `null` = not happened. */
export interface NodeRecord {
  /** The node id: its 32-byte Ed25519 public key. */
  readonly id: Uint8Array;
  /** Where the satellite and uplinks dial it (verified by dialing back at check-in). */
  readonly address: string;
  /** Payout address; opaque to handoff. */
  readonly wallet: string;
  readonly freeBytes: number;
  /** The node's software version, as it reported it. */
  readonly version: string;
  /** First check-in; never changes. */
  readonly joinedAt: number;
  /** Latest check-in (never moves backwards). */
  readonly lastContactAt: number;
  readonly status: NodeStatus;
  readonly exitStartedAt: number | null;
  readonly exitFinishedAt: number | null;
  readonly disqualifiedAt: number | null;
  readonly disqualifiedReason: string | null;
  /** Latest failed contact (`null`: never failed). Never moves backwards. */
  readonly lastContactFailureAt: number | null;
  /**
   * When the node stopped answering: set by the first failed contact after a success, cleared
   * by a later success (a contact or a check-in). `null`: online. An offline node is never
   * selected, for uploads or downloads.
   */
  readonly offlineSince: number | null;
  /** When the node was suspended (`null`: not suspended). A suspended node takes no new pieces but still serves downloads. */
  readonly suspendedAt: number | null;
  /** Why, e.g. `offline` (stored, shown to operators); `null` when not suspended. */
  readonly suspendedReason: string | null;
  /**
   * Audit reputation: a beta distribution with forgetting (Storj's), moved by audit successes
   * (alpha) and failures (beta). Score = alpha / (alpha + beta); a new node has alpha 1, beta 0.
   */
  readonly auditAlpha: number;
  readonly auditBeta: number;
  /** The same for audits that ended in an unknown error (suspension, not disqualification). */
  readonly unknownAlpha: number;
  readonly unknownBeta: number;
  /** Audits that succeeded. */
  readonly auditSuccessCount: number;
  /** Audits judged on the data: successes and failures (`audit` reputation updates). */
  readonly auditTotalCount: number;
  /** Latest reputation update (`null`: never audited). */
  readonly lastAuditAt: number | null;
  /**
   * When the node last came back after a completed graceful exit (`null`: never). It keeps its id,
   * join date and reputation; its escrow (held amount) period runs from here (docs/exit.md).
   */
  readonly rejoinedAt: number | null;
}

/** What a node that just joined holds beyond its check-in: online, not suspended, a clean reputation. */
export const NEW_NODE_STATE = Object.freeze({
  lastContactFailureAt: null,
  offlineSince: null,
  suspendedAt: null,
  suspendedReason: null,
  auditAlpha: 1,
  auditBeta: 0,
  unknownAlpha: 1,
  unknownBeta: 0,
  auditSuccessCount: 0,
  auditTotalCount: 0,
  lastAuditAt: null,
  rejoinedAt: null,
} as const);

/** One attempt to reach a node (the satellite's dial, or a check-in's dial-back). */
export interface ContactAttempt {
  /** When it was made. */
  readonly at: number;
  /** The node answered, as itself. */
  readonly success: boolean;
}

/** Contacts are counted per node in windows of this length (1 h), for {@link OverlayStore.onlineScore}. */
export const CONTACT_WINDOW_MS = 3600_000;

/** The start of the contact window holding `at`. */
export function contactWindowStart(at: number): number {
  return Math.floor(at / CONTACT_WINDOW_MS) * CONTACT_WINDOW_MS;
}

/**
 * One judged outcome moving one of a node's two reputations:
 * `alpha' = lambda·alpha + weight·[success]`, `beta' = lambda·beta + weight·[failure]`.
 */
export interface ReputationUpdate {
  /** `audit`: the audit reputation (success / failure); `unknown`: the unknown-error reputation. */
  readonly kind: 'audit' | 'unknown';
  readonly success: boolean;
  /** The forgetting factor, in (0, 1]. */
  readonly lambda: number;
  /** How much one outcome counts, > 0. */
  readonly weight: number;
  readonly at: number;
}

/** A suspension: when, and why. */
export interface Suspension {
  readonly at: number;
  readonly reason: string;
}

/** A page of nodes in id order: those after `cursor` (the last id of the previous page). */
export interface NodePage {
  readonly cursor?: Uint8Array;
  readonly limit: number;
}

/** What a check-in records. */
export interface NodeContact {
  readonly id: Uint8Array;
  readonly address: string;
  readonly wallet: string;
  readonly freeBytes: number;
  readonly version: string;
  /** When the check-in happened. */
  readonly at: number;
}

/**
 * A status change, applied only if the node's status is still `from` (compare-and-swap).
 * Moving to `exiting` sets `exitStartedAt`, to `exited` sets `exitFinishedAt`, to
 * `disqualified` sets `disqualifiedAt` and `disqualifiedReason`; back to `active` (an abandoned
 * exit) clears `exitStartedAt`.
 */
export interface StatusChange {
  readonly id: Uint8Array;
  readonly from: NodeStatus;
  readonly to: NodeStatus;
  readonly at: number;
  /** Why, for `disqualified` (stored, shown to operators). */
  readonly reason?: string;
}

/** Which nodes may receive new pieces. */
export interface UploadSelection {
  /** How many distinct nodes are wanted; fewer come back when fewer are eligible. */
  readonly count: number;
  /** Node ids never to return (e.g. nodes already holding a piece of the segment). */
  readonly excluded?: readonly Uint8Array[];
  /** Only nodes that reported at least this much free space. */
  readonly minFreeBytes: number;
  /** Only nodes heard from within this many milliseconds before `now`. */
  readonly onlineWindowMs: number;
  readonly now: number;
}

/**
 * Status changes that may ever happen; everything out of `exited` or `disqualified` is refused.
 * (An exited node's rejoin is not a status change: {@link OverlayStore.rejoin} alone makes it.)
 */
const TRANSITIONS: Readonly<Record<NodeStatus, readonly NodeStatus[]>> = {
  active: ['exiting', 'disqualified'],
  // Back to active: an exit abandoned without fault (the exit coordinator decides).
  exiting: ['exited', 'disqualified', 'active'],
  exited: [],
  disqualified: [],
};

/** True when a node may move from `from` to `to`. */
export function canChangeStatus(from: NodeStatus, to: NodeStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Throws `InvalidArgumentError` for a change no node may ever make (the store checks first). */
export function assertStatusChange(change: StatusChange): void {
  if (!NODE_STATUSES.includes(change.to) || !NODE_STATUSES.includes(change.from)) {
    throw new InvalidArgumentError(`"status" expected one of ${NODE_STATUSES.join(', ')}`);
  }
  if (!canChangeStatus(change.from, change.to)) {
    throw new InvalidArgumentError(`a node cannot go from ${change.from} to ${change.to}`);
  }
}

/** Statuses an upload may pick. */
export const UPLOAD_STATUSES: readonly NodeStatus[] = ['active'];
/** Statuses a download may use: an exiting node still serves what it holds. */
export const DOWNLOAD_STATUSES: readonly NodeStatus[] = ['active', 'exiting'];

/** The record after a status change (what every store writes). */
export function applyStatusChange(node: NodeRecord, change: StatusChange): NodeRecord {
  switch (change.to) {
    case 'exiting':
      return { ...node, status: 'exiting', exitStartedAt: change.at };
    case 'exited':
      return { ...node, status: 'exited', exitFinishedAt: change.at };
    case 'disqualified':
      return { ...node, status: 'disqualified', disqualifiedAt: change.at, disqualifiedReason: change.reason ?? null };
    case 'active':
      // An abandoned exit leaves no half-started exit behind.
      return { ...node, status: 'active', exitStartedAt: null };
  }
}

/**
 * The record after a rejoin: `active` again from `at`, with the exit's dates cleared (the exit's
 * record keeps them); id, join date, contact and reputation are kept. Only an `exited` node
 * rejoins — the store checks.
 */
export function applyRejoin(node: NodeRecord, at: number): NodeRecord {
  return { ...node, status: 'active', rejoinedAt: at, exitStartedAt: null, exitFinishedAt: null };
}

/** Checks a node id's length (`"id" expected 32 bytes, got 31`). */
export function assertNodeId(id: Uint8Array, field = 'id'): void {
  if (!(id instanceof Uint8Array) || id.length !== 32) {
    throw new InvalidArgumentError(`"${field}" expected 32 bytes, got ${id instanceof Uint8Array ? id.length : typeof id}`);
  }
}

function assertCount(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new InvalidArgumentError(`"${field}" expected a non-negative integer, got ${value}`);
}

/** The record after a contact attempt (what every store writes; see {@link NodeRecord.offlineSince}). */
export function applyContact(node: NodeRecord, contact: ContactAttempt): NodeRecord {
  const { at } = contact;
  if (contact.success) {
    const back = node.lastContactFailureAt === null || at >= node.lastContactFailureAt;
    return { ...node, lastContactAt: Math.max(node.lastContactAt, at), offlineSince: back ? null : node.offlineSince };
  }
  // A failure older than the latest success says nothing about now.
  const gone = node.offlineSince === null && at >= node.lastContactAt;
  return {
    ...node,
    lastContactFailureAt: node.lastContactFailureAt === null ? at : Math.max(node.lastContactFailureAt, at),
    offlineSince: gone ? at : node.offlineSince,
  };
}

/** The record after a reputation update (what every store writes, in this order of operations). */
export function applyReputationUpdate(node: NodeRecord, update: ReputationUpdate): NodeRecord {
  const s = update.success ? 1 : 0;
  const audit = update.kind === 'audit' ? 1 : 0;
  const common = {
    auditSuccessCount: node.auditSuccessCount + audit * s,
    auditTotalCount: node.auditTotalCount + audit,
    lastAuditAt: node.lastAuditAt === null ? update.at : Math.max(node.lastAuditAt, update.at),
  };
  if (update.kind === 'audit') {
    return { ...node, ...common, auditAlpha: update.lambda * node.auditAlpha + update.weight * s, auditBeta: update.lambda * node.auditBeta + update.weight * (1 - s) };
  }
  return { ...node, ...common, unknownAlpha: update.lambda * node.unknownAlpha + update.weight * s, unknownBeta: update.lambda * node.unknownBeta + update.weight * (1 - s) };
}

/** The record after {@link OverlayStore.setSuspended}: an earlier suspension is kept as it was. */
export function applySuspension(node: NodeRecord, suspension: Suspension | null): NodeRecord {
  if (suspension === null) return { ...node, suspendedAt: null, suspendedReason: null };
  if (node.suspendedAt !== null) return node;
  return { ...node, suspendedAt: suspension.at, suspendedReason: suspension.reason };
}

/** Checks a contact attempt's time. */
export function assertContactAttempt(contact: ContactAttempt): void {
  assertCount(contact.at, 'at');
  if (typeof contact.success !== 'boolean') throw new InvalidArgumentError('"success" expected a boolean');
}

/** Checks a reputation update's kind and numbers. */
export function assertReputationUpdate(update: ReputationUpdate): void {
  if (update.kind !== 'audit' && update.kind !== 'unknown') throw new InvalidArgumentError('"kind" expected audit or unknown');
  if (typeof update.success !== 'boolean') throw new InvalidArgumentError('"success" expected a boolean');
  if (!(update.lambda > 0 && update.lambda <= 1)) throw new InvalidArgumentError(`"lambda" expected a number in (0, 1], got ${update.lambda}`);
  if (!(update.weight > 0 && Number.isFinite(update.weight))) throw new InvalidArgumentError(`"weight" expected a positive number, got ${update.weight}`);
  assertCount(update.at, 'at');
}

/** Checks a suspension's time and reason. */
export function assertSuspension(suspension: Suspension | null): void {
  if (suspension === null) return;
  assertCount(suspension.at, 'at');
  if (typeof suspension.reason !== 'string' || suspension.reason.length === 0 || suspension.reason.length > 1024) {
    throw new InvalidArgumentError('"reason" expected 1 to 1024 characters');
  }
}

/** Checks a page request. */
export function assertNodePage(page: NodePage): void {
  if (!Number.isSafeInteger(page.limit) || page.limit < 1) throw new InvalidArgumentError(`"limit" expected a positive integer, got ${page.limit}`);
  if (page.cursor !== undefined) assertNodeId(page.cursor, 'cursor');
}

/** Checks a time given to a query (e.g. `since`). */
export function assertTime(value: number, field: string): void {
  assertCount(value, field);
}

/** Checks what a check-in would write. */
export function assertContact(contact: NodeContact): void {
  assertNodeId(contact.id);
  assertCount(contact.freeBytes, 'freeBytes');
  assertCount(contact.at, 'at');
}

/** Checks an upload selection's numbers and excluded ids. */
export function assertSelection(selection: UploadSelection): void {
  assertCount(selection.count, 'count');
  assertCount(selection.minFreeBytes, 'minFreeBytes');
  assertCount(selection.onlineWindowMs, 'onlineWindowMs');
  for (const id of selection.excluded ?? []) assertNodeId(id, 'excluded');
}
