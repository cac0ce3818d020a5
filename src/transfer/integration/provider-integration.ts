/**
 * The integration module (IM) of one provider (seed 004 "UCloud/IM changes"): the door the core,
 * the client and other providers knock on. As a source it hands forwarded transfers and user
 * controls to its {@link SourceSide}, which runs the plugin, and polls on a timer, pushing every
 * change to the core in bulk through the {@link CoreOutbox}; as a destination it hands keys and
 * negotiations to its {@link DestinationSide}.
 */
import { systemClock, type Clock, type TimerHandle } from '../../core/clock.js';
import { FailedPreconditionError } from '../../core/errors.js';
import { validatePlugin, validateReceiver, type FileTransferPlugin, type FileTransferReceiver, type TransferKeyGrant } from '../plugin.js';
import type { ProviderId, ProviderTransferRequest, ProviderTransferResponse, TaskControl, TaskId } from '../types.js';
import type { FolderEntry, FolderPage, FolderPageRequest } from '../core/ports.js';
import { CoreOutbox } from './core-outbox.js';
import { DestinationSide } from './destination-side.js';
import type { ProviderFiles } from './files.js';
import { DEFAULT_POLICY, type IntegrationPolicy } from './policy.js';
import type { CoreLink, PeerHandler, PeerNegotiationRequest, PeerNegotiationResponse, PeerProvider, PeerReleaseRequest } from './ports.js';
import { SourceSide } from './source-side.js';
import type { IntegrationStore, OutgoingTask } from './store.js';

/** The ports and plugins of a {@link ProviderIntegration}. */
export interface ProviderIntegrationOptions {
  readonly providerId: ProviderId;
  readonly store: IntegrationStore;
  readonly core: CoreLink;
  readonly peers: PeerProvider;
  /** The plugin this provider sends with; without one it refuses forwarded transfers. */
  readonly plugin?: FileTransferPlugin;
  /** The receiver this provider receives with; without one it refuses negotiations. */
  readonly receiver?: FileTransferReceiver;
  /**
   * The files this provider serves, which the core lists for its users (`FilesProvider.ListFolder`)
   * and asks about (`FilesProvider.Stat`); without them both are refused.
   */
  readonly files?: ProviderFiles;
  /** Maps a source path as the core names it to a local path (default: unchanged). */
  readonly resolveSource?: (sourcePath: string) => string;
  readonly clock?: Clock;
  /** How often running tasks are polled (default 500 ms). */
  readonly pollIntervalMs?: number;
  readonly policy?: Partial<IntegrationPolicy>;
  /** Ask plugins to compare content by checksum (default false). */
  readonly verifyChecksums?: boolean;
  /** Most updates per push to the core (default 1000). */
  readonly pushBatchSize?: number;
  /** Told about errors the module handles itself (unreachable core, failed clean-up). */
  readonly onError?: (error: unknown, context: string) => void;
}

/**
 * See the file comment.
 *
 * @example
 * ```ts
 * const im = await ProviderIntegration.open({ providerId: 'a', store, core, peers, plugin });
 * await im.acceptTransfers([{ taskId: 7, sourcePath: '/p/data', destinationPath: '/q/in', destinationProvider: 'b' }]);
 * const publicKey = await im.issueTransferKey(7);   // the client hands this to provider b
 * ```
 */
export class ProviderIntegration implements PeerHandler {
  readonly providerId: ProviderId;
  readonly #store: IntegrationStore;
  readonly #clock: Clock;
  readonly #pollIntervalMs: number;
  readonly #outbox: CoreOutbox;
  /** Absent without a plugin: this provider then refuses forwarded transfers. */
  readonly #source: SourceSide | undefined;
  readonly #destination: DestinationSide;
  readonly #onError: (error: unknown, context: string) => void;
  readonly #files: ProviderFiles | undefined;
  #tail: Promise<void> = Promise.resolve();
  #timer: TimerHandle | undefined;
  #closed = false;
  #nextSweepAt = 0;

  private constructor(options: ProviderIntegrationOptions) {
    if (options.plugin) validatePlugin(options.plugin);
    if (options.receiver) validateReceiver(options.receiver);
    this.providerId = options.providerId;
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
    this.#pollIntervalMs = options.pollIntervalMs ?? 500;
    const policy: IntegrationPolicy = { ...DEFAULT_POLICY, ...options.policy };
    this.#onError = options.onError ?? (() => undefined);
    this.#files = options.files;
    this.#outbox = new CoreOutbox({ store: this.#store, core: options.core, clock: this.#clock, policy, batchSize: options.pushBatchSize ?? 1000, onError: this.#onError });
    const { plugin } = options;
    this.#source = plugin
      ? new SourceSide({
          providerId: options.providerId,
          store: this.#store,
          plugin,
          peers: options.peers,
          outbox: this.#outbox,
          clock: this.#clock,
          policy,
          pollIntervalMs: this.#pollIntervalMs,
          resolveSource: options.resolveSource ?? ((p: string) => p),
          verifyChecksums: options.verifyChecksums ?? false,
          onError: this.#onError,
        })
      : undefined;
    this.#destination = new DestinationSide(options.providerId, this.#store, options.receiver, this.#clock);
  }

