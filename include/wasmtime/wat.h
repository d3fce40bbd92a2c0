/**
 * \file wasmtime/wat.h
 *
 * \brief The WebAssembly text format, converted to the binary format.
 */
#ifndef WASMTIME_WAT_H
#define WASMTIME_WAT_H

#include <wasmtime/conf.h>
#include <wasmtime/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef WASMTIME_FEATURE_WAT

/**
 * \brief Converts `wat_len` bytes of text-format WebAssembly at `wat` to
 * the binary format.
 *
 * On success returns NULL and overwrites `ret` with a byte vector the
 * caller owns (#wasm_byte_vec_delete). On failure (text that does not
 * parse, or is not UTF-8) returns an error whose message says where, and
 * leaves `ret` untouched.
 */
WASM_API_EXTERN wasmtime_error_t *
wasmtime_wat2wasm(const char *wat, size_t wat_len, wasm_byte_vec_t *ret);

#endif // WASMTIME_FEATURE_WAT

#ifdef __cplusplus
} // extern "C"
#endif

#endif // WASMTIME_WAT_H
