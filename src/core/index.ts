/** The primitives every module stands on: typed errors, byte helpers, the clock, cancellation. */
export {
  isErrorCode, errorFromCode, isHandoffError, toWireError, ERROR_CODES, type ErrorCode,
  type HandoffErrorOptions, HandoffError, CanceledError, InvalidArgumentError, DeadlineExceededError,
  NotFoundError, AlreadyExistsError, PermissionDeniedError, UnauthenticatedError, ResourceExhaustedError,
  FailedPreconditionError, AbortedError, UnavailableError, InternalError, DecodeError
} from './errors.js';
export { concatBytes, equalBytes, compareBytes, toHex, fromHex, toBase32, fromBase32, utf8, fromUtf8, asUint8Array } from './bytes.js';
export { type Clock, type TimerHandle, systemClock, ManualClock } from './clock.js';
export { abortReason, throwIfAborted, raceAbort, sleep } from './abort.js';
