import { spawnSync } from 'node:child_process';
import v8 from 'node:v8';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyMatrixPortable, type MatrixKernel } from '../../../src/uplink/erasure/kernel-portable.js';
import { createSimdKernel, createSimdKernelCore } from '../../../src/uplink/erasure/kernel-simd.js';
import { kernelName } from '../../../src/uplink/erasure/kernel.js';
import { simdKernelModule, STEP } from '../../../src/uplink/erasure/simd-module.js';
import { expectedProduct, matrixCase, onesCase, reference, run } from './matrix-cases.js';

const simd = createSimdKernel(false);
// Node 20 has relaxed SIMD behind a flag (on by default from Node 22, in Chrome from 114); the
// flag is read when a module is validated, so turning it on here lets the relaxed module run.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const relaxed = createSimdKernel(true);

describe('the erasure matrix kernels', () => {
  it('Node runs the SIMD kernel (the module validates and instantiates)', () => {
    expect(WebAssembly.validate(simdKernelModule())).toBe(true);
    expect(simd).toBeTypeOf('function');
    expect(kernelName).toBe('simd');
    expect(WebAssembly.validate(simdKernelModule(true))).toBe(true);
    expect(relaxed).toBeTypeOf('function');
  });

  it.each([
    ['portable', applyMatrixPortable],
    ['simd', simd!],
    ['relaxed simd', relaxed!],
  ] as const)('the %s kernel computes the GF(2^8) matrix product byte for byte and touches nothing outside the range', (_name, kernel) => {
    fc.assert(
      fc.property(matrixCase, (input) => {
        expect(run(kernel, input)).toEqual(expectedProduct(input));
      }),
      { numRuns: 60 },
    );
  });

  it.each([
    ['simd', simd!],
    ['relaxed simd', relaxed!],
  ] as const)('the %s kernel computes the product byte for byte where rows or columns are all ones (its shortcuts)', (_name, kernel) => {
    fc.assert(
      fc.property(onesCase, (input) => {
        expect(run(kernel, input)).toEqual(expectedProduct(input));
      }),
      { numRuns: 150 },
    );
  });

  it('the SIMD kernel switches matrices between calls and handles rows far longer than its working set', () => {
    const words = 100_000;
    const inputs = Array.from({ length: 5 }, (_, i) => Int32Array.from({ length: words }, (_, w) => Math.imul(w + 1, 0x9e3779b1 + i)));
    for (const seed of [3, 77, 3]) {
      const coefficients = Uint8Array.from({ length: 5 * 7 }, (_, i) => (i * seed + 1) & 255);
      const simdOut = Array.from({ length: 7 }, () => new Int32Array(words));
      const portableOut = Array.from({ length: 7 }, () => new Int32Array(words));
      simd!(coefficients, inputs, simdOut, 0, words);
      applyMatrixPortable(coefficients, inputs, portableOut, 0, words);
      simdOut.forEach((row, r) => expect(Buffer.from(row.buffer).equals(Buffer.from(portableOut[r]!.buffer))).toBe(true));
    }
  });

  it('the SIMD kernel core multiplies rows already in its memory in place, any stride and range, as the copying kernel does', () => {
    const core = createSimdKernelCore(false)!;
    fc.assert(
      fc.property(
        fc.record({ nIn: fc.integer({ min: 1, max: 8 }), nOut: fc.integer({ min: 1, max: 9 }), steps: fc.integer({ min: 1, max: 40 }), spare: fc.integer({ min: 0, max: 5 }), seed: fc.integer() }),
        ({ nIn, nOut, steps, spare, seed }) => {
          const len = steps * STEP;
          const stride = len + spare * 16;
          const coefficients = Uint8Array.from({ length: nIn * nOut }, (_, i) => (Math.imul(i + 1, seed | 1) >>> 11) & 255);
          const inputsAt = core.tablesSize(nIn, nOut);
          const outputsAt = inputsAt + nIn * stride;
          core.reserve(outputsAt + nOut * stride);
          core.prepare(coefficients, nIn, nOut);
          const memory = new Uint8Array(core.memory.buffer);
          for (let i = 0; i < nIn * stride; i++) memory[inputsAt + i] = Math.imul(i + 7, seed ^ 0x9e3779b1) >>> 24;
          core.multiply(inputsAt, outputsAt, stride, len);
          const inputs = Array.from({ length: nIn }, (_, c) => new Int32Array(memory.slice(inputsAt + c * stride, inputsAt + c * stride + len).buffer));
          const expected = Array.from({ length: nOut }, () => new Int32Array(len / 4));
          reference(coefficients, inputs, expected, 0, len / 4);
          expected.forEach((row, r) => expect(memory.slice(outputsAt + r * stride, outputsAt + r * stride + len)).toEqual(new Uint8Array(row.buffer)));
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe('the swizzle flavour Node picks', () => {
  const kernelModule = new URL('../../../src/uplink/erasure/kernel.ts', import.meta.url).href;
  /** `simdFlavour` in a fresh Node started with `flags`. */
  const flavourWith = (flags: string[], env: NodeJS.ProcessEnv = process.env) =>
    spawnSync(process.execPath, [...flags, '--import', 'tsx', '-e', `import(${JSON.stringify(kernelModule)}).then((m) => console.log(m.simdFlavour))`], { env, encoding: 'utf8' });
  const major = Number(process.versions.node.split('.')[0]);

  it('is relaxed when Node is started with --experimental-wasm-relaxed-simd, and without it only from Node 22', () => {
    expect(flavourWith(['--experimental-wasm-relaxed-simd']).stdout.trim()).toBe('relaxed');
    expect(flavourWith([]).stdout.trim()).toBe(major >= 22 ? 'relaxed' : 'standard');
  });

  it('cannot be turned on through NODE_OPTIONS (Node refuses the flag there)', () => {
    const child = flavourWith([], { ...process.env, NODE_OPTIONS: '--experimental-wasm-relaxed-simd' });
    expect(child.status).not.toBe(0);
    expect(child.stderr).toContain('not allowed in NODE_OPTIONS');
  });
});
