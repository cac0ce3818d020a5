/**
 * `Overlay.ReportDialFailure` on the satellite: an uplink holding a valid API key says it could
 * not dial a node. The report is authenticated like a metainfo call (the project comes from the
 * key), rate-limited per project and per reported node, and only ever starts a contact: the node
 * is judged by the satellite's own dial, so nobody can report a healthy node out of selection.
 */
import { toHex } from '../../core/bytes.js';
import { ResourceExhaustedError } from '../../core/errors.js';
import type { RpcServer } from '../../rpc/server.js';
import { ReportDialFailure, type ReportDialFailureRequest, type ReportDialFailureResponse } from './methods.js';
import type { ContactService } from './service.js';

export interface DialFailureReportOptions {
  readonly contact: ContactService;
  /** The project an API key belongs to; rejects (PermissionDenied) for an unknown or revoked key. */
  readonly authorize: (header: { apiKey: string }) => Promise<Uint8Array>;
}

/**
 * Serves `Overlay.ReportDialFailure` on `server`.
 *
 * @example
 * ```ts
 * registerDialFailureReports(server, { contact, authorize: (header) => metainfo.authorize(header) });
 * ```
 */
export function registerDialFailureReports(server: RpcServer, options: DialFailureReportOptions): void {
  server.unary(ReportDialFailure, async (request: ReportDialFailureRequest): Promise<ReportDialFailureResponse> => {
    const projectId = await options.authorize(request.header);
    const outcome = await options.contact.report(request.nodeId, toHex(projectId));
    if (outcome === 'rate-limited') throw new ResourceExhaustedError('too many dial-failure reports from this project: try again in a minute');
    return { scheduled: outcome === 'scheduled' };
  });
}
