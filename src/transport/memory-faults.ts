/**
 * Fault injection for the in-memory network: latency, connections dropped after N frames,
 * partitions between hosts, and killed listeners. Kept apart from the wiring so the knobs a test
 * turns read in one place.
 */
import type { MemoryNetwork } from './memory.js';

/**
 * Fault injection for a {@link MemoryNetwork}.
 *
 * @example
 * ```ts
 * const net = memoryNetwork();
 * net.faults.setLatency(20);                     // every frame 20 ms late
 * net.faults.dropConnectionsAfter('node-1:1', 5); // reset after 5 frames
 * net.faults.partition('uplink', 'node-2');       // no traffic between the two hosts
 * net.faults.kill('node-3:1');                    // as if the process died
 * ```
 */
export class MemoryFaults {
  latencyMs = 0;
  readonly #net: MemoryNetwork;
  readonly dropAfter = new Map<string, number>();
  readonly partitions = new Set<string>();

  constructor(net: MemoryNetwork) {
    this.#net = net;
  }

  /** Delays every frame by `ms` (order is kept). */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Resets each future connection to `address` once it has carried `frames` frames (both ways). */
  dropConnectionsAfter(address: string, frames: number): void {
    this.dropAfter.set(address, frames);
  }

  /** Cuts `a` from `b`: dials between them fail and open connections between them are reset. */
  partition(a: string, b: string): void {
    this.partitions.add(pairKey(a, b));
    this.#net.resetBetween(a, b);
  }

  /** Undoes {@link partition} (or every partition when called without arguments). */
  heal(a?: string, b?: string): void {
    if (a === undefined || b === undefined) this.partitions.clear();
    else this.partitions.delete(pairKey(a, b));
  }

  /** Kills the listener at `address` as if its process died: no close handshake, all connections reset. */
  kill(address: string): void {
    this.#net.kill(address);
  }

  isPartitioned(a: string, b: string): boolean {
    return this.partitions.has(pairKey(a, b));
  }
}

/** @internal The order-free key of a host pair, so `partition(a, b)` and `partition(b, a)` agree. */
export function pairKey(a: string, b: string): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
}
