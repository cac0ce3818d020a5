/*
 * GF(2^8) matrix kernel for handoff's erasure engine, on x86-64 CPUs with GFNI:
 * outputs[r][b] = XOR over i of c[r*k + i] * inputs[i][b], for bytes b in [from, to),
 * in the field the engine uses (polynomial 0x11d).
 *
 * Multiplying by a constant c is a linear map on the 8 bits of a byte, so one GFNI affine
 * instruction (VGF2P8AFFINEQB) multiplies 64 (AVX-512) or 32 (AVX2) bytes by c with c's 8x8
 * bit matrix. Output rows are taken in groups that stay in registers; each input column is
 * loaded once per group and multiplied into every row of it.
 */
#include "kernel.h"

#include <immintrin.h>
#include <string.h>

static uint64_t AFFINE[256];

static uint8_t mul_slow(uint8_t a, uint8_t b) {
  uint16_t r = 0;
  for (int i = 0; i < 8; i++)
    if (b & (1 << i)) r ^= (uint16_t)(a << i);
  for (int i = 15; i >= 8; i--)
    if (r & (1 << i)) r ^= (uint16_t)(0x11d << (i - 8));
  return (uint8_t)r;
}

/* Row i of the matrix (byte 7 - i of the qword) selects the input bits that make output bit i. */
static void init_affine(void) {
  for (int c = 0; c < 256; c++) {
    uint64_t matrix = 0;
    for (int i = 0; i < 8; i++) {
      uint8_t row = 0;
      for (int j = 0; j < 8; j++)
        if ((mul_slow((uint8_t)c, (uint8_t)(1 << j)) >> i) & 1) row |= (uint8_t)(1 << j);
      matrix |= (uint64_t)row << (8 * (7 - i));
    }
    AFFINE[c] = matrix;
  }
}

#define GROUP 8

/* One group of g <= GROUP output rows, 64 bytes at a time; g is a constant in each expansion. */
#define DEFINE_GROUP512(G)                                                                                         \
  __attribute__((target("avx512f,avx512bw,gfni"))) static void group512_##G(                                       \
      const uint64_t *mats, int k, const uint8_t *const *in, uint8_t *const *out, size_t from, size_t to) {       \
    for (size_t b = from; b < to; b += 64) {                                                                       \
      __mmask64 mask = to - b >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (to - b)) - 1);                            \
      __m512i acc[G];                                                                                              \
      _Pragma("GCC unroll 8") for (int r = 0; r < G; r++) acc[r] = _mm512_setzero_si512();                        \
      for (int i = 0; i < k; i++) {                                                                                \
        __m512i x = _mm512_maskz_loadu_epi8(mask, in[i] + b);                                                      \
        _Pragma("GCC unroll 8") for (int r = 0; r < G; r++)                                                        \
          acc[r] = _mm512_xor_si512(acc[r], _mm512_gf2p8affine_epi64_epi8(x, _mm512_set1_epi64((long long)mats[i * GROUP + r]), 0)); \
      }                                                                                                            \
      _Pragma("GCC unroll 8") for (int r = 0; r < G; r++) _mm512_mask_storeu_epi8(out[r] + b, mask, acc[r]);      \
    }                                                                                                              \
  }

#define DEFINE_GROUP256(G)                                                                                         \
  __attribute__((target("avx2,gfni"))) static void group256_##G(                                                   \
      const uint64_t *mats, int k, const uint8_t *const *in, uint8_t *const *out, size_t from, size_t to) {       \
    size_t b = from;                                                                                               \
    for (; b + 32 <= to; b += 32) {                                                                                \
      __m256i acc[G];                                                                                              \
      _Pragma("GCC unroll 8") for (int r = 0; r < G; r++) acc[r] = _mm256_setzero_si256();                        \
      for (int i = 0; i < k; i++) {                                                                                \
        __m256i x = _mm256_loadu_si256((const __m256i *)(in[i] + b));                                              \
        _Pragma("GCC unroll 8") for (int r = 0; r < G; r++)                                                        \
          acc[r] = _mm256_xor_si256(acc[r], _mm256_gf2p8affine_epi64_epi8(x, _mm256_set1_epi64x((long long)mats[i * GROUP + r]), 0)); \
      }                                                                                                            \
      _Pragma("GCC unroll 8") for (int r = 0; r < G; r++) _mm256_storeu_si256((__m256i *)(out[r] + b), acc[r]);   \
    }                                                                                                              \
    for (; b < to; b++) { /* the last bytes, one at a time */                                                     \
      for (int r = 0; r < G; r++) {                                                                                \
        __m128i acc = _mm_setzero_si128();                                                                         \
        for (int i = 0; i < k; i++)                                                                                \
          acc = _mm_xor_si128(acc, _mm_gf2p8affine_epi64_epi8(_mm_cvtsi32_si128(in[i][b]), _mm_set1_epi64x((long long)mats[i * GROUP + r]), 0)); \
        out[r][b] = (uint8_t)_mm_cvtsi128_si32(acc);                                                               \
      }                                                                                                            \
    }                                                                                                              \
  }

DEFINE_GROUP512(1) DEFINE_GROUP512(2) DEFINE_GROUP512(3) DEFINE_GROUP512(4)
DEFINE_GROUP512(5) DEFINE_GROUP512(6) DEFINE_GROUP512(7) DEFINE_GROUP512(8)
DEFINE_GROUP256(1) DEFINE_GROUP256(2) DEFINE_GROUP256(3) DEFINE_GROUP256(4)
DEFINE_GROUP256(5) DEFINE_GROUP256(6) DEFINE_GROUP256(7) DEFINE_GROUP256(8)

typedef void (*group_fn)(const uint64_t *, int, const uint8_t *const *, uint8_t *const *, size_t, size_t);
static const group_fn GROUPS512[GROUP + 1] = {0, group512_1, group512_2, group512_3, group512_4, group512_5, group512_6, group512_7, group512_8};
static const group_fn GROUPS256[GROUP + 1] = {0, group256_1, group256_2, group256_3, group256_4, group256_5, group256_6, group256_7, group256_8};
static const group_fn *groups = 0;

const char *gf_kernel_init(int avoid_avx512) {
  init_affine();
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("gfni")) return 0;
  if (!avoid_avx512 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) {
    groups = GROUPS512;
    return "gfni-avx512";
  }
  if (__builtin_cpu_supports("avx2")) {
    groups = GROUPS256;
    return "gfni-avx2";
  }
  return 0;
}

void gf_apply_matrix(const uint8_t *coefficients, int k, int rows, const uint8_t *const *in, uint8_t *const *out, size_t from, size_t to) {
  uint64_t mats[GROUP * GF_MAX_ROWS];
  for (int r0 = 0; r0 < rows; r0 += GROUP) {
    int g = rows - r0 < GROUP ? rows - r0 : GROUP;
    for (int i = 0; i < k; i++)
      for (int r = 0; r < g; r++) mats[i * GROUP + r] = AFFINE[coefficients[(r0 + r) * k + i]];
    groups[g](mats, k, in, out + r0, from, to);
  }
}
