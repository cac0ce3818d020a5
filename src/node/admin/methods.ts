/**
 * The storage node's admin RPCs, served on its admin endpoint to its own identity only: the
 * satellites it serves, starting graceful exits, their status, and a stream of their progress.
 */
import { s, type Infer } from '../../codec/index.js';
import { MAX_RECEIPT_BYTES } from '../../exit/messages.js';
import { EXIT_KINDS, EXIT_POLICIES } from '../../exit/types.js';
import { streamMethod, unaryMethod } from '../../rpc/method.js';

const Id = s.bytes({ length: 32 });
const Count = s.int({ min: 0 });
const Time = s.int({ min: 0 });

/** One exit as the node records it, with its satellite's address and percent complete. */
export const AdminExitStatus = s.object({
  satelliteId: Id,
  /** Empty when the node no longer knows the satellite's address. */
  satelliteAddress: s.string({ max: 256 }),
  state: s.enum(['exiting', 'completed', 'failed']),
  /** Full (leave the satellite) or partial (move `targetBytes` off and stay). */
  kind: s.enum(EXIT_KINDS),
  targetBytes: s.nullable(Count),
  /** How the satellite judges it: by transfers, or by time online. */
  policy: s.enum(EXIT_POLICIES),
  /** The operator's choice when the bandwidth allocation could not cover the exit; null: none made. */
  bandwidth: s.nullable(s.enum(['exceed', 'wait'])),
  /** Bytes deleted over bytes held at the start, 0–100 (100 once completed). */
  percent: s.float({ min: 0, max: 100 }),
  startedAt: Time,
  finishedAt: s.nullable(Time),
  startingBytes: Count,
  bytesTransferred: Count,
  piecesTransferred: Count,
  piecesFailed: Count,
  bytesDeleted: Count,
  piecesDeleted: Count,
  failureReason: s.nullable(s.string({ max: 512 })),
  /** The satellite's signed receipt, encoded (`decodeExitReceipt`), once finished. */
  receipt: s.nullable(s.bytes({ max: MAX_RECEIPT_BYTES })),
  /** Every remaining piece of the satellite was removed after the end. */
  wiped: s.bool(),
  /** When a later exit or a rejoin archived it; null for a current one. */
  archivedAt: s.nullable(Time),
  /**
   * What the node's exit worker is doing (`waiting`: for the satellite to gather; `paused`: out of
   * bandwidth until the allocation renews); null when none runs.
   */
  phase: s.nullable(s.enum(['idle', 'connecting', 'streaming', 'draining', 'waiting', 'paused', 'finishing', 'finished'])),
});
export type AdminExitStatus = Infer<typeof AdminExitStatus>;

/** A satellite the node serves, with the space its pieces take and its exit, if any. */
export const AdminSatellite = s.object({
  id: Id,
  address: s.string({ max: 256 }),
  usedBytes: Count,
  trustedSince: Time,
  exit: s.nullable(AdminExitStatus),
});
export type AdminSatellite = Infer<typeof AdminSatellite>;

const MAX_SATELLITES = 10_000;

/** The node's monthly bandwidth allocation as it stands now (allocation null: unlimited). */
export const AdminBandwidth = s.object({
  allocationBytes: s.nullable(Count),
  usedBytes: Count,
  remainingBytes: s.nullable(Count),
  /** When the allocation renews (the next calendar month, UTC). */
  renewsAt: Time,
});

export const NodeAdminListSatellites = unaryMethod(
  'NodeAdmin.ListSatellites',
  s.object({}),
  s.object({
    nodeId: Id,
    satellites: s.array(AdminSatellite, { max: MAX_SATELLITES }),
    /** The space the node offers: its capacity, lowered for good by every partial exit. */
    allocatedBytes: Count,
    bandwidth: AdminBandwidth,
  }),
);

/** What to do when the bandwidth allocation cannot cover the exit: `exceed` it, or `wait` for it to renew. */
const BandwidthChoice = s.optional(s.enum(['exceed', 'wait']));

/**
 * Starts graceful exits: a full one from one satellite or from every one not exited yet, or a
 * partial one (move `bytes` off one satellite, and stay). Cannot be cancelled.
 */
export const NodeAdminStartExit = unaryMethod(
  'NodeAdmin.StartExit',
  s.variant('scope', {
    one: s.object({ satelliteId: Id, bandwidth: BandwidthChoice }),
    all: s.object({ bandwidth: BandwidthChoice }),
    partial: s.object({ satelliteId: Id, bytes: s.int({ min: 1 }), bandwidth: BandwidthChoice }),
  }),
  s.object({
    /** One entry per satellite asked: its exit status, or why it was not started (a typed error's code and message). */
    results: s.array(
      s.object({
        satelliteId: Id,
        status: s.nullable(AdminExitStatus),
        error: s.nullable(
          s.object({
            code: s.string({ max: 64 }),
            message: s.string({ max: 2048 }),
            /** Set when the allocation cannot cover the exit: ask again with a `bandwidth` choice. Nothing was started. */
            bandwidthChoiceRequired: s.optional(s.object({ neededBytes: Count, remainingBytes: Count, allocationBytes: Count, renewsAt: Time })),
          }),
        ),
      }),
      { max: MAX_SATELLITES },
    ),
  }),
);

/** Rejoins a satellite the node exited gracefully (its escrow period starts over). */
export const NodeAdminRejoin = unaryMethod('NodeAdmin.Rejoin', s.object({ satelliteId: Id }), s.object({ rejoinedAt: Time }));

export const NodeAdminExitStatus = unaryMethod(
  'NodeAdmin.ExitStatus',
  s.object({}),
  s.object({
    nodeId: Id,
    exits: s.array(AdminExitStatus, { max: MAX_SATELLITES }),
    /** Exits archived when a later one started or the node rejoined, oldest first. */
    history: s.array(AdminExitStatus, { max: MAX_SATELLITES }),
  }),
);

/**
 * Progress of exits as it happens. The client sends one message naming the satellites to watch
 * (none: every exit in progress); the node answers with their current status, then each change,
 * and ends the stream once every watched exit has finished. Changes coming faster than the
 * client reads are merged: it always gets the latest status of each exit.
 */
export const NodeAdminWatchExits = streamMethod(
  'NodeAdmin.WatchExits',
  s.object({ satelliteIds: s.array(Id, { max: MAX_SATELLITES }) }),
  AdminExitStatus,
);
