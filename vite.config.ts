import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// The web console (src/console/ui) built into the package as dist/console, served by `handoff
// core run --console` (docs/console.md). Relative asset URLs so it works under any path.
export default defineConfig({
  root: 'src/console/ui',
  base: './',
  plugins: [preact()],
  build: { outDir: '../../../dist/console', emptyOutDir: true, target: 'es2022', sourcemap: true },
  logLevel: 'warn',
});
