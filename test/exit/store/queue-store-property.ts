/**
 * A fast-check property every exit queue store runs (fast-check is a dev dependency, so this
 * lives with the tests rather than in the shipped suite): random sequences of gathering batches
 * and — sometimes concurrent — item finishes never count a piece twice. After every step,
 * transferred + dropped + failed ≤ queued, and the queue holds exactly queued − finished pieces.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { toHex } from '../../../src/core/bytes.js';
import { getCryptoProvider } from '../../../src/crypto/select.js';
import type { ExitQueueStore, FinishedItem, NewExitQueueItem } from '../../../src/exit/queue-store.js';

const T0 = 1_700_000_000_000;

const piece = fc.record({ pieceSize: fc.nat({ max: 2 ** 40 }), durability: fc.double({ min: 0, max: 1, noNaN: true }), drop: fc.boolean() });
const command = fc.oneof(
  fc.record({ kind: fc.constant('enqueue' as const), picks: fc.array(fc.nat(), { maxLength: 6 }) }),
  fc.record({
    kind: fc.constant('finish' as const),
    pick: fc.nat(),
    result: fc.constantFrom<FinishedItem['kind']>('transferred', 'dropped', 'failed'),
    racers: fc.integer({ min: 1, max: 3 }),
  }),
);

export function queueCounterProperty(open: () => Promise<ExitQueueStore>, numRuns = 50): void {
  it('never counts a piece twice over random batches and (racing) finishes (fast-check)', async () => {
    const store = await open();
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 6 }), fc.array(command, { maxLength: 15 }), async (shapes, commands) => {
          const random = (n: number) => getCryptoProvider().randomBytes(n);
          const nodeId = random(32);
          await store.startExit(nodeId, T0);
          const pool: NewExitQueueItem[] = shapes.map((shape) => ({
            ...shape,
            pieceId: random(32),
            rootPieceId: random(32),
            pieceNumber: 1,
            streamId: random(16),
            position: { part: 0, index: 0 },
            queuedAt: T0,
          }));
          const queued = new Set<string>();
          let counted = 0;
          let finished = 0;
          for (const [step, c] of commands.entries()) {
            if (c.kind === 'enqueue') {
              const batch = c.picks.map((i) => pool[i % pool.length]!);
              for (const p of batch) if (!queued.has(toHex(p.pieceId)) && queued.add(toHex(p.pieceId))) counted++;
              await store.enqueue(nodeId, batch, { streamId: random(16), position: { part: 0, index: step } });
            } else {
              const p = pool[c.pick % pool.length]!;
              const result: FinishedItem = c.result === 'transferred' ? { kind: 'transferred', bytes: p.pieceSize } : { kind: c.result };
              const won = await Promise.all(Array.from({ length: c.racers }, () => store.finishItem(nodeId, p.pieceId, result, T0 + step)));
              const expected = queued.delete(toHex(p.pieceId)) ? 1 : 0;
              expect(won.filter(Boolean)).toHaveLength(expected);
              finished += expected;
            }
            const record = (await store.getExit(nodeId))!;
            const done = record.piecesTransferred + record.piecesDropped + record.piecesFailed;
            expect(done).toBeLessThanOrEqual(record.piecesQueued);
            expect(await store.queueLength(nodeId)).toBe(record.piecesQueued - done);
            expect([record.piecesQueued, done]).toEqual([counted, finished]);
          }
        }),
        { numRuns },
      );
    } finally {
      await store.close();
    }
  });
}
