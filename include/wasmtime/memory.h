/**
 * \file wasmtime/memory.h
 *
 * \brief Linear memories of a store, and Kiln's additions to
 * `wasm_memorytype_t`.
 *
 * Kiln's memories are 32-bit, unshared, with 64 KiB pages.
 */
#ifndef WASMTIME_MEMORY_H
#define WASMTIME_MEMORY_H

#include <wasm.h>
#include <wasmtime/error.h>
#include <wasmtime/extern.h>
#include <wasmtime/store.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * \brief Makes a memory type: `min` pages, at most `max` if
 * `max_present`.
 *
 * Returns an error (and writes nothing) for what Kiln's memories cannot
 * be: 64-bit (`is_64`), shared, pages other than 64 KiB (`page_size_log2`
 * other than 16), or limits past 65,536 pages. Otherwise writes a type
 * the caller owns to `ret`.
 */
WASM_API_EXTERN wasmtime_error_t *
wasmtime_memorytype_new(uint64_t min, bool max_present, uint64_t max,
                        bool is_64, bool shared, uint8_t page_size_log2,
                        wasm_memorytype_t **ret);

/// \brief The minimum size, in pages.
WASM_API_EXTERN uint64_t
wasmtime_memorytype_minimum(const wasm_memorytype_t *ty);

/// \brief Writes the maximum size to `max` and returns true, or returns
/// false if there is none.
WASM_API_EXTERN bool wasmtime_memorytype_maximum(const wasm_memorytype_t *ty,
                                                 uint64_t *max);

/// \brief Whether the memory is 64-bit: always false in Kiln.
WASM_API_EXTERN bool wasmtime_memorytype_is64(const wasm_memorytype_t *ty);

/// \brief Whether the memory is shared: always false in Kiln.
WASM_API_EXTERN bool wasmtime_memorytype_isshared(const wasm_memorytype_t *ty);

/// \brief Bytes per page: 65,536.
WASM_API_EXTERN uint64_t
wasmtime_memorytype_page_size(const wasm_memorytype_t *ty);

/// \brief log2 of the page size: 16.
WASM_API_EXTERN uint8_t
wasmtime_memorytype_page_size_log2(const wasm_memorytype_t *ty);

/**
 * \brief Makes a memory of type `ty` in `store`, zero-filled. An error if
 * the type passes the engine's or store's limits, or address space runs
 * out.
 */
WASM_API_EXTERN wasmtime_error_t *
wasmtime_memory_new(wasmtime_context_t *store, const wasm_memorytype_t *ty,
                    wasmtime_memory_t *ret);

/// \brief The memory's type, with its current size as minimum; the caller
/// owns it (#wasm_memorytype_delete).
WASM_API_EXTERN wasm_memorytype_t *
wasmtime_memory_type(const wasmtime_context_t *store,
                     const wasmtime_memory_t *memory);

/**
 * \brief The memory's bytes. Valid until the memory grows or the store is
 * deleted (Kiln never moves a memory, but do not rely on that).
 */
WASM_API_EXTERN uint8_t *wasmtime_memory_data(wasmtime_context_t *store,
                                              const wasmtime_memory_t *memory);

/// \brief The memory's size in bytes.
WASM_API_EXTERN size_t
wasmtime_memory_data_size(const wasmtime_context_t *store,
                          const wasmtime_memory_t *memory);

/// \brief The memory's size in pages.
WASM_API_EXTERN uint64_t wasmtime_memory_size(const wasmtime_context_t *store,
                                              const wasmtime_memory_t *memory);

/**
 * \brief Grows the memory by `delta` pages, writing the old size in pages
 * to `prev_size`. An error if it would pass its maximum, its reservation
 * or the store's limit; the memory is unchanged then.
 */
WASM_API_EXTERN wasmtime_error_t *
wasmtime_memory_grow(wasmtime_context_t *store, const wasmtime_memory_t *memory,
                     uint64_t delta, uint64_t *prev_size);

/// \brief Bytes per page of the memory: 65,536.
WASM_API_EXTERN uint64_t wasmtime_memory_page_size(
    wasmtime_context_t *store, const wasmtime_memory_t *memory);

/// \brief log2 of the memory's page size: 16.
WASM_API_EXTERN uint8_t wasmtime_memory_page_size_log2(
    wasmtime_context_t *store, const wasmtime_memory_t *memory);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // WASMTIME_MEMORY_H
