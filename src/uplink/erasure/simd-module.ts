/**
 * The bytecode of the WebAssembly SIMD kernel, written out here instead of shipped as a binary
 * so the code stays readable and needs no toolchain. It exports its own memory and, for each
 * group size `g` in `1..maxGroup` (see {@link shapeOf}), two functions of the same signature,
 *
 *   mulRows<g>(tables, inputs, nIn, outputs, len, stride, onesFirst)
 *   mulRows<g>x(...)  — the same where row 0 of the group is all ones: a plain XOR of the inputs
 *
 * which set `outputs[r] = Σ_c M[r][c] · inputs[c]` for the `g` rows `r < g` over `len` bytes
 * (a multiple of {@link STEP}), where input `c` starts at `inputs + c·stride` and output `r` at
 * `outputs + r·stride`. Coefficient `M[r][c]` is given by its two 16-byte nibble tables at
 * `tables + (c·g + r)·32`: products of the low nibbles, then of the high ones. A byte times a
 * coefficient is then two `i8x16.swizzle` lookups XORed, 16 bytes at a time (the split-table
 * method SIMD erasure codes use). `onesFirst` (0 or 1) says column 0 of the group is all ones:
 * the sums then start as input 0 itself instead of its products.
 *
 * Why groups: each 16-byte input load and its nibble split feed `g` output rows at once, and
 * the `g` sums stay in registers across all inputs, so every output byte is stored once instead
 * of being loaded, updated and stored again for every input. The tables of one input for the
 * group sit next to each other, so their loads use constant offsets from one pointer. Why the
 * ones: the generator's parity rows have an all-ones first row and first column (matrix.ts
 * scales them so), which at 4/10 is 9 of the 24 products.
 *
 * Why two columns per turn with the standard swizzle: V8 compiles each standard lookup to three
 * instructions, two of them memory reads (the address of its range fix-up constant and the
 * constant), so the kernel is short of load slots; handling 32 bytes per turn loads each table
 * once for two lookups. That needs twice the sums in registers, so groups stop at 2 rows. With
 * the relaxed swizzle (one `pshufb`) the extra registers cost more than the loads they save, and
 * that module keeps one column and groups of 4 (measured on x64, Node 20).
 */

const I32 = 0x7f;
const V128 = 0x7b;
const VOID = 0x40;

const op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Const: 0x41,
  i32LtU: 0x49,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Mul: 0x6c,
} as const;

/**
 * Opcodes after the 0xfd SIMD prefix (LEB128: the ones from 128 take two bytes). The high nibble is split
 * with `i16x8.shr_u` and the mask: one shift and one AND, where `i8x16.shr_u` compiles to a
 * shift plus a mask rebuilt on every use.
 */
const simd = { load: 0x00, store: 0x0b, const: 0x0c, swizzle: [0x0e], relaxedSwizzle: [0x80, 0x02], and: 0x4e, xor: 0x51, i16ShrU: [0x8d, 0x01] } as const;

// Parameters, then scratch locals.
const TABLES = 0;
const INPUTS = 1;
const N_IN = 2;
const OUTPUTS = 3;
const LEN = 4;
const STRIDE = 5;
const ONES_FIRST = 6;
const POS = 7;
const SRC = 8;
const T = 9;
const T_END = 10;
const DST = 11;
const MASK = 12;
/** The table being applied (loaded once, used by every column of the turn). */
const TABLE = 13;
/** Per column `j` of a turn: the input at `X + 3j`, its low nibbles at `X + 3j + 1`, high at `X + 3j + 2`; the sums follow. */
const X = 14;

/** The module's shape per flavour: 16-byte columns per loop turn and the most rows per group. */
export interface KernelShape {
  readonly columns: number;
  readonly maxGroup: number;
}

/** See the module comment: two columns and groups of 2 for the standard swizzle, one and 4 for the relaxed one. */
export const shapeOf = (relaxed: boolean): KernelShape => (relaxed ? { columns: 1, maxGroup: 4 } : { columns: 2, maxGroup: 2 });

/** Bytes every `len` must be a multiple of, in either flavour (the widest turn). */
export const STEP = 32;

function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

/** Signed LEB128 for the small non-negative constants this kernel uses. */
function sleb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const get = (local: number) => [op.localGet, local];
const set = (local: number) => [op.localSet, local];
const i32 = (value: number) => [op.i32Const, ...sleb(value)];
const v128 = (instruction: number, ...immediates: number[]) => [0xfd, instruction, ...immediates];
/** memarg: alignment 2^4 (a hint only), then the byte offset. */
const load = (offset: number) => v128(simd.load, 4, ...uleb(offset));
const store = (offset: number) => v128(simd.store, 4, ...uleb(offset));
const addTo = (local: number, amount: number[]) => [...get(local), ...amount, op.i32Add, ...set(local)];
const zero = () => v128(simd.const, ...new Array<number>(16).fill(0));

/**
 * The body of `mulRows<g>` (`xorFirst`: `mulRows<g>x`): per turn of `columns` × 16 bytes, all
 * inputs into `g` sums per column, then the stores.
 */
