/**
 * What every matrix kernel must compute, and random cases to hold each kernel to it (the
 * WebAssembly and portable kernels in kernel.test.ts, the native one in native.test.ts).
 */
import fc from 'fast-check';
import { gfMul } from '../../../src/uplink/erasure/gf256.js';
import type { MatrixKernel } from '../../../src/uplink/erasure/kernel-portable.js';

/** The definition, one byte at a time: what every kernel must compute. */
export function reference(coefficients: Uint8Array, inputs: readonly Int32Array[], outputs: readonly Int32Array[], from: number, to: number): void {
  const inBytes = inputs.map((words) => new Uint8Array(words.buffer, words.byteOffset, words.byteLength));
  outputs.forEach((words, r) => {
    const out = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
    for (let b = from * 4; b < to * 4; b++) {
      let sum = 0;
      inBytes.forEach((input, i) => (sum ^= gfMul(coefficients[r * inputs.length + i]!, input[b]!)));
      out[b] = sum;
    }
  });
}

/** A matrix, its inputs, and a word range inside them; outputs start filled with junk. */
export const matrixCase = fc
  .record({ nIn: fc.integer({ min: 1, max: 12 }), nOut: fc.integer({ min: 1, max: 12 }), words: fc.integer({ min: 1, max: 3000 }) })
  .chain(({ nIn, nOut, words }) =>
    fc.record({
      coefficients: fc.uint8Array({ minLength: nIn * nOut, maxLength: nIn * nOut }),
      inputs: fc.array(fc.int32Array({ minLength: words, maxLength: words }), { minLength: nIn, maxLength: nIn }),
      nOut: fc.constant(nOut),
      range: fc.tuple(fc.nat(words), fc.nat(words)).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const),
      junk: fc.integer(),
    }),
  );

/**
 * Matrices shaped like the generator's parity rows, where the SIMD kernel takes shortcuts: the
 * first row and/or first column all ones, many other ones and zeros, and up to 40 output rows
 * so several groups of rows (some with the all-ones first row, some without) run in one call.
 */
export const onesCase = fc
  .record({
    nIn: fc.integer({ min: 1, max: 9 }),
    nOut: fc.integer({ min: 1, max: 40 }),
    words: fc.integer({ min: 1, max: 600 }),
    onesRow: fc.boolean(),
    onesColumn: fc.boolean(),
  })
  .chain(({ nIn, nOut, words, onesRow, onesColumn }) =>
    fc.record({
      coefficients: fc
        .array(fc.oneof(fc.constant(1), fc.constant(0), fc.integer({ min: 0, max: 255 })), { minLength: nIn * nOut, maxLength: nIn * nOut })
        .map((values) => Uint8Array.from(values, (value, i) => ((onesRow && i < nIn) || (onesColumn && i % nIn === 0) ? 1 : value))),
      inputs: fc.array(fc.int32Array({ minLength: words, maxLength: words }), { minLength: nIn, maxLength: nIn }),
      nOut: fc.constant(nOut),
      range: fc.tuple(fc.nat(words), fc.nat(words)).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const),
      junk: fc.integer(),
    }),
  );

export type MatrixCase = typeof matrixCase extends fc.Arbitrary<infer T> ? T : never;

/** The outputs a case starts from: every word the junk value, so a write outside the range shows. */
function junkOutputs({ inputs, nOut, junk }: MatrixCase): Int32Array[] {
  return Array.from({ length: nOut }, () => new Int32Array(inputs[0]!.length).fill(junk));
}

export function run(kernel: MatrixKernel, input: MatrixCase): Int32Array[] {
  const outputs = junkOutputs(input);
  kernel(input.coefficients, input.inputs, outputs, input.range[0], input.range[1]);
  return outputs;
}

/** What any kernel must leave in the outputs of `input`: the reference product over its range, the junk elsewhere. */
export function expectedProduct(input: MatrixCase): Int32Array[] {
  const expected = junkOutputs(input);
  reference(input.coefficients, input.inputs, expected, input.range[0], input.range[1]);
  return expected;
}
