/**
 * The repairer, the runner: claims queued segments and repairs each — re-reads it, downloads
 * `required` pieces in full under `GET_REPAIR` limits and checks each against its uplink-signed
 * hash (a piece that fails, or a node that cannot serve, is skipped, reported, and the next
 * piece is fetched), decodes, re-encodes the missing piece numbers, uploads them to newly
 * selected nodes under `PUT_REPAIR` limits, and swaps them in by compare-and-swap (invariant 2)
 * into every segment sharing the root piece id — a segment and its server-side copies. A segment
 * changed meanwhile is re-read and the decision made again from what is there now; uploaded
 * pieces no segment ends up referencing get a signed delete. Nothing here deletes a piece a
 * segment still lists: pieces that leave a list are left to garbage collection.
 */
import { equalBytes, toHex } from '../../core/bytes.js';
import type { Clock } from '../../core/clock.js';
import { isHandoffError } from '../../core/errors.js';
import type { Identity } from '../../crypto/identity.js';
import type { MetabaseStore } from '../../metainfo/metabase/port.js';
import type { Piece, RedundancyScheme, SegmentPosition, SegmentRecord, StreamId } from '../../metainfo/metabase/types.js';
import { pieceSizeFor } from '../../metainfo/redundancy.js';
import { signOrderLimit, type OrderLimit, type PieceAction } from '../../orders/order-limit.js';
import { derivePieceId } from '../../orders/piece-id.js';
import { generatePieceKey, pieceSigner } from '../../orders/piece-key.js';
import type { OverlayStore } from '../../overlay/port.js';
import type { NodeRecord } from '../../overlay/types.js';
import { downloadPieceWithProof, uploadPiece } from '../../piecestore/client.js';
import type { Transport } from '../../transport/types.js';
import { NodeClients } from '../../uplink/context.js';
import { createErasureCoder, type ErasureCoder } from '../../uplink/erasure/index.js';
import { sharedPieceExpiration, signPieceLimit } from '../../orders/piece-limit.js';
import { fitUploads, planRepair } from './plan.js';
import { rebuild } from './rebuild.js';
import { NodeTable, pieceState, type PieceState } from './pieces.js';
import { checkPiece } from './proof.js';
import type { RepairQueueStore } from './queue-store.js';
import type { RepairConfig, RepairFailureReason, RepairOutcome, RepairPieceFailure, RepairRunStats } from './types.js';

/** Rounds of read-and-swap before giving up on a group of segments that keeps changing. */
const MAX_SWAP_ROUNDS = 8;

export interface RepairerDeps {
  /** The satellite's identity: signs the order limits. */
  readonly identity: Identity;
  readonly metabase: MetabaseStore;
  readonly overlay: OverlayStore;
  readonly queue: RepairQueueStore;
  /** Dials storage nodes. */
  readonly transport: Transport;
  readonly clock: Clock;
  readonly config: RepairConfig;
  /** Pieces on nodes heard from within this window are healthy (the satellite's online window). */
  readonly onlineWindowMs: number;
  /** Best-effort signed DELETE of one piece on one node (the satellite's piece deleter). */
  readonly deletePiece: (nodeId: Uint8Array, pieceId: Uint8Array) => void;
  /** A node failed to serve a piece (see {@link RepairPieceFailure}). */
  readonly onPieceFailure?: ((failure: RepairPieceFailure) => void) | undefined;
  readonly onError?: ((error: unknown, where: string) => void) | undefined;
  /** Test seam: runs once the new pieces are uploaded, before they are swapped in. */
  readonly beforeSwap?: ((segment: SegmentRecord) => Promise<void>) | undefined;
}

/** A piece the repairer stored on a new node. */
interface Uploaded extends Piece {
  readonly pieceId: Uint8Array;
}

const pieceKey = (piece: Piece): string => `${toHex(piece.nodeId)}/${piece.number}`;
const segmentKey = (segment: SegmentRecord): string => `${toHex(segment.streamId)}/${segment.position.part}/${segment.position.index}`;

