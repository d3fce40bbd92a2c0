/**
 * \file kiln/precompile.h
 *
 * \brief Ahead-of-time compilation without keeping a module: what a host
 * that compiles on one machine (or at deploy time) and loads with
 * #wasmtime_module_deserialize at cold start needs.
 *
 * This header is Kiln's own (not part of Wasmtime's API); its names are
 * prefixed `kiln_`.
 */
#ifndef KILN_PRECOMPILE_H
#define KILN_PRECOMPILE_H

#include <wasmtime.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * \brief Compiles `wasm` (binary or text format, `wasm_len` bytes) and
 * writes its precompiled form to `ret`, a vector the caller owns; the
 * same bytes #wasmtime_module_serialize would give for the module.
 *
 * \return NULL on success, else an error the caller owns (the module is
 * malformed or invalid); `ret` is untouched on error.
 */
WASM_API_EXTERN wasmtime_error_t *
kiln_engine_precompile_module(const wasm_engine_t *engine, const uint8_t *wasm,
                              size_t wasm_len, wasm_byte_vec_t *ret);

/**
 * \brief True if the `bytes_len` bytes at `bytes` start like a
 * precompiled Kiln module (rather than WebAssembly).
 */
WASM_API_EXTERN bool kiln_is_precompiled(const uint8_t *bytes,
                                         size_t bytes_len);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // KILN_PRECOMPILE_H
