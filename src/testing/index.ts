/**
 * `handoff/testing`: what users need to test their code against handoff — the compliance suites
 * their transports and stores must pass, and fault-injection helpers.
 */
export { transportSuite, type TransportSuiteOptions, type TransportUnderTest } from './transport-suite.js';
export { memoryNetwork, MemoryNetwork, MemoryFaults } from '../transport/memory.js';
export { ManualClock } from '../core/clock.js';
export { transferTaskStoreSuite } from './transfer-task-store-suite.js';
