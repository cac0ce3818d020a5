/**
 * `handoff/uplink/native`: the erasure engine's matrix kernel as native code, for Node on x86-64
 * CPUs with GFNI (Intel Ice Lake and later, AMD Zen 4 and later). One GFNI instruction multiplies
 * 64 bytes (32 on CPUs without AVX-512) by a field constant, and the kernel works on the pieces in
 * place, where the WebAssembly kernel copies them into its memory and multiplies 16 bytes at a
 * time with table lookups: parity encoding runs 6–9× faster (bench/results.md, "Erasure coding").
 *
 * The addon is built from `native/erasure` by `npm run build:native` (node-gyp and a C compiler;
 * in an installed package: `npx node-gyp rebuild --directory node_modules/handoff/native/erasure`).
 * Nothing uses it until {@link useNativeErasure} is called, and without it, or on another CPU,
 * every engine keeps the WebAssembly kernel: both compute the same bytes.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FailedPreconditionError } from '../core/errors.js';
import type { MatrixKernel } from './erasure/kernel-portable.js';
import { useMatrixKernel } from './erasure/kernel.js';

/** The instruction set the native kernel runs on this CPU. */
export type NativeErasurePath = 'gfni-avx512' | 'gfni-avx2';

/** The loaded addon, or why there is none. */
export type NativeErasure = { readonly path: NativeErasurePath; readonly applyMatrix: MatrixKernel } | { readonly missing: string };

const ADDON = join('native', 'erasure', 'build', 'Release', 'handoff_erasure.node');

/** The package root: the first folder above this module holding `native/erasure` (src/uplink or a dist chunk). */
function addonPath(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++, dir = dirname(dir)) {
    if (existsSync(join(dir, 'native', 'erasure', 'binding.gyp'))) return join(dir, ADDON);
  }
  return undefined;
}

let loaded: NativeErasure | undefined;

/**
 * Loads the native kernel once and says which path it runs, or why it cannot: not built, or a
 * CPU without GFNI.
 *
 * @example
 * ```ts
 * const native = loadNativeErasure();
 * console.log('path' in native ? native.path : native.missing);
 * ```
 */
export function loadNativeErasure(): NativeErasure {
  if (loaded !== undefined) return loaded;
  const path = addonPath();
  if (path === undefined || !existsSync(path)) {
    loaded = { missing: 'the native erasure kernel is not built: run `npm run build:native` in the handoff package (node-gyp and a C compiler)' };
    return loaded;
  }
  const addon = createRequire(import.meta.url)(path) as { path: NativeErasurePath | null; applyMatrix?: MatrixKernel };
  loaded = addon.path === null || addon.applyMatrix === undefined ? { missing: 'no GFNI path here (a CPU without GFNI, or a platform the kernel is not built for): the WebAssembly kernel serves' } : { path: addon.path, applyMatrix: addon.applyMatrix };
  return loaded;
}

/**
 * Makes every erasure engine in this process (uploads, downloads, repair) use the native kernel,
 * and returns its path. Throws `FailedPreconditionError` naming the reason when it cannot, so a
 * caller that only wants it where it is available catches that and goes on.
 *
 * @example
 * ```ts
 * import { useNativeErasure } from 'handoff/uplink/native';
 * try {
 *   useNativeErasure(); // 'gfni-avx512' on a Zen 4 or Ice Lake server
 * } catch {
 *   // not built here, or no GFNI: the WebAssembly kernel serves
 * }
 * ```
 */
export function useNativeErasure(): NativeErasurePath {
  const native = loadNativeErasure();
  if ('missing' in native) throw new FailedPreconditionError(native.missing);
  useMatrixKernel(native.applyMatrix, native.path);
  return native.path;
}

/** Goes back to the built-in kernel (WebAssembly SIMD, or portable TypeScript). */
export function useBuiltinErasure(): void {
  useMatrixKernel(undefined);
}
