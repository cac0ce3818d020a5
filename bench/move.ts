/**
 * Server-side move (issue 5): the re-keying rate of moving a 1,000,000-segment object over TCP
 * against the bare unwrap+re-wrap loop over the same number of keys in the same run, with the
 * peak memory of the client (this process) and of the satellite (a child process, see
 * move-satellite.ts); the same on PostgreSQL when HANDOFF_PG_URL is set; and the time of a
 * 10,000-segment move (the seed's single-request size).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { toHex } from '../src/core/bytes.js';
import { getCryptoProvider } from '../src/crypto/select.js';
import { moveObject } from '../src/move/client.js';
import type { SatelliteStoreOptions } from '../src/satellite/index.js';
import { RpcClient, tcpTransport } from '../src/transport/index.js';
import { pathContentKey, rewrapKey, wrapKey } from '../src/uplink/encryption/index.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { fmt, type BenchRow, type BenchSection } from './lib.js';

const MIB = 1024 * 1024;
const BUCKET = 'bench';
const FROM = 'videos/huge.bin';
const TO = 'archive/huge.bin';

/** A satellite in a child process holding one seeded object. */
class ChildSatellite {
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly lines: AsyncIterator<string>,
    readonly address: string,
    readonly apiKey: string,
  ) {}

  static async start(store: SatelliteStoreOptions, segments: number, rootKey: Uint8Array): Promise<ChildSatellite> {
    const script = fileURLToPath(new URL('./move-satellite.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(store), String(segments), toHex(rootKey), BUCKET, FROM], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done) throw new Error(`bench satellite failed to start: ${stderr}`);
    const { address, apiKey } = JSON.parse(first.value) as { address: string; apiKey: string };
    return new ChildSatellite(child, lines, address, apiKey);
  }

  async maxRssBytes(): Promise<number> {
    this.child.stdin.write('rss\n');
    const line = await this.lines.next();
    return (JSON.parse(line.value as string) as { maxRssKiB: number }).maxRssKiB * 1024;
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.write('exit\n');
    await exited;
  }
}

/** Seconds the bare loop takes to unwrap and re-wrap `count` keys wrapped for FROM, to TO. */
function bareRewrapSeconds(rootKey: Uint8Array, count: number): number {
  const random = getCryptoProvider();
  const from = pathContentKey(rootKey, BUCKET, FROM);
  const to = pathContentKey(rootKey, BUCKET, TO);
  const keys = Array.from({ length: 1024 }, () => wrapKey(from, random.randomBytes(32)));
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const key = keys[i % keys.length]!;
    rewrapKey(from, to, key.encryptedKey, key.encryptedKeyNonce);
  }
  return (performance.now() - start) / 1000;
}

interface MoveRun {
  readonly seconds: number;
  readonly satelliteRss: number;
}

/** Seeds `segments` in a child satellite and moves the object over TCP; returns the move's time. */
async function moveOverTcp(store: SatelliteStoreOptions, segments: number, rootKey: Uint8Array): Promise<MoveRun> {
  const satellite = await ChildSatellite.start(store, segments, rootKey);
  const client = new RpcClient({ transport: tcpTransport(), address: satellite.address, maxIdleConnections: 4 });
  try {
    const deps = { client, header: { apiKey: satellite.apiKey }, rootKey };
    const start = performance.now();
    const moved = await moveObject(deps, BUCKET, FROM, TO);
    const seconds = (performance.now() - start) / 1000;
    if (moved.object.segmentCount !== segments) throw new Error(`moved ${moved.object.segmentCount} segments, expected ${segments}`);
    return { seconds, satelliteRss: await satellite.maxRssBytes() };
  } finally {
    await client.close();
    await satellite.stop();
  }
}

export async function benchMove(options: { segments?: number; postgresSegments?: number } = {}): Promise<BenchSection> {
  const segments = options.segments ?? 1_000_000;
  const postgresSegments = options.postgresSegments ?? segments;
  const rootKey = getCryptoProvider().randomBytes(32);
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'handoff-bench-move-'));
  try {
    const bare = bareRewrapSeconds(rootKey, segments);
    const bareRate = segments / bare;
    const sqlite = await moveOverTcp({ kind: 'sqlite', dir: join(dir, 'big') }, segments, rootKey);
    const clientRss = process.resourceUsage().maxRSS * 1024;
    const rate = segments / sqlite.seconds;
    rows.push({
      name: `move of a ${fmt(segments)}-segment object over TCP (SQLite)`,
      value: `${fmt(rate)} keys/s (${fmt(sqlite.seconds, 1)} s)`,
      baseline: `bare unwrap+re-wrap loop ${fmt(bareRate)} keys/s`,
      ratio: rate / bareRate,
      goal: '≥ 0.5',
    });
    rows.push({
      name: 'peak memory during that move: client / satellite',
      value: `${fmt(clientRss / MIB)} MiB / ${fmt(sqlite.satelliteRss / MIB)} MiB`,
      baseline: 'limit 512 MiB each',
      ratio: 512 / (Math.max(clientRss, sqlite.satelliteRss) / MIB),
      goal: '≥ 1',
    });
    notes.push(
      'The satellite runs in a child process (its peak RSS includes seeding the object with `bulkInsertSegments`); the client is this process, ' +
        'whose peak includes the bare loop run before it. Keys move in chunks of 10,000: page, re-wrap, put, pipelined; ' +
        'Finish applies all of them in one `UPDATE … FROM` join in one transaction.',
    );

    const small = await moveOverTcp({ kind: 'sqlite', dir: join(dir, 'small') }, 10_000, rootKey);
    const smallBare = bareRewrapSeconds(rootKey, 10_000);
    rows.push({
      name: 'move of a 10,000-segment object over TCP (SQLite, single request each way)',
      value: `${fmt(small.seconds * 1000)} ms`,
      baseline: `bare loop ${fmt(smallBare * 1000)} ms`,
      ratio: smallBare / small.seconds,
      goal: '',
    });

    if (process.env.HANDOFF_PG_URL) {
      const db = await createTestDatabase();
      try {
        const run = await moveOverTcp({ kind: 'postgres', connectionString: db.url }, postgresSegments, rootKey);
        const pgBare = bareRewrapSeconds(rootKey, postgresSegments);
        const pgRate = postgresSegments / run.seconds;
        rows.push({
          name: `move of a ${fmt(postgresSegments)}-segment object over TCP (PostgreSQL)`,
          value: `${fmt(pgRate)} keys/s (${fmt(run.seconds, 1)} s; satellite peak ${fmt(run.satelliteRss / MIB)} MiB)`,
          baseline: `bare loop ${fmt(postgresSegments / pgBare)} keys/s`,
          ratio: pgRate / (postgresSegments / pgBare),
          goal: '',
        });
        notes.push(
          `PostgreSQL: the satellite's rows are written by one INSERT … SELECT over generate_series` +
            (postgresSegments < segments ? `; measured with ${fmt(postgresSegments)} segments to keep the run short.` : '.'),
        );
      } finally {
        await db.drop();
      }
    } else {
      notes.push('PostgreSQL not measured: HANDOFF_PG_URL is not set.');
    }
    notes.push('Move vs re-upload of a 1 GiB object needs the uplink; it is not measured here.');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { title: 'Server-side move (issue 5)', rows, notes };
}

// `tsx bench/move.ts [segments]` runs this section alone.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const segments = process.argv[2] ? Number(process.argv[2]) : undefined;
  const section = await benchMove(segments ? { segments } : {});
  console.log(JSON.stringify(section, null, 2));
}
