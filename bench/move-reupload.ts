/**
 * Move vs re-upload (issue 5): renaming a 1 GiB object with a server-side move against the only
 * alternative a client has without it — download it and upload it again under the new name —
 * over TCP to a local network, in the same run. Goal: the move ≥ 100× faster.
 */
import { performance } from 'node:perf_hooks';
import { getCryptoProvider } from '../src/crypto/select.js';
import { createTestNetwork } from '../src/testing/network.js';
import { fmt, type BenchSection } from './lib.js';

const SIZE = 1024 * 1024 * 1024;

export async function benchMoveVsReupload(size = SIZE): Promise<BenchSection> {
  const network = await createTestNetwork({ nodes: 5, transport: 'tcp', storage: 'memory', segmentSize: 64 * 1024 * 1024 - 1024 * 1024 });
  try {
    const uplink = await network.uplink();
    await uplink.createBucket('bench');
    const data = new Uint8Array(size);
    for (let offset = 0; offset < size; offset += 1 << 20) data.set(getCryptoProvider().randomBytes(Math.min(1 << 20, size - offset)), offset);
    await uplink.upload('bench', 'big/original.bin', data);

    let start = performance.now();
    const copy = await uplink.download('bench', 'big/original.bin');
    await uplink.upload('bench', 'big/reuploaded.bin', copy);
    await uplink.deleteObject('bench', 'big/original.bin');
    const reuploadMs = performance.now() - start;

    start = performance.now();
    await uplink.moveObject('bench', 'big/reuploaded.bin', 'big/moved.bin');
    const moveMs = performance.now() - start;

    const mib = size / 1024 / 1024;
    return {
      title: 'Move vs re-upload (issue 5)',
      rows: [{ name: `rename a ${fmt(mib)} MiB object over TCP`, value: `server-side move ${fmt(moveMs, 1)} ms`, baseline: `download + upload again ${fmt(reuploadMs / 1000, 1)} s`, ratio: reuploadMs / moveMs, goal: '≥ 100' }],
      notes: ['One process: an uplink and a satellite with 5 storage nodes (memory piece stores) on loopback TCP, redundancy 2 of 5.'],
    };
  } finally {
    await network.close();
  }
}
