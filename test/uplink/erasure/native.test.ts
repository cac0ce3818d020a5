/**
 * The native GFNI kernel (`handoff/uplink/native`, native/erasure): byte for byte what the
 * definition says on both of its paths (AVX-512 and AVX2), untouched outside the range, a typed
 * error and no write for any malformed call, and the erasure engine round trip once installed.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { FailedPreconditionError } from '../../../src/core/errors.js';
import { createErasureCoder } from '../../../src/uplink/erasure/coder.js';
import { applyMatrixPortable, type MatrixKernel } from '../../../src/uplink/erasure/kernel-portable.js';
import { loadNativeErasure, useBuiltinErasure, useNativeErasure } from '../../../src/uplink/native.js';
import { describeWith } from '../../support/env.js';
import { expectedProduct, matrixCase, onesCase, run } from './matrix-cases.js';

const native = loadNativeErasure();
const built = 'path' in native || !/not built/.test(native.missing);
const kernel = 'path' in native ? native.applyMatrix : undefined;

afterEach(() => useBuiltinErasure());

describeWith('the native erasure kernel (npm run build:native)', built ? undefined : 'missing' in native ? native.missing : undefined, 'the native erasure kernel', () => {
  if (kernel === undefined) {
    // Built, but this CPU has no GFNI: the loader says so and nothing is installed.
    it('says the CPU has no GFNI, and useNativeErasure refuses with that reason', () => {
      console.warn(`skipping the native kernel's products: ${(native as { missing: string }).missing}`);
      expect(() => useNativeErasure()).toThrow(FailedPreconditionError);
    });
    return;
  }

  it('computes the GF(2^8) matrix product byte for byte and touches nothing outside the range', () => {
    for (const cases of [matrixCase, onesCase]) {
      fc.assert(
        fc.property(cases, (input) => {
          expect(run(kernel, input)).toEqual(expectedProduct(input));
        }),
        { numRuns: 150 },
      );
    }
  });

  it('agrees with the portable kernel on wide codes (29/110) and on views that start inside their buffer', () => {
    const words = 9_025;
    const backing = new Int32Array(29 * (words + 3));
    for (let i = 0; i < backing.length; i++) backing[i] = Math.imul(i + 1, 0x9e3779b1);
    const inputs = Array.from({ length: 29 }, (_, i) => backing.subarray(i * (words + 3) + 1, i * (words + 3) + 1 + words));
    const coefficients = Uint8Array.from({ length: 81 * 29 }, (_, i) => (i * 37 + 11) & 255);
    const ours = Array.from({ length: 81 }, () => new Int32Array(words));
    const portable = Array.from({ length: 81 }, () => new Int32Array(words));
    kernel(coefficients, inputs, ours, 5, words - 2);
    applyMatrixPortable(coefficients, inputs, portable, 5, words - 2);
    expect(ours).toEqual(portable);
  });

  it('runs its AVX2 path to the same bytes (a process told to avoid AVX-512)', () => {
    const script = fileURLToPath(new URL('./native-check.ts', import.meta.url));
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, HANDOFF_ERASURE_AVOID_AVX512: '1' }, encoding: 'utf8', timeout: 60_000 });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({ path: 'gfni-avx2', agreed: 200 });
  });

  it('refuses every malformed call with a TypeError or RangeError, and writes nothing', () => {
    const good = () => ({ coefficients: new Uint8Array(6), inputs: [new Int32Array(8), new Int32Array(8)], outputs: [new Int32Array(8).fill(7), new Int32Array(8).fill(7), new Int32Array(8).fill(7)] });
    const junk = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer(), fc.double(), fc.string(), fc.constant([]), fc.constant({}), fc.uint8Array({ maxLength: 8 }), fc.int32Array({ maxLength: 4 }), fc.constant([new Uint8Array(32)]), fc.constant([new Int32Array(2)]), fc.constant(new Array(300).fill(new Int32Array(8))));
    fc.assert(
      fc.property(fc.nat(4), junk, (slot, value) => {
        const call = good();
        const args: unknown[] = [call.coefficients, call.inputs, call.outputs, 0, 8];
        args[slot] = value;
        let thrown: unknown;
        try {
          (kernel as (...a: unknown[]) => void)(...args);
        } catch (err) {
          thrown = err;
        }
        // A call that happens to be valid (say `to` replaced by 0) must simply work.
        if (thrown !== undefined) expect(thrown instanceof TypeError || thrown instanceof RangeError, String(thrown)).toBe(true);
        if (thrown !== undefined) for (const row of call.outputs) expect([...row]).toEqual(new Array(8).fill(7));
      }),
      { numRuns: 400 },
    );
    const call = good();
    expect(() => kernel(call.coefficients, call.inputs, call.outputs, 0, 9)).toThrow(RangeError);
    expect(() => kernel(call.coefficients, call.inputs, call.outputs, 5, 4)).toThrow(RangeError);
    expect(() => kernel(call.coefficients, call.inputs, call.outputs, 0.5, 4)).toThrow(RangeError);
    expect(() => kernel(new Uint8Array(5), call.inputs, call.outputs, 0, 8)).toThrow(RangeError);
    expect(() => (kernel as MatrixKernel)(call.coefficients, call.inputs, [new Uint8Array(32)] as never, 0, 8)).toThrow(TypeError);
  });

  it('fetches every row before it takes a pointer: an accessor that detaches an earlier row gets a RangeError, not a write into freed memory', () => {
    for (const victim of ['input', 'output', 'coefficients'] as const) {
      const coefficients = new Uint8Array(2);
      const first = new Int32Array(8);
      const outputs = [new Int32Array(8)];
      const inputs: Int32Array[] = [first, new Int32Array(8)];
      const target = victim === 'input' ? first.buffer : victim === 'output' ? outputs[0]!.buffer : coefficients.buffer;
      Object.defineProperty(inputs, 1, {
        get: () => {
          structuredClone(target, { transfer: [target] }); // detaches it
          return new Int32Array(8);
        },
      });
      expect(() => kernel(coefficients, inputs, outputs, 0, 8)).toThrow(RangeError);
    }
  });

  it('once installed, every erasure engine encodes and rebuilds segments with it, byte for byte as before', () => {
    const segment = Uint8Array.from({ length: 4 * 4096 * 3 }, (_, i) => (i * 131 + 7) & 255);
    const coder = createErasureCoder({ algorithm: 'reed-solomon', shareSize: 4096, required: 4, repair: 6, success: 8, total: 10 });
    const builtin = coder.encodeSegment(segment);
    expect(useNativeErasure()).toBe((native as { path: string }).path);
    const fast = coder.encodeSegment(segment);
    expect(fast.map((p) => Buffer.from(p).toString('hex'))).toEqual(builtin.map((p) => Buffer.from(p).toString('hex')));
    // Only parity pieces: every data byte is rebuilt by the kernel.
    const rebuilt = coder.decodeSegment(fast.map((p, n) => [n, p] as const).filter(([n]) => n >= 6), segment.length);
    expect(Buffer.from(rebuilt).equals(Buffer.from(segment))).toBe(true);
  });
});

describe('useNativeErasure where the kernel cannot run', () => {
  it('throws FailedPrecondition naming the reason, and the engines keep the built-in kernel', () => {
    if ('path' in native) return expect(useNativeErasure()).toBe(native.path);
    expect(() => useNativeErasure()).toThrow(native.missing);
  });
});
