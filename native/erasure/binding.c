/*
 * Node-API binding of the GFNI kernel: applyMatrix(coefficients, inputs, outputs, from, to), the
 * erasure engine's MatrixKernel (src/uplink/erasure/kernel-portable.ts) over Int32Array rows and
 * word indices, working on the arrays in place. Every argument is checked before any byte is
 * touched: a bad call throws TypeError or RangeError and writes nothing.
 */
#include <node_api.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

static const char *path_name = 0;

#define CHECK(call)                                                  \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      napi_throw_error(env, NULL, "handoff erasure: N-API failure"); \
      return NULL;                                                   \
    }                                                                \
  } while (0)

/* The bytes of an Int32Array argument, or NULL after throwing. */
static uint8_t *words_of(napi_env env, napi_value value, size_t *words, const char *what) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) {
    napi_throw_type_error(env, NULL, what);
    return NULL;
  }
  napi_typedarray_type type;
  void *data = NULL;
  if (napi_get_typedarray_info(env, value, &type, words, &data, NULL, NULL) != napi_ok || type != napi_int32_array) {
    napi_throw_type_error(env, NULL, what);
    return NULL;
  }
  return data != NULL ? (uint8_t *)data : (uint8_t *)"";
}

/*
 * The rows of an array argument, as values: fetched before any pointer is taken, since fetching
 * an element may run JavaScript (an accessor) that could detach a buffer taken earlier.
 */
static int row_values(napi_env env, napi_value list, napi_value *rows, uint32_t *count, const char *what) {
  bool is_array = false;
  if (napi_is_array(env, list, &is_array) != napi_ok || !is_array || napi_get_array_length(env, list, count) != napi_ok) {
    napi_throw_type_error(env, NULL, what);
    return 0;
  }
  if (*count == 0 || *count > GF_MAX_ROWS) {
    napi_throw_range_error(env, NULL, "handoff erasure: between 1 and 256 rows expected");
    return 0;
  }
  for (uint32_t i = 0; i < *count; i++)
    if (napi_get_element(env, list, i, &rows[i]) != napi_ok) return 0;
  return 1;
}

/* The bytes of each row, each at least `need` words long; no JavaScript runs from here on. */
static int row_bytes(napi_env env, const napi_value *rows, uint32_t count, uint8_t **bytes, size_t need, const char *what) {
  for (uint32_t i = 0; i < count; i++) {
    size_t words = 0;
    bytes[i] = words_of(env, rows[i], &words, what);
    if (bytes[i] == NULL) return 0;
    if (words < need) {
      napi_throw_range_error(env, NULL, "handoff erasure: a row is shorter than `to`");
      return 0;
    }
  }
  return 1;
}

static napi_value apply_matrix(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) {
    napi_throw_type_error(env, NULL, "handoff erasure: applyMatrix(coefficients, inputs, outputs, from, to)");
    return NULL;
  }
  double from_d, to_d;
  if (napi_get_value_double(env, argv[3], &from_d) != napi_ok || napi_get_value_double(env, argv[4], &to_d) != napi_ok) {
    napi_throw_type_error(env, NULL, "handoff erasure: from and to must be numbers");
    return NULL;
  }
  if (!(from_d >= 0 && to_d >= from_d && to_d <= 1e15 && from_d == (double)(size_t)from_d && to_d == (double)(size_t)to_d)) {
    napi_throw_range_error(env, NULL, "handoff erasure: 0 <= from <= to, whole numbers, expected");
    return NULL;
  }
  size_t from = (size_t)from_d, to = (size_t)to_d;

  static const char *inputs_what = "handoff erasure: inputs must be an array of Int32Array";
  static const char *outputs_what = "handoff erasure: outputs must be an array of Int32Array";
  napi_value input_rows[GF_MAX_ROWS], output_rows[GF_MAX_ROWS];
  uint8_t *inputs[GF_MAX_ROWS], *outputs[GF_MAX_ROWS];
  uint32_t k = 0, rows = 0;
  if (!row_values(env, argv[1], input_rows, &k, inputs_what) || !row_values(env, argv[2], output_rows, &rows, outputs_what)) return NULL;
  bool is_typed = false;
  napi_typedarray_type type;
  size_t coefficient_count = 0;
  void *coefficients = NULL;
  if (napi_is_typedarray(env, argv[0], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[0], &type, &coefficient_count, &coefficients, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "handoff erasure: coefficients must be a Uint8Array");
    return NULL;
  }
  if (!row_bytes(env, input_rows, k, inputs, to, inputs_what) || !row_bytes(env, output_rows, rows, outputs, to, outputs_what)) return NULL;
  if (coefficient_count != (size_t)k * rows) {
    napi_throw_range_error(env, NULL, "handoff erasure: coefficients must hold outputs.length x inputs.length entries");
    return NULL;
  }
  if (to > from) gf_apply_matrix((const uint8_t *)coefficients, (int)k, (int)rows, (const uint8_t *const *)inputs, outputs, from * 4, to * 4);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  const char *avoid = getenv("HANDOFF_ERASURE_AVOID_AVX512");
  path_name = gf_kernel_init(avoid != NULL && strcmp(avoid, "1") == 0);
  napi_value path, fn;
  if (path_name != NULL) {
    CHECK(napi_create_string_utf8(env, path_name, NAPI_AUTO_LENGTH, &path));
    CHECK(napi_create_function(env, "applyMatrix", NAPI_AUTO_LENGTH, apply_matrix, NULL, &fn));
    CHECK(napi_set_named_property(env, exports, "applyMatrix", fn));
  } else {
    CHECK(napi_get_null(env, &path));
  }
  CHECK(napi_set_named_property(env, exports, "path", path));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
