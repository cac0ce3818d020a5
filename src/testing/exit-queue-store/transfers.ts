/**
 * The exit queue store suite, transfers and finishing: the order pieces go out in, per-piece
 * sends and failures, finishing an item exactly once, activity that never moves backwards,
 * finishing an exit as a compare-and-swap that empties the queue, and listing.
 */
import { expect, it } from 'vitest';
import { compareBytes } from '../../core/bytes.js';
import type { FinishedItem } from '../../exit/queue-store.js';
import type { ExitRecord } from '../../exit/types.js';
import { cursor, exiting, finish, hex, item, MINUTE, nodeId, pieceIds, randomBytes, T0, type SuiteContext } from './fixtures.js';

export function transferTests({ open }: SuiteContext): void {
  it('hands out drops first, then the lowest durability, then by piece id, skipping the ones in flight', async () => {
    const s = await open();
    const id = await exiting(s);
    const other = await exiting(s);
    const ids = Array.from({ length: 6 }, () => randomBytes(32)).sort(compareBytes);
    const items = [
      item({ pieceId: ids[0]!, durability: 0.9 }),
      item({ pieceId: ids[1]!, durability: 0.2 }),
      item({ pieceId: ids[2]!, durability: 0.9, drop: true }),
      item({ pieceId: ids[3]!, durability: 0.2 }),
      item({ pieceId: ids[4]!, durability: 0.1, drop: true }),
      item({ pieceId: ids[5]!, durability: 0.05 }),
    ];
    await s.enqueue(id, [...items].reverse(), cursor());
    await s.enqueue(other, [item({ durability: 0 })], cursor());

    const order = [ids[4]!, ids[2]!, ids[5]!, ids[1]!, ids[3]!, ids[0]!].map(hex);
    expect(pieceIds(await s.nextItems(id, 10, []))).toEqual(order);
    expect(pieceIds(await s.nextItems(id, 3, []))).toEqual(order.slice(0, 3));
    expect(pieceIds(await s.nextItems(id, 3, [ids[2]!, ids[5]!, randomBytes(32)]))).toEqual([order[0], order[3], order[4]]);
    expect(await s.nextItems(id, 0, [])).toEqual([]);
    expect(await s.nextItems(nodeId(), 5, [])).toEqual([]);
    const [first] = await s.nextItems(id, 1, []);
    expect(first).toEqual(await s.getItem(id, ids[4]!));
  });

  it('records each order limit sent: the send count grows and each replacement node is remembered in order', async () => {
    const s = await open();
    const id = await exiting(s);
    const piece = item();
    await s.enqueue(id, [piece], cursor());
    const [r1, r2] = [nodeId(), nodeId()];
    expect(await s.recordSend(id, piece.pieceId, r1)).toMatchObject({ sendCount: 1, triedNodes: [r1] });
    const after = await s.recordSend(id, piece.pieceId, r2);
    expect(after).toMatchObject({ sendCount: 2, triedNodes: [r1, r2], failedCount: 0 });
    expect(await s.getItem(id, piece.pieceId)).toEqual(after);
    expect(await s.recordSend(id, randomBytes(32), r1)).toBeUndefined();
    expect(await s.recordSend(nodeId(), piece.pieceId, r1)).toBeUndefined();
    // Node ids are bytes, not text: zeros, and bytes no UTF-8 text has, are kept as they are.
    const [zeros, high] = [new Uint8Array(32), new Uint8Array(32).fill(0xff)];
    await s.recordSend(id, piece.pieceId, zeros);
    expect((await s.recordSend(id, piece.pieceId, high))?.triedNodes).toEqual([r1, r2, zeros, high]);
  });

  it("records failures, counting only those that are the exiting node's fault", async () => {
    const s = await open();
    const id = await exiting(s);
    const piece = item();
    await s.enqueue(id, [piece], cursor());
    const unreachable = await s.recordFailure(id, piece.pieceId, { code: 'STORAGE_NODE_UNAVAILABLE', at: T0 + 1, counts: false });
    expect(unreachable).toMatchObject({ failedCount: 0, lastFailedAt: T0 + 1, lastFailedCode: 'STORAGE_NODE_UNAVAILABLE' });
    const bad = await s.recordFailure(id, piece.pieceId, { code: 'HASH_VERIFICATION', at: T0 + 2, counts: true });
    expect(bad).toMatchObject({ failedCount: 1, lastFailedAt: T0 + 2, lastFailedCode: 'HASH_VERIFICATION' });
    expect(await s.getItem(id, piece.pieceId)).toEqual(bad);
    expect(await s.recordFailure(id, randomBytes(32), { code: 'UNKNOWN', at: T0, counts: true })).toBeUndefined();
  });

  it('finishes an item once, counting it as transferred, dropped or failed; a repeat counts nothing', async () => {
    const s = await open();
    const id = await exiting(s);
    const [a, b, c] = [item(), item(), item()];
    await s.enqueue(id, [a, b, c], cursor());
    expect(await s.finishItem(id, a.pieceId, { kind: 'transferred', bytes: 2 ** 33 }, T0 + 3 * MINUTE)).toBe(true);
    expect(await s.finishItem(id, b.pieceId, { kind: 'dropped' }, T0 + MINUTE)).toBe(true);
    expect(await s.finishItem(id, c.pieceId, { kind: 'failed' }, T0 + 2 * MINUTE)).toBe(true);
    expect(await s.finishItem(id, a.pieceId, { kind: 'transferred', bytes: 5 }, T0 + 4 * MINUTE)).toBe(false);
    expect(await s.finishItem(id, randomBytes(32), { kind: 'failed' }, T0 + 4 * MINUTE)).toBe(false);
    expect(await s.finishItem(nodeId(), a.pieceId, { kind: 'dropped' }, T0)).toBe(false);

    expect(await s.getExit(id)).toMatchObject({
      piecesQueued: 3,
      piecesTransferred: 1,
      bytesTransferred: 2 ** 33,
      piecesDropped: 1,
      piecesFailed: 1,
      lastActivityAt: T0 + 3 * MINUTE,
    });
    expect(await s.getItem(id, a.pieceId)).toBeUndefined();
    expect(await s.queueLength(id)).toBe(0);
  });

  it('counts an item finished by several concurrent calls exactly once', async () => {
    const s = await open();
    const id = await exiting(s);
    const piece = item();
    await s.enqueue(id, [piece, item()], cursor());
    const results: FinishedItem[] = [
      { kind: 'transferred', bytes: 1000 },
      { kind: 'transferred', bytes: 1000 },
      { kind: 'dropped' },
      { kind: 'failed' },
      { kind: 'transferred', bytes: 1000 },
    ];
    const won = await Promise.all(results.map((r, i) => s.finishItem(id, piece.pieceId, r, T0 + i)));
    expect(won.filter(Boolean)).toHaveLength(1);
    const record = (await s.getExit(id))!;
    expect(record.piecesTransferred + record.piecesDropped + record.piecesFailed).toBe(1);
    expect(record.bytesTransferred).toBe(record.piecesTransferred * 1000);
    expect(await s.queueLength(id)).toBe(1);
  });

  it('keeps the last activity time from moving backwards', async () => {
    const s = await open();
    const id = await exiting(s);
    await s.touch(id, T0 + 10 * MINUTE);
    await s.touch(id, T0 + 5 * MINUTE);
    expect((await s.getExit(id))?.lastActivityAt).toBe(T0 + 10 * MINUTE);
    const piece = item();
    await s.enqueue(id, [piece], cursor());
    await s.finishItem(id, piece.pieceId, { kind: 'dropped' }, T0 + MINUTE);
    expect((await s.getExit(id))?.lastActivityAt).toBe(T0 + 10 * MINUTE);
    await s.touch(id, T0 + 11 * MINUTE);
    expect((await s.getExit(id))?.lastActivityAt).toBe(T0 + 11 * MINUTE);
    await s.touch(nodeId(), T0); // unknown: nothing to do
  });

  it('finishes an exit once, keeping its outcome and receipt and dropping what was left queued', async () => {
    const s = await open();
    const id = await exiting(s);
    const [a, b] = [item(), item()];
    await s.enqueue(id, [a, b], cursor());
    await s.finishItem(id, a.pieceId, { kind: 'failed' }, T0 + 1);
    const how = finish({ outcome: 'failed', reason: 'OVERALL_FAILURE_PERCENTAGE_EXCEEDED', detail: '1 of 2 pieces failed — "50%"' });
    const finished = await s.finishExit(id, how);
    expect(finished).toMatchObject({
      nodeId: id,
      finishedAt: how.at,
      outcome: 'failed',
      failureReason: 'OVERALL_FAILURE_PERCENTAGE_EXCEEDED',
      failureDetail: '1 of 2 pieces failed — "50%"',
      receipt: how.receipt,
      piecesQueued: 2,
      piecesFailed: 1,
    });
    expect(await s.getExit(id)).toEqual(finished);
    expect(await s.queueLength(id)).toBe(0);
    expect(await s.nextItems(id, 10, [])).toEqual([]);
    expect(await s.finishItem(id, b.pieceId, { kind: 'transferred', bytes: 1 }, T0 + 2)).toBe(false);

    expect(await s.finishExit(id, finish({ at: how.at + 1 }))).toBeUndefined();
    expect(await s.getExit(id)).toEqual(finished);
    expect(await s.finishExit(nodeId(), finish())).toBeUndefined();
    expect(await s.startExit(id, T0 + 999 * MINUTE)).toEqual({ record: finished, created: false });
  });

  it('lets exactly one of two racing finishes win, and the queue ends empty', async () => {
    const s = await open();
    const id = await exiting(s);
    await s.enqueue(id, Array.from({ length: 20 }, () => item()), cursor());
    const completed = finish();
    const failed = finish({ outcome: 'failed', reason: 'VERIFICATION_FAILED', detail: 'forged hash' });
    const results = await Promise.all([s.finishExit(id, completed), s.finishExit(id, failed)]);
    const winners = results.filter((r) => r !== undefined);
    expect(winners).toHaveLength(1);
    expect(await s.getExit(id)).toEqual(winners[0]);
    expect(await s.queueLength(id)).toBe(0);
  });

  it('lists exits by initiation time then node id, filtered by finish', async () => {
    const s = await open();
    const ids = Array.from({ length: 3 }, nodeId).sort(compareBytes);
    const [early, lateA, lateB] = [ids[2]!, ids[0]!, ids[1]!];
    const open1 = nodeId();
    await s.startExit(lateB, T0 + 2);
    await s.startExit(early, T0);
    await s.startExit(lateA, T0 + 2);
    await s.startExit(open1, T0 + 1);
    await s.finishExit(early, finish({ at: T0 + 10 }));
    await s.finishExit(lateA, finish({ at: T0 + 20 }));
    await s.finishExit(lateB, finish({ at: T0 + 30, outcome: 'failed', reason: 'INACTIVE_TIMEFRAME_EXCEEDED' }));

    const nodes = (records: ExitRecord[]) => records.map((r) => hex(r.nodeId));
    expect(nodes(await s.listExits())).toEqual([early, open1, lateA, lateB].map(hex));
    expect(nodes(await s.listExits({}))).toEqual([early, open1, lateA, lateB].map(hex));
    expect(nodes(await s.listExits({ unfinished: true }))).toEqual([hex(open1)]);
    expect(nodes(await s.listExits({ unfinished: false }))).toHaveLength(4);
    expect(nodes(await s.listExits({ finishedFrom: T0 + 20 }))).toEqual([lateA, lateB].map(hex));
    expect(nodes(await s.listExits({ finishedTo: T0 + 20 }))).toEqual([hex(early)]);
    expect(nodes(await s.listExits({ finishedFrom: T0 + 10, finishedTo: T0 + 30 }))).toEqual([early, lateA].map(hex));
    expect(await s.listExits({ unfinished: true, finishedFrom: T0 })).toEqual([]);
  });
}
