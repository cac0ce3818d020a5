/**
 * The contact service's runner: dials nodes (every node each pass, and reported nodes at once),
 * records each outcome in the overlay and carries out what {@link afterContact} decides. Clock,
 * transport, identity and store are injected; the pass is scheduled by its host (the satellite
 * runs it as a chore every `intervalMs`).
 */
import { toHex } from '../../core/bytes.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { CanceledError, isHandoffError } from '../../core/errors.js';
import type { Identity } from '../../crypto/identity.js';
import { NodeId } from '../../crypto/node-id.js';
import type { OverlayStore } from '../../overlay/port.js';
import type { NodeRecord } from '../../overlay/types.js';
import { RpcClient } from '../../rpc/client.js';
import type { Transport } from '../../transport/types.js';
import { contactConfig, type ContactConfig } from './config.js';
import { afterContact, shouldContact, type ContactEffect } from './decide.js';
import { Ping } from './methods.js';
import { WindowLimiter } from './rate-limit.js';

/** Dials `node` and proves it is there, as itself; rejects when it is not. */
export type NodeDialer = (node: NodeRecord, signal: AbortSignal) => Promise<void>;

export interface ContactServiceOptions {
  readonly store: OverlayStore;
  /** The satellite's transport and identity: contacts are authenticated both ways. */
  readonly transport: Transport;
  readonly identity: Identity;
  readonly clock?: Clock;
  readonly config?: Partial<ContactConfig>;
  /** Replaces the default contact (dial, handshake pinned to the node id, `Node.Ping`). */
  readonly dial?: NodeDialer;
  /** Unexpected errors (a store failing), for logs. A node that does not answer is no error. */
  readonly onError?: (error: unknown, where: string) => void;
}

/** One contact's outcome. */
export interface ContactResult {
  readonly nodeId: Uint8Array;
  /** What started it: the schedule, or a dial-failure report. */
  readonly trigger: 'pass' | 'report';
  readonly success: boolean;
  /** Why it failed. */
  readonly error?: unknown;
  /** What the outcome led to (suspension, disqualification, unsuspension). */
  readonly effects: readonly ContactEffect[];
  /** The node's record after all of it (undefined if it vanished). */
  readonly node: NodeRecord | undefined;
}

/** A pass's tally. */
export interface ContactPass {
  readonly contacted: number;
  readonly failed: number;
  readonly effects: number;
}

/** What became of a dial-failure report. */
export type ReportOutcome = 'scheduled' | 'recently-checked' | 'not-contacted' | 'rate-limited';

/**
 * @example
 * ```ts
 * const contact = new ContactService({ store: overlay, transport, identity, config: { intervalMs: 60_000 } });
 * const chore = new Chore('contact', async () => void (await contact.runOnce()), { intervalMs: contact.config.intervalMs, clock });
 * chore.start();
 * ```
 */
export class ContactService {
  readonly config: ContactConfig;
  readonly #options: ContactServiceOptions;
  readonly #clock: Clock;
  readonly #dial: NodeDialer;
  readonly #inflight = new Map<string, Promise<ContactResult | undefined>>();
  readonly #listeners = new Set<(result: ContactResult) => void>();
  readonly #closing = new AbortController();
  readonly #projects: WindowLimiter;
  readonly #rechecks: WindowLimiter;
  #reportedActive = 0;
  readonly #reportedQueue: Array<() => void> = [];
  #pass: Promise<ContactPass> | undefined;
  #lastPrune = Number.NEGATIVE_INFINITY;
  #idle: Array<() => void> = [];

  constructor(options: ContactServiceOptions) {
    this.#options = options;
    this.config = contactConfig(options.config);
    this.#clock = options.clock ?? systemClock;
    this.#dial = options.dial ?? pingDialer(options.transport, options.identity, this.config.timeoutMs);
    const maxKeys = this.config.maxTrackedReporters;
    this.#projects = new WindowLimiter({ limit: this.config.maxReportsPerProject, windowMs: this.config.reportWindowMs, maxKeys });
    this.#rechecks = new WindowLimiter({ limit: 1, windowMs: this.config.recheckGapMs, maxKeys });
  }

