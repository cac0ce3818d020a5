/**
 * The storage network on this machine: a satellite and eight storage nodes over TCP on
 * loopback, SQLite and filesystem stores in a temporary directory, and an uplink that stores a
 * multi-segment file and a small one, lists, reads back, checks and deletes them — saying what
 * happens in plain words. Everything it starts or writes is removed at the end.
 *
 *   npx tsx examples/storage-demo.ts
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { NodeDatabase } from '../src/node/db/database.js';
import { StorageNode } from '../src/node/storage-node.js';
import { FsPieceStore } from '../src/piecestore/fs-store.js';
import { Satellite } from '../src/satellite/satellite.js';
import { openSatelliteStore } from '../src/satellite/store.js';
import { tcpTransport } from '../src/transport/tcp.js';
import { Uplink } from '../src/uplink/uplink.js';

export interface StorageDemoResult {
  readonly nodes: number;
  readonly bigObjectSegments: number;
  readonly intact: boolean;
}

const MiB = 1024 * 1024;
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex').slice(0, 16);

function bar(label: string, done: number, total: number, progress: { write(text: string): unknown }): void {
  const width = 30;
  const filled = Math.round((done / total) * width);
  progress.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${((done / total) * 100).toFixed(0).padStart(3)} %`);
}

export async function runStorageDemo(
  log: (line: string) => void,
  options: { progress?: { write(text: string): unknown }; bigMiB?: number } = {},
): Promise<StorageDemoResult> {
  const progress = options.progress ?? process.stderr;
  const bigMiB = options.bigMiB ?? 18;
  const dir = mkdtempSync(join(tmpdir(), 'handoff-demo-'));
  const cleanups: Array<() => Promise<unknown> | unknown> = [() => rmSync(dir, { recursive: true, force: true })];
  try {
    const store = await openSatelliteStore({ kind: 'sqlite', dir: join(dir, 'satellite') });
    const satellite = await Satellite.start({
      transport: tcpTransport(),
      address: '127.0.0.1:0',
      store,
      config: { metainfo: { redundancy: { algorithm: 'reed-solomon', shareSize: 4096, required: 3, repair: 4, success: 6, total: 8 } } },
    });
    cleanups.unshift(() => store.close(), () => satellite.close());
    log(`A satellite (${satellite.id.toString().slice(0, 12)}…) listens on ${satellite.address}, its metabase in SQLite.`);

    const nodes: StorageNode[] = [];
    for (let i = 0; i < 8; i++) {
      const home = join(dir, `node-${i}`);
      const db = await NodeDatabase.open({ path: join(dir, `node-${i}.db`) });
      const node = await StorageNode.start({
        transport: tcpTransport(),
        address: '127.0.0.1:0',
        satellites: [{ id: satellite.id, address: satellite.address }],
        storage: await FsPieceStore.open({ root: home }),
        db,
        wallet: `0xdemo${i}`,
        capacity: 2 ** 30,
      });
      cleanups.unshift(() => db.close(), () => node.close());
      nodes.push(node);
    }
    log(`Eight storage nodes started on loopback, each with its own piece directory; each checked in with the satellite, which dialed it back to make sure the address was really its own.`);

    const { apiKey } = await satellite.createProject('demo');
    const uplink = await Uplink.connect({ transport: tcpTransport(), satelliteAddress: satellite.address, satelliteId: satellite.id, apiKey, passphrase: 'demo passphrase', segmentSize: 4 * MiB });
    cleanups.unshift(() => uplink.close());
    log(`An uplink connected with an API key for project "demo" and derived its encryption key from a passphrase (Argon2id); the satellite never sees it.`);

    await uplink.createBucket('holiday');
    const big = new Uint8Array(randomBytes(bigMiB * MiB));
    const small = new TextEncoder().encode('Remember to water the plants.\n');
    const bigInfo = await uplink.upload('holiday', 'videos/day-1.mp4', big, {
      contentType: 'video/mp4',
      onProgress: ({ bytesDone }) => bar('uploading videos/day-1.mp4', bytesDone, big.length, progress),
    });
    progress.write('\n');
    const smallInfo = await uplink.upload('holiday', 'notes.txt', small, { contentType: 'text/plain' });
    log(`Uploaded videos/day-1.mp4 (${bigMiB} MiB) as ${bigInfo.segmentCount} segments: each encrypted on this side, erasure-coded into 8 pieces of which any 3 rebuild it, sent to 8 nodes in parallel and committed once 6 had it. Uploaded notes.txt (${small.length} bytes) inline: it is small enough to live in the satellite itself, in one round trip.`);

    const names: string[] = [];
    for await (const item of uplink.listObjects('holiday', { recursive: true })) if (item.kind === 'object') names.push(`${item.key} (${item.size} bytes, version ${item.version})`);
    log(`Listing the bucket decrypts the names on this side: ${names.join(', ')}.`);

    const back = await uplink.download('holiday', 'videos/day-1.mp4', {
      onProgress: ({ bytesDone }) => bar('downloading videos/day-1.mp4', bytesDone, big.length, progress),
    });
    progress.write('\n');
    const note = await uplink.download('holiday', 'notes.txt');
    let intact = sha(back) === sha(big) && new TextDecoder().decode(note) === new TextDecoder().decode(small);
    log(`Downloaded both back from the fastest nodes: ${intact ? 'byte for byte identical' : 'NOT identical'} (sha256 ${sha(back)}…).`);
    log(`Stored on the nodes: ${(nodes.reduce((sum, n) => sum + n.storage.usedBytes(), 0) / MiB).toFixed(1)} MiB of pieces for ${bigMiB} MiB of data (the erasure code's overhead, in exchange for surviving the loss of up to 5 of 8 nodes).`);

    const moved = await uplink.moveObject('holiday', 'videos/day-1.mp4', 'videos/best/day-1.mp4');
    const afterMove = await uplink.download('holiday', 'videos/best/day-1.mp4');
    const report = await uplink.moveObjects('holiday', 'videos/', 'archive/videos/');
    const afterPrefixMove = await uplink.download('holiday', 'archive/videos/best/day-1.mp4');
    const movesIntact = sha(afterMove) === sha(big) && sha(afterPrefixMove) === sha(big);
    intact &&= movesIntact;
    log(
      `Renamed videos/day-1.mp4 to ${moved.key} on the satellite: only its encrypted name and the ${moved.segmentCount} wrapped segment keys changed (re-wrapped here), no piece moved. ` +
        `Then moved the whole videos/ folder to archive/videos/ (${report.moved} object${report.moved === 1 ? '' : 's'}). Reading it back: ${movesIntact ? 'byte for byte identical' : 'NOT identical'}.`,
    );

    await uplink.deleteObject('holiday', 'archive/videos/best/day-1.mp4');
    await uplink.deleteObject('holiday', 'notes.txt');
    await satellite.settleDeletes();
    log(`Deleted both; the satellite told the nodes to delete the pieces, and they now hold ${nodes.reduce((sum, n) => sum + n.storage.usedBytes(), 0)} bytes.`);
    void smallInfo;
    return { nodes: nodes.length, bigObjectSegments: bigInfo.segmentCount, intact };
  } finally {
    for (const cleanup of cleanups) await cleanup();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runStorageDemo(console.log);
}