/**
 * @example
 * ```ts
 * const repairer = new Repairer({ identity, metabase, overlay, queue, transport, clock, config: DEFAULT_REPAIR_CONFIG, onlineWindowMs, deletePiece });
 * const stats = await repairer.repairOnce(); // { repaired: 12, failed: 0, ... }
 * await repairer.close();
 * ```
 */
export class Repairer {
  readonly #clients: NodeClients;
  readonly #coders = new Map<string, ErasureCoder>();
  /** Repairs running per root piece id: a segment and its copies are repaired one at a time. */
  readonly #roots = new Map<string, Promise<unknown>>();
  readonly #running = new Set<Promise<unknown>>();
  readonly #stop = new AbortController();

  constructor(private readonly deps: RepairerDeps) {
    this.#clients = new NodeClients(deps.transport, deps.identity);
  }

  /**
   * Whether this satellite signed `limit`: Ed25519 signatures are deterministic, so signing its
   * fields again must give the same bytes — about three times cheaper than verifying, and every
   * piece a repair downloads carries one.
   */
  readonly #signedByUs = (limit: OrderLimit): boolean =>
    equalBytes(limit.satelliteId, this.deps.identity.publicKey) && equalBytes(signOrderLimit(this.deps.identity, limit).satelliteSignature, limit.satelliteSignature);

