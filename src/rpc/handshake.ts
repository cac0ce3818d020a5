/**
 * The mutual identity handshake every connection starts with. Each side proves possession of
 * its Ed25519 key by signing a transcript of both nonces, both public keys, its role and — over
 * TLS — the channel's exported keying material, so a proof cannot be replayed on another
 * connection or relayed through a man in the middle.
 *
 *   client → HELLO(version, clientKey, clientNonce)
 *   server → HELLO_REPLY(serverKey, serverNonce, sign_server(transcript "server"))
 *   client → PROOF(sign_client(transcript "client"))
 *   server → ACCEPT, or ERROR and close
 */
import { raceAbort } from '../core/abort.js';
import { systemClock, type Clock } from '../core/clock.js';
import { DeadlineExceededError, InvalidArgumentError, UnauthenticatedError, errorFromCode } from '../core/errors.js';
import type { Identity } from '../crypto/identity.js';
import { NodeId } from '../crypto/node-id.js';
import { getCryptoProvider } from '../crypto/select.js';
import { signStructure, verifyStructure } from '../crypto/signing.js';
import type { Connection } from '../transport/types.js';
import { Kind, decodeEnvelope, encodeEnvelope, type Envelope } from './frames.js';

/** Version of the identity handshake; both ends must speak the same one. */
export const HANDSHAKE_VERSION = 1;
const TRANSCRIPT_TAG = 'handoff/handshake/v1';
/**
 * Handshake frames are tiny; anything larger is hostile. Until a peer is authenticated its
 * connection accepts no larger frame (`Connection.limitIncomingFrames`): a stranger cannot make
 * either side buffer more.
 */
export const HANDSHAKE_FRAME_LIMIT = 1024;

function transcript(role: 'client' | 'server', c: Uint8Array, cn: Uint8Array, s: Uint8Array, sn: Uint8Array, binding: Uint8Array | undefined) {
  return [role, c, cn, s, sn, binding ?? new Uint8Array(0)];
}

async function next<K extends Envelope['kind']>(connection: Connection, kind: K, signal: AbortSignal): Promise<Extract<Envelope, { kind: K }>> {
  const frame = await connection.receive(signal);
  if (frame === undefined) throw new UnauthenticatedError('peer closed the connection during the handshake');
  if (frame.length > HANDSHAKE_FRAME_LIMIT) throw new InvalidArgumentError('handshake frame too large');
  const envelope = decodeEnvelope(frame, HANDSHAKE_FRAME_LIMIT);
  if (envelope.kind === Kind.ERROR) throw errorFromCode(envelope.code, `handshake refused: ${envelope.message}`);
  if (envelope.kind !== kind) throw new InvalidArgumentError(`handshake: expected frame kind ${kind}, got ${envelope.kind}`);
  return envelope as Extract<Envelope, { kind: K }>;
}

function deadlineSignal(timeoutMs: number, outer?: AbortSignal, clock: Clock = systemClock): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const timer = clock.setTimeout(() => controller.abort(new DeadlineExceededError(`handshake did not finish within ${timeoutMs} ms`)), timeoutMs);
  const onOuter = (): void => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onOuter, { once: true });
  if (outer?.aborted) onOuter();
  return {
    signal: controller.signal,
    dispose() {
      clock.clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
    },
  };
}

export interface ClientHandshakeOptions {
  /** Fail unless the server proves this identity (pinning). */
  expectedPeer?: NodeId | undefined;
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** Runs the dialer's side; resolves with the server's authenticated id. */
export async function clientHandshake(connection: Connection, identity: Identity, options: ClientHandshakeOptions = {}): Promise<NodeId> {
  connection.limitIncomingFrames(HANDSHAKE_FRAME_LIMIT);
  const { signal, dispose } = deadlineSignal(options.timeoutMs ?? 10_000, options.signal);
  try {
    const clientNonce = getCryptoProvider().randomBytes(32);
    const clientKey = identity.publicKey;
    await connection.send(encodeEnvelope({ kind: Kind.HELLO, version: HANDSHAKE_VERSION, publicKey: clientKey, nonce: clientNonce }), signal);
    const reply = await next(connection, Kind.HELLO_REPLY, signal);
    const binding = connection.channelBinding;
    const serverFields = transcript('server', clientKey, clientNonce, reply.publicKey, reply.nonce, binding);
    if (!verifyStructure(reply.publicKey, TRANSCRIPT_TAG, serverFields, reply.signature)) {
      throw new UnauthenticatedError('server failed to prove its identity');
    }
    const serverId = NodeId.fromPublicKey(reply.publicKey);
    if (options.expectedPeer && !options.expectedPeer.equals(serverId)) {
      throw new UnauthenticatedError(`expected server ${options.expectedPeer.toString()}, but it is ${serverId.toString()}`);
    }
    const proof = signStructure(identity, TRANSCRIPT_TAG, transcript('client', clientKey, clientNonce, reply.publicKey, reply.nonce, binding));
    await connection.send(encodeEnvelope({ kind: Kind.PROOF, signature: proof }), signal);
    await next(connection, Kind.ACCEPT, signal);
    connection.limitIncomingFrames(undefined);
    return serverId;
  } catch (err) {
    connection.reset(err instanceof Error ? err : undefined);
    throw err;
  } finally {
    dispose();
  }
}

/**
 * Runs the listener's side; resolves with the client's authenticated id. Call it as soon as the
 * connection is accepted: it limits incoming frames to {@link HANDSHAKE_FRAME_LIMIT} at once.
 */
export async function serverHandshake(connection: Connection, identity: Identity, timeoutMs: number, clock: Clock = systemClock): Promise<NodeId> {
  connection.limitIncomingFrames(HANDSHAKE_FRAME_LIMIT);
  const { signal, dispose } = deadlineSignal(timeoutMs, undefined, clock);
  try {
    const hello = await raceAbort(next(connection, Kind.HELLO, signal), signal);
    if (hello.version !== HANDSHAKE_VERSION) throw new InvalidArgumentError(`unsupported handshake version ${hello.version}`);
    const serverNonce = getCryptoProvider().randomBytes(32);
    const serverKey = identity.publicKey;
    const binding = connection.channelBinding;
    const signature = signStructure(identity, TRANSCRIPT_TAG, transcript('server', hello.publicKey, hello.nonce, serverKey, serverNonce, binding));
    await connection.send(encodeEnvelope({ kind: Kind.HELLO_REPLY, publicKey: serverKey, nonce: serverNonce, signature }), signal);
    const proof = await next(connection, Kind.PROOF, signal);
    const clientFields = transcript('client', hello.publicKey, hello.nonce, serverKey, serverNonce, binding);
    if (!verifyStructure(hello.publicKey, TRANSCRIPT_TAG, clientFields, proof.signature)) {
      throw new UnauthenticatedError('client failed to prove its identity');
    }
    // Lifted before ACCEPT goes out: the client may send its first call as soon as it reads it.
    connection.limitIncomingFrames(undefined);
    await connection.send(encodeEnvelope({ kind: Kind.ACCEPT }), signal);
    return NodeId.fromPublicKey(hello.publicKey);
  } finally {
    dispose();
  }
}
