/**
 * `GarbageCollector`: the satellite's garbage collection. Each run builds one bloom filter per
 * node of the piece ids to keep (filters.ts), then sends each node its filter with
 * `Piecestore.Retain`. A run that fails before its filters are complete sends nothing: a
 * partial filter would name live pieces as garbage.
 */
import { throwIfAborted } from '../../core/abort.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { toHex } from '../../core/bytes.js';
import { CanceledError } from '../../core/errors.js';
import type { Identity } from '../../crypto/identity.js';
import { NodeId } from '../../crypto/node-id.js';
import type { OverlayStore } from '../../overlay/port.js';
import type { NodeRecord } from '../../overlay/types.js';
import { RpcClient, type CallOptions } from '../../rpc/client.js';
import type { Transport } from '../../transport/types.js';
import { buildRetainFilters, DEFAULT_FILTER_CONFIG, type FilterConfig, type GcMetabase } from './filters.js';
import { PiecestoreRetain, type RetainRequest } from './messages.js';

/** Settings of the satellite's garbage collection. */
export interface GcConfig extends FilterConfig {
  /** Runs this often (default 24 h). */
  readonly intervalMs: number;
  /** Filters sent at once (default 4). */
  readonly concurrency: number;
  /** Deadline of one `Piecestore.Retain` call (default 60 s). */
  readonly sendTimeoutMs: number;
}

/** Garbage collection's defaults: filter size, false-positive rate, how often. */
export const DEFAULT_GC_CONFIG: GcConfig = {
  ...DEFAULT_FILTER_CONFIG,
  intervalMs: 24 * 3600_000,
  concurrency: 4,
  sendTimeoutMs: 60_000,
};

/** Where the collector finds nodes: their records, and (when the store can list them) every node, so one holding only garbage gets a filter too. */
export type GcNodeDirectory = Pick<OverlayStore, 'getMany'> & {
  listNodes?(page: { readonly cursor?: Uint8Array; readonly limit: number }): Promise<NodeRecord[]>;
};

/** What a run did for one node. */
export interface GcNodeReport {
  readonly nodeId: Uint8Array;
  /** Piece ids put in its filter. */
  readonly pieces: number;
  /** Bytes of the encoded filter. */
  readonly filterBytes: number;
  /** `sent`: the node queued its pass; `skipped`: not sent (see `reason`); `failed`: the call failed. */
  readonly outcome: 'sent' | 'skipped' | 'failed';
  readonly reason?: string;
}

/** What one garbage-collection round sent, node by node. */
export interface GcReport {
  /** When the segment iteration began. */
  readonly startedAt: number;
  /** The time the filters carry (≤ `startedAt`; see `RetainFilters.createdAt`). */
  readonly createdAt: number;
  readonly segments: number;
  readonly sweptSegments: number;
  readonly nodes: readonly GcNodeReport[];
}

export interface GarbageCollectorOptions {
  /** The satellite's identity: nodes accept a filter only from a satellite they trust. */
  readonly identity: Identity;
  readonly metabase: GcMetabase;
  readonly overlay: GcNodeDirectory;
  readonly transport: Transport;
  readonly clock?: Clock;
  readonly config?: Partial<GcConfig>;
  /**
   * Sends one node its filter (default: `Piecestore.Retain` over `transport`, pinned to the
   * node's id). Tests replace it to watch or hold what is sent.
   */
  readonly send?: (node: NodeRecord, request: RetainRequest, options: CallOptions) => Promise<void>;
}

/** Node statuses that get no filter: their pieces leave by graceful exit, or no longer count. */
const SKIPPED_STATUSES = new Set(['exiting', 'exited', 'disqualified']);

/**
 * @example
 * ```ts
 * const gc = new GarbageCollector({ identity, metabase, overlay, transport });
 * const report = await gc.runOnce();
 * for (const node of report.nodes) console.log(node.outcome, node.pieces, node.filterBytes);
 * ```
 */
export class GarbageCollector {
  readonly config: GcConfig;
  readonly #options: GarbageCollectorOptions;
  readonly #clock: Clock;
  readonly #closing = new AbortController();
  #running: Promise<unknown> = Promise.resolve();
  readonly #clients = new Map<string, RpcClient>();
  #closed = false;

