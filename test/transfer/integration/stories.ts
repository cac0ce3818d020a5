/**
 * Stories the integration module must tell the same on every store: each takes a world of two
 * modules (a source "a" whose plugin the test drives, a destination) over a store of its own.
 */
import { expect } from 'vitest';
import type { ManualClock } from '../../../src/core/clock.js';
import type { MemoryCoreLink } from '../../../src/transfer/integration/memory.js';
import type { ProviderIntegration } from '../../../src/transfer/integration/provider-integration.js';
import type { TaskId, TaskState } from '../../../src/transfer/types.js';
import type { FakePlugin } from './fakes.js';

const SECOND = 1000;

/** What the stories need of a test's world. */
export interface StoryWorld {
  readonly clock: ManualClock;
  readonly core: MemoryCoreLink;
  readonly plugin: FakePlugin;
  readonly a: ProviderIntegration;
  /** Opens "a" again on the same store, as a restarted process would. */
  openA(): Promise<ProviderIntegration>;
  /** The core forwards task `taskId` to "a" and the client delivers its key. */
  forward(taskId: TaskId): Promise<void>;
  /** Lets `ms` pass and runs a round of "a". */
  after(ms: number): Promise<void>;
  /** The states the core was told for `taskId`, in order. */
  states(taskId: TaskId): TaskState[];
}

/**
 * The core is down while task 11 runs, pauses and runs again; "a" restarts; the core comes back
 * and gets every update in order. `whileDown` runs just before the restart.
 */
export async function keepsUpdatesWhileCoreIsDown(w: StoryWorld, whileDown: () => void = () => {}): Promise<void> {
  w.core.available = false;
  await w.forward(11);
  await w.after(0);
  w.plugin.report(11, { state: 'RUNNING', progress: 20 });
  await w.after(500);
  w.plugin.report(11, { state: 'PAUSED', progress: 25, interruption: { kind: 'retryable', reason: 'rsync stopped with exit 10' } });
  await w.after(500);
  await w.after(4 * SECOND);
  w.plugin.report(11, { state: 'RUNNING', progress: 60 });
  await w.after(500);
  expect(w.core.updates).toEqual([]);
  whileDown();

  await w.a.close();
  const a2 = await w.openA();
  w.plugin.report(11, { state: 'SUCCESS', progress: 100 });
  w.core.available = true;
  w.clock.advance(300 * SECOND);
  await a2.tick();
  await a2.tick();
  expect(w.states(11)).toEqual(['RUNNING', 'PAUSED', 'RUNNING', 'SUCCESS']);
  const progress = w.core.updatesFor(11).flatMap((u) => (u.newProgress === undefined ? [] : [u.newProgress]));
  expect(progress).toEqual([20, 25, 60, 100]);
}
