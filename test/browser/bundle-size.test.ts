/**
 * What a browser application pays for the uplink: `handoff/uplink` (and the transport it dials
 * with) bundled by esbuild for the browser, minified, with no Node built-in or Node-only package
 * pulled in. The sizes are printed for the README, never asserted: they are measurements.
 */
import { describe, expect, it } from 'vitest';
import { bundleForBrowser, nodeOnlyInputs } from './bundle.js';

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

describe('browser bundles', () => {
  for (const [subpath, entry] of [
    ['handoff/uplink', 'src/uplink/index.ts'],
    ['handoff/transport', 'src/transport/index.ts'],
    ['Uplink + webSocketTransport', 'test/browser/app-entry.ts'],
  ] as const) {
    it(`${subpath} bundles for the browser without anything Node-only`, async () => {
      const bundle = await bundleForBrowser(entry, { minify: true, format: 'esm' });
      expect(nodeOnlyInputs(bundle.inputs)).toEqual([]);
      console.log(`${subpath}: ${kib(bundle.bytes)} minified, ${kib(bundle.gzipBytes)} minified+gzipped`);
    });
  }

  it('the uplink brings its @noble crypto and its erasure kernel as bytecode in the code, nothing to read or fetch', async () => {
    const bundle = await bundleForBrowser('src/uplink/index.ts', { minify: false, format: 'esm' });
    expect(bundle.inputs.some((input) => input.includes('node_modules/@noble/ed25519/'))).toBe(true);
    expect(bundle.inputs).toContain('src/uplink/erasure/simd-module.ts');
    expect(bundle.code).not.toMatch(/\bfetch\(|\.wasm\b|instantiateStreaming/);
  });
});
