/**
 * The move flow's runner with a scripted host and a manual clock: retries wait on the injected
 * clock (no real sleep), an abort clears the timers, and a move that fails cancels what it still
 * had in flight.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { InvalidArgumentError, UnavailableError } from '../../src/core/errors.js';
import type { SegmentKey } from '../../src/metainfo/metabase/move.js';
import type { ObjectInfo } from '../../src/metainfo/schemas.js';
import type { MovePlan } from '../../src/move/flow.js';
import { runMoveFlow, type MoveFlowHost } from '../../src/move/flow-runner.js';
import { packSegmentKeys } from '../../src/move/key-page.js';
import type { UnaryMethod } from '../../src/rpc/method.js';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const plan: MovePlan = {
  mode: 'move', header: { apiKey: 'hk1_test' }, bucket: 'photos', newBucket: 'photos', oldEncryptedKey: bytes(8, 1), newEncryptedKey: bytes(8, 2), overwrite: false, chunkSize: 2,
};
const keysAt = (from: number, count: number): SegmentKey[] =>
  Array.from({ length: count }, (_, i) => ({ position: { part: 0, index: from + i }, encryptedKey: bytes(48, from + i), encryptedKeyNonce: bytes(24, 9) }));
const moved = { bucket: 'photos', encryptedKey: bytes(8, 2), version: 1, streamId: bytes(16, 3), status: 'committed', createdAt: 1, segmentCount: 3 } as ObjectInfo;

type Answer = (request: unknown, signal: AbortSignal) => Promise<unknown>;

/** A host whose satellite answers from `script` (by method name, in order) and whose re-wrap copies the keys. */
function host(clock: ManualClock, script: Record<string, Answer[]>, rewrap?: MoveFlowHost['rewrap']) {
  const log: { method: string; signal: AbortSignal }[] = [];
  const h: MoveFlowHost = {
    clock,
    call: <Req, Res>(method: UnaryMethod<Req, Res>, request: Req, signal: AbortSignal) => {
      log.push({ method: method.name, signal });
      const next = script[method.name]?.shift();
      if (!next) return Promise.reject(new Error(`unscripted ${method.name}`));
      return next(request, signal) as Promise<Res>;
    },
    rewrap: rewrap ?? (async (keys) => packSegmentKeys(keys)),
    rewrapMetadata: (m) => m,
    explainMissing: async (error) => error,
  };
  return { host: h, log };
}

const ok = (response: unknown): Answer => async () => response;
const lost: Answer = async () => {
  throw new UnavailableError('connection reset');
};
const begun = { moveToken: bytes(40, 7), streamId: bytes(16, 3), version: 1, segmentCount: 3, segmentKeys: packSegmentKeys(keysAt(0, 2)), moreSegments: true, operationId: bytes(16, 8) };
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('running a move flow', () => {
  it('retries a lost call when the injected clock says so, and reports progress as puts are taken', async () => {
    const clock = new ManualClock(0);
    const { host: h, log } = host(clock, {
      'Metainfo.BeginMoveObject': [lost, ok(begun)],
      'Metainfo.GetMoveSegments': [ok({ segmentKeys: packSegmentKeys(keysAt(2, 1)), moreSegments: false })],
      'Metainfo.PutMoveKeys': [ok({}), lost, ok({})],
      'Metainfo.FinishMoveObject': [ok({ object: moved })],
    });
    const progress: number[] = [];
    const result = runMoveFlow(h, plan, { onProgress: (p) => progress.push(p.segmentsDone) });
    await clock.whenPending(1);
    await settle();
    expect(log.map((c) => c.method)).toEqual(['Metainfo.BeginMoveObject']);
    clock.advance(49);
    expect(log).toHaveLength(1);
    clock.advance(1);
    // The second put is lost once: it waits for the clock again.
    await clock.whenPending(1);
    clock.advance(50);
    expect(await result).toEqual(moved);
    expect(progress).toEqual([2, 3]);
    expect(log.map((c) => c.method)).toEqual([
      'Metainfo.BeginMoveObject', 'Metainfo.BeginMoveObject', 'Metainfo.GetMoveSegments', 'Metainfo.PutMoveKeys', 'Metainfo.PutMoveKeys', 'Metainfo.PutMoveKeys', 'Metainfo.FinishMoveObject',
    ]);
    expect(clock.pending).toBe(0);
  });

  it('an abort while a retry waits rejects with CanceledError and leaves no timer behind', async () => {
    const clock = new ManualClock(0);
    const { host: h } = host(clock, { 'Metainfo.BeginMoveObject': [lost] });
    const abort = new AbortController();
    const result = runMoveFlow(h, plan, { signal: abort.signal });
    await clock.whenPending(1);
    abort.abort();
    await expect(result).rejects.toMatchObject({ name: 'CanceledError' });
    expect(clock.pending).toBe(0);
    // An already aborted signal never reaches the satellite.
    const { host: idle, log } = host(clock, {});
    await expect(runMoveFlow(idle, plan, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'CanceledError' });
    expect(log).toEqual([]);
  });

  it('a move that fails cancels the calls it still has in flight', async () => {
    const clock = new ManualClock(0);
    let pageSignal: AbortSignal | undefined;
    const { host: h } = host(
      clock,
      {
        'Metainfo.BeginMoveObject': [ok(begun)],
        // The next page never answers on its own: only the cancel ends it.
        'Metainfo.GetMoveSegments': [(_, signal) => new Promise((_resolve, reject) => {
          pageSignal = signal;
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        })],
      },
      async () => {
        throw new InvalidArgumentError('not a key');
      },
    );
    await expect(runMoveFlow(h, plan)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    expect(pageSignal?.aborted).toBe(true);
  });

  it('a host whose call throws instead of rejecting fails the move with that error', async () => {
    const { host: h } = host(new ManualClock(0), {});
    const broken = new Error('no transport');
    await expect(runMoveFlow({ ...h, call: () => { throw broken; } }, plan)).rejects.toBe(broken);
  });

  it('a progress callback that throws fails the move with its error', async () => {
    const clock = new ManualClock(0);
    const { host: h } = host(clock, {
      'Metainfo.BeginMoveObject': [ok({ ...begun, segmentCount: 2, moreSegments: false })],
      'Metainfo.PutMoveKeys': [ok({})],
    });
    const oops = new Error('display broke');
    await expect(runMoveFlow(h, plan, { onProgress: () => { throw oops; } })).rejects.toBe(oops);
  });
});

describe('a retry wait on the real clock', () => {
  it('keeps a process alive with nothing else open, so a CLI move is not cut off mid-retry', async () => {
    // The system clock unrefs its timers (chores must not hold a process); an awaited retry must.
    const { execFileSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const runner = fileURLToPath(new URL('../../src/move/flow-runner.ts', import.meta.url));
    const clock = fileURLToPath(new URL('../../src/core/clock.ts', import.meta.url));
    const script = `const { delay } = await import(${JSON.stringify(runner)});
      const { systemClock } = await import(${JSON.stringify(clock)});
      await delay(systemClock, 150); console.log('waited');`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(out.trim()).toBe('waited');
  }, 30_000);
});
