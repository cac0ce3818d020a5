/**
 * `handoff/testing`: what users need to test their code against handoff — the compliance suites
 * their transports and stores must pass, and fault-injection helpers.
 */
export { transportSuite, type TransportSuiteOptions, type TransportUnderTest } from './transport-suite.js';
export { memoryNetwork, MemoryNetwork, MemoryFaults } from '../transport/memory.js';
export { ManualClock } from '../core/clock.js';
export { transferTaskStoreSuite, type TransferTaskStoreSuiteSetup } from './transfer-task-store-suite.js';
export { metabaseStoreSuite, type MetabaseStoreSuiteSetup } from './metabase-store-suite.js';
export { overlayStoreSuite, type OverlayStoreSuiteSetup } from './overlay-store-suite.js';
export { projectStoreSuite, type ProjectStoreSuiteSetup } from './project-store-suite.js';
export { ledgerStoreSuite, type LedgerStoreSuiteSetup } from './ledger-store-suite.js';
export { pieceStoreSuite, type PieceStoreSuiteSetup } from './piece-store-suite.js';
export { exitQueueStoreSuite, type ExitQueueStoreSuiteSetup } from './exit-queue-store-suite.js';
export { nodeExitStoreSuite, type NodeExitStoreSuiteSetup } from './node-exit-store-suite.js';
export { repairQueueStoreSuite, type RepairQueueStoreSuiteSetup } from './repair-queue-store-suite.js';
export { containmentStoreSuite, type ContainmentStoreSuiteSetup } from './containment-store-suite.js';
export { startSshd, sshUnavailableReason, type SshServer } from './sshd.js';
export { createTestNetwork, TEST_REDUNDANCY, TEST_SEGMENT_SIZE, TEST_KDF } from './network.js';
export type { TestNetwork, TestNetworkOptions } from './network.js';
