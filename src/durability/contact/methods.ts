/**
 * The contact service's RPCs. `Node.Ping` is served by storage nodes: the satellite's contact
 * is a dial, the identity handshake (the node proves it holds its id's key) and this call.
 * `Overlay.ReportDialFailure` is served by the satellite: an uplink that could not reach a node
 * says so, with its API key; the satellite only dials the node itself, so a report can never
 * make a node look offline on its own.
 */
import { s, type Infer } from '../../codec/index.js';
import { Header } from '../../metainfo/schemas.js';
import { unaryMethod } from '../../rpc/method.js';

export const Ping = unaryMethod('Node.Ping', s.object({}), s.object({}));

export const ReportDialFailureRequest = s.object({
  header: Header,
  /** The node that could not be dialed. */
  nodeId: s.bytes({ length: 32 }),
});
export type ReportDialFailureRequest = Infer<typeof ReportDialFailureRequest>;

export const ReportDialFailureResponse = s.object({
  /** A contact of the node was started (false: it was checked moments ago, or is not one to check). */
  scheduled: s.bool(),
});
export type ReportDialFailureResponse = Infer<typeof ReportDialFailureResponse>;

export const ReportDialFailure = unaryMethod('Overlay.ReportDialFailure', ReportDialFailureRequest, ReportDialFailureResponse);
