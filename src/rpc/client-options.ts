/**
 * What an {@link RpcClient} and each of its calls are told: where to dial and the pool's limits
 * (`RpcClientOptions`), a call's cancellation and deadline (`CallOptions`).
 */
import type { Clock } from '../core/clock.js';
import type { Identity } from '../crypto/identity.js';
import type { NodeId } from '../crypto/node-id.js';
import type { Transport } from '../transport/types.js';

/** Options of {@link RpcClient}: where to dial, whom to expect there, and limits. */
export interface RpcClientOptions {
  transport: Transport;
  /** The server's address on that transport. */
  address: string;
  /** Our identity, proven to the server. Default: a fresh ephemeral identity. */
  identity?: Identity;
  /** Refuse a server that is not this node (pinning). */
  expectedPeer?: NodeId;
  /**
   * Idle connections kept for reuse however few calls ran lately (default 4). After a burst the
   * pool keeps as many as the burst had in use at once, so the next burst dials nothing; each is
   * closed once idle for {@link idleTimeoutMs}. 0 keeps none: every connection closes after its call.
   */
  maxIdleConnections?: number;
  /** An idle pooled connection is closed after this long (default 60 s); also how long a burst's demand is remembered. */
  idleTimeoutMs?: number;
  /** Time for idle timeouts (default the system clock); tests pass a `ManualClock`. */
  clock?: Clock;
  /**
   * Authenticated connections to keep ready beyond those in use (default 0). Each time a call
   * takes a connection, a spare is dialed in the background if the pool has fewer: the next
   * call made while this one runs then skips the dial and the handshake, whose round trips take
   * far longer to a busy server than to an idle one.
   */
  spareConnections?: number;
  /**
   * Dials (connect, TLS and identity handshake) in flight at once, spares included (default 8).
   * Calls that find no idle connection queue, oldest first, for whichever comes first: a
   * connection another call frees, or one a dial made; a dial is started for each queued call,
   * this many at most at once. Servers refuse more than 32
   * handshakes at once from one address by default (`maxUnauthenticatedPerAddress`), so a cold
   * burst of hundreds of calls must not dial them all at once.
   */
  maxConcurrentDials?: number;
  handshakeTimeoutMs?: number;
  /** Largest message accepted (default 8 MiB, the transports' frame limit). */
  maxMessageBytes?: number;
}

/** Per-call options: cancellation and a deadline. */
export interface CallOptions {
  signal?: AbortSignal;
  /** Abandon the call (on both sides) after this many milliseconds: `DeadlineExceededError`. */
  timeoutMs?: number;
}

/** Default of {@link RpcClientOptions.maxConcurrentDials}: a quarter of a server's default handshakes per address. */
export const DEFAULT_MAX_CONCURRENT_DIALS = 8;
