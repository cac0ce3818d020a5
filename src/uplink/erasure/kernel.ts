/**
 * The matrix kernel the erasure engine uses: WebAssembly SIMD where the engine runs it (every
 * current browser, Node, Deno and Bun), the portable TypeScript one elsewhere. Both compute the
 * same bytes; the tests hold them to each other.
 */
import { applyMatrixPortable, type MatrixKernel } from './kernel-portable.js';
import { copyingKernel, createSimdKernelCore } from './kernel-simd.js';

export type { MatrixKernel } from './kernel-portable.js';

const simdCore = createSimdKernelCore();
const simdKernel = simdCore === undefined ? undefined : copyingKernel(simdCore);

/** Which kernel {@link applyMatrix} is: `'simd'` or `'portable'`. */
export const kernelName: 'simd' | 'portable' = simdKernel === undefined ? 'portable' : 'simd';

/**
 * Which swizzle the SIMD kernel uses: `'relaxed'` where the engine has relaxed SIMD (Chrome ≥ 114,
 * Node ≥ 22, Node 20 started with `--experimental-wasm-relaxed-simd`), else `'standard'`;
 * `undefined` with the portable kernel.
 */
export const simdFlavour: 'relaxed' | 'standard' | undefined = simdCore === undefined ? undefined : simdCore.relaxed ? 'relaxed' : 'standard';

const builtinKernel: MatrixKernel = simdKernel ?? applyMatrixPortable;
let activeKernel: MatrixKernel = builtinKernel;
let activeName: string = kernelName;

/**
 * `outputs[r][w] = Σ_i M[r][i] · inputs[i][w]` over words `[from, to)`; see {@link MatrixKernel}.
 * Runs the kernel {@link useMatrixKernel} installed, else the built-in one ({@link kernelName}).
 */
export const applyMatrix: MatrixKernel = (coefficients, inputs, outputs, from, to) => activeKernel(coefficients, inputs, outputs, from, to);

/**
 * Makes every erasure engine in this process run `kernel` (which must compute what the built-in
 * one does), or the built-in one again with `undefined`. The Node-only `handoff/uplink/native`
 * installs its GFNI kernel this way; this module itself never loads anything platform-specific.
 */
export function useMatrixKernel(kernel: MatrixKernel | undefined, name = 'custom'): void {
  activeKernel = kernel ?? builtinKernel;
  activeName = kernel === undefined ? kernelName : name;
}

/** The kernel every erasure engine runs now: `'simd'` or `'portable'`, or the name given to {@link useMatrixKernel} (`'gfni-avx512'`...). */
export function erasureKernelName(): string {
  return activeName;
}

/**
 * The bytes of `bytes` as 32-bit words; copies only when `bytes` does not start on a 4-byte
 * boundary (network buffers often do not). `bytes.length` must be a multiple of 4.
 */
export function wordsOf(bytes: Uint8Array): Int32Array {
  if (bytes.byteOffset % 4 === 0) return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
  return new Int32Array(bytes.slice().buffer);
}

/** The first word index in `[from, to)` where `a` and `b` differ, or -1. */
export function firstDifference(a: Int32Array, b: Int32Array, from: number, to: number): number {
  for (let w = from; w < to; w++) if (a[w] !== b[w]) return w;
  return -1;
}
