/**
 * The storage node's admin handlers (methods.ts), registered owner-only on its admin endpoint.
 */
import { toHex } from '../../core/bytes.js';
import { isHandoffError } from '../../core/errors.js';
import { exitPercent, type NodeExitStatus } from '../../exit/types.js';
import type { OwnerOnlyRegistry } from '../../admin/owner-only.js';
import type { StorageNode } from '../storage-node.js';
import type { BandwidthChoiceRequiredError } from '../bandwidth.js';
import { NodeAdminExitStatus, NodeAdminListSatellites, NodeAdminRejoin, NodeAdminStartExit, NodeAdminWatchExits, type AdminExitStatus } from './methods.js';
import type { ExitProgressFeed } from './progress-feed.js';

/** What the admin handlers use of a storage node. */
export type NodeAdminTarget = Pick<StorageNode, 'id' | 'db' | 'storage' | 'allocatedBytes' | 'bandwidth' | 'exitSatellite' | 'exitPartially' | 'rejoinSatellite' | 'exitStatuses' | 'exitHistory' | 'exitPhase'>;

/**
 * Registers `NodeAdmin.*` for `node`; `progress` must be fed by the node's `onExitProgress`.
 *
 * @example
 * ```ts
 * const feed = new ExitProgressFeed();
 * const node = await StorageNode.start({ ...options, onExitProgress: feed.publish });
 * await AdminEndpoint.start({ identity: node.identity, addressFile, register: (admin) => registerNodeAdmin(admin, node, feed) });
 * ```
 */
export function registerNodeAdmin(admin: OwnerOnlyRegistry, node: NodeAdminTarget, progress: ExitProgressFeed): void {
  const addressOf = (satelliteId: Uint8Array): string => node.db.trustedSatellite(satelliteId)?.address ?? '';
  const view = (status: NodeExitStatus): AdminExitStatus =>
    toAdminExitStatus(status, addressOf(status.satelliteId), status.archivedAt === null ? (node.exitPhase(status.satelliteId) ?? null) : null);

  admin.unary(NodeAdminListSatellites, async () => {
    const exits = new Map((await node.exitStatuses()).map((e) => [toHex(e.satelliteId), e]));
    const bandwidth = node.bandwidth();
    return {
      nodeId: node.id.bytes,
      satellites: node.db.trustedSatellites().map((satellite) => {
        const exit = exits.get(toHex(satellite.id));
        return { id: satellite.id, address: satellite.address, usedBytes: node.storage.usedBytes(satellite.id), trustedSince: satellite.addedAt, exit: exit === undefined ? null : view(exit) };
      }),
      allocatedBytes: node.allocatedBytes,
      bandwidth: { allocationBytes: bandwidth.allocationBytes, usedBytes: bandwidth.usedBytes, remainingBytes: bandwidth.remainingBytes, renewsAt: bandwidth.period.end },
    };
  });

  admin.unary(NodeAdminStartExit, async (request) => {
    const options = request.bandwidth === undefined ? {} : { bandwidth: request.bandwidth };
    if (request.scope === 'partial') {
      const { satelliteId, bytes } = request;
      return { results: [await attempt(satelliteId, () => node.exitPartially(satelliteId, bytes, options))] };
    }
    let ids: Uint8Array[];
    if (request.scope === 'one') ids = [request.satelliteId];
    else {
      const ended = new Set((await node.exitStatuses()).filter((e) => !stillServes(e)).map((e) => toHex(e.satelliteId)));
      ids = node.db.trustedSatellites().map((s) => s.id).filter((id) => !ended.has(toHex(id)));
    }
    const results = [];
    for (const satelliteId of ids) results.push(await attempt(satelliteId, () => node.exitSatellite(satelliteId, options)));
    return { results };
  });

  admin.unary(NodeAdminRejoin, async ({ satelliteId }) => node.rejoinSatellite(satelliteId));

  admin.unary(NodeAdminExitStatus, async () => ({ nodeId: node.id.bytes, exits: (await node.exitStatuses()).map(view), history: (await node.exitHistory()).map(view) }));

  /** One start's result: its status, or the refusal as data (with the numbers when bandwidth falls short). */
  async function attempt(satelliteId: Uint8Array, start: () => Promise<NodeExitStatus>) {
    try {
      return { satelliteId, status: view(await start()), error: null };
    } catch (err) {
      const code = isHandoffError(err) ? err.code : 'Internal';
      const message = (err instanceof Error ? err.message : String(err)).slice(0, 2048);
      const short = err instanceof Error && err.name === 'BandwidthChoiceRequiredError' ? (err as BandwidthChoiceRequiredError) : undefined;
      const bandwidthChoiceRequired = short && { neededBytes: short.neededBytes, remainingBytes: short.remainingBytes, allocationBytes: short.allocationBytes, renewsAt: short.renewsAt };
      return { satelliteId, status: null, error: { code, message, ...(bandwidthChoiceRequired ? { bandwidthChoiceRequired } : {}) } };
    }
  }

  admin.stream(NodeAdminWatchExits, async (stream, ctx) => {
    const request = await stream.receive();
    const asked = new Set((request?.satelliteIds ?? []).map(toHex));
    /** The newest status of each watched exit not sent yet. */
    const pending = new Map<string, NodeExitStatus>();
    let wake: (() => void) | undefined;
    let watched: Set<string> | undefined; // undefined until the snapshot is read: keep everything meanwhile
    const keep = (status: NodeExitStatus): void => {
      const key = toHex(status.satelliteId);
      if (watched !== undefined && !watched.has(key)) return;
      const known = pending.get(key);
      if (known === undefined || fresher(status, known)) pending.set(key, status);
      wake?.();
    };
    const unsubscribe = progress.subscribe(keep);
    const onAbort = (): void => wake?.();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const snapshot = await node.exitStatuses();
      const chosen = snapshot.filter((s) => (asked.size === 0 ? s.state === 'exiting' : asked.has(toHex(s.satelliteId))));
      watched = new Set(chosen.map((s) => toHex(s.satelliteId)));
      for (const key of pending.keys()) if (!watched.has(key)) pending.delete(key);
      for (const status of chosen) keep(status);
      const open = new Set(chosen.filter((s) => s.state === 'exiting').map((s) => toHex(s.satelliteId)));
      for (;;) {
        for (const [key, status] of pending) {
          pending.delete(key);
          await stream.send(view(status));
          if (status.state !== 'exiting') open.delete(key);
        }
        if (open.size === 0 || ctx.signal.aborted) return;
        if (pending.size === 0) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      unsubscribe();
      ctx.signal.removeEventListener('abort', onAbort);
    }
  });
}

