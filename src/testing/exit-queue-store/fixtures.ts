/**
 * What the parts of the exit queue store suite share: the context of the running test, and
 * builders for exits, queue items, cursors and finishes.
 */
import { toHex } from '../../core/bytes.js';
import { getCryptoProvider } from '../../crypto/select.js';
import type { SegmentCursor } from '../../metainfo/metabase/types.js';
import type { ExitQueueStore, FinishExit, NewExitQueueItem } from '../../exit/queue-store.js';
import type { ExitQueueItem } from '../../exit/types.js';

/** What each part of the exit queue store suite sees. */
export interface SuiteContext {
  /** A new, empty store for the running test; the suite closes it after the test. */
  open(): Promise<ExitQueueStore>;
  /** Closes `store` and opens the same data again (the suite closes what it returns); undefined for stores that keep nothing. */
  readonly reopen: ((store: ExitQueueStore) => Promise<ExitQueueStore>) | undefined;
}

export const T0 = 1_700_000_000_000;
export const MINUTE = 60_000;

export const randomBytes = (n: number): Uint8Array => getCryptoProvider().randomBytes(n);
export const nodeId = (): Uint8Array => randomBytes(32);
export const hex = (bytes: Uint8Array): string => toHex(bytes);

export function cursor(index = 0, streamId: Uint8Array = randomBytes(16)): SegmentCursor {
  return { streamId, position: { part: 0, index } };
}

export function item(overrides: Partial<NewExitQueueItem> = {}): NewExitQueueItem {
  return {
    pieceId: randomBytes(32),
    rootPieceId: randomBytes(32),
    pieceNumber: 3,
    streamId: randomBytes(16),
    position: { part: 0, index: 0 },
    pieceSize: 1024,
    durability: 0.5,
    drop: false,
    queuedAt: T0,
    ...overrides,
  };
}

export function finish(overrides: Partial<FinishExit> = {}): FinishExit {
  return { outcome: 'completed', reason: null, detail: null, receipt: randomBytes(80), at: T0 + 60 * MINUTE, ...overrides };
}

export const pieceIds = (items: readonly Pick<ExitQueueItem, 'pieceId'>[]): string[] => items.map((i) => hex(i.pieceId));

/** Starts an exit and returns the node id. */
export async function exiting(s: ExitQueueStore, at = T0): Promise<Uint8Array> {
  const id = nodeId();
  await s.startExit(id, at);
  return id;
}
