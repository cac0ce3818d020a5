/**
 * `handoff/satellite/postgres`: the satellite's queue stores on PostgreSQL or CockroachDB (pg), for
 * hosts that assemble a satellite store themselves; `openSatelliteStore({ kind: 'postgres' })`
 * opens them all at once.
 */
export { PostgresExitQueueStore } from '../exit/store/postgres.js';
export { PostgresRepairQueueStore } from '../durability/repair/store/postgres.js';
export { PostgresContainmentStore } from '../durability/audit/store/postgres.js';
export type { PostgresStoreOptions } from '../sql/postgres.js';
