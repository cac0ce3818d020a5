/**
 * The satellite's `Node.CheckIn` endpoint. A node is who its handshake proved it is; the address
 * it claims is dialed back and must answer with that same identity, so no node can register
 * someone else's address (and have uploads sent there). Check-ins are rate-limited per node.
 */
import { InvalidArgumentError, PermissionDeniedError, FailedPreconditionError, ResourceExhaustedError, isHandoffError } from '../core/errors.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { NodeId } from '../crypto/node-id.js';
import { RpcClient } from '../rpc/client.js';
import type { CallContext } from '../rpc/context.js';
import type { RpcServer } from '../rpc/server.js';
import type { Transport } from '../transport/types.js';
import { checkNodeAddress } from './address.js';
import { CheckIn, type CheckInRequest, type CheckInResponse } from './checkin.js';
import type { OverlayStore } from './port.js';

/** How often nodes are asked to check in (1 h). */
export const DEFAULT_CHECK_IN_INTERVAL_MS = 60 * 60_000;
/** Check-ins of one node closer together than this (10 s) only read its status. */
export const DEFAULT_MIN_CHECK_IN_GAP_MS = 10_000;
/** How long a dial-back may take (5 s). */
export const DEFAULT_DIAL_BACK_TIMEOUT_MS = 5_000;
/** A node not heard from for this long (4 check-in intervals) is not selected: callers' default online window. */
export const DEFAULT_ONLINE_WINDOW_MS = 4 * DEFAULT_CHECK_IN_INTERVAL_MS;

export interface OverlayServiceOptions {
  readonly store: OverlayStore;
  /** The transport to dial nodes back on (the satellite's own). Required unless `verifyAddress` is false. */
  readonly transport?: Transport;
  /**
   * Dial the claimed address and require it to answer, in the handshake, as the calling node
   * (default true). Turn off only where addresses cannot be dialed back (some tests).
   */
  readonly verifyAddress?: boolean;
  readonly clock?: Clock;
  /** Told to nodes: check in again within this long (default {@link DEFAULT_CHECK_IN_INTERVAL_MS}). */
  readonly checkInIntervalMs?: number;
  /** See {@link DEFAULT_MIN_CHECK_IN_GAP_MS}. */
  readonly minCheckInGapMs?: number;
  /** See {@link DEFAULT_DIAL_BACK_TIMEOUT_MS}. */
  readonly dialBackTimeoutMs?: number;
  /** Replaces {@link checkNodeAddress}, e.g. to also refuse private ranges in production. */
  readonly checkAddress?: (address: string) => void;
}

interface Attempt {
  at: number;
  outcome: 'pending' | 'accepted' | 'refused';
}

/** Attempts remembered before old ones are swept. */
const SWEEP_THRESHOLD = 4096;

/**
 * Serves `Node.CheckIn` on `server`. A fresh check-in validates the address, dials it back
 * (expecting the caller's identity), then records the contact and answers with the node's
 * status; within `minCheckInGapMs` of the previous one it only answers with the status (after a
 * refused or still-running one: `ResourceExhausted`).
 *
 * @example
 * ```ts
 * const server = new RpcServer({ identity: satelliteIdentity });
 * registerOverlay(server, { store: overlay, transport });
 * await server.listen(transport, '0.0.0.0:7777');
 * ```
 */
export function registerOverlay(server: RpcServer, options: OverlayServiceOptions): void {
  const verify = options.verifyAddress ?? true;
  if (verify && options.transport === undefined) {
    throw new InvalidArgumentError('registerOverlay: "transport" is required to verify node addresses (or set verifyAddress: false)');
  }
  const clock = options.clock ?? systemClock;
  const interval = options.checkInIntervalMs ?? DEFAULT_CHECK_IN_INTERVAL_MS;
  const minGap = options.minCheckInGapMs ?? DEFAULT_MIN_CHECK_IN_GAP_MS;
  const dialTimeout = options.dialBackTimeoutMs ?? DEFAULT_DIAL_BACK_TIMEOUT_MS;
  const checkAddress = options.checkAddress ?? checkNodeAddress;
  const attempts = new Map<string, Attempt>();
  let lastSweep = 0;

  function sweep(now: number): void {
    if (attempts.size < SWEEP_THRESHOLD || now - lastSweep < minGap) return;
    lastSweep = now;
    for (const [key, attempt] of attempts) if (now - attempt.at >= minGap && attempt.outcome !== 'pending') attempts.delete(key);
  }

  async function dialBack(address: string, peer: NodeId, signal: AbortSignal): Promise<void> {
    const client = new RpcClient({
      transport: options.transport!,
      address,
      identity: server.identity,
      expectedPeer: peer,
      handshakeTimeoutMs: dialTimeout,
      maxIdleConnections: 0,
    });
    try {
      await client.connect({ signal: AbortSignal.any([signal, AbortSignal.timeout(dialTimeout)]) });
    } catch (err) {
      if (signal.aborted) throw err;
      if (isHandoffError(err, 'Unauthenticated')) {
        throw new PermissionDeniedError(`check-in refused: ${address} does not answer as this node`, { cause: err });
      }
      throw new FailedPreconditionError(`check-in refused: ${address} did not answer (${(err as Error).message})`, { cause: err });
    } finally {
      await client.close();
    }
  }

  server.unary(CheckIn, async (request: CheckInRequest, ctx: CallContext): Promise<CheckInResponse> => {
    const key = ctx.peer.toString();
    const now = clock.now();
    const previous = attempts.get(key);
    if (previous && now - previous.at < minGap) {
      if (previous.outcome === 'accepted') {
        const node = await options.store.get(ctx.peer.bytes);
        if (node) return { status: node.status, checkInIntervalMs: interval };
      }
      if (previous.outcome !== 'accepted') {
        throw new ResourceExhaustedError(`check-in too soon: wait ${Math.ceil((minGap - (now - previous.at)) / 1000)} s`);
      }
    }
    sweep(now);
    const attempt: Attempt = { at: now, outcome: 'pending' };
    attempts.set(key, attempt);
    try {
      checkAddress(request.address);
      if (verify) await dialBack(request.address, ctx.peer, ctx.signal);
      const node = await options.store.checkIn({
        id: ctx.peer.bytes,
        address: request.address,
        wallet: request.wallet,
        freeBytes: request.freeBytes,
        version: request.version,
        at: clock.now(),
      });
      attempt.outcome = 'accepted';
      return { status: node.status, checkInIntervalMs: interval };
    } catch (err) {
      attempt.outcome = 'refused';
      throw err;
    }
  });
}
