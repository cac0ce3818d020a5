/**
 * `createTestNetwork`, the way users unit-test their apps against handoff: every transport and
 * store kind, nodes added later, and a `close` that leaves nothing behind.
 */
import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { FsPieceStore } from '../../src/piecestore/index.js';
import { createTestNetwork, TEST_SEGMENT_SIZE, type TestNetwork } from '../../src/testing/network.js';
import { describeWith } from '../support/env.js';
import { postgresUnavailable, postgresUrl } from '../support/postgres.js';
import { patterned } from './support/bytes.js';

let network: TestNetwork | undefined;
afterEach(async () => {
  await network?.close();
  network = undefined;
});

async function roundTrip(n: TestNetwork): Promise<void> {
  const uplink = await n.uplink();
  await uplink.createBucket('files');
  const data = patterned(2 * TEST_SEGMENT_SIZE + 321, 8);
  await uplink.upload('files', 'one', data);
  expect(Buffer.from(await uplink.download('files', 'one')).equals(data)).toBe(true);
}

describe('createTestNetwork', () => {
  it('runs over WebSocket with SQLite and piece files in a temporary directory, which close removes', async () => {
    network = await createTestNetwork({ transport: 'websocket', storage: 'sqlite' });
    expect(network.net).toBeUndefined();
    await roundTrip(network);
    const root = (network.nodes[0]!.storage as FsPieceStore).root;
    expect(existsSync(root)).toBe(true);
    await network.close();
    network = undefined;
    expect(existsSync(root)).toBe(false);
  });

  it('adds nodes later, and uploads use them once they checked in', async () => {
    network = await createTestNetwork({ nodes: 3 });
    const uplink = await network.uplink();
    await uplink.createBucket('grow');
    await expect(uplink.upload('grow', 'early', patterned(TEST_SEGMENT_SIZE))).rejects.toMatchObject({ name: 'UnavailableError' });
    await network.addNode();
    await network.addNode();
    expect(network.nodes).toHaveLength(5);
    await uplink.upload('grow', 'later', patterned(TEST_SEGMENT_SIZE));
    expect(network.nodes[4]!.storage.usedBytes()).toBeGreaterThan(0);
  });

  it('runs on a manual clock: expired pieces go when the test moves time, with no waiting', async () => {
    const clock = new ManualClock(Date.now());
    network = await createTestNetwork({ clock, redundancy: { algorithm: 'reed-solomon', shareSize: 256, required: 2, repair: 3, success: 5, total: 5 } });
    const uplink = await network.uplink();
    await uplink.createBucket('tmp');
    await uplink.upload('tmp', 'brief', patterned(TEST_SEGMENT_SIZE, 9), { expires: new Date(clock.now() + 60_000) });
    await uplink.upload('tmp', 'lasting', patterned(TEST_SEGMENT_SIZE, 10));
    const held = () => network!.nodes.reduce((sum, node) => sum + node.storage.usedBytes(), 0);
    const before = held();

    // Nothing has expired on the network's clock yet, however long the test itself takes.
    for (const node of network.nodes) expect((await node.collectExpiredPieces()).deleted).toBe(0);
    clock.advance(61_000);
    let deleted = 0;
    for (const node of network.nodes) deleted += (await node.collectExpiredPieces()).deleted;
    expect(deleted).toBe(5); // one piece of the one segment on each node
    expect(held()).toBe(before / 2);
    expect(Buffer.from(await uplink.download('tmp', 'lasting')).equals(patterned(TEST_SEGMENT_SIZE, 10))).toBe(true);
  });

  it('shares one project between its uplinks, each with its own host on the memory network', async () => {
    network = await createTestNetwork();
    const [a, b] = await Promise.all([network.uplink(), network.uplink()]);
    await a.createBucket('common');
    expect((await b.listBuckets()).map((x) => x.name)).toEqual(['common']);
    expect(typeof (await network.apiKey())).toBe('string');
  });
});

describeWith('PostgreSQL', postgresUnavailable, 'createTestNetwork on PostgreSQL', () => {
  it('keeps the satellite in a database of its own and drops it on close', async () => {
    /** This process's test-network databases on the server, with how many tables each holds. */
    const ours = async (): Promise<Array<{ name: string; tables: number }>> => {
      const databases = await query<{ datname: string }>(postgresUrl!, `SELECT datname FROM pg_database WHERE datname LIKE 'handoff_net_${process.pid}_%'`);
      return Promise.all(databases.map(async ({ datname }) => {
        const url = new URL(postgresUrl!);
        url.pathname = `/${datname}`;
        const [row] = await query<{ n: number }>(url.toString(), `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`);
        return { name: datname, tables: row!.n };
      }));
    };
    expect(await ours()).toEqual([]);
    network = await createTestNetwork({ storage: 'postgres', connectionString: postgresUrl! });
    await roundTrip(network);
    const during = await ours();
    expect(during).toHaveLength(1);
    expect(during[0]!.tables).toBeGreaterThan(0);
    await network.close();
    network = undefined;
    expect(await ours()).toEqual([]);
  });
});

async function query<Row>(connectionString: string, text: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query(text)).rows as Row[];
  } finally {
    await client.end();
  }
}