  constructor(options: GarbageCollectorOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.config = { ...DEFAULT_GC_CONFIG, ...options.config };
  }

  /** Runs garbage collection once (after a run in progress, never beside it). */
  runOnce(options: { readonly signal?: AbortSignal } = {}): Promise<GcReport> {
    const run = this.#running.catch(() => undefined).then(() => this.#run(options.signal));
    this.#running = run;
    return run;
  }

  /** Stops a run in progress (it sends nothing more) and closes the connections to nodes. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#closing.abort(new CanceledError('the satellite is closing'));
    await this.#running.catch(() => undefined);
    await Promise.all([...this.#clients.values()].map((client) => client.close()));
    this.#clients.clear();
  }

  async #run(callerSignal: AbortSignal | undefined): Promise<GcReport> {
    const signal = callerSignal ? AbortSignal.any([callerSignal, this.#closing.signal]) : this.#closing.signal;
    throwIfAborted(signal);
    const listed = await this.#listNodes(signal);
    const built = await buildRetainFilters({
      metabase: this.#options.metabase,
      clock: this.#clock,
      config: this.config,
      nodeIds: listed.map((node) => node.id),
      signal,
    });
    const entries = [...built.filters.values()];
    const records = new Map<string, NodeRecord>();
    for (const node of listed) records.set(toHex(node.id), node);
    const unknown = entries.filter((entry) => !records.has(toHex(entry.nodeId))).map((entry) => entry.nodeId);
    for (let at = 0; at < unknown.length; at += 1000) {
      for (const node of await this.#options.overlay.getMany(unknown.slice(at, at + 1000))) records.set(toHex(node.id), node);
    }

    const reports: GcNodeReport[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < entries.length) {
        const entry = entries[next++]!;
        const base = { nodeId: entry.nodeId, pieces: entry.pieces, filterBytes: entry.filter.encodedLength };
        const node = records.get(toHex(entry.nodeId));
        if (!node) {
          reports.push({ ...base, outcome: 'skipped', reason: 'node is not in the overlay' });
          continue;
        }
        if (SKIPPED_STATUSES.has(node.status)) {
          reports.push({ ...base, outcome: 'skipped', reason: `node is ${node.status}` });
          continue;
        }
        try {
          throwIfAborted(signal);
          await this.#send(node, { createdAt: built.createdAt, filter: entry.filter.encode() }, { signal, timeoutMs: this.config.sendTimeoutMs });
          reports.push({ ...base, outcome: 'sent' });
        } catch (err) {
          if (signal.aborted) throw err;
          reports.push({ ...base, outcome: 'failed', reason: (err as Error).message });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.config.concurrency) }, worker));
    return { startedAt: built.startedAt, createdAt: built.createdAt, segments: built.segments, sweptSegments: built.sweptSegments, nodes: reports };
  }

  async #listNodes(signal: AbortSignal): Promise<NodeRecord[]> {
    const { overlay } = this.#options;
    if (!overlay.listNodes) return [];
    const nodes: NodeRecord[] = [];
    let cursor: Uint8Array | undefined;
    for (;;) {
      throwIfAborted(signal);
      const page = await overlay.listNodes(cursor === undefined ? { limit: 1000 } : { cursor, limit: 1000 });
      nodes.push(...page.filter((node) => !SKIPPED_STATUSES.has(node.status)));
      if (page.length < 1000) return nodes;
      cursor = page[page.length - 1]!.id;
    }
  }

  async #send(node: NodeRecord, request: RetainRequest, options: CallOptions): Promise<void> {
    if (this.#options.send) return this.#options.send(node, request, options);
    const key = toHex(node.id);
    let client = this.#clients.get(key);
    if (!client || client.address !== node.address) {
      await client?.close();
      if (this.#closed) throw new CanceledError('the satellite is closing');
      client = new RpcClient({
        transport: this.#options.transport,
        address: node.address,
        identity: this.#options.identity,
        expectedPeer: NodeId.fromPublicKey(node.id),
        maxIdleConnections: 1,
      });
      this.#clients.set(key, client);
    }
    await client.call(PiecestoreRetain, request, options);
  }
}
