/**
 * How `handoff satellite run` and `handoff node run` stop: the first signal asks them to close,
 * a process still alive after the grace exits anyway (saying so), a second signal exits at once.
 * The signals come from a stand-in emitter and the exit is recorded, so nothing here touches
 * this process's own signal handling.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { watchStopSignals, type StopRequest } from '../../src/cli/stop.js';

let watching: StopRequest | undefined;
afterEach(() => watching?.dispose());

function watch(graceMs: number) {
  const signals = new EventEmitter();
  const lines: string[] = [];
  let exited!: (status: number) => void;
  const exit = new Promise<number>((resolve) => (exited = resolve));
  watching = watchStopSignals((line) => lines.push(line), { graceMs, signals, exit: (status) => exited(status) });
  return { signals, lines, exit, stop: watching };
}

describe('stopping on a signal', () => {
  it('the first SIGINT asks to stop; one still running after the grace exits anyway, saying so', async () => {
    const { signals, lines, exit, stop } = watch(20);
    signals.emit('SIGINT');
    expect(await stop.requested).toBe('SIGINT');
    expect(await exit).toBe(1);
    expect(lines).toEqual(['handoff: SIGINT: stopping (send it again to exit at once)', 'handoff: still running 0 s after SIGINT: exiting anyway']);
  });

  it('a second signal exits at once with the status a shell expects', async () => {
    const { signals, lines, exit, stop } = watch(600_000);
    signals.emit('SIGTERM');
    expect(await stop.requested).toBe('SIGTERM');
    signals.emit('SIGINT');
    expect(await exit).toBe(130);
    expect(lines.at(-1)).toBe('handoff: SIGINT again: exiting now');
  });

  it('once disposed, it listens no more: a later signal neither stops nor exits anything', () => {
    const { signals, lines } = watch(600_000);
    let exits = 0;
    watching!.dispose();
    watching = watchStopSignals((line) => lines.push(line), { graceMs: 600_000, signals, exit: () => exits++ });
    signals.emit('SIGTERM');
    watching.dispose();
    signals.emit('SIGINT');
    signals.emit('SIGINT');
    expect(exits).toBe(0);
    expect(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM')).toBe(0);
    expect(lines).toEqual(['handoff: SIGTERM: stopping (send it again to exit at once)']);
  });
});
