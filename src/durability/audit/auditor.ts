/**
 * The auditor, the runner: audits one segment (one random stripe from every piece holder under
 * `GET_AUDIT` limits, judged by {@link stripeConsensus}) and re-verifies contained nodes (the
 * whole piece, checked against the uplink-signed hash), then hands each node's outcome to
 * reputation (`applyAuditOutcome`) or, for a timeout, to the containment store.
 */
import { toHex } from '../../core/bytes.js';
import type { Clock } from '../../core/clock.js';
import type { Identity } from '../../crypto/identity.js';
import type { MetabaseStore } from '../../metainfo/metabase/port.js';
import type { Piece, RedundancyScheme, SegmentPosition, StreamId } from '../../metainfo/metabase/types.js';
import { pieceSizeFor } from '../../metainfo/redundancy.js';
import type { OrderLimit } from '../../orders/order-limit.js';
import { derivePieceId } from '../../orders/piece-id.js';
import { generatePieceKey, pieceSigner } from '../../orders/piece-key.js';
import type { OverlayStore } from '../../overlay/port.js';
import { downloadPiece, downloadPieceWithProof } from '../../piecestore/client.js';
import type { Transport } from '../../transport/types.js';
import { NodeClients } from '../../uplink/context.js';
import { createErasureCoder, type ErasureCoder } from '../../uplink/erasure/index.js';
import { signPieceLimit } from '../../orders/piece-limit.js';
import { checkPiece } from '../repair/proof.js';
import { applyAuditOutcome, type ReputationConfig } from '../reputation.js';
import { classifyAuditError } from './classify.js';
import { stripeConsensus } from './consensus.js';
import type { ContainmentStore } from './containment-store.js';
import type { AuditConfig, AuditVerdict, NodeAuditResult, PendingAudit, SegmentAuditReport } from './types.js';

export interface AuditorDeps {
  /** The satellite's identity: signs `GET_AUDIT` limits. */
  readonly identity: Identity;
  readonly metabase: MetabaseStore;
  readonly overlay: OverlayStore;
  readonly containment: ContainmentStore;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly config: AuditConfig;
  readonly reputation: ReputationConfig;
  /** A number in [0, 1): picks stripes and candidate subsets (default `Math.random`). */
  readonly random?: (() => number) | undefined;
  /** Every node result, once applied (for logs and tests). */
  readonly onResult?: ((result: NodeAuditResult & { readonly streamId: StreamId; readonly position: SegmentPosition }) => void) | undefined;
  readonly onError?: ((error: unknown, where: string) => void) | undefined;
}

/** What reverifying one pending audit did. */
export interface ReverifyResult extends NodeAuditResult {
  /** `released`: the pending audit ended (judged, or its piece is gone); `kept`: it stays for the next round. */
  readonly pending: 'released' | 'kept';
  /** False when there was nothing left to judge (the piece is no longer the node's): no outcome was applied. */
  readonly judged: boolean;
}

/**
 * @example
 * ```ts
 * const auditor = new Auditor({ identity, metabase, overlay, containment, transport, clock, config: DEFAULT_AUDIT_CONFIG, reputation: reputationConfig() });
 * const report = await auditor.auditSegment(streamId, position);
 * ```
 */
export class Auditor {
  readonly #clients: NodeClients;
  readonly #coders = new Map<string, ErasureCoder>();
  readonly #stop = new AbortController();
  readonly #random: () => number;

  constructor(private readonly deps: AuditorDeps) {
    this.#clients = new NodeClients(deps.transport, deps.identity);
    this.#random = deps.random ?? Math.random;
  }

  /** The reputation rules outcomes are applied with. */
  get reputation(): ReputationConfig {
    return this.deps.reputation;
  }

