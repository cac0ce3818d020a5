/**
 * What keeps this process alive: `process.getActiveResourcesInfo()` lists every referenced
 * handle (socket, server, child process, ...), request and timer. A test takes a baseline before
 * it starts anything and, after its teardown, expects exactly the baseline back: whatever vitest
 * itself holds (its pipes, the test's own timeout timer) is in both and cancels out; whatever is
 * left over is ours.
 */
import { expect } from 'vitest';

export type ResourceBaseline = readonly string[];

/** The resources alive now (take it before the test starts anything). */
export function resourceBaseline(): ResourceBaseline {
  return process.getActiveResourcesInfo();
}

/** The resources alive now that were not in `baseline`, e.g. `['TCPSocketWrap', 'Timeout']`. */
export function resourcesSince(baseline: ResourceBaseline): string[] {
  const left = new Map<string, number>();
  for (const name of baseline) left.set(name, (left.get(name) ?? 0) + 1);
  const extra: string[] = [];
  for (const name of process.getActiveResourcesInfo()) {
    const count = left.get(name) ?? 0;
    if (count > 0) left.set(name, count - 1);
    else extra.push(name);
  }
  return extra.sort();
}

/**
 * Fails, naming them, when anything besides `baseline` is still alive a few turns of the event
 * loop from now. The turns are for handles Node has been told to close but closes at the end of
 * the loop's current turn (a `net.Server` emits 'close' before its handle is gone); what is left
 * after them is not closing at all. No wall-clock wait is involved.
 */
export async function expectNothingLeftSince(baseline: ResourceBaseline): Promise<void> {
  for (let turn = 0; turn < 5 && resourcesSince(baseline).length > 0; turn++) await new Promise((resolve) => setImmediate(resolve));
  expect(resourcesSince(baseline), 'sockets, timers or processes left running after close()').toEqual([]);
}
