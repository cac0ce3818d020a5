/**
 * Both piece stores pass the same contract; the filesystem one also survives a crash mid-write
 * and a damaged file without ever showing half a piece.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/core/bytes.js';
import { Identity } from '../../src/crypto/identity.js';
import { FsPieceStore } from '../../src/piecestore/fs-store.js';
import { MemoryPieceStore } from '../../src/piecestore/memory-store.js';
import { pieceStoreSuite } from '../../src/testing/piece-store-suite.js';

const roots: string[] = [];
async function freshRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'handoff-pieces-'));
  roots.push(root);
  return root;
}

pieceStoreSuite({ name: 'memory', open: async () => new MemoryPieceStore() });

pieceStoreSuite({
  name: 'filesystem',
  open: async () => FsPieceStore.open({ root: await freshRoot() }),
  reopen: async (store) => FsPieceStore.open({ root: (store as FsPieceStore).root }),
  cleanup: async () => {
    await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })));
  },
});

const harness = fileURLToPath(new URL('./support/write-until-killed.ts', import.meta.url));

/** Runs the harness until it reports a piece in progress, then SIGKILLs it. */
function writeUntilKilled(root: string): Promise<{ kept: string; doomed: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', harness, root], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (/writing [0-9a-f]{64}\n/.test(out)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      const kept = /committed ([0-9a-f]{64})/.exec(out)?.[1];
      const doomed = /writing ([0-9a-f]{64})/.exec(out)?.[1];
      if (signal !== 'SIGKILL' || !kept || !doomed) reject(new Error(`harness ended with ${signal ?? 'no signal'}: ${out}${err}`));
      else resolve({ kept, doomed });
    });
  });
}

describe('the filesystem piece store under failure', () => {
  const satelliteId = Identity.fromPrivateKey(new Uint8Array(32).fill(7)).publicKey;

  it('a process killed mid-write leaves no piece under the final name, and the next open sweeps its temp file', async () => {
    const root = await freshRoot();
    try {
      const { kept, doomed } = await writeUntilKilled(root);
      const satDir = join(root, toHex(satelliteId));
      expect(await readdir(join(satDir, doomed.slice(0, 2))).catch(() => [])).not.toContain(doomed);
      const leftovers = await readdir(join(root, 'tmp'));
      expect(leftovers.length).toBe(1); // the half-written piece, only ever under a temp name

      const store = await FsPieceStore.open({ root });
      expect(await readdir(join(root, 'tmp'))).toEqual([]);
      expect(await store.has(satelliteId, fromHex(doomed))).toBe(false);
      expect(await store.has(satelliteId, fromHex(kept))).toBe(true);
      expect((await store.header(satelliteId, fromHex(kept))).size).toBe(100_000);
      expect(store.usedBytes(satelliteId)).toBe(100_000);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('treats a damaged piece file as missing rather than serving it', async () => {
    const root = await freshRoot();
    try {
      const { kept } = await writeUntilKilled(root);
      await truncate(join(root, toHex(satelliteId), kept.slice(0, 2), kept), 50_000);
      const store = await FsPieceStore.open({ root });
      await expect(store.header(satelliteId, fromHex(kept))).rejects.toMatchObject({ name: 'NotFoundError' });
      await expect(store.readPiece(satelliteId, fromHex(kept))).rejects.toMatchObject({ name: 'NotFoundError' });
      expect(store.usedBytes(satelliteId)).toBe(0);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('the memory piece store serving reads', () => {
  const satelliteId = Identity.fromPrivateKey(new Uint8Array(32).fill(7)).publicKey;
  const commit = { orderLimit: {} as never, uplinkPieceHash: {} as never, storedAt: 0 };

  async function stored(chunks: Uint8Array[]): Promise<{ store: MemoryPieceStore; pieceId: Uint8Array }> {
    const store = new MemoryPieceStore();
    const pieceId = new Uint8Array(32).fill(9);
    const writer = await store.create(satelliteId, pieceId);
    for (const chunk of chunks) await writer.write(chunk);
    await writer.commit(commit);
    return { store, pieceId };
  }

  it('yields views of the chunks it was written when a read chunk lies inside one (a download costs no copy), copies across them', async () => {
    const written = [0, 1, 2].map((n) => new Uint8Array(1024).map((_, i) => (i * 7 + n) & 0xff));
    const whole = Buffer.concat(written);
    const { store, pieceId } = await stored(written);

    const aligned: Uint8Array[] = [];
    for await (const chunk of store.read(satelliteId, pieceId, { offset: 0, length: 3072 }, { chunkSize: 1024 })) aligned.push(chunk);
    expect(Buffer.concat(aligned)).toEqual(whole);
    expect(aligned.every((chunk, i) => chunk.buffer === written[i]!.buffer)).toBe(true);

    const halves: Uint8Array[] = [];
    for await (const chunk of store.read(satelliteId, pieceId, { offset: 1024, length: 1024 }, { chunkSize: 512 })) halves.push(chunk);
    expect(halves.every((chunk) => chunk.buffer === written[1]!.buffer)).toBe(true);

    // Reads that straddle written chunks are copies, with the right bytes.
    const straddling: Uint8Array[] = [];
    for await (const chunk of store.read(satelliteId, pieceId, { offset: 700, length: 2000 }, { chunkSize: 1000 })) straddling.push(chunk);
    expect(Buffer.concat(straddling)).toEqual(whole.subarray(700, 2700));
    expect(straddling.some((chunk) => written.some((w) => w.buffer === chunk.buffer))).toBe(false);
  });
});
