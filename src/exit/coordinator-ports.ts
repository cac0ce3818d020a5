/**
 * What a coordinator session needs from the satellite, as one object: the stores, the clock, the
 * signer, and the few satellite-wide actions (start/finish an exit, delete a piece on a node).
 */
import type { Clock } from '../core/clock.js';
import type { Identity } from '../crypto/identity.js';
import type { MetabaseStore } from '../metainfo/metabase/port.js';
import type { SegmentRecord } from '../metainfo/metabase/types.js';
import type { OverlayStore } from '../overlay/port.js';
import type { SatelliteExitMessage } from './messages.js';
import type { ExitQueueStore } from './queue-store.js';
import type { ExitConfig, ExitFailureReason, ExitOutcome, ExitRecord } from './types.js';

export interface CoordinatorPorts {
  readonly identity: Identity;
  readonly store: ExitQueueStore;
  readonly metabase: MetabaseStore;
  readonly overlay: OverlayStore;
  readonly clock: Clock;
  readonly config: ExitConfig;
  /** Replacement nodes must have been heard from within this window. */
  readonly onlineWindowMs: number;
  /** Records the exit's start, marks the node exiting and wakes the gatherer. */
  startExit(nodeId: Uint8Array, at: number): Promise<void>;
  /** Finishes the exit (first finish wins) and returns the final message to send. */
  finishExit(nodeId: Uint8Array, finish: { outcome: ExitOutcome; reason: ExitFailureReason | null; detail: string | null; at: number }): Promise<SatelliteExitMessage>;
  /** The final message of a finished exit, from its stored receipt. */
  finalMessage(exit: ExitRecord): Promise<SatelliteExitMessage>;
  /** Healthy pieces of a segment (on active nodes). */
  healthyPieces(segment: SegmentRecord): Promise<number>;
  /** Best-effort signed delete of one piece on one node. */
  deletePiece(nodeId: Uint8Array, pieceId: Uint8Array): void;
  onError?: ((error: unknown, where: string) => void) | undefined;
}
