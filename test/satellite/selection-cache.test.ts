/**
 * The satellite picks upload nodes from its selection cache: a change made through the
 * satellite (its store's overlay, which every service uses) takes effect at the next selection;
 * a change written straight to the database — as another satellite process would — at the next
 * reload; and closing the satellite leaves no reload timer behind.
 */
import { afterEach, expect, it } from 'vitest';
import { toHex } from '../../src/core/bytes.js';
import { ManualClock } from '../../src/core/clock.js';
import { getCryptoProvider } from '../../src/crypto/select.js';
import { SelectionCachedOverlay } from '../../src/overlay/selection-cache.js';
import { Satellite, openSatelliteStore, type SatelliteStore } from '../../src/satellite/index.js';
import { memoryNetwork } from '../../src/transport/index.js';

const T0 = 1_700_000_000_000;
const REFRESH = 30_000;
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function start(config: { selectionRefreshMs?: number } = {}) {
  const clock = new ManualClock(T0);
  const raw: SatelliteStore = await openSatelliteStore({ kind: 'memory' });
  const satellite = await Satellite.start({
    transport: memoryNetwork().transport({ host: 'satellite' }),
    address: 'satellite:0',
    store: raw,
    clock,
    config: { selectionRefreshMs: REFRESH, ...config },
  });
  stops.push(async () => {
    await satellite.close();
    await raw.close();
  });
  return { clock, raw, satellite };
}

const ids = (nodes: readonly { id: Uint8Array }[]) => nodes.map((n) => toHex(n.id)).sort();

it('excludes a node the satellite disqualifies at once, and one another process disqualifies after a reload', async () => {
  const { clock, raw, satellite } = await start();
  const overlay = satellite.store.overlay;
  if (!(overlay instanceof SelectionCachedOverlay)) throw new Error('the satellite selects without its cache');
  const nodes = Array.from({ length: 4 }, () => getCryptoProvider().randomBytes(32));
  for (const id of nodes) await overlay.checkIn({ id, address: 'node:1', wallet: 'w', freeBytes: 2 ** 40, version: '1', at: T0 });
  const select = () => overlay.selectForUpload({ count: 10, minFreeBytes: 0, onlineWindowMs: 3600_000, now: clock.now() });
  expect(await select()).toHaveLength(4);

  await overlay.setStatus({ id: nodes[0]!, from: 'active', to: 'disqualified', at: T0, reason: 'audits' });
  expect(ids(await select())).toEqual(ids(nodes.slice(1).map((id) => ({ id }))));

  // Another process shares the database: its change is not seen before the reload.
  await raw.overlay.setStatus({ id: nodes[1]!, from: 'active', to: 'exiting', at: T0 });
  expect(await select()).toHaveLength(3);
  clock.advance(REFRESH);
  await overlay.reload(); // the reload the timer started
  expect(ids(await select())).toEqual(ids(nodes.slice(2).map((id) => ({ id }))));
});

it('leaves no timer of its own after close, and selectionRefreshMs 0 selects from the store', async () => {
  const cached = await start();
  const uncached = await start({ selectionRefreshMs: 0 });
  expect(uncached.satellite.store.overlay).toBe(uncached.raw.overlay);
  // The cache adds exactly one timer to the satellite's own.
  expect(cached.clock.pending).toBe(uncached.clock.pending + 1);
  await cached.satellite.close();
  await uncached.satellite.close();
  expect(cached.clock.pending).toBe(0);
  expect(uncached.clock.pending).toBe(0);
});
