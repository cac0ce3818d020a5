/**
 * `handoff/transfer/postgres`: the transfer stores on PostgreSQL or CockroachDB (pg) — the core's
 * task store and the integration module's store. Their own
 * entry point, so `handoff/transfer` never loads the driver or needs its types.
 */
export { PostgresTransferTaskStore, type PostgresTransferTaskStoreOptions } from './store/postgres.js';
export {
  PostgresIntegrationStore,
  type PostgresIntegrationStoreOptions,
  INTEGRATION_SCHEMA,
  INTEGRATION_SCHEMA_VERSION,
} from './integration/postgres-store.js';
