/** Run by native.test.ts in a process of its own (its environment picks the kernel's path): 200 random products against the portable kernel. */
import { applyMatrixPortable } from '../../../src/uplink/erasure/kernel-portable.js';
import { loadNativeErasure } from '../../../src/uplink/native.js';

const native = loadNativeErasure();
if (!('path' in native)) throw new Error(native.missing);
let seed = 12345;
const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
let agreed = 0;
for (let round = 0; round < 200; round++) {
  const nIn = 1 + (next() % 30);
  const nOut = 1 + (next() % 20);
  const words = 1 + (next() % 700);
  const from = next() % words;
  const to = from + (next() % (words - from + 1));
  const inputs = Array.from({ length: nIn }, () => Int32Array.from({ length: words }, next));
  const coefficients = Uint8Array.from({ length: nIn * nOut }, () => next() & 255);
  const ours = Array.from({ length: nOut }, () => new Int32Array(words).fill(-3));
  const theirs = Array.from({ length: nOut }, () => new Int32Array(words).fill(-3));
  native.applyMatrix(coefficients, inputs, ours, from, to);
  applyMatrixPortable(coefficients, inputs, theirs, from, to);
  if (ours.every((row, r) => row.every((v, w) => v === theirs[r]![w]))) agreed++;
}
console.log(JSON.stringify({ path: native.path, agreed }));
