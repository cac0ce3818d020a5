/**
 * The checker side of bench/repair.ts, in a process of its own so its peak memory is the
 * satellite's: opens the satellite's PostgreSQL stores on one pool (as openSatelliteStore does),
 * then runs a bare scan of the segments, one checker pass, and the bare scan again, and prints
 * one JSON line with the times, the pass's counts and the peak RSS.
 *
 *   tsx bench/repair-checker.ts '{"url":"postgres://…","batchSize":1000}'
 */
import { systemClock } from '../src/core/clock.js';
import { RepairChecker } from '../src/durability/repair/checker-runner.js';
import { DEFAULT_REPAIR_CONFIG } from '../src/durability/repair/types.js';
import { PostgresRepairQueueStore } from '../src/durability/repair/store/postgres.js';
import { PostgresMetabaseStore } from '../src/metainfo/metabase/postgres.js';
import { PostgresOverlayStore } from '../src/overlay/store/postgres.js';
import { createPool } from '../src/sql/postgres.js';
import { scanSegments } from './lib.js';

const options = JSON.parse(process.argv[2]!) as { url: string; batchSize: number; onlineWindowMs: number };
const pool = createPool(options.url, 10);
const metabase = await PostgresMetabaseStore.open({ pool });
const overlay = await PostgresOverlayStore.open({ pool });
const queue = await PostgresRepairQueueStore.open({ pool });
const { batchSize } = options;

/** The bare scan: the same batch size and pool. */
const scan = () => scanSegments(pool, batchSize);

const before = await scan();
const checker = new RepairChecker({ metabase, overlay, queue, clock: systemClock, onlineWindowMs: options.onlineWindowMs, batchSize, ranges: DEFAULT_REPAIR_CONFIG.checkRanges });
const start = performance.now();
const stats = await checker.checkOnce();
const checkMs = performance.now() - start;
const rssAfterCheckKiB = process.resourceUsage().maxRSS;
const after = await scan();
const queued = await queue.count();
console.log(JSON.stringify({ scans: [before, after], checkMs, stats, queued, rssAfterCheckKiB }));
await queue.close();
await overlay.close();
await metabase.close();
await pool.end();
process.exit(0);
