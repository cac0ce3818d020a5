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

const ProjectId = s.bytes({ length: 16 });
const KeyId = s.string({ min: 64, max: 64, pattern: /^[0-9a-f]{64}$/ });
const ProjectName = s.string({ min: 1, max: 512 });
const MAX_NODES_PAGE = 1000;

/** A project (`Project`). */
export const AdminProject = s.object({ id: ProjectId, name: s.string({ max: 512 }), createdAt: Time });
/** An API key as the satellite knows it: its id (hex of its SHA-256), never the key. */
export const AdminApiKey = s.object({ keyId: s.string({ max: 64 }), createdAt: Time, revokedAt: s.nullable(Time) });

export const SatelliteAdminProjects = unaryMethod('SatelliteAdmin.Projects', s.object({}), s.object({ projects: s.array(AdminProject, { max: MAX_ROWS }) }));
/** A new project and its first API key (shown this once). */
export const SatelliteAdminCreateProject = unaryMethod('SatelliteAdmin.CreateProject', s.object({ name: ProjectName }), s.object({ projectId: ProjectId, apiKey: s.string({ max: 128 }) }));
export const SatelliteAdminApiKeys = unaryMethod('SatelliteAdmin.ApiKeys', s.object({ projectId: ProjectId }), s.object({ keys: s.array(AdminApiKey, { max: MAX_ROWS }) }));
/** Another API key for a project (shown this once). */
export const SatelliteAdminCreateApiKey = unaryMethod('SatelliteAdmin.CreateApiKey', s.object({ projectId: ProjectId }), s.object({ apiKey: s.string({ max: 128 }) }));
export const SatelliteAdminRevokeApiKey = unaryMethod('SatelliteAdmin.RevokeApiKey', s.object({ keyId: KeyId }), s.object({ revoked: s.bool() }));

/** A registered node as operators see it. */
export const AdminNode = s.object({
  id: Id,
  address: s.string({ max: 1024 }),
  wallet: s.string({ max: 1024 }),
  version: s.string({ max: 256 }),
  freeBytes: Count,
  status: s.string({ max: 64 }),
  joinedAt: Time,
  lastContactAt: Time,
  offlineSince: s.nullable(Time),
  suspendedAt: s.nullable(Time),
  suspendedReason: s.nullable(s.string({ max: 1024 })),
  disqualifiedAt: s.nullable(Time),
  disqualifiedReason: s.nullable(s.string({ max: 1024 })),
  auditScore: s.float({ min: 0, max: 1 }),
});

/** Registered nodes in id order, `limit` after `cursor` (every status). */
export const SatelliteAdminNodes = unaryMethod(
  'SatelliteAdmin.Nodes',
  s.object({ cursor: s.optional(Id), limit: s.int({ min: 1, max: MAX_NODES_PAGE }) }),
  s.object({ nodes: s.array(AdminNode, { max: MAX_NODES_PAGE }) }),
);
