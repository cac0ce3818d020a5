/**
 * What a satellite operator reads: exits in progress with their queue, and the payout report of
 * finished exits with the real bytes transferred (Storj's column was later hard-coded to 0).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NodeId } from '../../src/crypto/node-id.js';
import { GracefulExitProcess } from '../../src/exit/messages.js';
import { exitReportCsv } from '../../src/exit/report.js';
import { RpcClient } from '../../src/rpc/client.js';
import { TEST_SEGMENT_SIZE } from '../../src/testing/network.js';
import { patterned } from '../uplink/support/bytes.js';
import { ExitNetwork } from './harness.js';

let network: ExitNetwork | undefined;
afterEach(async () => {
  await network?.close();
  network = undefined;
});

const NO_SPARE = { algorithm: 'reed-solomon', shareSize: 256, required: 2, repair: 3, success: 5, total: 5 } as const;

describe('graceful exit reports', () => {
  it('lists an exit in progress with its queue, then reports it finished with wallet, dates and the bytes it really moved', async () => {
    network = await ExitNetwork.start({ transport: 'memory', nodes: 7, redundancy: NO_SPARE });
    const uplink = await network.uplink();
    await uplink.createBucket('bucket');
    await uplink.upload('bucket', 'a', patterned(3 * TEST_SEGMENT_SIZE, 41));
    const leaving = network.busiest();
    const satelliteId = network.satellite.id.bytes;
    const start = Date.now();

    // Initiated by hand (the node's worker not yet running): it shows as in progress, gathered, nothing moved.
    const client = new RpcClient({ transport: network.transport('by-hand'), address: network.satellite.address, identity: leaving.identity, expectedPeer: network.satellite.id });
    const stream = await client.stream(GracefulExitProcess);
    await stream.receive();
    stream.cancel();
    await client.close();
    await network.satellite.exits.gather();
    const [progress] = await network.satellite.exits.progress();
    expect(progress).toMatchObject({ piecesTransferred: 0, percent: 0 });
    expect(progress!.piecesQueued).toBeGreaterThan(0);
    expect(progress!.queueLength).toBe(progress!.piecesQueued);
    expect(progress!.gatheredAt).not.toBeNull();

    await leaving.node!.exitSatellite(satelliteId);
    const status = (await leaving.node!.exitFinished(satelliteId))!;
    expect(await network.satellite.exits.progress()).toEqual([]);

    const rows = await network.satellite.exits.report({ from: start, to: Date.now() + 1 });
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row).toMatchObject({ outcome: 'completed', failureReason: null, wallet: `0x${leaving.index.toString(16).padStart(40, '0')}` });
    expect(row!.bytesTransferred).toBe(status.bytesTransferred);
    expect(row!.bytesTransferred).toBeGreaterThan(0);
    expect(row!.joinedAt).toBeLessThanOrEqual(row!.initiatedAt);
    expect(row!.initiatedAt).toBeLessThanOrEqual(row!.finishedAt);
    // Outside the window: nothing.
    expect(await network.satellite.exits.report({ from: 0, to: start - 1 })).toEqual([]);

    const csv = exitReportCsv(rows, (id) => NodeId.fromPublicKey(id).toString()).trim().split('\n');
    expect(csv[0]).toBe('node_id,wallet,joined,exit_initiated,exit_finished,gb_transferred,pieces_transferred,pieces_failed,result,reason,kind,policy,escrow_started');
    const fields = csv[1]!.split(',');
    expect(fields[0]).toBe(leaving.node!.id.toString());
    expect(Number(fields[5]) * 1e9).toBeCloseTo(status.bytesTransferred, 0);
    expect(fields[8]).toBe('completed');
    expect(fields.slice(10)).toEqual(['full', 'transfer', new Date(row!.joinedAt!).toISOString()]);
  });

  it('quotes CSV fields that need it and shows a failure with its reason', () => {
    const csv = exitReportCsv(
      [{ nodeId: new Uint8Array(32), wallet: 'a,"b"', joinedAt: null, initiatedAt: 0, finishedAt: 1, bytesTransferred: 1_500_000_000, piecesTransferred: 3, piecesFailed: 1, outcome: 'failed', failureReason: 'VERIFICATION_FAILED', failureDetail: 'replacement piece hash is not signed by the replacement node' }],
      () => 'id',
    );
    expect(csv.split('\n')[1]).toBe('id,"a,""b""",,1970-01-01T00:00:00.000Z,1970-01-01T00:00:00.001Z,1.500000000,3,1,failed,VERIFICATION_FAILED: replacement piece hash is not signed by the replacement node,,,');
  });
});
