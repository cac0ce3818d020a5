/**
 * The satellite's admin RPCs, served on its admin endpoint to its own identity only: exits in
 * progress, and the report of finished exits that escrow payouts are made from.
 */
import { s, type Infer } from '../../codec/index.js';
import { EXIT_FAILURE_REASONS, EXIT_KINDS, EXIT_POLICIES } from '../../exit/types.js';
import { unaryMethod } from '../../rpc/method.js';

const Id = s.bytes({ length: 32 });
const Count = s.int({ min: 0 });
const Time = s.int({ min: 0 });
const MAX_ROWS = 100_000;

/** An exit in progress (`ExitProgressRow`). */
export const AdminExitProgress = s.object({
  nodeId: Id,
  initiatedAt: Time,
  gatheredAt: s.nullable(Time),
  piecesQueued: Count,
  queueLength: Count,
  piecesTransferred: Count,
  piecesDropped: Count,
  piecesFailed: Count,
  bytesTransferred: Count,
  startingBytes: Count,
  lastActivityAt: Time,
  percent: s.float({ min: 0, max: 100 }),
  kind: s.optional(s.enum(EXIT_KINDS)),
  targetBytes: s.optional(s.nullable(Count)),
  policy: s.optional(s.enum(EXIT_POLICIES)),
});

/** A finished exit (`ExitReportRow`). */
export const AdminExitReportRow = s.object({
  nodeId: Id,
  wallet: s.string({ max: 1024 }),
  joinedAt: s.nullable(Time),
  initiatedAt: Time,
  finishedAt: Time,
  bytesTransferred: Count,
  piecesTransferred: Count,
  piecesFailed: Count,
  outcome: s.enum(['completed', 'failed']),
  failureReason: s.nullable(s.enum(EXIT_FAILURE_REASONS)),
  failureDetail: s.nullable(s.string({ max: 4096 })),
  kind: s.optional(s.enum(EXIT_KINDS)),
  policy: s.optional(s.enum(EXIT_POLICIES)),
  escrowStartedAt: s.optional(s.nullable(Time)),
});
export type AdminExitReportRow = Infer<typeof AdminExitReportRow>;

export const SatelliteAdminExits = unaryMethod('SatelliteAdmin.Exits', s.object({}), s.object({ exits: s.array(AdminExitProgress, { max: MAX_ROWS }) }));

/** Exits that finished in [`from`, `to`) (ms since the epoch). */
export const SatelliteAdminExitReport = unaryMethod(
  'SatelliteAdmin.ExitReport',
  s.object({ from: Time, to: Time }),
  s.object({ rows: s.array(AdminExitReportRow, { max: MAX_ROWS }) }),
);
