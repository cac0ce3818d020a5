/**
 * The matrix kernel on WebAssembly SIMD (see simd-module.ts): 10–20× the portable kernel. Rows
 * are copied into the module's memory a column block at a time, multiplied there 16 bytes per
 * instruction with up to 2 or 4 output rows per pass over the inputs (see simd-module.ts), and
 * copied back; the copies take about a fifth of the time at 4/10, a few percent at 29/110.
 */
import { gfMul } from './gf256.js';
import type { MatrixKernel } from './kernel-portable.js';
import { mulRowsName, shapeOf, simdKernelModule, STEP } from './simd-module.js';

/** Bytes of input and output rows held in wasm memory per call: about half an L2 cache. */
const WORKING_SET = 128 * 1024;

/** Bytes of each row the kernel holds in its memory at a time for an `nIn × nOut` matrix: all rows fit {@link WORKING_SET}. */
export const blockBytes = (nIn: number, nOut: number): number => Math.max(STEP, Math.floor(WORKING_SET / (nIn + nOut) / STEP) * STEP);
const PAGE = 65536;

/** `NIBBLES[c * 32 + i]` is `c · i` for `i < 16`, `[c * 32 + 16 + i]` is `c · (i << 4)`. */
const NIBBLES = (() => {
  const tables = new Uint8Array(256 * 32);
  for (let c = 0; c < 256; c++) {
    for (let i = 0; i < 16; i++) {
      tables[c * 32 + i] = gfMul(c, i);
      tables[c * 32 + 16 + i] = gfMul(c, i << 4);
    }
  }
  return tables;
})();

type MulRows = (tables: number, inputs: number, nIn: number, outputs: number, len: number, stride: number, onesFirst: number) => void;

/** One pass of the kernel: rows `[first, first + size)`, and which of its coefficients are ones. */
interface Group {
  readonly first: number;
  readonly size: number;
  /** Column 0 of these rows is all ones (0 or 1, as the wasm takes it). */
  readonly onesFirst: number;
  readonly run: MulRows;
}

/** Output rows split into the fewest passes of at most `maxGroup` rows, as even as they go. */
function groupsOf(nOut: number, maxGroup: number): { first: number; size: number }[] {
  const count = Math.ceil(nOut / maxGroup);
  const groups: { first: number; size: number }[] = [];
  for (let i = 0, first = 0; i < count; i++) {
    const size = Math.ceil((nOut - first) / (count - i));
    groups.push({ first, size });
    first += size;
  }
  return groups;
}

/**
 * The kernel's WebAssembly instance with the matrix work done inside its memory: the part of
 * {@link createSimdKernel} after the copies. The bench uses it to measure the multiply without
 * them. Offsets are bytes into `memory`; views of it are detached whenever {@link reserve} grows
 * it, so take them after reserving.
 */
export interface SimdKernelCore {
  /** The module uses `i8x16.relaxed_swizzle` (the engine has relaxed SIMD). */
  readonly relaxed: boolean;
  readonly memory: WebAssembly.Memory;
  /** Grows `memory` to at least `size` bytes. */
  reserve(size: number): void;
  /** Bytes at the start of `memory` that {@link prepare} fills with the tables of an `nIn × nOut` matrix. */
  tablesSize(nIn: number, nOut: number): number;
  /** Writes the nibble tables of `coefficients` (`nOut × nIn`, row-major) at offset 0; a no-op for the matrix already there. */
  prepare(coefficients: Uint8Array, nIn: number, nOut: number): void;
  /**
   * `output r = Σ_c M[r][c] · input c` for the prepared matrix over `len` bytes (a multiple of
   * {@link STEP}), input `c` at `inputsAt + c·stride`, output `r` at `outputsAt + r·stride`.
   */
  multiply(inputsAt: number, outputsAt: number, stride: number, len: number): void;
}

/**
 * The WebAssembly part of the SIMD kernel, or `undefined` where the engine has no WebAssembly
 * SIMD (or no relaxed SIMD, when asked for it). Arguments as {@link createSimdKernel}.
 */
