/**
 * The storage node's graceful-exit storage port (`graceful_exit_status`): one
 * {@link NodeExitStatus} per satellite the node is exiting or has exited. Counters only grow, and
 * a finished exit stays finished. Implementations: memory, SQLite (in the node's own database)
 * and PostgreSQL; all pass `nodeExitStoreSuite` from `handoff/testing`.
 */
import type { NodeExitStatus } from './types.js';

/** What a finished exit records. */
export interface NodeExitFinish {
  readonly state: 'completed' | 'failed';
  readonly failureReason: string | null;
  /** The satellite's signed receipt, encoded. */
  readonly receipt: Uint8Array;
  readonly at: number;
}

export interface NodeExitStore {
  /**
   * Records the start of an exit from `satelliteId` with the bytes held for it now, unless one is
   * recorded already (then it is returned unchanged: `startedAt` and `startingBytes` never move).
   */
  start(satelliteId: Uint8Array, startingBytes: number, at: number): Promise<NodeExitStatus>;

  get(satelliteId: Uint8Array): Promise<NodeExitStatus | undefined>;

  /** Every recorded exit, oldest first. */
  list(): Promise<NodeExitStatus[]>;

  /** Adds one verified transfer of `bytes` (ignored unless the exit is `exiting`). */
  addTransferred(satelliteId: Uint8Array, bytes: number): Promise<void>;

  /** Adds one failed transfer (ignored unless the exit is `exiting`). */
  addFailed(satelliteId: Uint8Array): Promise<void>;

  /** Adds one deleted piece of `bytes` (counted whatever the state: the wipe after the end counts too). */
  addDeleted(satelliteId: Uint8Array, bytes: number): Promise<void>;

  /**
   * Finishes an `exiting` exit (compare-and-swap): returns the finished status, or undefined when
   * it is not exiting (already finished, or unknown) — the first finish wins.
   */
  finish(satelliteId: Uint8Array, finish: NodeExitFinish): Promise<NodeExitStatus | undefined>;

  /** Records that every remaining piece of the satellite was removed (after the exit finished). */
  markWiped(satelliteId: Uint8Array): Promise<void>;

  close(): Promise<void>;
}