/** The admin view of a node's exit status. */
export function toAdminExitStatus(status: NodeExitStatus, satelliteAddress: string, phase: AdminExitStatus['phase'] = null): AdminExitStatus {
  return {
    satelliteId: status.satelliteId,
    satelliteAddress,
    state: status.state,
    kind: status.kind,
    targetBytes: status.targetBytes,
    policy: status.policy,
    bandwidth: status.bandwidth,
    percent: exitPercent(status),
    startedAt: status.startedAt,
    finishedAt: status.finishedAt,
    startingBytes: status.startingBytes,
    bytesTransferred: status.bytesTransferred,
    piecesTransferred: status.piecesTransferred,
    piecesFailed: status.piecesFailed,
    bytesDeleted: status.bytesDeleted,
    piecesDeleted: status.piecesDeleted,
    failureReason: status.failureReason,
    receipt: status.receipt,
    wiped: status.wiped,
    archivedAt: status.archivedAt,
    phase,
  };
}

/**
 * True while the node still serves the satellite despite this exit: in progress, or a partial exit
 * that completed (the node stays). A full exit that ended, or any failed one, ended the relation.
 */
export function stillServes(status: Pick<NodeExitStatus, 'state' | 'kind'>): boolean {
  return status.state === 'exiting' || (status.state === 'completed' && status.kind === 'partial');
}

/** True when `a` is a later state of the same exit than `b` (finished beats exiting; counters only grow). */
function fresher(a: NodeExitStatus, b: NodeExitStatus): boolean {
  if ((a.state !== 'exiting') !== (b.state !== 'exiting')) return a.state !== 'exiting';
  if (a.wiped !== b.wiped) return a.wiped;
  const work = (s: NodeExitStatus): number => s.piecesTransferred + s.piecesFailed + s.piecesDeleted;
  return work(a) >= work(b);
}