  /** Validates the plugins, reconciles stored tasks with running processes and starts polling. */
  static async open(options: ProviderIntegrationOptions): Promise<ProviderIntegration> {
    const im = new ProviderIntegration(options);
    await im.#source?.reconcile();
    im.#schedule();
    return im;
  }

  /** Core → source provider: accepts forwarded transfers (idempotent per task id). */
  async acceptTransfers(items: readonly ProviderTransferRequest[]): Promise<ProviderTransferResponse[]> {
    // No immediate round: the client is exchanging keys now; the next poll negotiates.
    const source = this.#source;
    const responses = items.map((item): ProviderTransferResponse => (source ? source.accept(item) : { ok: false, reason: this.#noPlugin() }));
    // An accepted task must outlive a crash before the core hears it was accepted.
    await this.#store.flush?.();
    return responses;
  }

  /** Core → source provider: a user's cancel, pause or resume. Resolves once it has taken effect. */
  async control(taskId: TaskId, control: TaskControl): Promise<void> {
    await this.#requireSource().control(taskId, control);
    void this.#outbox.flush();
  }

  /** Key exchange, source side (through the client's session): the task's public key. */
  async issueTransferKey(taskId: TaskId): Promise<string> {
    return this.#requireSource().issueTransferKey(taskId);
  }

  /** Key exchange, destination side (through the client's session): authorizes the source's key. */
  authorizeTransferKey(grant: TransferKeyGrant): Promise<void> {
    return this.#destination.authorizeTransferKey(grant);
  }

  handlePeerNegotiation(caller: ProviderId, request: PeerNegotiationRequest): Promise<PeerNegotiationResponse> {
    return this.#destination.negotiate(caller, request);
  }

  handlePeerRelease(caller: ProviderId, request: PeerReleaseRequest): Promise<void> {
    return this.#destination.release(caller, request);
  }

  /** Core → provider: one page of a folder this provider serves (see {@link ProviderFiles.list}). */
  listFolder(path: string, page?: FolderPageRequest): Promise<FolderPage> {
    return this.#requireFiles().list(path, page);
  }

  /** Core → provider: what is at `path`, or undefined when nothing is (see {@link ProviderFiles.stat}). */
  statFile(path: string): Promise<FolderEntry | undefined> {
    return this.#requireFiles().stat(path);
  }

  /** A task this provider sends, as stored. */
  getTask(taskId: TaskId): OutgoingTask | undefined {
    return this.#store.getOutgoing(taskId);
  }

  /** Runs one full round now (after any round in progress): poll, retry, halt, release, push. */
  tick(): Promise<void> {
    const round = this.#tail.then(() => this.#round());
    this.#tail = round.catch(() => undefined);
    return round;
  }

  /** Stops polling; running transfers go on and are reconciled by the next module on this store. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    await this.#tail;
    // The next module on this store's data must find everything this one wrote.
    await this.#flushStore();
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      void this.tick().finally(() => this.#schedule());
    }, this.#pollIntervalMs);
  }

  async #round(): Promise<void> {
    await this.#source?.round();
    // Even while the core is unreachable (the outbox then waits out its backoff and flushes
    // nothing): a round's process ids and states are durable when the round ends.
    await this.#flushStore();
    await this.#outbox.flush();
    const now = this.#clock.now();
    if (now >= this.#nextSweepAt) {
      this.#nextSweepAt = now + 60_000;
      await this.#destination.sweep(now).catch((err: unknown) => this.#onError(err, 'sweeping expired authorizations failed'));
    }
  }

  async #flushStore(): Promise<void> {
    await this.#store.flush?.().catch((err: unknown) => this.#onError(err, 'the store could not make its writes durable'));
  }

  #requireSource(): SourceSide {
    if (!this.#source) throw new FailedPreconditionError(this.#noPlugin());
    return this.#source;
  }

  #requireFiles(): ProviderFiles {
    if (!this.#files) throw new FailedPreconditionError(`provider "${this.providerId}" does not list its files`);
    return this.#files;
  }

  #noPlugin(): string {
    return `provider "${this.providerId}" has no transfer plugin configured`;
  }
}

