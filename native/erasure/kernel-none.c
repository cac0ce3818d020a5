/* Other architectures, and Windows (the GFNI kernel is written for GCC and Clang): no native path; the erasure engine keeps its WebAssembly kernel. */
#include "kernel.h"

const char *gf_kernel_init(int avoid_avx512) {
  (void)avoid_avx512;
  return 0;
}

void gf_apply_matrix(const uint8_t *coefficients, int k, int rows, const uint8_t *const *in, uint8_t *const *out, size_t from, size_t to) {
  (void)coefficients, (void)k, (void)rows, (void)in, (void)out, (void)from, (void)to;
}
