#ifndef HANDOFF_GF_KERNEL_H
#define HANDOFF_GF_KERNEL_H
#include <stddef.h>
#include <stdint.h>

/* Inputs and output rows per call: a GF(2^8) Reed-Solomon code has at most 256 pieces. */
#define GF_MAX_ROWS 256

/*
 * Prepares the tables and picks the code path: "gfni-avx512", else "gfni-avx2" (the only one when
 * avoid_avx512 is set, for tests), or NULL when this CPU has no GFNI path.
 */
const char *gf_kernel_init(int avoid_avx512);

/* outputs[r][b] = XOR_i coefficients[r*k + i] * in[i][b] for b in [from, to); outputs must not alias inputs. */
void gf_apply_matrix(const uint8_t *coefficients, int k, int rows, const uint8_t *const *in, uint8_t *const *out, size_t from, size_t to);

#endif
