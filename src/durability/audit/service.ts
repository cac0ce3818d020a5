/**
 * `AuditService`: one audit round is re-verifying contained nodes, then sampling
 * `segmentsPerRun` remote segments uniformly over one iteration of the metabase (invariant 4:
 * segments, never object keys) and auditing each. The satellite runs it on a chore;
 * `runOnce()` runs a round now (after any round already going), for tests and operators.
 */
import { systemClock, type Clock } from '../../core/clock.js';
import type { Identity } from '../../crypto/identity.js';
import type { MetabaseStore } from '../../metainfo/metabase/port.js';
import type { SegmentCursor, SegmentPosition, StreamId } from '../../metainfo/metabase/types.js';
import type { OverlayStore } from '../../overlay/port.js';
import type { Transport } from '../../transport/types.js';
import type { RepairPieceFailure } from '../repair/types.js';
import { applyAuditOutcome, DEFAULT_REPUTATION_CONFIG, type ReputationConfig } from '../reputation.js';
import { Auditor, type AuditorDeps } from './auditor.js';
import type { ContainmentStore } from './containment-store.js';
import { Reservoir } from './sample.js';
import { DEFAULT_AUDIT_CONFIG, type AuditConfig, type AuditRunStats, type SegmentAuditReport } from './types.js';

/** Pending audits re-verified per round, at most. */
const REVERIFY_PER_RUN = 100;

/** The ports and settings of the satellite's audit service. */
export interface AuditServiceOptions {
  readonly identity: Identity;
  readonly metabase: MetabaseStore;
  readonly overlay: OverlayStore;
  readonly containment: ContainmentStore;
  readonly transport: Transport;
  readonly clock?: Clock;
  readonly config?: Partial<AuditConfig>;
  readonly reputation?: ReputationConfig;
  readonly random?: () => number;
  readonly onResult?: AuditorDeps['onResult'];
  readonly onError?: (error: unknown, where: string) => void;
}

/**
 * @example
 * ```ts
 * const audit = new AuditService({ identity, metabase, overlay, containment, transport });
 * const stats = await audit.runOnce(); // { audited: 4, failure: 0, contained: 0, ... }
 * await audit.close();
 * ```
 */
export class AuditService {
  readonly config: AuditConfig;
  readonly auditor: Auditor;
  readonly #options: AuditServiceOptions;
  readonly #random: () => number;
  #running: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: AuditServiceOptions) {
    this.config = { ...DEFAULT_AUDIT_CONFIG, ...options.config };
    this.#options = options;
    this.#random = options.random ?? Math.random;
    this.auditor = new Auditor({
      identity: options.identity,
      metabase: options.metabase,
      overlay: options.overlay,
      containment: options.containment,
      transport: options.transport,
      clock: options.clock ?? systemClock,
      config: this.config,
      reputation: options.reputation ?? DEFAULT_REPUTATION_CONFIG,
      random: this.#random,
      onResult: options.onResult,
      onError: options.onError,
    });
  }

  /** One round: reverify, sample, audit. */
  runOnce(): Promise<AuditRunStats> {
    const run = this.#running.then(() => this.#round());
    this.#running = run.catch(() => undefined);
    return run;
  }

  /** A uniform sample of up to `count` remote segments, from one pass over the metabase. */
  async sample(count = this.config.segmentsPerRun): Promise<{ streamId: StreamId; position: SegmentPosition }[]> {
    const reservoir = new Reservoir<{ streamId: StreamId; position: SegmentPosition }>(count, this.#random);
    const limit = this.config.iterateBatchSize;
    let cursor: SegmentCursor | undefined;
    while (!this.#closed) {
      const batch = await this.#options.metabase.iterateSegments({ cursor, limit });
      for (const s of batch) if (s.redundancy !== undefined && s.pieces.length > 0) reservoir.add({ streamId: s.streamId, position: s.position });
      const last = batch.at(-1);
      if (batch.length < limit || last === undefined) break;
      cursor = { streamId: last.streamId, position: last.position };
    }
    return [...reservoir.items];
  }

  /** Audits one segment now. */
  auditSegment(streamId: StreamId, position: SegmentPosition): Promise<SegmentAuditReport> {
    return this.auditor.auditSegment(streamId, position);
  }

  /**
   * A piece a repair download failed on counts like an audit of it (Storj: "nodes that fail to
   * serve repair downloads are treated like failed audits"): corrupt or missing is a failure,
   * offline is offline, a timeout contains the node for that piece, anything else is unknown.
   */
  async recordRepairFailure(failure: RepairPieceFailure): Promise<void> {
    const { overlay, containment } = this.#options;
    if (failure.reason === 'timeout') {
      await containment.contain({ nodeId: failure.nodeId, streamId: failure.streamId, position: failure.position, pieceNumber: failure.pieceNumber, rootPieceId: failure.rootPieceId, reverifyCount: 0, containedAt: failure.at });
      return;
    }
    const outcome = failure.reason === 'corrupt' || failure.reason === 'missing' ? 'failure' : failure.reason === 'offline' ? 'offline' : 'unknown';
    await applyAuditOutcome(overlay, failure.nodeId, outcome, this.auditor.reputation, failure.at);
  }

  /** Stops after the segment in progress (downloads in flight are canceled). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.auditor.close();
    await this.#running;
  }

  async #round(): Promise<AuditRunStats> {
    const stats = { audited: 0, declined: 0, reverified: 0, success: 0, failure: 0, offline: 0, contained: 0, unknown: 0 };
    if (this.#closed) return stats;
    for (const pending of await this.#options.containment.list(REVERIFY_PER_RUN)) {
      if (this.#closed) return stats;
      const result = await this.auditor.reverify(pending);
      stats.reverified++;
      if (result.judged) stats[result.verdict]++;
    }
    for (const { streamId, position } of await this.sample()) {
      if (this.#closed) return stats;
      try {
        const report = await this.auditor.auditSegment(streamId, position);
        if (report.status === 'skipped') continue;
        stats[report.status === 'judged' ? 'audited' : 'declined']++;
        for (const result of report.results) stats[result.verdict]++;
      } catch (err) {
        if (!this.#closed) this.#options.onError?.(err, 'audit');
      }
    }
    return stats;
  }
}
