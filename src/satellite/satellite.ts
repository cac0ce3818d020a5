/**
 * The satellite as one object: metainfo, the node registry, order settlement and the cleanup
 * chore wired onto one RPC server, over any transport and any store.
 */
import { systemClock, type Clock } from '../core/clock.js';
import { Identity } from '../crypto/identity.js';
import type { NodeId } from '../crypto/node-id.js';
import { metainfoConfig, type MetainfoConfig } from '../metainfo/endpoint/config.js';
import type { MetainfoContext } from '../metainfo/endpoint/context.js';
import { registerMetainfo } from '../metainfo/service.js';
import { registerMove } from '../move/service.js';
import type { MoveConfig } from '../move/config.js';
import { registerSettlement } from '../orders/ledger/service.js';
import type { OverlayStore } from '../overlay/port.js';
import { DEFAULT_SELECTION_REFRESH_MS, SelectionCachedOverlay } from '../overlay/selection-cache.js';
import { registerOverlay } from '../overlay/service.js';
import type { CreatedProject } from '../projects/types.js';
import { RpcServer } from '../rpc/server.js';
import type { Listener, Transport } from '../transport/types.js';
import { ExitCoordinator } from '../exit/exit-coordinator.js';
import { GarbageCollector, type GcConfig } from '../durability/gc/service.js';
import { RepairService } from '../durability/repair/service.js';
import { AuditService } from '../durability/audit/service.js';
import type { AuditConfig } from '../durability/audit/types.js';
import type { RepairConfig } from '../durability/repair/types.js';
import type { ContactConfig } from '../durability/contact/config.js';
import { registerDialFailureReports } from '../durability/contact/reports.js';
import { ContactService } from '../durability/contact/service.js';
import type { ExitConfig } from '../exit/types.js';
import { Chore } from './chore.js';
import { PieceDeleter } from './piece-deleter.js';
import type { SatelliteStore } from './store.js';

/** The satellite's configuration, service by service; each part has defaults. */
export interface SatelliteConfig {
  metainfo: Partial<MetainfoConfig>;
  /** Server-side move and copy (docs/move.md). */
  move: Partial<MoveConfig>;
  /** Nodes are asked to check in this often (default 1 h). */
  checkInIntervalMs: number;
  /** Dial a checking-in node back to prove it owns its address (default true). */
  verifyNodeAddresses: boolean;
  /** How often expired uploads and objects are deleted (default 10 min). */
  cleanupIntervalMs: number;
  /** Objects deleted per cleanup batch (default 1000). */
  cleanupBatch: number;
  /** Graceful exit's rules (docs/exit.md); every field has a default. */
  exit: Partial<ExitConfig>;
  /** How often exits nobody works on are checked against the inactivity window, and time-based exits for their end (default 1 h). */
  exitInactivityCheckMs: number;
  /** Garbage collection (docs/durability.md): how often, the filters' false-positive rate and size cap; every field has a default. */
  gc: Partial<GcConfig>;
  /** Repair's checker and repairer (docs/durability.md); every field has a default. */
  repair: Partial<RepairConfig>;
  /** Audits (docs/durability.md): how often, how many segments, the timeout; every field has a default. */
  audit: Partial<AuditConfig>;
  /** Contact and uptime (docs/durability.md): how often nodes are dialed, when absence suspends and disqualifies. */
  contact: Partial<ContactConfig>;
  /**
   * How often the node-selection cache reloads the selectable nodes from the store (default 60 s).
   * Uploads, repair and exits pick nodes from it in memory; 0 queries the store for every segment
   * instead. Changes other processes make reach it at the next reload (docs/scaling.md).
   */
  selectionRefreshMs: number;
}

/** What {@link Satellite.start} needs: a transport, an address, a store, and optionally an identity and configuration. */
export interface SatelliteOptions {
  transport: Transport;
  /** Where to listen, e.g. `127.0.0.1:7777` (`:0` picks a free port). */
  address: string;
  /** Default: a fresh identity (fine for tests; a real satellite loads its own). */
  identity?: Identity;
  store: SatelliteStore;
  config?: Partial<SatelliteConfig>;
  clock?: Clock;
  /** Unexpected handler errors (bugs), for logs. */
  onError?: (error: unknown, where: string) => void;
}

/**
 * @example
 * ```ts
 * const satellite = await Satellite.start({ transport: tcpTransport(), address: '127.0.0.1:0', store: await openSatelliteStore({ kind: 'memory' }) });
 * const { apiKey } = await satellite.createProject('photos');
 * ```
 */
