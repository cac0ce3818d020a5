/**
 * How a built-in run that stopped on its own is classified for the integration module: what
 * retrying cannot fix is fatal, a full destination is waited out, everything else (a dropped
 * connection, an unreachable destination, a file that changed while it was sent) is retried.
 */
import { isHandoffError } from '../../core/errors.js';
import type { TransferInterruption } from '../plugin.js';

const FATAL = new Set(['PermissionDenied', 'Unauthenticated', 'NotFound', 'FailedPrecondition', 'InvalidArgument']);

/**
 * @example
 * ```ts
 * classifyPushError(new UnavailableError('connection reset')); // { kind: 'retryable', reason: 'connection reset' }
 * ```
 */
export function classifyPushError(err: unknown): TransferInterruption {
  const message = err instanceof Error ? err.message : String(err);
  if (isHandoffError(err)) {
    if (err.code === 'ResourceExhausted' && /space|quota/i.test(message)) return { kind: 'out-of-space', reason: `the destination is out of space: ${message}` };
    if (err.code === 'PermissionDenied' || err.code === 'Unauthenticated') return { kind: 'fatal', reason: `the destination refused the task's key: ${message}` };
    if (FATAL.has(err.code)) return { kind: 'fatal', reason: message };
    return { kind: 'retryable', reason: message };
  }
  const code = (err as NodeJS.ErrnoException | null)?.code;
  // The source itself: a file we may not read will not become readable by retrying.
  if (code === 'EACCES' || code === 'EPERM') return { kind: 'fatal', reason: `the source cannot be read: ${message}` };
  return { kind: 'retryable', reason: message };
}