  /**
   * Claims and repairs queued segments, `concurrency` at a time, until none is free. An item
   * whose repair is done (or needs none) leaves the queue; one that failed stays, leased, and is
   * tried again once its lease ends.
   */
  async repairOnce(): Promise<RepairRunStats> {
    const stats: Record<RepairOutcome, number> = { repaired: 0, partial: 0, healthy: 0, gone: 0, irreparable: 0, failed: 0 };
    const { queue, clock, config } = this.deps;
    const worker = async (): Promise<void> => {
      while (!this.#stop.signal.aborted) {
        const item = await queue.next(clock.now(), config.leaseMs);
        if (item === undefined) return;
        const outcome = await this.repairSegment(item.streamId, item.position);
        stats[outcome]++;
        if (outcome !== 'failed' && outcome !== 'irreparable') await queue.delete(item.streamId, item.position);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, config.concurrency) }, worker));
    return stats;
  }

  /** Repairs one segment now, whether queued or not (queue items are `repairOnce`'s business). */
  async repairSegment(streamId: StreamId, position: SegmentPosition): Promise<RepairOutcome> {
    const run = this.#repairSegment(streamId, position).catch((err: unknown) => {
      if (!this.#stop.signal.aborted) this.deps.onError?.(err, 'repair');
      return 'failed' as const;
    });
    this.#running.add(run);
    try {
      return await run;
    } finally {
      this.#running.delete(run);
    }
  }

  /** Stops claiming, ends transfers in flight (by closing their connections), waits for running repairs. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#clients.close();
    await Promise.all([...this.#running]);
    await this.#clients.close(); // any a repair dialed while stopping
  }

  async #repairSegment(streamId: StreamId, position: SegmentPosition): Promise<RepairOutcome> {
    const first = await this.deps.metabase.getSegment(streamId, position);
    if (first === undefined) return 'gone';
    if (first.redundancy === undefined || first.pieces.length === 0) return 'healthy';
    // A copy's repair waits for its source's (they share pieces), then sees what it left.
    const root = toHex(first.rootPieceId);
    let waited = false;
    for (let other = this.#roots.get(root); other !== undefined; other = this.#roots.get(root)) {
      waited = true;
      await other.catch(() => undefined);
    }
    // Claimed before the first await: a third repair of the group waits for this one.
    const run = (async () => this.#repair(waited ? await this.deps.metabase.getSegment(streamId, position) : first))();
    this.#roots.set(root, run);
    try {
      return await run;
    } finally {
      if (this.#roots.get(root) === run) this.#roots.delete(root);
    }
  }

  async #repair(segment: SegmentRecord | undefined): Promise<RepairOutcome> {
    const { metabase, clock } = this.deps;
    if (segment === undefined) return 'gone';
    const redundancy = segment.redundancy;
    if (redundancy === undefined || segment.pieces.length === 0) return 'healthy';
    const nodes = await this.#nodes(segment.pieces.map((p) => p.nodeId));
    const now = clock.now();
    const stateOf = (piece: Piece) => pieceState(nodes.get(piece.nodeId), now, this.deps.onlineWindowMs);
    const plan = planRepair(segment, stateOf);
    if (plan.kind !== 'repair') return plan.kind;

    const pieceSize = pieceSizeFor(segment.encryptedSize, redundancy);
    // Pieces found corrupt, or that their node says it does not have: they leave every list.
    const bad = new Set<string>();
    const downloaded = await this.#download(segment, plan.sources, nodes, pieceSize, bad);
    if (downloaded.size < redundancy.required) return 'failed';
    // A bad source no longer counts: plan again without it (one more piece to make).
    const numbers = bad.size === 0 ? plan.numbers : replan(segment, stateOf, bad);
    const pieces = rebuild(this.#coder(redundancy), downloaded, segment.encryptedSize, pieceSize, numbers);
    downloaded.clear();

    const group = await metabase.segmentsByRootPieceId(segment.rootPieceId);
    const uploaded = await this.#upload(segment, group.length > 0 ? group : [segment], numbers, pieces, pieceSize);
    if (uploaded.length === 0) return 'failed';
    await this.deps.beforeSwap?.(segment);
    return this.#swap(segment, plan.healthy, uploaded, bad);
  }

  /** Downloads and checks up to `required` whole pieces, in `sources` order, replacing each failure with the next source. */
  async #download(segment: SegmentRecord, sources: readonly Piece[], nodes: NodeTable<NodeRecord>, pieceSize: number, bad: Set<string>): Promise<Map<number, Uint8Array>> {
    const { required } = segment.redundancy!;
    const key = generatePieceKey();
    const signer = pieceSigner(key.privateKey);
    const got = new Map<number, Uint8Array>();
    const pending = [...sources];
    const satelliteId = this.deps.identity.publicKey;
    const fetchOne = async (piece: Piece): Promise<void> => {
      const node = nodes.get(piece.nodeId)!;
      const pieceId = derivePieceId(segment.rootPieceId, piece.nodeId, piece.number);
      const limit = this.#limit('GET_REPAIR', piece.nodeId, pieceId, pieceSize, key.publicKey, undefined);
      try {
        const client = this.#clients.get(node.address, piece.nodeId);
        const options = { limit, pieceKey: signer, offset: 0, length: pieceSize, orderAheadBytes: pieceSize, timeoutMs: this.deps.config.downloadTimeoutMs };
        const { data, proof } = await downloadPieceWithProof(client, options);
        const check = checkPiece({ satelliteId, nodeId: piece.nodeId, pieceId, pieceSize }, proof, data, this.#signedByUs);
        if (check.ok) {
          if (got.size < required) got.set(piece.number, data);
          return;
        }
        bad.add(pieceKey(piece));
        this.#report(segment, piece, pieceId, 'corrupt', check.detail);
      } catch (err) {
        if (this.#stop.signal.aborted) return;
        const reason = failureReason(err);
        if (reason === 'missing') bad.add(pieceKey(piece));
        this.#report(segment, piece, pieceId, reason, err instanceof Error ? err.message : String(err));
      }
    };
    // A worker starts another download only while those done and those running fall short of
    // `required`: the one whose download failed goes on to the next source.
    let running = 0;
    const worker = async (): Promise<void> => {
      while (got.size + running < required && pending.length > 0 && !this.#stop.signal.aborted) {
        running++;
        try {
          await fetchOne(pending.shift()!);
        } finally {
          running--;
        }
      }
    };
    await Promise.all(Array.from({ length: required }, worker));
    return got;
  }

  /**
   * Uploads piece `numbers` to nodes holding no piece of any segment of `group`, each to a fresh
   * node; a failed upload is tried on another node, up to `uploadAttempts` nodes per piece.
   */
  async #upload(segment: SegmentRecord, group: readonly SegmentRecord[], numbers: readonly number[], pieces: ReadonlyMap<number, Uint8Array>, pieceSize: number): Promise<Uploaded[]> {
    const { overlay, clock, config, onlineWindowMs } = this.deps;
    const excluded = group.flatMap((s) => s.pieces.map((p) => p.nodeId));
    // Every segment sharing these pieces keeps them as long as the longest-lived needs them.
    const expiresAt = sharedPieceExpiration(group.map((s) => s.expiresAt));
    const key = generatePieceKey();
    const signer = pieceSigner(key.privateKey);
    const uploaded: Uploaded[] = [];
    let remaining = [...numbers];
    for (let attempt = 0; attempt < config.uploadAttempts && remaining.length > 0 && !this.#stop.signal.aborted; attempt++) {
      const targets = await overlay.selectForUpload({ count: remaining.length, excluded, minFreeBytes: pieceSize, onlineWindowMs, now: clock.now() });
      if (targets.length === 0) break;
      const round = remaining.slice(0, targets.length);
      remaining = remaining.slice(targets.length);
      const results = await Promise.all(round.map(async (number, i) => {
        const node = targets[i]!;
        excluded.push(node.id);
        const pieceId = derivePieceId(segment.rootPieceId, node.id, number);
        const limit = this.#limit('PUT_REPAIR', node.id, pieceId, pieceSize, key.publicKey, expiresAt);
        try {
          const client = this.#clients.get(node.address, node.id);
          await uploadPiece(client, { limit, pieceKey: signer, data: pieces.get(number)!, clock, timeoutMs: config.uploadTimeoutMs });
          return { number, nodeId: node.id, pieceId };
        } catch {
          return number; // that node did not take it: another one will be tried
        }
      }));
      for (const result of results) {
        if (typeof result === 'number') remaining.push(result);
        else uploaded.push(result);
      }
    }
    return uploaded;
  }

  /**
   * Adds the uploaded pieces to every segment sharing the root piece id, each by compare-and-swap
   * against the list just read, re-reading until no swap is lost; then deletes the uploads no
   * segment lists, and judges the repaired segment.
   */
  async #swap(segment: SegmentRecord, healthyBefore: number, uploaded: readonly Uploaded[], bad: ReadonlySet<string>): Promise<RepairOutcome> {
    const { metabase, clock, onlineWindowMs } = this.deps;
    const isBad = (piece: Piece): boolean => bad.has(pieceKey(piece));
    // Each segment of the group as it stands after our swaps: its list as read, or as we wrote it.
    let lists = new Map<string, { readonly segment: SegmentRecord; readonly pieces: readonly Piece[] }>();
    let stateOf: (piece: Piece) => PieceState = () => 'lost';
    let settled = false;
    for (let round = 0; round < MAX_SWAP_ROUNDS && !settled; round++) {
      const group = await metabase.segmentsByRootPieceId(segment.rootPieceId);
      const nodes = await this.#nodes([...group.flatMap((s) => s.pieces.map((p) => p.nodeId)), ...uploaded.map((u) => u.nodeId)]);
      const now = clock.now();
      stateOf = (piece) => pieceState(nodes.get(piece.nodeId), now, onlineWindowMs);
      lists = new Map();
      settled = true;
      for (const member of group) {
        const next = member.redundancy && fitUploads(member.pieces, stateOf, uploaded, member.redundancy, isBad);
        if (next === undefined || (await metabase.swapSegmentPieces(member.streamId, member.position, member.pieces, next))) {
          lists.set(segmentKey(member), { segment: member, pieces: next ?? member.pieces });
        } else {
          settled = false; // changed since we read it: read the group again and decide again
        }
      }
    }
    if (!settled) {
      // It kept changing: judge by what is stored now.
      const group = await metabase.segmentsByRootPieceId(segment.rootPieceId);
      const nodes = await this.#nodes(group.flatMap((s) => s.pieces.map((p) => p.nodeId)));
      const now = clock.now();
      stateOf = (piece) => pieceState(nodes.get(piece.nodeId), now, onlineWindowMs);
      lists = new Map(group.map((member) => [segmentKey(member), { segment: member, pieces: member.pieces }]));
    }
    // Uploads no segment lists get a signed delete; one another change took out later is garbage collection's.
    for (const piece of uploaded) {
      const listed = [...lists.values()].some((s) => s.pieces.some((p) => p.number === piece.number && equalBytes(p.nodeId, piece.nodeId)));
      if (!listed) this.deps.deletePiece(piece.nodeId, piece.pieceId);
    }
    const mine = lists.get(segmentKey(segment));
    if (mine === undefined || mine.segment.redundancy === undefined) return 'gone';
    const healthy = mine.pieces.filter((p) => !isBad(p) && stateOf(p) === 'healthy').length;
    if (healthy >= mine.segment.redundancy.success) return 'repaired';
    return healthy > healthyBefore ? 'partial' : 'failed';
  }

  #limit(action: PieceAction, nodeId: Uint8Array, pieceId: Uint8Array, limitBytes: number, piecePublicKey: Uint8Array, pieceExpiration: number | undefined): OrderLimit {
    return signPieceLimit(this.deps.identity, { action, nodeId, pieceId, limitBytes, piecePublicKey, pieceExpiration }, this.deps.clock.now(), this.deps.config.orderTtlMs);
  }

  async #nodes(ids: readonly Uint8Array[]): Promise<NodeTable<NodeRecord>> {
    const table = new NodeTable<NodeRecord>();
    if (ids.length > 0) for (const node of await this.deps.overlay.getMany(ids)) table.set(node.id, node);
    return table;
  }

  #coder(redundancy: RedundancyScheme): ErasureCoder {
    const key = `${redundancy.shareSize}/${redundancy.required}/${redundancy.repair}/${redundancy.success}/${redundancy.total}`;
    let coder = this.#coders.get(key);
    if (coder === undefined) this.#coders.set(key, (coder = createErasureCoder(redundancy)));
    return coder;
  }

  #report(segment: SegmentRecord, piece: Piece, pieceId: Uint8Array, reason: RepairFailureReason, detail: string): void {
    try {
      this.deps.onPieceFailure?.({
        nodeId: piece.nodeId, pieceId, pieceNumber: piece.number, streamId: segment.streamId, position: segment.position,
        rootPieceId: segment.rootPieceId, reason, detail, at: this.deps.clock.now(),
      });
    } catch (err) {
      this.deps.onError?.(err, 'repair piece failure listener');
    }
  }
}

/** The piece numbers to create once `bad` sources are known: as planned, with those pieces counted lost. */
function replan(segment: SegmentRecord, stateOf: (piece: Piece) => ReturnType<typeof pieceState>, bad: ReadonlySet<string>): readonly number[] {
  const plan = planRepair(segment, (piece) => (bad.has(pieceKey(piece)) ? 'lost' : stateOf(piece)));
  return plan.kind === 'repair' ? plan.numbers : [];
}

function failureReason(err: unknown): RepairFailureReason {
  if (isHandoffError(err, 'NotFound')) return 'missing';
  if (isHandoffError(err, 'DeadlineExceeded')) return 'timeout';
  if (isHandoffError(err, 'Unavailable')) return 'offline';
  return 'unknown';
}
