/**
 * Small dense matrices over GF(2^8), stored row-major in one `Uint8Array`. Sizes are at most
 * 255 × 255, so plain cubic algorithms are fast enough (and the results are cached).
 */
import { gfInv, gfMul } from './gf256.js';

/** A `rows × cols` matrix; element (r, c) is `data[r * cols + c]`. */
export interface GfMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Uint8Array;
}

/**
 * The systematic generator of an (n, k) code: the first `k` rows are the identity (so data
 * pieces are the data), the other `n − k` rows are a Cauchy matrix `1 / (x_i + y_j)` with
 * `x_i = k + i` and `y_j = j` (all distinct, so every square submatrix is invertible and any `k`
 * rows of the generator are too: the code is MDS). Columns and rows are then scaled so the
 * first parity row and the first column are all ones — scaling by non-zero constants keeps
 * every minor non-zero, and multiplying by one is a plain XOR, which the kernel does faster.
 *
 * @example
 * ```ts
 * const g = systematicGenerator(4, 10); // 10 × 4; rows 0..3 are the identity
 * ```
 */
export function systematicGenerator(k: number, n: number): GfMatrix {
  if (!(Number.isInteger(k) && Number.isInteger(n) && k >= 1 && k <= n && n <= 256)) {
    throw new RangeError(`a (${n}, ${k}) code needs 1 ≤ k ≤ n ≤ 256`);
  }
  const m = n - k;
  const parity = new Uint8Array(m * k);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < k; j++) parity[i * k + j] = gfInv((k + i) ^ j);
  }
  if (m > 0) {
    for (let j = 0; j < k; j++) {
      const scale = gfInv(parity[j]!);
      for (let i = 0; i < m; i++) parity[i * k + j] = gfMul(parity[i * k + j]!, scale);
    }
    for (let i = 1; i < m; i++) {
      const scale = gfInv(parity[i * k]!);
      for (let j = 0; j < k; j++) parity[i * k + j] = gfMul(parity[i * k + j]!, scale);
    }
  }
  const data = new Uint8Array(n * k);
  for (let j = 0; j < k; j++) data[j * k + j] = 1;
  data.set(parity, k * k);
  return { rows: n, cols: k, data };
}

/** The matrix made of `rows` (indexes into `matrix`), in that order. */
export function selectRows(matrix: GfMatrix, rows: readonly number[]): GfMatrix {
  const data = new Uint8Array(rows.length * matrix.cols);
  rows.forEach((row, i) => data.set(matrix.data.subarray(row * matrix.cols, (row + 1) * matrix.cols), i * matrix.cols));
  return { rows: rows.length, cols: matrix.cols, data };
}

/** `a × b`. */
export function multiply(a: GfMatrix, b: GfMatrix): GfMatrix {
  if (a.cols !== b.rows) throw new RangeError(`cannot multiply ${a.rows}×${a.cols} by ${b.rows}×${b.cols}`);
  const data = new Uint8Array(a.rows * b.cols);
  for (let r = 0; r < a.rows; r++) {
    for (let c = 0; c < b.cols; c++) {
      let sum = 0;
      for (let i = 0; i < a.cols; i++) sum ^= gfMul(a.data[r * a.cols + i]!, b.data[i * b.cols + c]!);
      data[r * b.cols + c] = sum;
    }
  }
  return { rows: a.rows, cols: b.cols, data };
}

/**
 * The inverse of a square matrix by Gauss–Jordan elimination, or `undefined` when it is
 * singular (never for rows of a {@link systematicGenerator}).
 */
export function invert(matrix: GfMatrix): GfMatrix | undefined {
  const size = matrix.rows;
  if (matrix.cols !== size) throw new RangeError(`cannot invert a ${matrix.rows}×${matrix.cols} matrix`);
  const work = Uint8Array.from(matrix.data);
  const inverse = new Uint8Array(size * size);
  for (let i = 0; i < size; i++) inverse[i * size + i] = 1;
  const swapRows = (m: Uint8Array, a: number, b: number) => {
    const rowA = m.slice(a * size, (a + 1) * size);
    m.copyWithin(a * size, b * size, (b + 1) * size);
    m.set(rowA, b * size);
  };
  for (let col = 0; col < size; col++) {
    let pivot = col;
    while (pivot < size && work[pivot * size + col] === 0) pivot++;
    if (pivot === size) return undefined;
    if (pivot !== col) {
      swapRows(work, pivot, col);
      swapRows(inverse, pivot, col);
    }
    const scale = gfInv(work[col * size + col]!);
    for (let c = 0; c < size; c++) {
      work[col * size + c] = gfMul(work[col * size + c]!, scale);
      inverse[col * size + c] = gfMul(inverse[col * size + c]!, scale);
    }
    for (let r = 0; r < size; r++) {
      const factor = work[r * size + col]!;
      if (r === col || factor === 0) continue;
      for (let c = 0; c < size; c++) {
        work[r * size + c]! ^= gfMul(factor, work[col * size + c]!);
        inverse[r * size + c]! ^= gfMul(factor, inverse[col * size + c]!);
      }
    }
  }
  return { rows: size, cols: size, data: inverse };
}
