/**
 * What the repair stories share: reading every segment, judging pieces the way repair does,
 * stopping nodes for good, and the invariant that every piece a segment lists is on its node.
 */
import { expect } from 'vitest';
import { equalBytes } from '../../../src/core/bytes.js';
import type { ManualClock } from '../../../src/core/clock.js';
import { pieceState } from '../../../src/durability/repair/pieces.js';
import type { SegmentRecord } from '../../../src/metainfo/metabase/types.js';
import type { StorageNode } from '../../../src/node/storage-node.js';
import { derivePieceId } from '../../../src/orders/piece-id.js';
import type { TestNetwork } from '../../../src/testing/network.js';

export const ONLINE_WINDOW_MS = 4 * 3_600_000;
/** Chores that never fire during a test: the test runs checker and repairer itself. */
export const MANUAL_REPAIR = { checkIntervalMs: 24 * 3_600_000, repairIntervalMs: 24 * 3_600_000 };

export async function allSegments(network: Pick<TestNetwork, 'satellite'>): Promise<SegmentRecord[]> {
  const metabase = network.satellite.store.metabase;
  const out: SegmentRecord[] = [];
  let cursor;
  for (;;) {
    const batch = await metabase.iterateSegments({ cursor, limit: 100 });
    out.push(...batch);
    const last = batch.at(-1);
    if (batch.length < 100 || last === undefined) return out;
    cursor = { streamId: last.streamId, position: last.position };
  }
}

/** Healthy pieces of `segment` as repair judges them now. */
export async function healthyPieces(network: Pick<TestNetwork, 'satellite'>, segment: SegmentRecord, now: number): Promise<number> {
  const nodes = await network.satellite.store.overlay.getMany(segment.pieces.map((p) => p.nodeId));
  return segment.pieces.filter((p) => pieceState(nodes.find((n) => equalBytes(n.id, p.nodeId)), now, ONLINE_WINDOW_MS) === 'healthy').length;
}

/** The nodes holding the most pieces, most first. */
export async function busiest(network: TestNetwork, count: number): Promise<StorageNode[]> {
  const segments = await allSegments(network);
  const held = (node: StorageNode) => segments.reduce((n, s) => n + s.pieces.filter((p) => equalBytes(p.nodeId, node.identity.publicKey)).length, 0);
  return [...network.nodes].sort((a, b) => held(b) - held(a)).slice(0, count);
}

/**
 * Stops `dead` for good, then moves the network's clock past the online window: the others
 * check in again on their own schedule (waited for), the stopped ones are never heard from.
 */
export async function stopForGood(network: TestNetwork, dead: readonly StorageNode[], clock: ManualClock): Promise<void> {
  for (const node of dead) await node.close();
  clock.advance(ONLINE_WINDOW_MS + 60_000);
  const live = network.nodes.filter((n) => !dead.includes(n)).map((n) => n.identity.publicKey);
  await until(async () => (await network.satellite.store.overlay.getMany(live)).every((n) => n.lastContactAt >= clock.now() - ONLINE_WINDOW_MS));
}

/** Polls `condition` every 10 ms for up to 10 s. */
export async function until(condition: () => Promise<boolean>, what = 'condition'): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Every piece every segment lists on a running node of `nodes` is stored there (nothing listed was released). */
export async function expectListedPiecesStored(network: Pick<TestNetwork, 'satellite'>, nodes: readonly StorageNode[]): Promise<void> {
  const satelliteId = network.satellite.id.bytes;
  for (const segment of await allSegments(network)) {
    for (const piece of segment.pieces) {
      const node = nodes.find((n) => equalBytes(n.identity.publicKey, piece.nodeId));
      if (node === undefined) continue;
      const stored = await node.storage.has(satelliteId, derivePieceId(segment.rootPieceId, piece.nodeId, piece.number));
      expect(stored, `piece ${piece.number} of a segment is listed on a node that does not hold it`).toBe(true);
    }
  }
}

/** Piece ids `nodes` hold for the satellite that no segment lists (what garbage collection would find). */
export async function unlistedPieces(network: Pick<TestNetwork, 'satellite'>, nodes: readonly StorageNode[]): Promise<number> {
  const satelliteId = network.satellite.id.bytes;
  const listed = new Set<string>();
  for (const segment of await allSegments(network)) {
    for (const piece of segment.pieces) listed.add(Buffer.from(derivePieceId(segment.rootPieceId, piece.nodeId, piece.number)).toString('hex'));
  }
  let orphans = 0;
  for (const node of nodes) for await (const entry of node.storage.list(satelliteId)) if (!listed.has(Buffer.from(entry.pieceId).toString('hex'))) orphans++;
  return orphans;
}

/** A segment's live holders (running, active nodes), by piece number. */
export function holders(network: TestNetwork, segment: SegmentRecord): StorageNode[] {
  return [...segment.pieces]
    .sort((a, b) => a.number - b.number)
    .map((p) => network.nodes.find((n) => equalBytes(n.identity.publicKey, p.nodeId)))
    .filter((n): n is StorageNode => n !== undefined);
}

/** Stops `nodes` and disqualifies them at once: gone for good, without waiting out the online window. */
export async function killAndDisqualify(network: TestNetwork, nodes: readonly StorageNode[]): Promise<void> {
  for (const node of nodes) {
    await node.close();
    await network.satellite.store.overlay.setStatus({ id: node.identity.publicKey, from: 'active', to: 'disqualified', at: Date.now(), reason: 'test: gone for good' });
  }
}
