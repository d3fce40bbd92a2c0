/**
 * \file wasmtime/module.h
 *
 * \brief Compiled modules, and precompiled ones: a module serialized
 * with #wasmtime_module_serialize (or by `kiln compile`) loads with
 * #wasmtime_module_deserialize or #wasmtime_module_deserialize_file in a
 * fraction of the time compiling takes.
 *
 * A precompiled module starts with a header naming the format, the Kiln
 * version, the target and the compilation settings, and carries its length
 * and a checksum: bytes from another version, another target or an engine
 * configured differently (fuel, epochs, memory reservation, Cranelift
 * flags, WebAssembly features) are an error that names the difference, and
 * truncated or corrupted bytes are an error, never a crash.
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
 * \brief Serializes the module's compiled code and metadata.
 *
 * \param module the module (not taken)
 * \param ret filled with the bytes on success; the caller owns the vector
 * and deletes it with #wasm_byte_vec_delete. Untouched on error.
 *
 * \return NULL on success, else an error the caller owns.
 */
WASM_API_EXTERN wasmtime_error_t *
wasmtime_module_serialize(const wasmtime_module_t *module,
                          wasm_byte_vec_t *ret);

/**
 * \brief Loads a module from #wasmtime_module_serialize's bytes (or
 * `kiln compile`'s output) without compiling.
 *
 * Takes ownership of nothing; the returned error or module is the
 * caller's. Errors: not a precompiled module, truncated or corrupted
 * bytes, another Kiln version, another target, or different compilation
 * settings (the message says which).
 *
 * Not safe for arbitrary input: the bytes become machine code. The
 * checksum catches accidental damage, not crafted bytes; pass only what
 * #wasmtime_module_serialize produced (Wasmtime's contract too).
 */
WASM_API_EXTERN wasmtime_error_t *
wasmtime_module_deserialize(wasm_engine_t *engine, const uint8_t *bytes,
                            size_t bytes_len, wasmtime_module_t **ret);

/**
 * \brief #wasmtime_module_deserialize from a file, which is
 * memory-mapped rather than read: the file must not change while the
 * module (or an instance of it) is alive, as its code and data stay mapped.
 * Errors name the file.
 */
WASM_API_EXTERN wasmtime_error_t *
wasmtime_module_deserialize_file(wasm_engine_t *engine, const char *path,
                                 wasmtime_module_t **ret);

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
