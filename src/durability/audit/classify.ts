/** How a failed audit download is judged, pure (Storj's five outcomes). */
import { isHandoffError } from '../../core/errors.js';
import type { AuditVerdict } from './types.js';

/**
 * `NotFound` (the node says it has no such piece) is a failure like wrong data; `Unavailable`
 * (no connection, or it dropped) is offline; `DeadlineExceeded` (connected, no answer in time)
 * contains the node; anything else is unknown.
 *
 * @example
 * ```ts
 * classifyAuditError(new NotFoundError('piece not found')); // 'failure'
 * ```
 */
export function classifyAuditError(err: unknown): Exclude<AuditVerdict, 'success'> {
  if (isHandoffError(err, 'NotFound')) return 'failure';
  if (isHandoffError(err, 'Unavailable')) return 'offline';
  if (isHandoffError(err, 'DeadlineExceeded')) return 'contained';
  return 'unknown';
}
