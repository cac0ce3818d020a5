/**
 * Gathering, the runner: for each exit not yet gathered, one pass over every segment from the
 * exit's saved cursor, queueing the exiting node's pieces batch by batch. Each batch and the
 * cursor are written together, so a satellite restart resumes where it stopped and never
 * queues a piece twice.
 */
import { toHex } from '../core/bytes.js';
import type { Clock } from '../core/clock.js';
import type { MetabaseStore } from '../metainfo/metabase/port.js';
import type { SegmentCursor } from '../metainfo/metabase/types.js';
import type { OverlayStore } from '../overlay/port.js';
import type { NodeStatus } from '../overlay/types.js';
import { gatherItems } from './gather.js';
import type { ExitQueueStore } from './queue-store.js';

export interface GathererDeps {
  readonly store: ExitQueueStore;
  readonly metabase: MetabaseStore;
  readonly overlay: OverlayStore;
  readonly clock: Clock;
  readonly batchSize: number;
  readonly onError?: ((error: unknown, where: string) => void) | undefined;
}

export class ExitGatherer {
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;

  constructor(private readonly deps: GathererDeps) {}

  /** Starts a pass over every exit waiting to be gathered (or runs another once the current one ends). */
  kick(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          await this.#pass();
        } while (this.#again && !this.#closed);
      } catch (err) {
        this.deps.onError?.(err, 'graceful exit gathering');
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  /** Stops after the current batch; resolves when the pass has stopped. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#running;
  }

  async #pass(): Promise<void> {
    const { store, metabase, overlay, clock, batchSize } = this.deps;
    const waiting = (await store.listExits({ unfinished: true })).filter((e) => e.gatheredAt === null);
    for (const exit of waiting) {
      const statuses = new Map<string, NodeStatus>();
      let cursor: SegmentCursor | undefined = exit.gatherCursor;
      for (;;) {
        if (this.#closed) return;
        const segments = await metabase.iterateSegments({ cursor, limit: batchSize });
        const unknown = new Map<string, Uint8Array>();
        for (const segment of segments) for (const piece of segment.pieces) {
          const key = toHex(piece.nodeId);
          if (!statuses.has(key)) unknown.set(key, piece.nodeId);
        }
        if (unknown.size > 0) {
          for (const node of await overlay.getMany([...unknown.values()])) statuses.set(toHex(node.id), node.status);
          for (const key of unknown.keys()) if (!statuses.has(key)) statuses.set(key, 'disqualified'); // unknown node: not healthy
        }
        const items = gatherItems(segments, exit.nodeId, (id) => statuses.get(toHex(id)) === 'active', clock.now());
        const last = segments.at(-1);
        if (last !== undefined) {
          cursor = { streamId: last.streamId, position: last.position };
          await store.enqueue(exit.nodeId, items, cursor);
        }
        if (segments.length < batchSize) break;
      }
      await store.finishGathering(exit.nodeId, clock.now());
    }
  }
}
