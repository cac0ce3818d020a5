import preact from '@preact/preset-vite';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = resolve(dirname(fileURLToPath(import.meta.url)), 'src/console/ui');

// The web console (src/console/ui) built into the package as dist/console, served by `handoff
// core run --console` (docs/console.md). Relative asset URLs so it works under any path.
export default defineConfig({
  root,
  base: './',
  plugins: [preact()],
  build: {
    outDir: '../../../dist/console',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // Two pages: the transfer console and the node operator's exit page (served by `node run --console`).
    rolldownOptions: { input: { index: resolve(root, 'index.html'), node: resolve(root, 'node.html') } },
  },
  logLevel: 'warn',
});
