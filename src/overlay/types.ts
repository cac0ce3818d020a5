/**
 * The satellite's view of a storage node: where to reach it, what it can hold, when it was last
 * heard from, and where it is in its life (active → exiting → exited, or disqualified).
 */
import { InvalidArgumentError } from '../core/errors.js';

export const NODE_STATUSES = ['active', 'exiting', 'exited', 'disqualified'] as const;
/** `exited` and `disqualified` are final. */
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

/** Status changes that may ever happen; everything out of `exited` or `disqualified` is refused. */
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

/** Checks a node id's length (`"id" expected 32 bytes, got 31`). */
export function assertNodeId(id: Uint8Array, field = 'id'): void {
  if (!(id instanceof Uint8Array) || id.length !== 32) {
    throw new InvalidArgumentError(`"${field}" expected 32 bytes, got ${id instanceof Uint8Array ? id.length : typeof id}`);
  }
}

function assertCount(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new InvalidArgumentError(`"${field}" expected a non-negative integer, got ${value}`);
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
