/**
 * Telling the satellite about nodes this uplink could not dial (`Overlay.ReportDialFailure`), so
 * it checks them at once instead of at its next scheduled contact. Fire-and-forget: a report
 * never delays or fails the user's call, and each node is reported at most once a minute.
 */
import { toHex } from '../core/bytes.js';
import type { Clock } from '../core/clock.js';
import { ReportDialFailure } from '../durability/contact/methods.js';
import type { RpcClient } from '../rpc/client.js';
import type { Transport } from '../transport/types.js';

/** A node is reported again only after this long (1 min). */
const REPORT_GAP_MS = 60_000;
/** Nodes remembered as reported; beyond, the memory starts over. */
const MAX_REMEMBERED = 1024;

/** Sends dial-failure reports on the uplink's satellite client. */
export class DialFailureReporter {
  readonly #reported = new Map<string, number>();
  readonly #inflight = new Set<Promise<void>>();

  constructor(
    private readonly satellite: RpcClient,
    private readonly apiKey: string,
    private readonly clock: Clock,
  ) {}

  /** Reports `nodeId` unless it was reported within the last minute; never throws. */
  report(nodeId: Uint8Array): void {
    const key = toHex(nodeId);
    const now = this.clock.now();
    const last = this.#reported.get(key);
    if (last !== undefined && now - last < REPORT_GAP_MS) return;
    if (this.#reported.size >= MAX_REMEMBERED) this.#reported.clear();
    this.#reported.set(key, now);
    const sent = this.satellite.call(ReportDialFailure, { header: { apiKey: this.apiKey }, nodeId }, { timeoutMs: 10_000 }).then(
      () => undefined,
      () => undefined, // the satellite refused (rate limit) or is gone: the report was only a hint
    );
    this.#inflight.add(sent);
    void sent.then(() => this.#inflight.delete(sent));
  }

  /** Resolves once every report sent so far was answered (or failed). */
  async settled(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.all([...this.#inflight]);
  }
}

/**
 * `transport` for dialing one node: a dial that fails (not one we aborted) calls
 * `onFailure(nodeId)` before it rejects as it would have.
 */
export function reportingTransport(transport: Transport, nodeId: Uint8Array, onFailure: (nodeId: Uint8Array) => void): Transport {
  return {
    name: transport.name,
    listen: (address, onConnection) => transport.listen(address, onConnection),
    dial: async (address, options) => {
      try {
        return await transport.dial(address, options);
      } catch (err) {
        if (options?.signal?.aborted !== true) onFailure(nodeId);
        throw err;
      }
    },
  };
}
