/**
 * The portable matrix kernel: output rows = coefficient matrix × input rows, over byte columns,
 * four bytes at a time, in plain TypeScript. kernel.ts prefers the SIMD one where it runs.
 *
 * Speed comes from (measured on this codebase's bench, see bench/erasure.ts):
 * - 32-bit words and per-lane lookup tables ({@link gfLaneTables}): one word load, four table
 *   lookups and XORs, one word store per four bytes, no per-byte allocation;
 * - two inputs per pass over an output row, so output words are loaded and stored half as often;
 * - coefficient 1 as a plain XOR and 0 skipped (the generator has many ones);
 * - working in blocks of 1 KiB per piece so one block of every input and output stays in cache
 *   while each output row is accumulated from all inputs.
 */
import { gfLaneTables } from './gf256.js';

/** Words (4 bytes) per block; 1 KiB per piece measured best for both small and wide schemes. */
const BLOCK_WORDS = 256;

/** Module-level so the JIT sees one constant table in the hot loop (measurably faster than a parameter). */
const TABLES = gfLaneTables();

/**
 * `outputs[r][w] = Σ_i coefficients[r * inputs.length + i] · inputs[i][w]` in GF(2^8), byte by
 * byte, for words `w` in `[from, to)`. Outputs must not alias inputs.
 */
export type MatrixKernel = (coefficients: Uint8Array, inputs: readonly Int32Array[], outputs: readonly Int32Array[], from: number, to: number) => void;

/** The {@link MatrixKernel} in plain TypeScript, for engines without WebAssembly SIMD. */
export const applyMatrixPortable: MatrixKernel = (coefficients, inputs, outputs, from, to) => {
  const width = inputs.length;
  // Per output row: inputs to multiply (two per pass, so each output word is loaded and stored
  // half as often) and inputs to XOR as they are (coefficient 1).
  const rows = outputs.map((_, r) => {
    const multiplied: number[] = [];
    const added: number[] = [];
    for (let i = 0; i < width; i++) {
      const c = coefficients[r * width + i]!;
      if (c === 1) added.push(i);
      else if (c !== 0) multiplied.push(i);
    }
    return { multiplied, added };
  });
  for (let start = from; start < to; start += BLOCK_WORDS) {
    const end = Math.min(to, start + BLOCK_WORDS);
    for (let r = 0; r < outputs.length; r++) {
      const out = outputs[r]!;
      const { multiplied, added } = rows[r]!;
      let first = true;
      let at = 0;
      for (; at + 1 < multiplied.length; at += 2) {
        const i = multiplied[at]!;
        const j = multiplied[at + 1]!;
        mulRow2(coefficients[r * width + i]!, inputs[i]!, coefficients[r * width + j]!, inputs[j]!, out, start, end, first);
        first = false;
      }
      if (at < multiplied.length) {
        const i = multiplied[at]!;
        mulRow(coefficients[r * width + i]!, inputs[i]!, out, start, end, first);
        first = false;
      }
      for (const i of added) {
        xorRow(out, inputs[i]!, start, end, first);
        first = false;
      }
      if (first) out.fill(0, start, end);
    }
  }
};

/** `out ^= input` (or `out = input` for the first term). */
function xorRow(out: Int32Array, input: Int32Array, start: number, end: number, first: boolean): void {
  if (first) out.set(input.subarray(start, end), start);
  else for (let w = start; w < end; w++) out[w]! ^= input[w]!;
}

/** `out ^= c · input` (or `out = c · input` for the first term), four byte lanes per word. */
function mulRow(c: number, input: Int32Array, out: Int32Array, start: number, end: number, first: boolean): void {
  const t0 = c << 10;
  const t1 = t0 + 256;
  const t2 = t0 + 512;
  const t3 = t0 + 768;
  if (first) {
    for (let w = start; w < end; w++) {
      const x = input[w]!;
      out[w] = TABLES[t0 + (x & 255)]! ^ TABLES[t1 + ((x >>> 8) & 255)]! ^ TABLES[t2 + ((x >>> 16) & 255)]! ^ TABLES[t3 + (x >>> 24)]!;
    }
  } else {
    for (let w = start; w < end; w++) {
      const x = input[w]!;
      out[w]! ^= TABLES[t0 + (x & 255)]! ^ TABLES[t1 + ((x >>> 8) & 255)]! ^ TABLES[t2 + ((x >>> 16) & 255)]! ^ TABLES[t3 + (x >>> 24)]!;
    }
  }
}

/** `out ^= a · x ^ b · y` (or `=` for the first term). */
function mulRow2(a: number, x: Int32Array, b: number, y: Int32Array, out: Int32Array, start: number, end: number, first: boolean): void {
  const a0 = a << 10;
  const a1 = a0 + 256;
  const a2 = a0 + 512;
  const a3 = a0 + 768;
  const b0 = b << 10;
  const b1 = b0 + 256;
  const b2 = b0 + 512;
  const b3 = b0 + 768;
  if (first) {
    for (let w = start; w < end; w++) {
      const u = x[w]!;
      const v = y[w]!;
      out[w] =
        TABLES[a0 + (u & 255)]! ^ TABLES[a1 + ((u >>> 8) & 255)]! ^ TABLES[a2 + ((u >>> 16) & 255)]! ^ TABLES[a3 + (u >>> 24)]! ^
        TABLES[b0 + (v & 255)]! ^ TABLES[b1 + ((v >>> 8) & 255)]! ^ TABLES[b2 + ((v >>> 16) & 255)]! ^ TABLES[b3 + (v >>> 24)]!;
    }
  } else {
    for (let w = start; w < end; w++) {
      const u = x[w]!;
      const v = y[w]!;
      out[w]! ^=
        TABLES[a0 + (u & 255)]! ^ TABLES[a1 + ((u >>> 8) & 255)]! ^ TABLES[a2 + ((u >>> 16) & 255)]! ^ TABLES[a3 + (u >>> 24)]! ^
        TABLES[b0 + (v & 255)]! ^ TABLES[b1 + ((v >>> 8) & 255)]! ^ TABLES[b2 + ((v >>> 16) & 255)]! ^ TABLES[b3 + (v >>> 24)]!;
    }
  }
}
