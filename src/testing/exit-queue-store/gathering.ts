/**
 * The exit queue store suite, starting and gathering: idempotent and racing starts, exit kinds,
 * archiving, a partial exit's healthiest pieces, and batches that never queue or count a piece
 * twice while the cursor moves forward.
 */
import { expect, it } from 'vitest';
import type { ExitRecord } from '../../exit/types.js';
import { cursor, exiting, finish, hex, item, MINUTE, nodeId, pieceIds, randomBytes, T0, type SuiteContext } from './fixtures.js';

export function gatheringTests({ open }: SuiteContext): void {
  it('starts an exit once: a later start returns the first record unchanged, with created false', async () => {
    const s = await open();
    const id = nodeId();
    const first = await s.startExit(id, T0);
    const expected: ExitRecord = {
      nodeId: id,
      kind: 'full',
      targetBytes: null,
      policy: 'transfer',
      initiatedAt: T0,
      startingBytes: 0,
      gatherCursor: undefined,
      gatheredAt: null,
      piecesQueued: 0,
      piecesTransferred: 0,
      piecesDropped: 0,
      piecesFailed: 0,
      bytesTransferred: 0,
      lastActivityAt: T0,
      finishedAt: null,
      outcome: null,
      failureReason: null,
      failureDetail: null,
      receipt: null,
      archivedAt: null,
    };
    expect(first).toEqual({ record: expected, created: true });
    expect(await s.startExit(id, T0 + MINUTE)).toEqual({ record: expected, created: false });
    expect(await s.getExit(id)).toEqual(expected);
    expect(await s.getExit(nodeId())).toBeUndefined();
  });

  it('records what kind of exit starts: a partial one with its target, a time-based one gathered at once', async () => {
    const s = await open();
    const partial = nodeId();
    const timed = nodeId();
    const { record } = await s.startExit(partial, T0, { kind: 'partial', targetBytes: 2 ** 40 + 1, policy: 'transfer' });
    expect(record).toMatchObject({ kind: 'partial', targetBytes: 2 ** 40 + 1, policy: 'transfer', gatheredAt: null });
    expect(await s.getExit(partial)).toEqual(record);
    // A later start of another kind returns the first record unchanged.
    expect((await s.startExit(partial, T0 + 1)).record).toEqual(record);
    const time = await s.startExit(timed, T0 + 5, { kind: 'full', targetBytes: null, policy: 'time-based' });
    expect(time.record).toMatchObject({ kind: 'full', targetBytes: null, policy: 'time-based', gatheredAt: T0 + 5 });
  });

  it('archives a finished exit so a new one can start, and keeps listing the archived one', async () => {
    const s = await open();
    const id = nodeId();
    const other = await exiting(s, T0 + 1);
    await s.startExit(id, T0, { kind: 'partial', targetBytes: 500, policy: 'transfer' });
    // An unfinished exit is not archived: nothing changes.
    expect(await s.archiveExit(id, T0 + 2)).toBeUndefined();
    expect(await s.getExit(id)).toMatchObject({ kind: 'partial', archivedAt: null });
    expect(await s.archiveExit(nodeId(), T0 + 2)).toBeUndefined();

    const finished = (await s.finishExit(id, finish({ at: T0 + 10 })))!;
    const archived = await s.archiveExit(id, T0 + 20);
    expect(archived).toEqual({ ...finished, archivedAt: T0 + 20 });
    expect(await s.getExit(id)).toBeUndefined();
    expect(await s.archiveExit(id, T0 + 21)).toBeUndefined();

    const next = await s.startExit(id, T0 + 30);
    expect(next).toMatchObject({ created: true, record: { kind: 'full', initiatedAt: T0 + 30, piecesQueued: 0, finishedAt: null } });
    await s.finishExit(id, finish({ at: T0 + 40, outcome: 'failed', reason: 'ONLINE_SCORE_TOO_LOW' }));

    const nodes = (records: ExitRecord[]) => records.map((r) => [hex(r.nodeId), r.initiatedAt, r.archivedAt]);
    expect(nodes(await s.listExits({ nodeId: id }))).toEqual([[hex(id), T0, T0 + 20], [hex(id), T0 + 30, null]]);
    expect(nodes(await s.listExits())).toEqual([[hex(id), T0, T0 + 20], [hex(other), T0 + 1, null], [hex(id), T0 + 30, null]]);
    expect(nodes(await s.listExits({ unfinished: true }))).toEqual([[hex(other), T0 + 1, null]]);
    expect(nodes(await s.listExits({ finishedFrom: T0 + 5, finishedTo: T0 + 11 }))).toEqual([[hex(id), T0, T0 + 20]]);
    expect(nodes(await s.listExits({ finishedFrom: T0 + 11, nodeId: id }))).toEqual([[hex(id), T0 + 30, null]]);
    expect(await s.listExits({ nodeId: nodeId() })).toEqual([]);
    expect((await s.listExits({ nodeId: id }))[0]).toEqual(archived);
  });

  it("keeps, for a partial exit, the healthiest segments' pieces up to its target, all as transfers", async () => {
    const s = await open();
    const id = nodeId();
    await s.startExit(id, T0, { kind: 'partial', targetBytes: 250, policy: 'transfer' });
    const pieces = [
      item({ pieceSize: 100, durability: 0.5 }),
      item({ pieceSize: 100, durability: 0.9, drop: true }),
      item({ pieceSize: 100, durability: 0.7 }),
      item({ pieceSize: 100, durability: 0.3 }),
      item({ pieceSize: 100, durability: 0.1 }),
    ];
    await s.enqueue(id, pieces, cursor(1));
    expect(await s.getExit(id)).toMatchObject({ piecesQueued: 5, startingBytes: 500 });
    await s.finishGathering(id, T0 + 1);
    // 0.9, 0.7, then 0.5 reaches 250 bytes (at least the target); the rest leave uncounted.
    expect(await s.getExit(id)).toMatchObject({ piecesQueued: 3, startingBytes: 300, gatheredAt: T0 + 1 });
    const kept = await s.nextItems(id, 10, []);
    expect(pieceIds(kept)).toEqual(pieceIds([pieces[0]!, pieces[2]!, pieces[1]!]));
    expect(kept.every((i) => !i.drop)).toBe(true);
    // Once gathered, it stays as it is.
    await s.finishGathering(id, T0 + 2);
    expect(await s.queueLength(id)).toBe(3);

    // A node holding less than its target moves all it holds.
    const small = nodeId();
    await s.startExit(small, T0, { kind: 'partial', targetBytes: 10_000, policy: 'transfer' });
    await s.enqueue(small, [item({ pieceSize: 10 }), item({ pieceSize: 20, drop: true })], cursor(1));
    await s.finishGathering(small, T0 + 1);
    expect(await s.getExit(small)).toMatchObject({ piecesQueued: 2, startingBytes: 30 });
    // A full exit keeps every piece, drops included.
    const full = await exiting(s);
    await s.enqueue(full, [item({ drop: true }), item()], cursor(1));
    await s.finishGathering(full, T0 + 1);
    expect((await s.nextItems(full, 10, [])).map((i) => i.drop)).toEqual([true, false]);
  });

  it('lets exactly one of racing starts create the exit', async () => {
    const s = await open();
    const id = nodeId();
    const results = await Promise.all([0, 1, 2, 3].map((i) => s.startExit(id, T0 + i)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const winner = results.find((r) => r.created)!.record;
    for (const r of results) expect(r.record).toEqual(winner);
  });

  it('queues a batch with every field as given, moving the cursor and counting its pieces and bytes', async () => {
    const s = await open();
    const id = await exiting(s);
    const a = item({ pieceNumber: 79, position: { part: 7, index: 2 ** 32 - 1 }, pieceSize: 2 ** 40, durability: 1 / 3, queuedAt: T0 + 5 });
    const b = item({ pieceSize: 2_318, durability: 0.8125, drop: true, pieceNumber: 0 });
    const at = cursor(41);
    await s.enqueue(id, [a, b], at);

    const record = await s.getExit(id);
    expect(record).toMatchObject({ gatherCursor: at, piecesQueued: 2, startingBytes: 2 ** 40 + 2_318, gatheredAt: null });
    const unsent = { failedCount: 0, sendCount: 0, lastFailedAt: null, lastFailedCode: null, triedNodes: [] };
    expect(await s.getItem(id, a.pieceId)).toEqual({ ...a, nodeId: id, ...unsent });
    expect(await s.getItem(id, b.pieceId)).toEqual({ ...b, nodeId: id, ...unsent });
    expect(await s.getItem(nodeId(), a.pieceId)).toBeUndefined();
    expect(await s.queueLength(id)).toBe(2);
    expect(await s.queueLength(nodeId())).toBe(0);
  });

  it('never queues or counts a piece twice: a repeat keeps its row with the lower durability, and only new pieces add bytes', async () => {
    const s = await open();
    const id = await exiting(s);
    const a = item({ pieceSize: 100, durability: 0.6 });
    const b = item({ pieceSize: 200, durability: 0.4 });
    await s.enqueue(id, [a, b], cursor(1));
    const c = item({ pieceSize: 300 });
    // A resumed gathering re-reads segments: `a` again (lower), `b` again (higher), `c` new, and `c` twice in one batch.
    const again = { ...a, durability: 0.25, pieceSize: 9_999, queuedAt: T0 + MINUTE, drop: true };
    const second = cursor(2);
    await s.enqueue(id, [again, { ...b, durability: 0.9 }, c, { ...c, durability: 0.75 }], second);

    expect(await s.getExit(id)).toMatchObject({ piecesQueued: 3, startingBytes: 600, gatherCursor: second });
    expect(await s.getItem(id, a.pieceId)).toMatchObject({ durability: 0.25, pieceSize: 100, queuedAt: T0, drop: false });
    expect(await s.getItem(id, b.pieceId)).toMatchObject({ durability: 0.4 });
    expect(await s.getItem(id, c.pieceId)).toMatchObject({ durability: 0.5, pieceSize: 300 });
    expect(await s.queueLength(id)).toBe(3);

    // Once finished a piece is no longer queued: found again, it is a new row and counts again.
    await s.finishItem(id, b.pieceId, { kind: 'dropped' }, T0 + 1);
    await s.enqueue(id, [b], cursor(3));
    expect(await s.getExit(id)).toMatchObject({ piecesQueued: 4, startingBytes: 800, piecesDropped: 1 });
    expect(await s.queueLength(id)).toBe(3);
  });

  it('moves the cursor forward batch by batch, and an empty batch still moves it', async () => {
    const s = await open();
    const id = await exiting(s);
    const stream = randomBytes(16);
    await s.enqueue(id, [item()], cursor(5, stream));
    expect((await s.getExit(id))?.gatherCursor).toEqual(cursor(5, stream));
    const other = { streamId: randomBytes(16), position: { part: 2, index: 0 } };
    await s.enqueue(id, [], other);
    expect((await s.getExit(id))?.gatherCursor).toEqual(other);
  });

  it('ignores batches for an unknown or finished exit', async () => {
    const s = await open();
    const unknown = nodeId();
    await s.enqueue(unknown, [item()], cursor());
    expect(await s.getExit(unknown)).toBeUndefined();
    expect(await s.queueLength(unknown)).toBe(0);

    const id = await exiting(s);
    await s.finishExit(id, finish());
    const before = await s.getExit(id);
    await s.enqueue(id, [item()], cursor(9));
    expect(await s.getExit(id)).toEqual(before);
    expect(await s.queueLength(id)).toBe(0);
  });

  it('marks gathering finished once: the first time stays', async () => {
    const s = await open();
    const id = await exiting(s);
    await s.finishGathering(id, T0 + MINUTE);
    await s.finishGathering(id, T0 + 2 * MINUTE);
    expect((await s.getExit(id))?.gatheredAt).toBe(T0 + MINUTE);
    await s.finishGathering(nodeId(), T0); // unknown: nothing to do
  });
}
