/**
 * What {@link StorageNode.start} takes and what a storage node reports: its options, the
 * satellites it serves, the choice an exit may need, why it stopped, and its version.
 */
import type { Clock } from '../core/clock.js';
import type { Identity } from '../crypto/identity.js';
import type { NodeId } from '../crypto/node-id.js';
import type { RetainConfig } from '../durability/gc/retain-service.js';
import type { PieceStore } from '../piecestore/store.js';
import type { Transport } from '../transport/types.js';
import type { ExitBandwidthChoice, NodeExitStatus } from '../exit/types.js';
import type { WorkerConfig } from '../exit/worker.js';
import type { NodeDatabase } from './db/database.js';
import type { StorageNode } from './storage-node.js';

/** A satellite this node serves: its id (a NodeId or its printed form) and address. */
export interface SatelliteEntry {
  id: NodeId | string;
  address: string;
}

/** What {@link StorageNode.start} needs: transport, address, satellites, piece storage, database, wallet, capacity. */
export interface StorageNodeOptions {
  transport: Transport;
  /** Where to listen, e.g. `127.0.0.1:0`. */
  address: string;
  identity?: Identity;
  satellites: SatelliteEntry[];
  /** Where pieces live (an `FsPieceStore` in production, `MemoryPieceStore` in tests). */
  storage: PieceStore;
  /** The node's own state (trusted satellites, used serials, orders to settle). */
  db: NodeDatabase;
  /** Payout address, reported at check-in. */
  wallet: string;
  /** Bytes this node offers (a partial exit lowers what it reports, for good: see `allocatedBytes`). */
  capacity: number;
  /**
   * Bytes of bandwidth per calendar month (UTC) the node may use, ingress and egress (default:
   * unlimited). An exit that needs more than is left asks the caller to choose (docs/exit.md).
   */
  bandwidthAllocation?: number;
  /**
   * Stop the node by itself once it has exited every satellite it serves (default false): it
   * closes, and `stopped` resolves with reason `exited` so the host can end the process.
   */
  shutdownAfterExits?: boolean;
  /** The address satellites and uplinks should dial (default: the listener's). */
  externalAddress?: string;
  clock?: Clock;
  /** Orders are settled this often (default 1 h). */
  settleIntervalMs?: number;
  /** Pieces whose expiration has passed are deleted this often (default 1 h). */
  collectIntervalMs?: number;
  /** Graceful exit workers: transfers at once, backoff after a broken stream. */
  exit?: Partial<WorkerConfig>;
  /** Called as an exit makes progress (pieces transferred, deleted) and when it ends. */
  onExitProgress?: (status: NodeExitStatus) => void;
  /** Garbage collection: its clock-skew margin, the trash's retention and how often it is emptied (docs/durability.md). */
  gc?: Partial<RetainConfig>;
  onError?: (error: unknown, where: string) => void;
}

/** The storage node's version, as it reports it at check-in. */
export const NODE_VERSION = '0.1.0';

/** What to do when the node's bandwidth allocation cannot cover an exit (see {@link StorageNodeOptions.bandwidthAllocation}). */
export interface ExitOptions {
  /** `exceed` the allocation, or `wait` for it to renew whenever it runs out. Needed only when the allocation falls short. */
  readonly bandwidth?: ExitBandwidthChoice;
}

/** Why a node stopped: `closed` by its host, or by itself after `exited` every satellite ({@link StorageNodeOptions.shutdownAfterExits}). */
export interface NodeStopped {
  readonly reason: 'closed' | 'exited';
}
