/**
 * The matrix kernel on WebAssembly SIMD (see simd-module.ts): 5–10× the portable kernel. Rows
 * are copied into the module's memory a column block at a time, multiplied there 16 bytes per
 * instruction, and copied back; the copies cost little next to the multiply they replace.
 */
import { gfMul } from './gf256.js';
import type { MatrixKernel } from './kernel-portable.js';
import { simdKernelModule } from './simd-module.js';

/** Bytes of input and output rows held in wasm memory per call: about half an L2 cache. */
const WORKING_SET = 128 * 1024;
/** Column blocks are whole multiples of the wasm loop's 32-byte step. */
const STEP = 32;
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

type MulMatrix = (tables: number, inputs: number, nIn: number, outputs: number, nOut: number, len: number, stride: number) => void;

/**
 * The SIMD kernel, or `undefined` where the engine has no WebAssembly SIMD (it then falls back
 * to the portable kernel). Not safe for re-entrant use, which JavaScript never does to it.
 */
export function createSimdKernel(): MatrixKernel | undefined {
  if (typeof WebAssembly !== 'object') return undefined;
  const bytes = simdKernelModule();
  if (!WebAssembly.validate(bytes)) return undefined;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  const memory = instance.exports['memory'] as WebAssembly.Memory;
  const mulMatrix = instance.exports['mulMatrix'] as MulMatrix;

  let bytesView = new Uint8Array(memory.buffer);
  let wordsView = new Int32Array(memory.buffer);
  let tablesFor: Uint8Array | undefined;

  const reserve = (size: number): void => {
    if (size <= memory.buffer.byteLength) return;
    memory.grow(Math.ceil((size - memory.buffer.byteLength) / PAGE));
    bytesView = new Uint8Array(memory.buffer);
    wordsView = new Int32Array(memory.buffer);
  };

  return (coefficients, inputs, outputs, from, to) => {
    const nIn = inputs.length;
    const nOut = outputs.length;
    if (nOut === 0 || to <= from) return;
    const tablesSize = nIn * nOut * 32;
    const block = Math.max(STEP, Math.floor(WORKING_SET / (nIn + nOut) / STEP) * STEP);
    const inputsAt = tablesSize;
    const outputsAt = inputsAt + nIn * block;
    reserve(outputsAt + nOut * block);

    // Table k belongs to coefficient k, whatever the matrix's shape, and encodes reuse one
    // matrix for every call: rebuild the tables only when the matrix changes.
    if (coefficients !== tablesFor) {
      for (let k = 0; k < nIn * nOut; k++) bytesView.set(NIBBLES.subarray(coefficients[k]! * 32, coefficients[k]! * 32 + 32), k * 32);
      tablesFor = coefficients;
    }

    const blockWords = block >>> 2;
    for (let start = from; start < to; start += blockWords) {
      const stop = Math.min(to, start + blockWords);
      const words = stop - start;
      // The wasm loop steps 32 bytes; a short last block is padded with whatever is there and
      // only its real words are copied back.
      const len = Math.ceil((words << 2) / STEP) * STEP;
      for (let c = 0; c < nIn; c++) wordsView.set(inputs[c]!.subarray(start, stop), (inputsAt + c * block) >>> 2);
      mulMatrix(0, inputsAt, nIn, outputsAt, nOut, len, block);
      for (let r = 0; r < nOut; r++) {
        const at = (outputsAt + r * block) >>> 2;
        outputs[r]!.set(wordsView.subarray(at, at + words), start);
      }
    }
  };
}
