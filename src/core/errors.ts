/**
 * One error class per condition. Each class's `name` equals the class name and each carries a
 * wire `code`, so an error thrown by a handler on one side is rebuilt as the same class on the
 * other. Test `err.name` (or {@link isHandoffError}), not `instanceof`: it survives duplicated
 * package copies.
 *
 * @example
 * ```ts
 * try { await client.call(...) } catch (err) {
 *   if (isHandoffError(err, 'NotFound')) { ... }
 * }
 * ```
 */

/** Wire codes, as in ARCHITECTURE.md "Errors cross the wire as {code, message}". */
export const ERROR_CODES = [
  'Canceled',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'Unauthenticated',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'Unavailable',
  'Internal',
] as const;
/** One of {@link ERROR_CODES}: the `code` an error crosses the wire with. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** What a {@link HandoffError} may carry besides its message. */
export interface HandoffErrorOptions {
  cause?: unknown;
  /** Details for logs; never sent over the wire. */
  details?: Record<string, unknown>;
}

/** Base class of every error handoff throws on purpose. */
export class HandoffError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: HandoffErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HandoffError';
    this.code = code;
    this.details = options.details;
  }
}

function errorClass<C extends ErrorCode, N extends string>(code: C, name: N) {
  const Class = class extends HandoffError {
    declare readonly code: C;
    constructor(message: string, options?: HandoffErrorOptions) {
      super(code, message, options);
      this.name = name;
    }
  };
  Object.defineProperty(Class, 'name', { value: name });
  return Class;
}

/** The operation was canceled by its caller (an `AbortSignal` fired). */
export const CanceledError = errorClass('Canceled', 'CanceledError');
export type CanceledError = InstanceType<typeof CanceledError>;
/** The request is malformed or violates a limit; the message names the field. */
export const InvalidArgumentError = errorClass('InvalidArgument', 'InvalidArgumentError');
export type InvalidArgumentError = InstanceType<typeof InvalidArgumentError>;
/** The deadline passed before the operation finished. */
export const DeadlineExceededError = errorClass('DeadlineExceeded', 'DeadlineExceededError');
export type DeadlineExceededError = InstanceType<typeof DeadlineExceededError>;
/** The thing asked for does not exist (an object, a bucket, a node, a task). */
export const NotFoundError = errorClass('NotFound', 'NotFoundError');
export type NotFoundError = InstanceType<typeof NotFoundError>;
/** What was to be created exists already. */
export const AlreadyExistsError = errorClass('AlreadyExists', 'AlreadyExistsError');
export type AlreadyExistsError = InstanceType<typeof AlreadyExistsError>;
/** The caller is known but may not do this. */
export const PermissionDeniedError = errorClass('PermissionDenied', 'PermissionDeniedError');
export type PermissionDeniedError = InstanceType<typeof PermissionDeniedError>;
/** The peer could not prove who it is (handshake, signature or API key failure). */
export const UnauthenticatedError = errorClass('Unauthenticated', 'UnauthenticatedError');
export type UnauthenticatedError = InstanceType<typeof UnauthenticatedError>;
/** A quota or size limit was hit (frame too large, too many connections, disk full). */
export const ResourceExhaustedError = errorClass('ResourceExhausted', 'ResourceExhaustedError');
export type ResourceExhaustedError = InstanceType<typeof ResourceExhaustedError>;
/** The system is not in the state the operation needs (object changed, task terminal, ...). */
export const FailedPreconditionError = errorClass('FailedPrecondition', 'FailedPreconditionError');
export type FailedPreconditionError = InstanceType<typeof FailedPreconditionError>;
/** A concurrency conflict (compare-and-swap lost); retrying from a fresh read may succeed. */
export const AbortedError = errorClass('Aborted', 'AbortedError');
export type AbortedError = InstanceType<typeof AbortedError>;
/** The peer or service cannot be reached right now; retryable. */
export const UnavailableError = errorClass('Unavailable', 'UnavailableError');
export type UnavailableError = InstanceType<typeof UnavailableError>;
/** A bug or an unexpected failure; the message is generic on the wire. */
export const InternalError = errorClass('Internal', 'InternalError');
export type InternalError = InstanceType<typeof InternalError>;

/** Bytes that are not a valid encoding of the expected message. A kind of invalid argument. */
export class DecodeError extends HandoffError {
  declare readonly code: 'InvalidArgument';
  constructor(message: string, options?: HandoffErrorOptions) {
    super('InvalidArgument', message, options);
    this.name = 'DecodeError';
  }
}

const classByCode: Record<ErrorCode, new (message: string, options?: HandoffErrorOptions) => HandoffError> = {
  Canceled: CanceledError,
  InvalidArgument: InvalidArgumentError,
  DeadlineExceeded: DeadlineExceededError,
  NotFound: NotFoundError,
  AlreadyExists: AlreadyExistsError,
  PermissionDenied: PermissionDeniedError,
  Unauthenticated: UnauthenticatedError,
  ResourceExhausted: ResourceExhaustedError,
  FailedPrecondition: FailedPreconditionError,
  Aborted: AbortedError,
  Unavailable: UnavailableError,
  Internal: InternalError,
};

/** True when `code` is one of {@link ERROR_CODES}. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(classByCode, code);
}

/** Rebuilds the error class for a wire `{code, message}`; unknown codes become `InternalError`. */
export function errorFromCode(code: string, message: string, options?: HandoffErrorOptions): HandoffError {
  const Class = isErrorCode(code) ? classByCode[code] : InternalError;
  return new Class(message, options);
}

/**
 * True when `err` is a handoff error, optionally of one code. Works across package copies
 * because it reads fields, not prototypes.
 */
export function isHandoffError(err: unknown, code?: ErrorCode): err is HandoffError {
  if (typeof err !== 'object' || err === null) return false;
  const c = (err as { code?: unknown }).code;
  if (!isErrorCode(c) || !(err instanceof Error)) return false;
  return code === undefined || c === code;
}

/**
 * The `{code, message}` to put on the wire for any thrown value. Unexpected errors become
 * `Internal` with a generic message so that server internals never leak to a peer.
 */
export function toWireError(err: unknown): { code: ErrorCode; message: string } {
  if (isHandoffError(err)) {
    if (err.code === 'Internal') return { code: 'Internal', message: 'internal error' };
    return { code: err.code, message: err.message };
  }
  return { code: 'Internal', message: 'internal error' };
}