  /** Audits one stripe of a segment across its piece holders and applies the outcomes. */
  async auditSegment(streamId: StreamId, position: SegmentPosition): Promise<SegmentAuditReport> {
    const { metabase, overlay, containment, config } = this.deps;
    const segment = await metabase.getSegment(streamId, position);
    const redundancy = segment?.redundancy;
    if (segment === undefined || redundancy === undefined || segment.pieces.length === 0) return { streamId, position, status: 'skipped', stripe: 0, results: [] };
    const pieceSize = pieceSizeFor(segment.encryptedSize, redundancy);
    const stripe = Math.floor(this.#random() * (pieceSize / redundancy.shareSize));
    const nodes = new Map((await overlay.getMany(segment.pieces.map((p) => p.nodeId))).map((n) => [toHex(n.id), n]));
    // Nodes past judging are not asked; a node already contained for this segment is re-verified, not audited again.
    const asked: Piece[] = [];
    for (const piece of segment.pieces) {
      const node = nodes.get(toHex(piece.nodeId));
      if (node === undefined || (node.status !== 'active' && node.status !== 'exiting')) continue;
      if ((await containment.get(piece.nodeId, streamId, position)) !== undefined) continue;
      asked.push(piece);
    }
    const key = generatePieceKey();
    const signer = pieceSigner(key.privateKey);
    const shares = new Map<number, Uint8Array>();
    const errors = new Map<number, { verdict: Exclude<AuditVerdict, 'success'>; detail: string }>();
    await Promise.all(asked.map(async (piece) => {
      const pieceId = derivePieceId(segment.rootPieceId, piece.nodeId, piece.number);
      const limit = this.#limit(piece.nodeId, pieceId, redundancy.shareSize, key.publicKey);
      try {
        const client = this.#clients.get(nodes.get(toHex(piece.nodeId))!.address, piece.nodeId);
        const share = new Uint8Array(redundancy.shareSize);
        let at = 0;
        const options = { limit, pieceKey: signer, offset: stripe * redundancy.shareSize, length: redundancy.shareSize, timeoutMs: config.timeoutMs, signal: this.#stop.signal };
        for await (const chunk of downloadPiece(client, options)) {
          share.set(chunk, at);
          at += chunk.length;
        }
        shares.set(piece.number, share);
      } catch (err) {
        errors.set(piece.number, { verdict: classifyAuditError(err), detail: err instanceof Error ? err.message : String(err) });
      }
    }));
    if (this.#stop.signal.aborted) return { streamId, position, status: 'skipped', stripe, results: [] };

    const consensus = stripeConsensus(this.#coder(redundancy), shares, { maxCandidates: config.maxCandidates, random: this.#random });
    const results: NodeAuditResult[] = [];
    for (const piece of asked) {
      const error = errors.get(piece.number);
      if (error !== undefined) results.push({ nodeId: piece.nodeId, pieceNumber: piece.number, verdict: error.verdict, detail: error.detail });
      else if (consensus.status === 'judged') {
        const agrees = consensus.agree.includes(piece.number);
        results.push({ nodeId: piece.nodeId, pieceNumber: piece.number, verdict: agrees ? 'success' : 'failure', ...(agrees ? {} : { detail: `share of stripe ${stripe} disagrees with the other pieces` }) });
      }
    }
    for (const result of results) {
      if (result.verdict === 'contained') {
        await containment.contain({ nodeId: result.nodeId, streamId, position, pieceNumber: result.pieceNumber, rootPieceId: segment.rootPieceId, reverifyCount: 0, containedAt: this.deps.clock.now() });
      } else {
        await applyAuditOutcome(overlay, result.nodeId, result.verdict, this.deps.reputation, this.deps.clock.now());
      }
      this.#emit(result, streamId, position);
    }
    return { streamId, position, status: consensus.status, stripe, results };
  }

  /**
   * Re-verifies one pending audit: the whole piece, checked against the hash the uplink signed
   * at upload and the satellite's original limit. A timeout again adds to its count, and the
   * `maxReverifyCount`-th in a row is a failure; an offline node stays contained.
   */
  async reverify(pending: PendingAudit): Promise<ReverifyResult> {
    const { metabase, overlay, containment, config } = this.deps;
    const { nodeId, streamId, position, pieceNumber } = pending;
    const release = async (): Promise<void> => void (await containment.release(nodeId, streamId, position));
    const segment = await metabase.getSegment(streamId, position);
    const piece = segment?.pieces.find((p) => p.number === pieceNumber && toHex(p.nodeId) === toHex(nodeId));
    const node = (await overlay.getMany([nodeId]))[0];
    // The segment went, was re-uploaded, or the piece moved off the node (repair, exit): nothing to judge.
    if (segment === undefined || segment.redundancy === undefined || piece === undefined || toHex(segment.rootPieceId) !== toHex(pending.rootPieceId) || node === undefined || (node.status !== 'active' && node.status !== 'exiting')) {
      await release();
      return { nodeId, pieceNumber, verdict: 'unknown', detail: 'piece no longer held', pending: 'released', judged: false };
    }
    const pieceSize = pieceSizeFor(segment.encryptedSize, segment.redundancy);
    const pieceId = derivePieceId(segment.rootPieceId, nodeId, pieceNumber);
    const key = generatePieceKey();
    let verdict: Exclude<AuditVerdict, 'contained'> | 'contained';
    let detail: string | undefined;
    try {
      const client = this.#clients.get(node.address, nodeId);
      const options = { limit: this.#limit(nodeId, pieceId, pieceSize, key.publicKey), pieceKey: pieceSigner(key.privateKey), offset: 0, length: pieceSize, orderAheadBytes: pieceSize, timeoutMs: config.timeoutMs, signal: this.#stop.signal };
      const { data, proof } = await downloadPieceWithProof(client, options);
      const check = checkPiece({ satelliteId: this.deps.identity.publicKey, nodeId, pieceId, pieceSize }, proof, data);
      verdict = check.ok ? 'success' : 'failure';
      if (!check.ok) detail = check.detail;
    } catch (err) {
      verdict = classifyAuditError(err);
      detail = err instanceof Error ? err.message : String(err);
    }
    const now = this.deps.clock.now();
    let kept = false;
    if (verdict === 'contained') {
      const counted = await containment.incrementReverify(nodeId, streamId, position);
      if (counted !== undefined && counted.reverifyCount < config.maxReverifyCount) kept = true;
      else {
        verdict = 'failure';
        detail = `timed out ${config.maxReverifyCount} reverifications in a row`;
      }
    } else if (verdict === 'offline') kept = true; // an offline node owes the same piece when it is back
    if (!kept) await release();
    if (verdict !== 'contained') await applyAuditOutcome(overlay, nodeId, verdict, this.deps.reputation, now);
    const result: NodeAuditResult = { nodeId, pieceNumber, verdict, ...(detail === undefined ? {} : { detail }) };
    this.#emit(result, streamId, position);
    return { ...result, pending: kept ? 'kept' : 'released', judged: true };
  }

  /** Cancels downloads in flight and closes node connections. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#clients.close();
  }

  #emit(result: NodeAuditResult, streamId: StreamId, position: SegmentPosition): void {
    try {
      this.deps.onResult?.({ ...result, streamId, position });
    } catch (err) {
      this.deps.onError?.(err, 'audit result listener');
    }
  }

  #limit(nodeId: Uint8Array, pieceId: Uint8Array, limitBytes: number, piecePublicKey: Uint8Array): OrderLimit {
    return signPieceLimit(this.deps.identity, { action: 'GET_AUDIT', nodeId, pieceId, limitBytes, piecePublicKey }, this.deps.clock.now(), this.deps.config.orderTtlMs);
  }

  #coder(redundancy: RedundancyScheme): ErasureCoder {
    const key = `${redundancy.shareSize}/${redundancy.required}/${redundancy.total}`;
    let coder = this.#coders.get(key);
    if (coder === undefined) this.#coders.set(key, (coder = createErasureCoder(redundancy)));
    return coder;
  }
}
