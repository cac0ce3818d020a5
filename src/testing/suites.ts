/**
 * `handoff/testing/suites`: the compliance suites every transport and every store must pass —
 * run them against your own implementations. They declare vitest tests (`describe`/`it`), so
 * vitest (an optional peer dependency) must be installed; `handoff/testing` does not need it.
 */
export { transportSuite, type TransportSuiteOptions, type TransportUnderTest } from './transport-suite.js';
export { transferTaskStoreSuite, type TransferTaskStoreSuiteSetup } from './transfer-task-store-suite.js';
export { integrationStoreSuite, type IntegrationStoreSuiteSetup } from './integration-store-suite.js';
export { metabaseStoreSuite, type MetabaseStoreSuiteSetup } from './metabase-store-suite.js';
export { overlayStoreSuite, type OverlayStoreSuiteSetup } from './overlay-store-suite.js';
export { projectStoreSuite, type ProjectStoreSuiteSetup } from './project-store-suite.js';
export { ledgerStoreSuite, type LedgerStoreSuiteSetup } from './ledger-store-suite.js';
export { pieceStoreSuite, type PieceStoreSuiteSetup } from './piece-store-suite.js';
export { exitQueueStoreSuite, type ExitQueueStoreSuiteSetup } from './exit-queue-store-suite.js';
export { nodeExitStoreSuite, type NodeExitStoreSuiteSetup } from './node-exit-store-suite.js';
export { repairQueueStoreSuite, type RepairQueueStoreSuiteSetup } from './repair-queue-store-suite.js';
export { containmentStoreSuite, type ContainmentStoreSuiteSetup } from './containment-store-suite.js';
