/**
 * The storage node's calls to a satellite that need only a client and the node database:
 * settling the orders it served, and asking to start a graceful exit (the older satellites' way
 * included). `StorageNode` makes them; they keep no state of their own.
 */
import { UnavailableError, isHandoffError } from '../core/errors.js';
import { GracefulExitInitiate, GracefulExitProcess, type ExitInitiateRequest, type ExitInitiateResponse } from '../exit/messages.js';
import { SettleOrders } from '../orders/settlement.js';
import type { RpcClient } from '../rpc/client.js';
import type { NodeDatabase } from './db/database.js';

/** How long the node waits for a satellite's answer to one call. */
export const SATELLITE_CALL_TIMEOUT_MS = 30_000;

/**
 * Sends every unsettled order to its satellite, through `client(satelliteId, address)`; returns
 * how many were accepted.
 */
export async function settleOrders(db: NodeDatabase, client: (satelliteId: Uint8Array, address: string) => RpcClient): Promise<number> {
  let accepted = 0;
  for (const satelliteId of db.unsettledSatellites()) {
    const satellite = db.trustedSatellite(satelliteId);
    if (!satellite) continue;
    for (;;) {
      const batch = db.takeUnsettled(satelliteId, 1000);
      if (batch.length === 0) break;
      const { outcomes } = await client(satelliteId, satellite.address).call(SettleOrders, { items: batch.map(({ limit, order }) => ({ limit, order })) }, { timeoutMs: SATELLITE_CALL_TIMEOUT_MS });
      // Every outcome is final (accepted, duplicate, expired, invalid, not ours): none is worth resending.
      db.markSettled(satelliteId, batch.map((item) => item.order.serialNumber));
      accepted += outcomes.filter((o) => o === 'accepted').length;
      if (batch.length < 1000) break;
    }
  }
  return accepted;
}

/**
 * Asks the satellite to start an exit of a kind (`GracefulExit.Initiate`). A satellite older
 * than that call is asked for a full exit the first version's way: the first `Process` call.
 */
export async function initiateExit(client: RpcClient, request: ExitInitiateRequest): Promise<Pick<ExitInitiateResponse, 'policy'>> {
  try {
    return await client.call(GracefulExitInitiate, request, { timeoutMs: SATELLITE_CALL_TIMEOUT_MS });
  } catch (err) {
    const older = isHandoffError(err, 'NotFound') && err.message.includes(GracefulExitInitiate.name);
    if (!older || request.kind !== 'full') throw err;
  }
  // The first Process call initiates the exit; its first answer (NotReady) says it was accepted.
  const stream = await client.stream(GracefulExitProcess, { timeoutMs: SATELLITE_CALL_TIMEOUT_MS });
  try {
    const first = await stream.receive();
    if (first === undefined) throw new UnavailableError('the satellite ended the exit stream without an answer');
  } finally {
    stream.cancel();
  }
  return { policy: 'transfer' };
}
