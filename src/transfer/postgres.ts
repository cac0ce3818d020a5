/**
 * `handoff/transfer/postgres`: the transfer stores on PostgreSQL or CockroachDB (pg) — the core's
 * task store and the integration module's store. Their own
 * entry point, so `handoff/transfer` never loads the driver or needs its types.
 */
export { PostgresTransferTaskStore, type PostgresTransferTaskStoreOptions } from './store/postgres.js';
export { PostgresIntegrationStore, type PostgresIntegrationStoreOptions } from './integration/postgres-store.js';
