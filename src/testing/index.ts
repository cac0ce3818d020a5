/**
 * `handoff/testing`: what users need to test their code against handoff without writing a
 * network by hand — `createTestNetwork` (a satellite and storage nodes in one process), the
 * memory transport with fault injection, a manual clock and a real-`sshd` harness. Nothing here
 * needs vitest; the compliance suites for your own transports and stores, which do, are in
 * `handoff/testing/suites`.
 */
export { createTestNetwork, TEST_REDUNDANCY, TEST_SEGMENT_SIZE, TEST_KDF, type TestNetwork, type TestNetworkOptions } from './network.js';
export { memoryNetwork, MemoryNetwork, MemoryFaults, type MemoryTraffic } from '../transport/memory.js';
export { ManualClock } from '../core/clock.js';
export { startSshd, sshUnavailableReason, type SshServer } from './sshd.js';
