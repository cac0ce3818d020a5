import { defineConfig } from 'tsup';

// One entry per public subpath (see package.json "exports"; a test checks they agree) plus the CLI;
// shared code is split into chunks.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'transport/index': 'src/transport/index.ts',
    'uplink/index': 'src/uplink/index.ts',
    'uplink/native': 'src/uplink/native.ts',
    'move/index': 'src/move/index.ts',
    'exit/index': 'src/exit/index.ts',
    'transfer/index': 'src/transfer/index.ts',
    'transfer/sqlite': 'src/transfer/sqlite.ts',
    'transfer/postgres': 'src/transfer/postgres.ts',
    'transfer/rsync/index': 'src/transfer/rsync/index.ts',
    'transfer/keys/index': 'src/transfer/keys/index.ts',
    'transfer/builtin': 'src/transfer/builtin.ts',
    'satellite/index': 'src/satellite/index.ts',
    'satellite/sqlite': 'src/satellite/sqlite.ts',
    'satellite/postgres': 'src/satellite/postgres.ts',
    'node/index': 'src/node/index.ts',
    'node/sqlite': 'src/node/sqlite.ts',
    'node/postgres': 'src/node/postgres.ts',
    'node/fs': 'src/node/fs.ts',
    'testing/index': 'src/testing/index.ts',
    'testing/suites': 'src/testing/suites.ts',
    'cli/index': 'src/cli/index.ts',
  },
  format: ['esm'],
  target: 'node20',
  dts: true,
  splitting: true,
  sourcemap: true,
  clean: true,
  treeshake: true,
});
