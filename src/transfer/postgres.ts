/**
 * `handoff/transfer/postgres`: the core's task store on PostgreSQL or CockroachDB (pg). Its own
 * entry point, so `handoff/transfer` never loads the driver or needs its types.
 */
export { PostgresTransferTaskStore, type PostgresTransferTaskStoreOptions } from './store/postgres.js';
