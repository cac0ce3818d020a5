/**
 * Graceful exit on this machine: a satellite and six storage nodes over TCP on loopback, an
 * uplink that stores a few files, then the node holding the most pieces leaves the satellite —
 * with a live progress bar (plain lines when not in a terminal) — the payout report row is
 * printed, the node is switched off, and every file still downloads byte-identical.
 *
 *   npx tsx examples/exit-demo.ts
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ProgressDisplay, type ProgressSink } from '../src/cli/progress.js';
import { NodeId } from '../src/crypto/node-id.js';
import { exitReportCsv } from '../src/exit/report.js';
import { exitPercent, type NodeExitStatus } from '../src/exit/types.js';
import { NodeDatabase } from '../src/node/db/database.js';
import { StorageNode } from '../src/node/storage-node.js';
import { FsPieceStore } from '../src/piecestore/fs-store.js';
import { Satellite } from '../src/satellite/satellite.js';
import { openSatelliteStore } from '../src/satellite/store.js';
import { tcpTransport } from '../src/transport/tcp.js';
import { Uplink } from '../src/uplink/uplink.js';

export interface ExitDemoResult {
  readonly outcome: string;
  readonly piecesTransferred: number;
  readonly intact: boolean;
}

const KiB = 1024;
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export async function runExitDemo(log: (line: string) => void, options: { progress?: ProgressSink } = {}): Promise<ExitDemoResult> {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-exit-demo-'));
  const cleanups: Array<() => Promise<unknown> | unknown> = [() => rmSync(dir, { recursive: true, force: true })];
  try {
    const store = await openSatelliteStore({ kind: 'sqlite', dir: join(dir, 'satellite') });
    const satellite = await Satellite.start({
      transport: tcpTransport(),
      address: '127.0.0.1:0',
      store,
      config: {
        // Every piece is needed (4 of 4 stored), so each piece of the exiting node must be handed over.
        metainfo: { redundancy: { algorithm: 'reed-solomon', shareSize: 1024, required: 2, repair: 3, success: 4, total: 4 } },
        exit: { notReadyRetryMs: 100 },
      },
    });
    cleanups.unshift(() => store.close(), () => satellite.close());

    const display = new ProgressDisplay(options.progress ?? process.stderr);
    const nodes: StorageNode[] = [];
    for (let i = 0; i < 6; i++) {
      const db = await NodeDatabase.open({ path: join(dir, `node-${i}.db`) });
      const node: StorageNode = await StorageNode.start({
        transport: tcpTransport(),
        address: '127.0.0.1:0',
        satellites: [{ id: satellite.id, address: satellite.address }],
        storage: await FsPieceStore.open({ root: join(dir, `node-${i}`) }),
        db,
        wallet: `0xdemo${i}`,
        capacity: 2 ** 30,
        exit: { minBackoffMs: 50 },
        onExitProgress: (status) => showProgress(display, status),
      });
      cleanups.unshift(() => db.close(), () => node.close());
      nodes.push(node);
    }

    const { apiKey } = await satellite.createProject('demo');
    const uplink = await Uplink.connect({ transport: tcpTransport(), satelliteAddress: satellite.address, satelliteId: satellite.id, apiKey, passphrase: 'demo passphrase', segmentSize: 64 * KiB });
    cleanups.unshift(() => uplink.close());
    await uplink.createBucket('archive');
    const files = [
      { key: 'letters/2024.pdf', data: new Uint8Array(randomBytes(300 * KiB)) },
      { key: 'letters/2025.pdf', data: new Uint8Array(randomBytes(180 * KiB)) },
      { key: 'scans/receipt.png', data: new Uint8Array(randomBytes(90 * KiB)) },
    ];
    for (const { key, data } of files) await uplink.upload('archive', key, data);
    const node = [...nodes].sort((a, b) => b.storage.usedBytes() - a.storage.usedBytes())[0]!;
    const held = node.storage.usedBytes(satellite.id.bytes);
    log(`Six storage nodes and a satellite on loopback; ${files.length} files uploaded, each segment as 4 pieces on 4 of the 6 nodes. Node ${node.id.toString().slice(0, 12)}… holds ${(held / KiB).toFixed(0)} KiB of pieces and now leaves the satellite gracefully (what handoff node exit-satellite starts):`);

    await node.exitSatellite(satellite.id.bytes);
    const status = await node.exitFinished(satellite.id.bytes);
    display.close();
    if (status === undefined) throw new Error('the exit left no status');
    log(
      `The satellite gathered the node's pieces, picked a new node for each, checked every transfer's proof (the uplink's signed hash, the receiver's signed hash) and swapped it into the segment; the node deleted each piece once swapped. ` +
        `Result: ${status.state}, ${status.piecesTransferred} pieces (${(status.bytesTransferred / KiB).toFixed(0)} KiB) handed over, ${status.piecesFailed} failed, ${node.storage.usedBytes(satellite.id.bytes)} bytes left on its disk, a signed receipt stored.`,
    );

    const rows = await satellite.exits.report({ from: status.startedAt - 60_000, to: Date.now() + 60_000 });
    log(`The satellite's payout report (handoff satellite report graceful-exit --csv):\n${exitReportCsv(rows, (id) => NodeId.fromPublicKey(id).toString()).trimEnd()}`);

    await node.close();
    let intact = true;
    for (const { key, data } of files) intact &&= sha(await uplink.download('archive', key)) === sha(data);
    log(`With that node switched off, every file downloads ${intact ? 'byte for byte identical' : 'DIFFERENT'} from the nodes that took its pieces.`);
    return { outcome: status.state, piecesTransferred: status.piecesTransferred, intact };
  } finally {
    for (const cleanup of cleanups) await cleanup();
  }
}

function showProgress(display: ProgressDisplay, status: NodeExitStatus): void {
  const key = Buffer.from(status.satelliteId).toString('hex');
  const label = 'graceful exit';
  const detail = `${status.piecesTransferred} pieces handed over, ${status.piecesFailed} failed`;
  if (status.state === 'exiting') display.update(key, label, exitPercent(status), detail);
  else display.finish(key, label, exitPercent(status), `${status.state}: ${detail}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runExitDemo(console.log);
  if (!result.intact || result.outcome !== 'completed') process.exitCode = 1;
}
