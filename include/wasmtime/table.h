/**
 * \file wasmtime/table.h
 *
 * \brief Tables of a store.
 */
#ifndef WASMTIME_TABLE_H
#define WASMTIME_TABLE_H

#include <wasm.h>
#include <wasmtime/extern.h>
#include <wasmtime/store.h>
#include <wasmtime/val.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * \brief Makes a table of type `ty` with every element `init`.
 *
 * Returns an error if `init` is not of the element type or of this store,
 * or the table passes the store's limits.
 */
WASM_API_EXTERN wasmtime_error_t *wasmtime_table_new(wasmtime_context_t *store,
                                                     const wasm_tabletype_t *ty,
                                                     const wasmtime_val_t *init,
                                                     wasmtime_table_t *table);

/// \brief The table's type, with its current size as minimum; the caller
/// owns it (#wasm_tabletype_delete).
WASM_API_EXTERN wasm_tabletype_t *
wasmtime_table_type(const wasmtime_context_t *store,
                    const wasmtime_table_t *table);

/**
 * \brief Writes element `index` into `val`; returns false if `index` is
 * out of bounds.
 */
WASM_API_EXTERN bool wasmtime_table_get(wasmtime_context_t *store,
                                        const wasmtime_table_t *table,
                                        uint64_t index, wasmtime_val_t *val);

/**
 * \brief Sets element `index`; an error if it is out of bounds or `value`
 * is of the wrong type or store.
 */
WASM_API_EXTERN wasmtime_error_t *
wasmtime_table_set(wasmtime_context_t *store, const wasmtime_table_t *table,
                   uint64_t index, const wasmtime_val_t *value);

/// \brief The number of elements.
WASM_API_EXTERN uint64_t wasmtime_table_size(const wasmtime_context_t *store,
                                             const wasmtime_table_t *table);

/**
 * \brief Adds `delta` elements set to `init`, writing the old size to
 * `prev_size`. An error if the table would pass its maximum or the
 * store's limit, or `init` is of the wrong type.
 */
WASM_API_EXTERN wasmtime_error_t *
wasmtime_table_grow(wasmtime_context_t *store, const wasmtime_table_t *table,
                    uint64_t delta, const wasmtime_val_t *init,
                    uint64_t *prev_size);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // WASMTIME_TABLE_H
