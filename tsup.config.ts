import { defineConfig } from 'tsup';

// One entry per public subpath (see package.json "exports"); shared code is split into chunks.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'transport/index': 'src/transport/index.ts',
    'testing/index': 'src/testing/index.ts',
    'transfer/index': 'src/transfer/index.ts',
    'satellite/index': 'src/satellite/index.ts',
    'node/index': 'src/node/index.ts',
    'uplink/index': 'src/uplink/index.ts',
    'move/index': 'src/move/index.ts',
    'exit/index': 'src/exit/index.ts',
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
