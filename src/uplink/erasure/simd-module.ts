/**
 * The bytecode of the WebAssembly SIMD kernel, written out here instead of shipped as a binary
 * so the code stays readable and needs no toolchain: one exported function,
 *
 *   mulMatrix(tables, inputs, nIn, outputs, nOut, len, stride)
 *
 * which sets `outputs[r] = Σ_c M[r][c] · inputs[c]` over `len` bytes (a multiple of 32) for
 * `r < nOut`, where input `c` starts at `inputs + c·stride` and output `r` at
 * `outputs + r·stride`, and coefficient `M[r][c]` is given by its two 16-byte nibble tables at
 * `tables + (r·nIn + c)·32`: products of the low nibbles, then of the high ones. A byte times a
 * coefficient is then two `i8x16.swizzle` lookups XORed, 16 bytes at a time (the split-table
 * method SIMD erasure codes use). The module defines and exports its own memory.
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
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Mul: 0x6c,
  i32Shl: 0x74,
} as const;

/** Opcodes after the 0xfd SIMD prefix (all below 128, so one LEB byte each). */
const simd = { load: 0x00, store: 0x0b, const: 0x0c, swizzle: 0x0e, and: 0x4e, xor: 0x51, shrU: 0x6d } as const;

// Locals: the seven parameters, then scratch.
const TABLES = 0;
const INPUTS = 1;
const N_IN = 2;
const OUTPUTS = 3;
const N_OUT = 4;
const LEN = 5;
const STRIDE = 6;
const R = 7;
const C = 8;
const SRC = 9;
const DST = 10;
const END = 11;
const T = 12;
const LO = 13;
const HI = 14;
const MASK = 15;
const V = 16;

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
const addTo = (local: number, amount: number) => [...get(local), ...i32(amount), op.i32Add, ...set(local)];

/** Pushes `M[r][c] · src[offset..offset+16]`. */
function product(offset: number): number[] {
  return [
    ...get(SRC), ...load(offset), ...set(V),
    ...get(LO), ...get(V), ...get(MASK), ...v128(simd.and), ...v128(simd.swizzle),
    ...get(HI), ...get(V), ...i32(4), ...v128(simd.shrU), ...v128(simd.swizzle),
    ...v128(simd.xor),
  ];
}

/** One pass over a row, 32 bytes per turn: `dst = product` for the first input, else `dst ^= product`. */
function rowPass(first: boolean): number[] {
  const lane = (offset: number) =>
    first
      ? [...get(DST), ...product(offset), ...store(offset)]
      : [...get(DST), ...get(DST), ...load(offset), ...product(offset), ...v128(simd.xor), ...store(offset)];
  return [
    op.loop, VOID,
    ...lane(0), ...lane(16),
    ...addTo(SRC, 32), ...addTo(DST, 32),
    ...get(SRC), ...get(END), op.i32LtU, op.brIf, 0,
    op.end,
  ];
}

function body(): number[] {
  const code = [
    ...v128(simd.const, ...new Array<number>(16).fill(0x0f)), ...set(MASK),
    ...i32(0), ...set(R),
    op.block, VOID, op.loop, VOID,
    ...get(R), ...get(N_OUT), op.i32GeU, op.brIf, 1,
    ...i32(0), ...set(C),
    op.block, VOID, op.loop, VOID,
    ...get(C), ...get(N_IN), op.i32GeU, op.brIf, 1,
    // t = tables + (r·nIn + c)·32
    ...get(TABLES), ...get(R), ...get(N_IN), op.i32Mul, ...get(C), op.i32Add, ...i32(5), op.i32Shl, op.i32Add, op.localTee, T,
    ...load(0), ...set(LO),
    ...get(T), ...load(16), ...set(HI),
    // src = inputs + c·stride, end = src + len, dst = outputs + r·stride
    ...get(INPUTS), ...get(C), ...get(STRIDE), op.i32Mul, op.i32Add, op.localTee, SRC, ...get(LEN), op.i32Add, ...set(END),
    ...get(OUTPUTS), ...get(R), ...get(STRIDE), op.i32Mul, op.i32Add, ...set(DST),
    ...get(C), op.i32Eqz,
    op.if, VOID, ...rowPass(true), op.else, ...rowPass(false), op.end,
    ...addTo(C, 1), op.br, 0,
    op.end, op.end,
    ...addTo(R, 1), op.br, 0,
    op.end, op.end,
    op.end,
  ];
  const locals = [2, ...uleb(6), I32, ...uleb(4), V128];
  return [...uleb(locals.length + code.length), ...locals, ...code];
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function name(text: string): number[] {
  return [...uleb(text.length), ...Array.from(text, (ch) => ch.charCodeAt(0))];
}

/** The module's bytes; validate with `WebAssembly.validate` (engines without SIMD reject it). */
export function simdKernelModule(): Uint8Array<ArrayBuffer> {
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 7, ...new Array<number>(7).fill(I32), 0]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [2, ...name('memory'), 0x02, 0, ...name('mulMatrix'), 0x00, 0]),
    ...section(10, [1, ...body()]),
  ]);
}