export class Satellite {
  readonly identity: Identity;
  readonly server: RpcServer;
  readonly store: SatelliteStore;
  readonly metainfo: MetainfoContext;
  readonly chores: { readonly cleanup: Chore; readonly exitInactivity: Chore; readonly gc: Chore; readonly repairChecker: Chore; readonly repairer: Chore; readonly audit: Chore; readonly contact: Chore };
  /** Contact and uptime: dials every node each `contact.intervalMs`; `runOnce()` runs a pass now. */
  readonly contact: ContactService;
  /** Graceful exit: `GracefulExit.Process`, gathering, the exit records. */
  readonly exits: ExitCoordinator;
  /** Garbage collection: `runOnce()` sends every node the filter of pieces to keep and returns per-node stats (the chore runs it every `gc.intervalMs`). */
  readonly gc: GarbageCollector;
  /** Repair: `checkOnce()` queues what needs repair, `repairOnce()` repairs it (the chores do both on their own). */
  readonly repair: RepairService;
  /** Audits: `runOnce()` re-verifies contained nodes and audits a sample of segments (the chore runs it every `audit.intervalMs`). */
  readonly audit: AuditService;
  readonly #listener: Listener;
  readonly #deleter: PieceDeleter;
  readonly #clock: Clock;
  readonly #selection: SelectionCachedOverlay | undefined;

  private constructor(parts: { identity: Identity; server: RpcServer; store: SatelliteStore; metainfo: MetainfoContext; listener: Listener; deleter: PieceDeleter; chores: Satellite['chores']; exits: ExitCoordinator; clock: Clock; gc: GarbageCollector; repair: RepairService; audit: AuditService; contact: ContactService; selection: SelectionCachedOverlay | undefined }) {
    this.identity = parts.identity;
    this.server = parts.server;
    this.store = parts.store;
    this.metainfo = parts.metainfo;
    this.#listener = parts.listener;
    this.#deleter = parts.deleter;
    this.#clock = parts.clock;
    this.#selection = parts.selection;
    this.chores = parts.chores;
    this.contact = parts.contact;
    this.exits = parts.exits;
    this.gc = parts.gc;
    this.repair = parts.repair;
    this.audit = parts.audit;
  }

