/**
 * \file wasmtime/module.h
 *
 * \brief Compiled modules.
 *
 * Not yet declared: `wasmtime_module_serialize`, `_deserialize` and
 * `_deserialize_file` (precompiled modules come with Kiln's module
 * serialization).
 */
#ifndef WASMTIME_MODULE_H
#define WASMTIME_MODULE_H

#include <wasm.h>
#include <wasmtime/conf.h>
#include <wasmtime/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * \typedef wasmtime_module_t
 * \brief A compiled module: validated and compiled to native code once,
 * then instantiated any number of times in any store of its engine.
 * Thread-safe; cloning shares the code.
 */
typedef struct wasmtime_module wasmtime_module_t;

#ifdef WASMTIME_FEATURE_COMPILER

/**
 * \brief Validates and compiles the `wasm_len` bytes of binary-format
 * WebAssembly at `wasm` (use #wasmtime_wat2wasm for text).
 *
 * On success returns NULL and writes a module the caller owns to `ret`;
 * otherwise returns an error whose message gives the problem and its byte
 * offset, and leaves `ret` alone.
 */
WASM_API_EXTERN wasmtime_error_t *wasmtime_module_new(wasm_engine_t *engine,
                                                      const uint8_t *wasm,
                                                      size_t wasm_len,
                                                      wasmtime_module_t **ret);

#endif // WASMTIME_FEATURE_COMPILER

/// \brief Deletes a module (instances made from it are unaffected). NULL
/// is ignored.
WASM_API_EXTERN void wasmtime_module_delete(wasmtime_module_t *m);

/// \brief A new reference to the same module; delete it separately.
WASM_API_EXTERN wasmtime_module_t *
wasmtime_module_clone(const wasmtime_module_t *m);

/// \brief Writes the module's imports, in order, to `out` (a vector the
/// caller owns).
WASM_API_EXTERN void wasmtime_module_imports(const wasmtime_module_t *module,
                                             wasm_importtype_vec_t *out);

/// \brief Writes the module's exports, in order, to `out` (a vector the
/// caller owns).
WASM_API_EXTERN void wasmtime_module_exports(const wasmtime_module_t *module,
                                             wasm_exporttype_vec_t *out);

/**
 * \brief Validates binary-format WebAssembly without compiling it, with
 * the engine's features. Returns NULL if it is valid, else an error.
 */
WASM_API_EXTERN wasmtime_error_t *
wasmtime_module_validate(wasm_engine_t *engine, const uint8_t *wasm,
                         size_t wasm_len);

/**
 * \brief Writes the address range of the module's compiled code to
 * `start` and `end`.
 */
WASM_API_EXTERN void
wasmtime_module_image_range(const wasmtime_module_t *module, void **start,
                            void **end);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // WASMTIME_MODULE_H