function body(g: number, xorFirst: boolean, relaxed: boolean, columns: number): number[] {
  const swizzle = relaxed ? v128(...simd.relaxedSwizzle) : v128(...simd.swizzle);
  const rows = Array.from({ length: g }, (_, r) => r);
  const cols = Array.from({ length: columns }, (_, j) => j);
  const input = (j: number) => X + 3 * j;
  const lo = (j: number) => X + 3 * j + 1;
  const hi = (j: number) => X + 3 * j + 2;
  /** The sum of row `r` in column `j`. */
  const sum = (j: number, r: number) => X + 3 * columns + j * g + r;
  // sum(j, r) ^= lo-table(r) · lo(j) ^ hi-table(r) · hi(j), or ^= the input itself for an all-ones row.
  const lookup = (r: number, nibbles: (j: number) => number, offset: number) => [
    ...get(T), ...load(r * 32 + offset), ...set(TABLE),
    ...cols.flatMap((j) => [...get(sum(j, r)), ...get(TABLE), ...get(nibbles(j)), ...swizzle, ...v128(simd.xor), ...set(sum(j, r))]),
  ];
  const term = (r: number) =>
    xorFirst && r === 0
      ? cols.flatMap((j) => [...get(sum(j, 0)), ...get(input(j)), ...v128(simd.xor), ...set(sum(j, 0))])
      : [...lookup(r, lo, 0), ...lookup(r, hi, 16)];
  const code = [
    ...v128(simd.const, ...new Array<number>(16).fill(0x0f)), ...set(MASK),
    // tEnd = tables + nIn·g·32
    ...get(TABLES), ...get(N_IN), ...i32(g * 32), op.i32Mul, op.i32Add, ...set(T_END),
    ...i32(0), ...set(POS),
    op.loop, VOID,
    ...get(INPUTS), ...get(POS), op.i32Add, ...set(SRC),
    ...get(TABLES), ...set(T),
    // Column 0 all ones: every sum starts as input 0, and the loop starts at input 1.
    ...get(ONES_FIRST),
    op.if, VOID,
    ...cols.flatMap((j) => [...get(SRC), ...load(16 * j), ...set(input(j)), ...rows.flatMap((r) => [...get(input(j)), ...set(sum(j, r))])]),
    ...addTo(SRC, get(STRIDE)), ...addTo(T, i32(g * 32)),
    op.else,
    ...cols.flatMap((j) => rows.flatMap((r) => [...zero(), ...set(sum(j, r))])),
    op.end,
    op.block, VOID,
    ...get(T), ...get(T_END), op.i32GeU, op.brIf, 0,
    op.loop, VOID,
    // Each column's input and its nibbles.
    ...cols.flatMap((j) => [
      ...get(SRC), ...load(16 * j), op.localTee, input(j), ...get(MASK), ...v128(simd.and), ...set(lo(j)),
      ...get(input(j)), ...i32(4), ...v128(...simd.i16ShrU), ...get(MASK), ...v128(simd.and), ...set(hi(j)),
    ]),
    ...rows.flatMap((r) => term(r)),
    ...addTo(SRC, get(STRIDE)), ...addTo(T, i32(g * 32)),
    ...get(T), ...get(T_END), op.i32LtU, op.brIf, 0,
    op.end,
    op.end,
    // dst walks the g output rows at this position.
    ...get(OUTPUTS), ...get(POS), op.i32Add, ...set(DST),
    ...rows.flatMap((r) => [...cols.flatMap((j) => [...get(DST), ...get(sum(j, r)), ...store(16 * j)]), ...addTo(DST, get(STRIDE))]),
    ...addTo(POS, i32(16 * columns)),
    ...get(POS), ...get(LEN), op.i32LtU, op.brIf, 0,
    op.end,
    op.end,
  ];
  const locals = [2, ...uleb(DST - POS + 1), I32, ...uleb(sum(columns - 1, g - 1) + 1 - MASK), V128];
  return [...uleb(locals.length + code.length), ...locals, ...code];
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function name(text: string): number[] {
  return [...uleb(text.length), ...Array.from(text, (ch) => ch.charCodeAt(0))];
}

/** The export name of the function for groups of `g` rows (`xorFirst`: row 0 all ones). */
export const mulRowsName = (g: number, xorFirst: boolean): string => `mulRows${g}${xorFirst ? 'x' : ''}`;

/**
 * The module's bytes; validate with `WebAssembly.validate` (engines without SIMD reject it).
 * `relaxed` uses `i8x16.relaxed_swizzle` (relaxed SIMD: Chrome ≥ 114, Node ≥ 22, Firefox ≥ 145),
 * which x64 compiles to one `pshufb` where the standard swizzle adds a saturating add to zero
 * out-of-range indices; ours are nibbles, always in range, so both give the same bytes.
 */
export function simdKernelModule(relaxed = false): Uint8Array<ArrayBuffer> {
  const { columns, maxGroup } = shapeOf(relaxed);
  const functions = Array.from({ length: maxGroup }, (_, i) => i + 1).flatMap((g) => [{ g, xorFirst: false }, { g, xorFirst: true }]);
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 7, ...new Array<number>(7).fill(I32), 0]),
    ...section(3, [...uleb(functions.length), ...new Array<number>(functions.length).fill(0)]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [...uleb(functions.length + 1), ...name('memory'), 0x02, 0, ...functions.flatMap(({ g, xorFirst }, i) => [...name(mulRowsName(g, xorFirst)), 0x00, ...uleb(i)])]),
    ...section(10, [...uleb(functions.length), ...functions.flatMap(({ g, xorFirst }) => body(g, xorFirst, relaxed, columns))]),
  ]);
}
