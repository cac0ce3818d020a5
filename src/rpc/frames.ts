/**
 * The RPC envelope. Each transport frame is one msgpack array whose first element is its kind;
 * the message body (already checked by the method's schema) is encoded in the same pass, so a
 * 1 MiB payload is copied once on the way out.
 *
 *   handshake  HELLO [16, version, publicKey, nonce]   HELLO_REPLY [17, publicKey, nonce, signature]
 *              PROOF [18, signature]                    ACCEPT [19]
 *   unary      CALL [1, method, timeoutMs | null, body] → RESULT [2, body] | ERROR [3, code, message]
 *   ERROR [3, code, message, true] (a fourth element) says the sender ends the connection after it:
 *              a protocol violation, not a handler's refusal, so the client must not reuse it.
 *   stream     OPEN [4, method, timeoutMs | null], then MSG [5, body] both ways, CLOSE_SEND [6]
 *              from the client, END [7] or ERROR from the server; CANCEL [8] from the client.
 *
 * One call at a time runs on a connection; it ends when both sides have finished sending, and
 * the connection is then reused for the next call.
 */
import { decode } from '../codec/msgpack.js';
import { encodeParts } from '../codec/gather.js';
import { DecodeError, isErrorCode, type ErrorCode } from '../core/errors.js';

export const Kind = {
  CALL: 1,
  RESULT: 2,
  ERROR: 3,
  OPEN: 4,
  MSG: 5,
  CLOSE_SEND: 6,
  END: 7,
  CANCEL: 8,
  HELLO: 16,
  HELLO_REPLY: 17,
  PROOF: 18,
  ACCEPT: 19,
} as const;

export type Envelope =
  | { kind: typeof Kind.CALL; method: string; timeoutMs: number | undefined; body: unknown }
  | { kind: typeof Kind.RESULT; body: unknown }
  | { kind: typeof Kind.ERROR; code: ErrorCode; message: string; ending?: boolean | undefined }
  | { kind: typeof Kind.OPEN; method: string; timeoutMs: number | undefined }
  | { kind: typeof Kind.MSG; body: unknown }
  | { kind: typeof Kind.CLOSE_SEND }
  | { kind: typeof Kind.END }
  | { kind: typeof Kind.CANCEL }
  | { kind: typeof Kind.HELLO; version: number; publicKey: Uint8Array; nonce: Uint8Array }
  | { kind: typeof Kind.HELLO_REPLY; publicKey: Uint8Array; nonce: Uint8Array; signature: Uint8Array }
  | { kind: typeof Kind.PROOF; signature: Uint8Array }
  | { kind: typeof Kind.ACCEPT };

/** Longest error message carried over the wire; longer ones are cut. */
const MAX_ERROR_MESSAGE = 4096;

/**
 * The frame for `envelope`, as parts: large byte strings in a body are not copied (see
 * `encodeParts`). Bodies must already have passed their schema.
 */
export function encodeEnvelope(envelope: Envelope): Uint8Array[] {
  switch (envelope.kind) {
    case Kind.CALL:
      return encodeParts([envelope.kind, envelope.method, envelope.timeoutMs ?? null, envelope.body]);
    case Kind.RESULT:
    case Kind.MSG:
      return encodeParts([envelope.kind, envelope.body]);
    case Kind.ERROR: {
      const fields = [envelope.kind, envelope.code, envelope.message.slice(0, MAX_ERROR_MESSAGE)];
      return encodeParts(envelope.ending === true ? [...fields, true] : fields);
    }
    case Kind.OPEN:
      return encodeParts([envelope.kind, envelope.method, envelope.timeoutMs ?? null]);
    case Kind.HELLO:
      return encodeParts([envelope.kind, envelope.version, envelope.publicKey, envelope.nonce]);
    case Kind.HELLO_REPLY:
      return encodeParts([envelope.kind, envelope.publicKey, envelope.nonce, envelope.signature]);
    case Kind.PROOF:
      return encodeParts([envelope.kind, envelope.signature]);
    case Kind.CLOSE_SEND:
    case Kind.END:
    case Kind.CANCEL:
    case Kind.ACCEPT:
      return encodeParts([envelope.kind]);
  }
}

