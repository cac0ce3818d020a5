/**
 * `handoff/node/postgres`: the storage node's graceful-exit store on PostgreSQL or CockroachDB
 * (pg), for hosts that keep node state there.
 */
export { PostgresNodeExitStore } from '../exit/node-store/postgres.js';
export type { PostgresStoreOptions } from '../sql/postgres.js';
