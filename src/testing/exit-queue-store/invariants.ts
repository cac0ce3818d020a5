/**
 * The exit queue store suite, invariants: refusal of malformed input without a change, counter
 * invariants over random sequences of operations and, when the store can reopen, durability.
 */
import { expect, it } from 'vitest';
import type { FinishedItem } from '../../exit/queue-store.js';
import { cursor, exiting, finish, hex, item, nodeId, T0, type SuiteContext } from './fixtures.js';

/** A small seeded generator (mulberry32), so a failing random sequence can be replayed from its seed. */
function seeded(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

export function invariantTests({ open, reopen }: SuiteContext): void {
  it('refuses malformed ids and values with InvalidArgument, changing nothing', async () => {
    const s = await open();
    const id = await exiting(s);
    const piece = item();
    await s.enqueue(id, [piece], cursor(1));
    const before = await s.getExit(id);
    const beforeItem = await s.getItem(id, piece.pieceId);
    const short = new Uint8Array(31);
    const invalid = { name: 'InvalidArgumentError' };

    await expect(s.startExit(short, T0)).rejects.toMatchObject(invalid);
    await expect(s.startExit(nodeId(), -1)).rejects.toMatchObject(invalid);
    await expect(s.getExit(new Uint8Array(33))).rejects.toMatchObject(invalid);
    await expect(s.enqueue(short, [item()], cursor())).rejects.toMatchObject(invalid);
    // One bad item refuses the whole batch.
    await expect(s.enqueue(id, [item(), item({ pieceId: short })], cursor(2))).rejects.toMatchObject(invalid);
    await expect(s.enqueue(id, [item({ rootPieceId: short })], cursor(2))).rejects.toMatchObject(invalid);
    await expect(s.enqueue(id, [item({ durability: Number.NaN })], cursor(2))).rejects.toMatchObject(invalid);
    await expect(s.enqueue(id, [item({ pieceSize: -1 })], cursor(2))).rejects.toMatchObject(invalid);
    await expect(s.enqueue(id, [item()], { streamId: new Uint8Array(3), position: { part: 0, index: 0 } })).rejects.toMatchObject(invalid);
    await expect(s.nextItems(id, -1, [])).rejects.toMatchObject(invalid);
    await expect(s.nextItems(id, 1, [short])).rejects.toMatchObject(invalid);
    await expect(s.getItem(id, short)).rejects.toMatchObject(invalid);
    await expect(s.queueLength(short)).rejects.toMatchObject(invalid);
    await expect(s.recordSend(id, piece.pieceId, short)).rejects.toMatchObject(invalid);
    await expect(s.recordSend(id, short, nodeId())).rejects.toMatchObject(invalid);
    await expect(s.recordFailure(id, piece.pieceId, { code: 'LOST' as never, at: T0, counts: true })).rejects.toMatchObject(invalid);
    await expect(s.finishItem(id, short, { kind: 'dropped' }, T0)).rejects.toMatchObject(invalid);
    await expect(s.finishItem(id, piece.pieceId, { kind: 'transferred', bytes: -5 }, T0)).rejects.toMatchObject(invalid);
    await expect(s.finishItem(id, piece.pieceId, { kind: 'gone' } as never, T0)).rejects.toMatchObject(invalid);
    await expect(s.touch(short, T0)).rejects.toMatchObject(invalid);
    await expect(s.finishGathering(short, T0)).rejects.toMatchObject(invalid);
    await expect(s.finishExit(short, finish())).rejects.toMatchObject(invalid);
    await expect(s.finishExit(id, finish({ outcome: 'abandoned' as never }))).rejects.toMatchObject(invalid);
    await expect(s.finishExit(id, finish({ outcome: 'failed', reason: 'BORED' as never }))).rejects.toMatchObject(invalid);
    await expect(s.listExits({ finishedFrom: -3 })).rejects.toMatchObject(invalid);
    await expect(s.listExits({ nodeId: short })).rejects.toMatchObject(invalid);
    await expect(s.archiveExit(short, T0)).rejects.toMatchObject(invalid);
    const fresh = nodeId();
    await expect(s.startExit(fresh, T0, { kind: 'partial', targetBytes: null, policy: 'transfer' })).rejects.toMatchObject(invalid);
    await expect(s.startExit(fresh, T0, { kind: 'partial', targetBytes: 0, policy: 'transfer' })).rejects.toMatchObject(invalid);
    await expect(s.startExit(fresh, T0, { kind: 'partial', targetBytes: 10, policy: 'time-based' })).rejects.toMatchObject(invalid);
    await expect(s.startExit(fresh, T0, { kind: 'full', targetBytes: 10, policy: 'transfer' })).rejects.toMatchObject(invalid);
    await expect(s.startExit(fresh, T0, { kind: 'most' as never, targetBytes: null, policy: 'transfer' })).rejects.toMatchObject(invalid);
    await expect(s.startExit(fresh, T0, { kind: 'full', targetBytes: null, policy: 'lazy' as never })).rejects.toMatchObject(invalid);
    expect(await s.getExit(fresh)).toBeUndefined();

    expect(await s.getExit(id)).toEqual(before);
    expect(await s.getItem(id, piece.pieceId)).toEqual(beforeItem);
    expect(await s.queueLength(id)).toBe(1);
  });

  it('keeps its counters consistent over random sequences of batches and finishes', async () => {
    const s = await open();
    for (let seed = 1; seed <= 12; seed++) {
      const random = seeded(seed);
      const id = await exiting(s);
      const pool = Array.from({ length: 8 }, () => item({ pieceSize: 1 + random(5000), durability: random(100) / 100 }));
      const queued = new Set<string>();
      let counted = 0;
      let finished = 0;
      let bytes = 0;
      for (let step = 0; step < 25; step++) {
        if (random(3) === 0) {
          const piece = pool[random(pool.length)]!;
          const kinds: FinishedItem[] = [{ kind: 'transferred', bytes: piece.pieceSize }, { kind: 'dropped' }, { kind: 'failed' }];
          const done = await s.finishItem(id, piece.pieceId, kinds[random(3)]!, T0 + step);
          expect(done, `seed ${seed} step ${step}: finishItem`).toBe(queued.delete(hex(piece.pieceId)));
          if (done) finished++;
        } else {
          const batch = Array.from({ length: random(4) }, () => pool[random(pool.length)]!);
          for (const p of batch) {
            if (queued.has(hex(p.pieceId))) continue;
            queued.add(hex(p.pieceId));
            counted++;
            bytes += p.pieceSize;
          }
          await s.enqueue(id, batch, cursor(step));
        }
        const record = (await s.getExit(id))!;
        const done = record.piecesTransferred + record.piecesDropped + record.piecesFailed;
        expect(done, `seed ${seed} step ${step}: finished ≤ queued`).toBeLessThanOrEqual(record.piecesQueued);
        expect(await s.queueLength(id), `seed ${seed} step ${step}: queue length`).toBe(record.piecesQueued - done);
        expect(record).toMatchObject({ piecesQueued: counted, startingBytes: bytes });
        expect(done).toBe(finished);
      }
    }
  });

  if (reopen) {
    it('keeps exits, queues and counters across a reopen', async () => {
      const s = await open();
      const id = await exiting(s);
      const done = await exiting(s);
      const [a, b] = [item({ durability: 0.125 }), item()];
      await s.enqueue(id, [a, b], cursor(4));
      await s.recordSend(id, a.pieceId, nodeId());
      await s.recordFailure(id, a.pieceId, { code: 'NOT_FOUND', at: T0 + 1, counts: true });
      await s.finishItem(id, b.pieceId, { kind: 'transferred', bytes: 1024 }, T0 + 2);
      await s.finishGathering(id, T0 + 3);
      await s.finishExit(done, finish());
      const gone = await exiting(s);
      await s.finishExit(gone, finish());
      await s.archiveExit(gone, T0 + 99);
      const { record: partial } = await s.startExit(gone, T0 + 100, { kind: 'partial', targetBytes: 7, policy: 'transfer' });
      const record = await s.getExit(id);
      const finishedRecord = await s.getExit(done);
      const goneHistory = await s.listExits({ nodeId: gone });
      const queued = await s.getItem(id, a.pieceId);

      const again = await reopen(s);
      expect(await again.getExit(id)).toEqual(record);
      expect(await again.getExit(done)).toEqual(finishedRecord);
      expect(await again.getExit(gone)).toEqual(partial);
      expect(await again.listExits({ nodeId: gone })).toEqual(goneHistory);
      expect(await again.getItem(id, a.pieceId)).toEqual(queued);
      expect(await again.nextItems(id, 10, [])).toEqual([queued]);
    });
  }
}