function fail(message: string): never {
  throw new DecodeError(`malformed frame: ${message}`);
}

function bytesAt(parts: unknown[], i: number, length: number, field: string): Uint8Array {
  const v = parts[i];
  if (!(v instanceof Uint8Array)) fail(`"${field}" expected bytes`);
  if (v.length !== length) fail(`"${field}" expected ${length} bytes, got ${v.length}`);
  return v;
}

function methodAt(parts: unknown[], i: number): string {
  const v = parts[i];
  if (typeof v !== 'string' || v.length === 0 || v.length > 200) fail('"method" expected a short string');
  return v;
}

function timeoutAt(parts: unknown[], i: number): number | undefined {
  const v = parts[i];
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail('"timeoutMs" expected a non-negative integer');
  return v;
}

function arity(parts: unknown[], n: number, name: string): void {
  if (parts.length !== n) fail(`${name} expected ${n} elements, got ${parts.length}`);
}

/** Decodes and checks one frame's envelope; the body stays unchecked (the method's schema checks it). */
/** Frames at least this large own their memory (they were assembled from several reads), so decoded byte strings may borrow from them instead of being copied. */
const BORROW_THRESHOLD = 64 * 1024;

export function decodeEnvelope(frame: Uint8Array, maxBytes: number): Envelope {
  const parts = decode(frame, { maxBytes, copyBytes: frame.length < BORROW_THRESHOLD });
  if (!Array.isArray(parts) || parts.length === 0) fail('expected a non-empty array');
  const kind = parts[0];
  switch (kind) {
    case Kind.CALL:
      arity(parts, 4, 'CALL');
      return { kind, method: methodAt(parts, 1), timeoutMs: timeoutAt(parts, 2), body: parts[3] };
    case Kind.RESULT:
    case Kind.MSG:
      arity(parts, 2, 'message');
      return { kind, body: parts[1] };
    case Kind.ERROR: {
      if (parts.length !== 3 && parts.length !== 4) fail(`ERROR expected 3 or 4 elements, got ${parts.length}`);
      const code = parts[1];
      const message = parts[2];
      if (typeof message !== 'string') fail('"message" expected a string');
      if (parts.length === 4 && parts[3] !== true) fail('"ending" expected true');
      return { kind, code: isErrorCode(code) ? code : 'Internal', message: message.slice(0, MAX_ERROR_MESSAGE), ending: parts.length === 4 };
    }
    case Kind.OPEN:
      arity(parts, 3, 'OPEN');
      return { kind, method: methodAt(parts, 1), timeoutMs: timeoutAt(parts, 2) };
    case Kind.HELLO: {
      arity(parts, 4, 'HELLO');
      const version = parts[1];
      if (typeof version !== 'number' || !Number.isSafeInteger(version)) fail('"version" expected an integer');
      return { kind, version, publicKey: bytesAt(parts, 2, 32, 'publicKey'), nonce: bytesAt(parts, 3, 32, 'nonce') };
    }
    case Kind.HELLO_REPLY:
      arity(parts, 4, 'HELLO_REPLY');
      return {
        kind,
        publicKey: bytesAt(parts, 1, 32, 'publicKey'),
        nonce: bytesAt(parts, 2, 32, 'nonce'),
        signature: bytesAt(parts, 3, 64, 'signature'),
      };
    case Kind.PROOF:
      arity(parts, 2, 'PROOF');
      return { kind, signature: bytesAt(parts, 1, 64, 'signature') };
    case Kind.CLOSE_SEND:
    case Kind.END:
    case Kind.CANCEL:
    case Kind.ACCEPT:
      arity(parts, 1, 'control frame');
      return { kind };
    default:
      return fail(`unknown frame kind ${String(kind)}`);
  }
}