  static async start(options: SatelliteOptions): Promise<Satellite> {
    const identity = options.identity ?? Identity.generate();
    const clock = options.clock ?? systemClock;
    const config: SatelliteConfig = {
      metainfo: {},
      move: {},
      checkInIntervalMs: 3600_000,
      verifyNodeAddresses: true,
      cleanupIntervalMs: 10 * 60_000,
      cleanupBatch: 1000,
      exit: {},
      exitInactivityCheckMs: 3600_000,
      gc: {},
      repair: {},
      audit: {},
      contact: {},
      selectionRefreshMs: DEFAULT_SELECTION_REFRESH_MS,
      ...options.config,
    };
    // Every part of the satellite reaches the overlay through the cache, so every change this
    // process makes to a node patches what uploads select from.
    const selection = config.selectionRefreshMs > 0
      ? new SelectionCachedOverlay(options.store.overlay, { clock, refreshMs: config.selectionRefreshMs, onError: (err) => options.onError?.(err, 'node selection cache') })
      : undefined;
    const store = selection ? withOverlay(options.store, selection) : options.store;
    const server = new RpcServer({ identity, onError: (err, method) => options.onError?.(err, method) });
    const deleter = new PieceDeleter({ identity, overlay: store.overlay, transport: options.transport, clock });
    const metainfo = registerMetainfo(server, {
      identity,
      metabase: store.metabase,
      overlay: store.overlay,
      projects: store.projects,
      config: metainfoConfig(config.metainfo),
      clock,
      onSegmentsDeleted: (segments) => deleter.enqueue(segments),
    });
    registerMove(server, {
      identity,
      metabase: store.metabase,
      projects: store.projects,
      clock,
      config: { maxKeyLength: metainfo.config.maxKeyLength, ...config.move },
      onSegmentsDeleted: (segments) => deleter.enqueue(segments),
    });
    registerOverlay(server, { store: store.overlay, transport: options.transport, verifyAddress: config.verifyNodeAddresses, clock, checkInIntervalMs: config.checkInIntervalMs });
    registerSettlement(server, { ledger: store.ledger, clock });
    /** A chore on the satellite's clock whose errors are reported as `<name> chore`. */
    const chore = (name: string, intervalMs: number, work: () => Promise<unknown>): Chore =>
      new Chore(name, async () => void (await work()), { intervalMs, clock, onError: (err) => options.onError?.(err, `${name} chore`) });
    const cleanup = chore('cleanup', config.cleanupIntervalMs, async () => {
      for (;;) {
        const { objects, segments } = await store.metabase.deleteExpired(clock.now(), config.cleanupBatch);
        deleter.enqueue(segments);
        if (objects.length < config.cleanupBatch) break;
      }
      // Abandoned chunked moves: their stored keys go with them.
      while ((await store.metabase.deleteExpiredMoves(clock.now(), config.cleanupBatch)) === config.cleanupBatch);
      // Settled serials are kept until their orders expire, so a replay is always caught.
      while ((await store.ledger.deleteExpiredSerials(clock.now(), config.cleanupBatch)) === config.cleanupBatch);
    });
    const exits = new ExitCoordinator({
      identity,
      store: store.exits,
      metabase: store.metabase,
      overlay: store.overlay,
      clock,
      config: config.exit,
      onlineWindowMs: metainfo.config.onlineWindowMs,
      deletePiece: (nodeId, pieceId) => deleter.enqueuePiece(nodeId, pieceId),
      onError: (err, where) => options.onError?.(err, where),
    });
    exits.register(server);
    const gc = new GarbageCollector({ identity, metabase: store.metabase, overlay: store.overlay, transport: options.transport, clock, config: config.gc });
    const contact = new ContactService({ store: store.overlay, transport: options.transport, identity, clock, config: config.contact, onError: (err, where) => options.onError?.(err, where) });
    registerDialFailureReports(server, { contact, authorize: (header) => metainfo.authorize(header) });
    const repair = new RepairService({
      identity,
      metabase: store.metabase,
      overlay: store.overlay,
      queue: store.repairQueue,
      transport: options.transport,
      clock,
      config: config.repair,
      onlineWindowMs: metainfo.config.onlineWindowMs,
      deletePiece: (nodeId, pieceId) => deleter.enqueuePiece(nodeId, pieceId),
      onError: (err, where) => options.onError?.(err, where),
    });
    const audit = new AuditService({ identity, metabase: store.metabase, overlay: store.overlay, containment: store.containment, transport: options.transport, clock, config: config.audit, onError: (err, where) => options.onError?.(err, where) });
    // A node that fails a repair download is judged like a failed audit.
    repair.onPieceFailure((failure) => void audit.recordRepairFailure(failure).catch((err: unknown) => options.onError?.(err, 'repair failure to reputation')));
    const chores = {
      cleanup,
      // The inactivity rule, and time-based exits whose period is over.
      exitInactivity: chore('exit inactivity', config.exitInactivityCheckMs, () => exits.checkDue()),
      gc: chore('garbage collection', gc.config.intervalMs, () => gc.runOnce()),
      repairChecker: chore('repair checker', repair.config.checkIntervalMs, () => repair.checkOnce()),
      repairer: chore('repairer', repair.config.repairIntervalMs, () => repair.repairOnce()),
      audit: chore('audit', audit.config.intervalMs, () => audit.runOnce()),
      contact: chore('contact', contact.config.intervalMs, () => contact.runOnce()),
    };
    const listener = await server.listen(options.transport, options.address);
    const satellite = new Satellite({ identity, server, store, metainfo, listener, deleter, chores, exits, clock, gc, repair, audit, contact, selection });
    for (const each of Object.values(chores)) each.start();
    try {
      // Until the first load completes, selection asks the store.
      await selection?.start();
      await exits.start();
    } catch (err) {
      await satellite.close(); // a failed start leaves nothing listening
      throw err;
    }
    return satellite;
  }

  get id(): NodeId {
    return this.identity.id;
  }

  /** The address nodes and uplinks dial. */
  get address(): string {
    return this.#listener.address;
  }

  /** Creates a project and its first API key. */
  createProject(name: string): Promise<CreatedProject> {
    return this.store.projects.createProject(name, this.#clock.now());
  }

  /** Waits until queued piece deletions have been sent (tests use it). */
  settleDeletes(): Promise<void> {
    return this.#deleter.drain();
  }

  /** Stops chores and the server. The store is the caller's: close it after. */
  async close(): Promise<void> {
    await this.chores.cleanup.stop();
    await this.chores.exitInactivity.stop();
    await this.chores.gc.stop();
    await this.gc.close();
    await this.chores.repairChecker.stop();
    await this.chores.repairer.stop();
    await this.repair.close();
    await this.chores.audit.stop();
    await this.audit.close();
    await this.chores.contact.stop();
    await this.contact.close();
    // Ends exit streams without finishing any exit: a shutdown never completes or fails one.
    await this.exits.close();
    await this.server.close();
    await this.#deleter.close();
    await this.#selection?.stop();
  }
}

/** `store` with its overlay replaced (the other stores and close() are the same). */
function withOverlay(store: SatelliteStore, overlay: OverlayStore): SatelliteStore {
  return {
    metabase: store.metabase,
    overlay,
    projects: store.projects,
    ledger: store.ledger,
    exits: store.exits,
    repairQueue: store.repairQueue,
    containment: store.containment,
    close: () => store.close(),
  };
}