export function createSimdKernelCore(relaxed?: boolean): SimdKernelCore | undefined {
  if (typeof WebAssembly !== 'object') return undefined;
  const flavour = [true, false].filter((candidate) => relaxed === undefined || relaxed === candidate).find((candidate) => WebAssembly.validate(simdKernelModule(candidate)));
  if (flavour === undefined) return undefined;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(simdKernelModule(flavour)));
  const memory = instance.exports['memory'] as WebAssembly.Memory;
  const mulRows = (g: number, xorFirst: boolean) => instance.exports[mulRowsName(g, xorFirst)] as MulRows;

  let tablesFor: Uint8Array | undefined;
  let tablesShape = '';
  let groups: Group[] = [];
  let nInputs = 0;

  const reserve = (size: number): void => {
    if (size > memory.buffer.byteLength) memory.grow(Math.ceil((size - memory.buffer.byteLength) / PAGE));
  };

  return {
    relaxed: flavour,
    memory,
    reserve,
    tablesSize: (nIn, nOut) => nIn * nOut * 32,
    prepare(coefficients, nIn, nOut) {
      // The group of rows starting at `first` (of `size` rows) has its tables at `first·nIn·32`,
      // input by input: `(c·size + r)·32`. Encodes reuse one matrix for every call: rebuild the
      // tables only when the matrix (or its shape) changes.
      const shape = `${nIn}x${nOut}`;
      if (coefficients === tablesFor && shape === tablesShape) return;
      reserve(nIn * nOut * 32);
      const bytesView = new Uint8Array(memory.buffer);
      const M = (r: number, c: number) => coefficients[r * nIn + c]!;
      groups = groupsOf(nOut, shapeOf(flavour).maxGroup).map(({ first, size }) => {
        const rows = Array.from({ length: size }, (_, r) => first + r);
        const columns = Array.from({ length: nIn }, (_, c) => c);
        const onesFirst = rows.every((r) => M(r, 0) === 1) ? 1 : 0;
        return { first, size, onesFirst, run: mulRows(size, columns.every((c) => M(first, c) === 1)) };
      });
      for (const { first, size } of groups) {
        for (let c = 0; c < nIn; c++) {
          for (let r = 0; r < size; r++) {
            const k = M(first + r, c) * 32;
            bytesView.set(NIBBLES.subarray(k, k + 32), (first * nIn + c * size + r) * 32);
          }
        }
      }
      nInputs = nIn;
      tablesFor = coefficients;
      tablesShape = shape;
    },
    multiply(inputsAt, outputsAt, stride, len) {
      for (const { first, onesFirst, run } of groups) run(first * nInputs * 32, inputsAt, nInputs, outputsAt + first * stride, len, stride, onesFirst);
    },
  };
}

/**
 * The SIMD kernel, or `undefined` where the engine has no WebAssembly SIMD (it then falls back
 * to the portable kernel). Not safe for re-entrant use, which JavaScript never does to it.
 *
 * @param relaxed `true`: only the relaxed-SIMD module (undefined where the engine lacks it);
 *   `false`: only the standard one; default: relaxed where the engine validates it, else standard.
 */
export function createSimdKernel(relaxed?: boolean): MatrixKernel | undefined {
  const core = createSimdKernelCore(relaxed);
  return core === undefined ? undefined : copyingKernel(core);
}

/** The {@link MatrixKernel} on `core`: rows copied into its memory a block at a time, multiplied there, and copied back. */
export function copyingKernel(core: SimdKernelCore): MatrixKernel {
  let wordsView = new Int32Array(core.memory.buffer);

  return (coefficients, inputs, outputs, from, to) => {
    const nIn = inputs.length;
    const nOut = outputs.length;
    if (nOut === 0 || to <= from) return;
    const block = blockBytes(nIn, nOut);
    const inputsAt = core.tablesSize(nIn, nOut);
    const outputsAt = inputsAt + nIn * block;
    core.reserve(outputsAt + nOut * block);
    core.prepare(coefficients, nIn, nOut);
    if (wordsView.buffer !== core.memory.buffer) wordsView = new Int32Array(core.memory.buffer);

    const blockWords = block >>> 2;
    for (let start = from; start < to; start += blockWords) {
      const stop = Math.min(to, start + blockWords);
      const words = stop - start;
      // The wasm loop steps STEP bytes; a short last block is padded with whatever is there and
      // only its real words are copied back.
      const len = Math.ceil((words << 2) / STEP) * STEP;
      for (let c = 0; c < nIn; c++) wordsView.set(inputs[c]!.subarray(start, stop), (inputsAt + c * block) >>> 2);
      core.multiply(inputsAt, outputsAt, block, len);
      for (let r = 0; r < nOut; r++) {
        const at = (outputsAt + r * block) >>> 2;
        outputs[r]!.set(wordsView.subarray(at, at + words), start);
      }
    }
  };
}
