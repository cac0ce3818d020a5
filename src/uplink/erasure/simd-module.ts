/**
 * The bytecode of the WebAssembly SIMD kernel, written out here instead of shipped as a binary
 * so the code stays readable and needs no toolchain. It exports its own memory and, for each
 * group size `g` in `1..MAX_GROUP`, two functions of the same signature,
 *
 *   mulRows<g>(tables, inputs, nIn, outputs, len, stride, onesFirst)
 *   mulRows<g>x(...)  — the same where row 0 of the group is all ones: a plain XOR of the inputs
 *
 * which set `outputs[r] = Σ_c M[r][c] · inputs[c]` for the `g` rows `r < g` over `len` bytes
 * (a multiple of 16), where input `c` starts at `inputs + c·stride` and output `r` at
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
const LO = 13;
const HI = 14;
const TABLE = 15;
/** The first of the `g` sums. */
const SUM = 16;

/** Bytes one turn of the loop covers; `len` must be a multiple. */
export const STEP = 16;

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

/** The body of `mulRows<g>` (`xorFirst`: `mulRows<g>x`): per 16 bytes, all inputs into `g` sums, then `g` stores. */
function body(g: number, xorFirst: boolean, relaxed: boolean): number[] {
  const swizzle = relaxed ? v128(...simd.relaxedSwizzle) : v128(...simd.swizzle);
  const rows = Array.from({ length: g }, (_, r) => r);
  // sum(r) ^= lo-table(r) · lo ^ hi-table(r) · hi, or ^= the input itself for an all-ones row.
  const term = (r: number) =>
    xorFirst && r === 0
      ? [...get(SUM), ...get(TABLE), ...v128(simd.xor), ...set(SUM)]
      : [
          ...get(SUM + r),
          ...get(T), ...load(r * 32), ...get(LO), ...swizzle, ...v128(simd.xor),
          ...get(T), ...load(r * 32 + 16), ...get(HI), ...swizzle, ...v128(simd.xor),
          ...set(SUM + r),
        ];
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
    ...get(SRC), ...load(0), ...set(TABLE),
    ...rows.flatMap((r) => [...get(TABLE), ...set(SUM + r)]),
    ...addTo(SRC, get(STRIDE)), ...addTo(T, i32(g * 32)),
    op.else,
    ...rows.flatMap((r) => [...zero(), ...set(SUM + r)]),
    op.end,
    op.block, VOID,
    ...get(T), ...get(T_END), op.i32GeU, op.brIf, 0,
    op.loop, VOID,
    // TABLE holds the input here; LO and HI its nibbles.
    ...get(SRC), ...load(0), op.localTee, TABLE, ...get(MASK), ...v128(simd.and), ...set(LO),
    ...get(TABLE), ...i32(4), ...v128(...simd.i16ShrU), ...get(MASK), ...v128(simd.and), ...set(HI),
    ...rows.flatMap((r) => term(r)),
    ...addTo(SRC, get(STRIDE)), ...addTo(T, i32(g * 32)),
    ...get(T), ...get(T_END), op.i32LtU, op.brIf, 0,
    op.end,
    op.end,
    // dst walks the g output rows at this position.
    ...get(OUTPUTS), ...get(POS), op.i32Add, ...set(DST),
    ...rows.flatMap((r) => [...get(DST), ...get(SUM + r), ...store(0), ...addTo(DST, get(STRIDE))]),
    ...addTo(POS, i32(STEP)),
    ...get(POS), ...get(LEN), op.i32LtU, op.brIf, 0,
    op.end,
    op.end,
  ];
  const locals = [2, ...uleb(DST - POS + 1), I32, ...uleb(SUM + g - MASK), V128];
  return [...uleb(locals.length + code.length), ...locals, ...code];
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function name(text: string): number[] {
  return [...uleb(text.length), ...Array.from(text, (ch) => ch.charCodeAt(0))];
}

/** Most output rows one pass keeps in registers: measured best on x64 (16 vector registers; more rows spill). */
export const MAX_GROUP = 4;

/** The export name of the function for groups of `g` rows (`xorFirst`: row 0 all ones). */
export const mulRowsName = (g: number, xorFirst: boolean): string => `mulRows${g}${xorFirst ? 'x' : ''}`;

/**
 * The module's bytes; validate with `WebAssembly.validate` (engines without SIMD reject it).
 * `relaxed` uses `i8x16.relaxed_swizzle` (relaxed SIMD: Chrome ≥ 114, Node ≥ 22, Firefox ≥ 145),
 * which x64 compiles to one `pshufb` where the standard swizzle adds a saturating add to zero
 * out-of-range indices; ours are nibbles, always in range, so both give the same bytes.
 */
export function simdKernelModule(relaxed = false): Uint8Array<ArrayBuffer> {
  const functions = Array.from({ length: MAX_GROUP }, (_, i) => i + 1).flatMap((g) => [{ g, xorFirst: false }, { g, xorFirst: true }]);
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 7, ...new Array<number>(7).fill(I32), 0]),
    ...section(3, [...uleb(functions.length), ...new Array<number>(functions.length).fill(0)]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [...uleb(functions.length + 1), ...name('memory'), 0x02, 0, ...functions.flatMap(({ g, xorFirst }, i) => [...name(mulRowsName(g, xorFirst)), 0x00, ...uleb(i)])]),
    ...section(10, [...uleb(functions.length), ...functions.flatMap(({ g, xorFirst }) => body(g, xorFirst, relaxed))]),
  ]);
}
