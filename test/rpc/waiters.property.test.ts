/**
 * WaiterQueue against a model: waiters are served oldest first, a waiter whose signal fires
 * leaves at once with the typed reason, nothing reaches a waiter twice, and a settled waiter
 * keeps no listener on its signal.
 */
import { getEventListeners } from 'node:events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CanceledError, DeadlineExceededError, UnavailableError } from '../../src/core/errors.js';
import { WaiterQueue } from '../../src/rpc/waiters.js';

type Op =
  | { op: 'wait'; signal: 'none' | 'abortable' | 'aborted' }
  | { op: 'abort'; pick: number; deadline: boolean }
  | { op: 'deliver' }
  | { op: 'failOne' }
  | { op: 'failAll' };

const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('wait' as const), signal: fc.constantFrom('none' as const, 'abortable' as const, 'aborted' as const) }),
    fc.record({ op: fc.constant('abort' as const), pick: fc.nat(), deadline: fc.boolean() }),
    fc.record({ op: fc.constant('deliver' as const) }),
    fc.record({ op: fc.constant('failOne' as const) }),
    fc.record({ op: fc.constant('failAll' as const) }),
  ),
  { maxLength: 60 },
);

type Outcome = { value: number } | { error: string };

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('WaiterQueue (property)', () => {
  it('behaves like a FIFO list from which aborted waiters drop out', async () => {
    await fc.assert(
      fc.asyncProperty(ops, async (list) => {
        const queue = new WaiterQueue<number>();
        const controllers: Array<AbortController | undefined> = [];
        const outcomes: Array<Outcome | undefined> = [];
        const expected: Outcome[] = [];
        /** Ids of waiters the model says are queued, oldest first. */
        let live: number[] = [];
        let nextValue = 0;
        const failure = new UnavailableError('failed');
        for (const step of list) {
          switch (step.op) {
            case 'wait': {
              const id = controllers.length;
              const controller = step.signal === 'none' ? undefined : new AbortController();
              if (step.signal === 'aborted') controller!.abort();
              controllers.push(controller);
              queue.wait(controller?.signal).then(
                (value) => (outcomes[id] = { value }),
                (err: Error) => (outcomes[id] = { error: err.name }),
              );
              if (step.signal === 'aborted') expected[id] = { error: 'CanceledError' };
              else live.push(id);
              break;
            }
            case 'abort': {
              const abortable = live.filter((id) => controllers[id] !== undefined);
              // Also aborts settled waiters' signals now and then: that must change nothing.
              const all = controllers.flatMap((c, id) => (c === undefined ? [] : [id]));
              const candidates = step.pick % 3 === 0 && all.length > 0 ? all : abortable;
              if (candidates.length === 0) break;
              const id = candidates[step.pick % candidates.length]!;
              const controller = controllers[id]!;
              if (controller.signal.aborted) break;
              controller.abort(step.deadline ? new DeadlineExceededError('late') : undefined);
              if (live.includes(id)) {
                live = live.filter((other) => other !== id);
                expected[id] = { error: step.deadline ? 'DeadlineExceededError' : 'CanceledError' };
              }
              break;
            }
            case 'deliver': {
              const value = nextValue++;
              expect(queue.deliver(value)).toBe(live.length > 0);
              const id = live.shift();
              if (id !== undefined) expected[id] = { value };
              break;
            }
            case 'failOne': {
              expect(queue.failOne(failure)).toBe(live.length > 0);
              const id = live.shift();
              if (id !== undefined) expected[id] = { error: 'UnavailableError' };
              break;
            }
            case 'failAll':
              expect(queue.failAll(failure)).toBe(live.length);
              for (const id of live) expected[id] = { error: 'UnavailableError' };
              live = [];
              break;
          }
          expect(queue.size).toBe(live.length);
          // Exactly the queued waiters listen on their signals.
          controllers.forEach((controller, id) => {
            if (controller !== undefined) expect(getEventListeners(controller.signal, 'abort').length).toBe(live.includes(id) ? 1 : 0);
          });
        }
        await flush();
        for (let id = 0; id < controllers.length; id++) expect(outcomes[id]).toEqual(live.includes(id) ? undefined : expected[id]);
        // Whoever is still queued is failed, as RpcClient.close() does.
        queue.failAll(failure);
        await flush();
        for (const id of live) expect(outcomes[id]).toEqual({ error: 'UnavailableError' });
      }),
      { numRuns: 300 },
    );
  });

  it('the reasons are the typed errors themselves', async () => {
    const queue = new WaiterQueue<number>();
    const canceled = new AbortController();
    const late = new AbortController();
    const a = queue.wait(canceled.signal);
    const b = queue.wait(late.signal);
    canceled.abort();
    late.abort(new DeadlineExceededError('deadline of 5 ms exceeded'));
    await expect(a).rejects.toBeInstanceOf(CanceledError);
    await expect(b).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(queue.size).toBe(0);
  });
});