  /**
   * One pass over every node (in id order, page by page, `concurrency` at a time): dial it,
   * record the outcome, apply what it calls for. A pass asked for while one runs starts after it.
   */
  async runOnce(): Promise<ContactPass> {
    while (this.#pass) await this.#pass.catch(() => undefined);
    const pass = this.#runPass();
    this.#pass = pass;
    try {
      return await pass;
    } finally {
      if (this.#pass === pass) this.#pass = undefined;
      this.#wakeIfIdle();
    }
  }

  /** Contacts one node now (joining a contact of it already under way); undefined for an unknown node, or one not contacted (exited, disqualified). */
  async contact(nodeId: Uint8Array): Promise<ContactResult | undefined> {
    const node = await this.#options.store.get(nodeId);
    if (node === undefined || !shouldContact(node)) return undefined;
    return this.#contact(node, 'report');
  }

  /**
   * A dial-failure report from `reporter` (a project): counted against the reporter's limit,
   * then, unless the node was re-checked for a report within `recheckGapMs`, a contact of it is
   * started (not awaited). The report itself changes nothing about the node.
   */
  async report(nodeId: Uint8Array, reporter: string): Promise<ReportOutcome> {
    if (this.#closing.signal.aborted) return 'not-contacted';
    const now = this.#clock.now();
    if (!this.#projects.take(`project:${reporter}`, now)) return 'rate-limited';
    const node = await this.#options.store.get(nodeId);
    if (node === undefined || !shouldContact(node)) return 'not-contacted';
    if (!this.#rechecks.take(toHex(nodeId), now)) return 'recently-checked';
    void this.#reported(node);
    return 'scheduled';
  }

  /** Successful contacts over attempts within `onlineScoreWindowMs` (1 with no attempt). */
  onlineScore(nodeId: Uint8Array): Promise<number> {
    return this.#options.store.onlineScore(nodeId, { since: Math.max(0, this.#clock.now() - this.config.onlineScoreWindowMs) });
  }

  /** Calls `listener` after every contact; returns the unsubscribe. */
  onContact(listener: (result: ContactResult) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves once no pass and no contact is under way (tests wait on it instead of sleeping). */
  async whenIdle(): Promise<void> {
    while (this.#busy) await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  /** Ends contacts under way (not recorded) and refuses new ones; resolves when all have stopped. */
  async close(): Promise<void> {
    this.#closing.abort(new CanceledError('contact service closed'));
    for (const start of this.#reportedQueue.splice(0)) start();
    await this.whenIdle();
  }

  get #busy(): boolean {
    return this.#pass !== undefined || this.#inflight.size > 0 || this.#reportedActive > 0 || this.#reportedQueue.length > 0;
  }

  #wakeIfIdle(): void {
    if (!this.#busy) for (const wake of this.#idle.splice(0)) wake();
  }

  async #runPass(): Promise<ContactPass> {
    const { store } = this.#options;
    const { concurrency, pageSize } = this.config;
    const tally = { contacted: 0, failed: 0, effects: 0 };
    const running = new Set<Promise<void>>();
    const signal = this.#closing.signal;
    let cursor: Uint8Array | undefined;
    while (!signal.aborted) {
      const page = await store.listNodes({ limit: pageSize, ...(cursor === undefined ? {} : { cursor }) });
      for (const node of page) {
        if (signal.aborted) break;
        if (!shouldContact(node)) continue;
        while (running.size >= concurrency) await Promise.race(running);
        const task = this.#contact(node, 'pass').then((result) => {
          if (result === undefined) return;
          tally.contacted++;
          if (!result.success) tally.failed++;
          tally.effects += result.effects.length;
        });
        const tracked = task.finally(() => running.delete(tracked));
        running.add(tracked);
      }
      if (page.length < pageSize) break;
      cursor = page.at(-1)!.id;
    }
    await Promise.all(running);
    await this.#prune();
    return tally;
  }

  /** Contacts of reported nodes run apart from the pass, `concurrency` at a time. */
  async #reported(node: NodeRecord): Promise<void> {
    if (this.#reportedActive >= this.config.concurrency) await new Promise<void>((resolve) => this.#reportedQueue.push(resolve));
    this.#reportedActive++;
    try {
      if (!this.#closing.signal.aborted) await this.#contact(node, 'report');
    } finally {
      this.#reportedActive--;
      this.#reportedQueue.shift()?.();
      this.#wakeIfIdle();
    }
  }

  /** One contact of `node`, shared by whoever asks while it runs. */
  #contact(node: NodeRecord, trigger: ContactResult['trigger']): Promise<ContactResult | undefined> {
    const key = toHex(node.id);
    const running = this.#inflight.get(key);
    if (running) return running;
    const contact = this.#attempt(node, trigger)
      .catch((err: unknown) => {
        this.#options.onError?.(err, 'contact');
        return undefined;
      })
      .finally(() => {
        this.#inflight.delete(key);
        this.#wakeIfIdle();
      });
    this.#inflight.set(key, contact);
    return contact;
  }

  async #attempt(node: NodeRecord, trigger: ContactResult['trigger']): Promise<ContactResult | undefined> {
    const { store } = this.#options;
    const signal = this.#closing.signal;
    let error: unknown;
    try {
      await this.#dial(node, AbortSignal.any([signal, AbortSignal.timeout(this.config.timeoutMs)]));
    } catch (err) {
      error = err ?? new Error('contact failed');
    }
    // A contact cut short by our own shutdown says nothing about the node.
    if (signal.aborted) return undefined;
    const success = error === undefined;
    const at = this.#clock.now();
    let record = await store.recordContact(node.id, { at, success });
    if (record === undefined) return undefined;
    const effects = afterContact(record, at, this.config);
    for (const effect of effects) record = (await this.#apply(record, effect, at)) ?? record;
    const result: ContactResult = { nodeId: node.id, trigger, success, ...(success ? {} : { error }), effects, node: record };
    for (const listener of this.#listeners) {
      try {
        listener(result);
      } catch (err) {
        this.#options.onError?.(err, 'contact listener');
      }
    }
    return result;
  }

  async #apply(node: NodeRecord, effect: ContactEffect, at: number): Promise<NodeRecord | undefined> {
    const { store } = this.#options;
    switch (effect.type) {
      case 'suspend':
        return store.setSuspended(node.id, { at, reason: effect.reason });
      case 'unsuspend':
        return store.setSuspended(node.id, null);
      case 'disqualify':
        // A compare-and-swap: a node whose status moved meanwhile (its exit finished) is judged at the next contact.
        return (await store.setStatus({ id: node.id, from: effect.from, to: 'disqualified', at, reason: effect.reason })) ?? store.get(node.id);
    }
  }

  /** Contact windows older than the online score's span go, at most once an hour. */
  async #prune(): Promise<void> {
    const now = this.#clock.now();
    if (now - this.#lastPrune < 3600_000) return;
    this.#lastPrune = now;
    await this.#options.store.pruneContactWindows(Math.max(0, now - this.config.onlineScoreWindowMs));
  }
}

/**
 * The default contact: a fresh connection to the node's address, the identity handshake pinned
 * to its id, and `Node.Ping`. A node that predates `Node.Ping` answers NotFound (unknown
 * method) — the handshake has already proved it is there, as itself, so that counts.
 */
export function pingDialer(transport: Transport, identity: Identity, timeoutMs: number): NodeDialer {
  return async (node, signal) => {
    const client = new RpcClient({ transport, address: node.address, identity, expectedPeer: NodeId.fromPublicKey(node.id), handshakeTimeoutMs: timeoutMs, maxIdleConnections: 0 });
    try {
      await client.call(Ping, {}, { signal, timeoutMs });
    } catch (err) {
      if (isHandoffError(err, 'NotFound') && !signal.aborted) return;
      throw err;
    } finally {
      await client.close();
    }
  };
}
