/**
 * The satellite side of bench/move.ts, in a process of its own so the client's and the
 * satellite's peak memory are measured apart (and both can use a core). It opens a satellite
 * store, writes one object of N segments straight into the metabase (with real keys wrapped for
 * the object's path), starts a Satellite over TCP and prints one JSON line:
 * `{ address, apiKey }`. On stdin, `rss` prints `{ maxRssKiB }` and `exit` closes everything.
 *
 *   tsx bench/move-satellite.ts '{"kind":"sqlite","dir":"/tmp/x"}' <segments> <rootKeyHex> <bucket> <path>
 */
import { createInterface } from 'node:readline';
import pg from 'pg';
import { fromHex } from '../src/core/bytes.js';
import { getCryptoProvider } from '../src/crypto/select.js';
import type { SqliteMetabaseStore } from '../src/metainfo/metabase/sqlite.js';
import type { SegmentRecord } from '../src/metainfo/metabase/types.js';
import { Satellite, openSatelliteStore, type SatelliteStore, type SatelliteStoreOptions } from '../src/satellite/index.js';
import { tcpTransport } from '../src/transport/index.js';
import { encryptPath, pathContentKey, wrapKey } from '../src/uplink/encryption/index.js';

const [storeJson, segmentsArg, rootKeyHex, bucket, path] = process.argv.slice(2) as [string, string, string, string, string];
const storeOptions = JSON.parse(storeJson) as SatelliteStoreOptions;
const segments = Number(segmentsArg);
const rootKey = fromHex(rootKeyHex);
const redundancy = { algorithm: 'reed-solomon' as const, shareSize: 256, required: 4, repair: 6, success: 8, total: 10 };
const encryption = { cipherSuite: 'handoff-enc/v1', blockSize: 65520 };
/** Distinct wrapped keys the segments cycle through: re-wrapping costs the same whichever key it is. */
const DISTINCT_KEYS = 1024;

async function seed(store: SatelliteStore, projectId: Uint8Array): Promise<void> {
  const random = getCryptoProvider();
  const objectKey = encryptPath(rootKey, bucket, path);
  const location = { projectId, bucket, objectKey };
  const streamId = random.randomBytes(16);
  const now = Date.now();
  await store.metabase.createBucket({ projectId, name: bucket, createdAt: now });
  await store.metabase.beginObject({ ...location, streamId, createdAt: now, uploadDeadline: now + 24 * 3600_000, redundancy, encryption });
  const wrapping = pathContentKey(rootKey, bucket, path);
  const keys = Array.from({ length: DISTINCT_KEYS }, () => wrapKey(wrapping, random.randomBytes(32)));
  const pieces = Array.from({ length: 10 }, (_, number) => ({ number, nodeId: new Uint8Array(32).fill(number + 1) }));
  if (storeOptions.kind === 'sqlite') {
    (store.metabase as SqliteMetabaseStore).bulkInsertSegments(
      (function* (): Generator<SegmentRecord> {
        for (let index = 0; index < segments; index++) {
          const rootPieceId = new Uint8Array(32);
          new DataView(rootPieceId.buffer).setUint32(28, index);
          rootPieceId.set(streamId);
          yield {
            streamId, position: { part: 0, index }, createdAt: now, expiresAt: undefined, rootPieceId, ...keys[index % DISTINCT_KEYS]!,
            encryptedSize: 64 * 1024 * 1024, plainSize: 64 * 1024 * 1024 - 16_384, plainOffset: 0, redundancy, pieces, inlineData: undefined,
          };
        }
      })(),
    );
  } else if (storeOptions.kind === 'postgres') {
    // PostgreSQL has no bulk helper in the store: one INSERT … SELECT over generate_series writes the rows.
    const pool = new pg.Pool({ connectionString: storeOptions.connectionString, max: 1 });
    try {
      const key = keys[0]!;
      const pieceBlob = new Uint8Array(pieces.length * 34);
      pieces.forEach((p, i) => {
        pieceBlob[i * 34 + 1] = p.number;
        pieceBlob.set(p.nodeId, i * 34 + 2);
      });
      await pool.query(
        `INSERT INTO metabase_segments (stream_id, position, created_at, expires_at, root_piece_id, encrypted_key, encrypted_key_nonce,
           encrypted_size, plain_size, plain_offset, rs_share_size, rs_required, rs_repair, rs_success, rs_total, pieces, inline_data)
         SELECT $1::bytea, g, $2::bigint, NULL, $1::bytea || decode(lpad(to_hex(g), 32, '0'), 'hex'), $3::bytea, $4::bytea,
           67108864, 67092480, 0, 256, 4, 6, 8, 10, $5::bytea, NULL
         FROM generate_series(0, $6::bigint - 1) AS g`,
        [streamId, now, key.encryptedKey, key.encryptedKeyNonce, pieceBlob, segments],
      );
    } finally {
      await pool.end();
    }
  }
  await store.metabase.commitObject({ ...location, streamId, committedAt: now, now, maxSegments: Math.max(segments, 1) });
}

const store = await openSatelliteStore(storeOptions);
const satellite = await Satellite.start({ transport: tcpTransport(), address: '127.0.0.1:0', store });
const { apiKey, projectId } = await satellite.createProject('bench');
await seed(store, projectId);
console.log(JSON.stringify({ address: satellite.address, apiKey }));

for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'rss') console.log(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }));
  if (line === 'exit') break;
}
await satellite.close();
await store.close();
process.exit(0);
