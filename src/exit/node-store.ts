/**
 * The storage node's graceful-exit storage port (`graceful_exit_status`): one
 * {@link NodeExitStatus} per satellite the node is exiting or has exited. Counters only grow, and
 * a finished exit stays finished. Implementations: memory, SQLite (in the node's own database)
 * and PostgreSQL; all pass `nodeExitStoreSuite` from `handoff/testing`.
 */
import type { ExitBandwidthChoice, ExitKind, ExitPolicy, NodeExitStatus } from './types.js';

/** What kind of exit {@link NodeExitStore.start} records. */
export interface NodeExitStart {
  readonly kind: ExitKind;
  /** A partial exit's positive target; null for a full exit. */
  readonly targetBytes: number | null;
  readonly policy: ExitPolicy;
  readonly bandwidth: ExitBandwidthChoice | null;
}

/** A full exit by transfer with no bandwidth choice: what a start records unless told otherwise. */
export const FULL_NODE_EXIT: NodeExitStart = Object.freeze({ kind: 'full', targetBytes: null, policy: 'transfer', bandwidth: null });

/** What a finished exit records. */
export interface NodeExitFinish {
  readonly state: 'completed' | 'failed';
  readonly failureReason: string | null;
  /** The satellite's signed receipt, encoded. */
  readonly receipt: Uint8Array;
  readonly at: number;
}

/** The storage node's port for its own exits: status, progress and receipts per satellite. */
export interface NodeExitStore {
  /**
   * Records the start of an exit from `satelliteId` with the bytes held for it now, unless one is
   * recorded already (then it is returned unchanged: `startedAt` and `startingBytes` never move).
   */
  start(satelliteId: Uint8Array, startingBytes: number, at: number, exit?: NodeExitStart): Promise<NodeExitStatus>;

  /** The current exit from `satelliteId` (never an archived one). */
  get(satelliteId: Uint8Array): Promise<NodeExitStatus | undefined>;

  /** Every current exit, oldest first. */
  list(): Promise<NodeExitStatus[]>;

  /** Archived exits (all of them, or one satellite's), oldest first. */
  history(satelliteId?: Uint8Array): Promise<NodeExitStatus[]>;

  /**
   * Moves the finished exit from `satelliteId` to the archive at `at`, so a new exit can start (or
   * after a rejoin, so the satellite is served again). True when it was archived; false, changing
   * nothing, when there is none or it is still exiting.
   */
  archive(satelliteId: Uint8Array, at: number): Promise<boolean>;

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
