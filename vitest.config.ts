import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // vitest's default (cores − 1) runs one file at a time on a 2-core machine, where most test
    // files spend their time waiting on child processes, sockets and disks: two at a time took
    // the suite from about 500 s of file time to 320 s of wall time there. Files share nothing
    // that clashes: PostgreSQL suites make databases of their own, and temporary files and
    // process checks are per test (test/support/tmpdir.ts).
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
