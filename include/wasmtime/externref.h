/**
 * \file wasmtime/externref.h
 *
 * \brief `externref` values: host data that wasm can hold.
 *
 * Kiln keeps an externref's data until its store is deleted and then
 * calls its finalizer; there is no collection, so rooting and unrooting
 * have nothing to do.
 */
#ifndef WASMTIME_EXTERNREF_H
#define WASMTIME_EXTERNREF_H

#include <wasmtime/val.h>

#ifdef __cplusplus
extern "C" {
#endif

/// \brief Makes `ref` a null externref.
static inline void wasmtime_externref_set_null(wasmtime_externref_t *ref) {
  ref->store_id = 0;
}

/// \brief Whether `ref` is a null externref.
static inline bool wasmtime_externref_is_null(const wasmtime_externref_t *ref) {
  return ref->store_id == 0;
}

/**
 * \brief Makes an externref of `context`'s store holding `data`.
 *
 * `finalizer`, if not NULL, is called with `data` when the store is
 * deleted. Writes the reference to `out` and returns true.
 */
WASM_API_EXTERN bool wasmtime_externref_new(wasmtime_context_t *context,
                                            void *data,
                                            void (*finalizer)(void *),
                                            wasmtime_externref_t *out);

/// \brief The data of `data` (NULL for a null reference).
WASM_API_EXTERN void *wasmtime_externref_data(wasmtime_context_t *context,
                                              const wasmtime_externref_t *data);

/// \brief Copies the reference `ref` into `out`.
WASM_API_EXTERN void wasmtime_externref_clone(const wasmtime_externref_t *ref,
                                              wasmtime_externref_t *out);

/// \brief Releases `ref`: nothing to do in Kiln (see the file comment).
WASM_API_EXTERN void wasmtime_externref_unroot(wasmtime_externref_t *ref);

/**
 * \brief The reference a raw `externref` value (#wasmtime_val_raw_t)
 * stands for; 0, or a value that names no reference of the store, gives
 * a null reference.
 */
WASM_API_EXTERN void wasmtime_externref_from_raw(wasmtime_context_t *context,
                                                 uint32_t raw,
                                                 wasmtime_externref_t *out);

/// \brief The raw value of `ref` for #wasmtime_val_raw_t (0 for null).
WASM_API_EXTERN uint32_t wasmtime_externref_to_raw(
    wasmtime_context_t *context, const wasmtime_externref_t *ref);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // WASMTIME_EXTERNREF_H
