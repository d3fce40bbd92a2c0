/**
 * \file wasmtime/store.h
 *
 * \brief Stores: where instances and host objects live, with the
 * embedder's data, fuel, epoch deadlines and resource limits.
 *
 * In Kiln a `wasmtime_store_t *` and its `wasmtime_context_t *` are the
 * same address: #wasmtime_store_context returns its argument, and the
 * context a host function gets from #wasmtime_caller_context is the
 * address of the store it runs in. Either may be passed where the other
 * is expected (after a cast).
 */
#ifndef WASMTIME_STORE_H
#define WASMTIME_STORE_H

#include <wasm.h>
#include <wasmtime/conf.h>
#include <wasmtime/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * \typedef wasmtime_store_t
 * \brief A store: owns every instance, function, memory, table and global
 * made in it, and frees them all when deleted. Used by one thread at a
 * time.
 */
typedef struct wasmtime_store wasmtime_store_t;

/**
 * \typedef wasmtime_context_t
 * \brief A store's context: what most functions take to reach the store.
 * Same address as the store.
 */
typedef struct wasmtime_context wasmtime_context_t;

/**
 * \brief Creates a store in `engine` holding `data`.
 *
 * `finalizer`, if not NULL, is called with `data` when the store is
 * deleted. The engine is not consumed. Creating a store allocates and
 * maps nothing beyond one small block. Delete with #wasmtime_store_delete.
 */
WASM_API_EXTERN wasmtime_store_t *wasmtime_store_new(wasm_engine_t *engine,
                                                     void *data,
                                                     void (*finalizer)(void *));

/**
 * \brief The store's context: in Kiln, `store` itself.
 */
WASM_API_EXTERN wasmtime_context_t *
wasmtime_store_context(wasmtime_store_t *store);

/**
 * \brief Limits what wasm in the store may allocate.
 *
 * `memory_size` is the most bytes of one linear memory and
 * `table_elements` the most elements of one table (growth past them
 * fails: `memory.grow`/`table.grow` return -1, the host functions return
 * an error); `instances`, `tables` and `memories` bound how many the store
 * holds (instantiation past them is an error). A negative value keeps the
 * default: no size limit, and 10,000 of each count.
 */
WASM_API_EXTERN void wasmtime_store_limiter(wasmtime_store_t *store,
                                           int64_t memory_size,
                                           int64_t table_elements,
                                           int64_t instances, int64_t tables,
                                           int64_t memories);

/**
 * \brief Deletes the store and everything in it, running the finalizers
 * of its data, host functions and `externref`s. NULL is ignored.
 */
WASM_API_EXTERN void wasmtime_store_delete(wasmtime_store_t *store);

/// \brief The data given to #wasmtime_store_new (or the last
/// #wasmtime_context_set_data).
WASM_API_EXTERN void *
wasmtime_context_get_data(const wasmtime_context_t *context);

/// \brief Replaces the store's data; the finalizer given at creation still
/// runs at deletion, on whatever the data is then.
WASM_API_EXTERN void wasmtime_context_set_data(wasmtime_context_t *context,
                                               void *data);

/**
 * \brief Collects unreachable references. Kiln's `externref`s live as long
 * as their store, so there is nothing to collect; returns NULL.
 */
WASM_API_EXTERN wasmtime_error_t *
wasmtime_context_gc(wasmtime_context_t *context);

/**
 * \brief Sets the fuel wasm in this store may consume.
 *
 * Returns an error if the engine was not configured with
 * #wasmtime_config_consume_fuel_set.
 */
WASM_API_EXTERN wasmtime_error_t *
wasmtime_context_set_fuel(wasmtime_context_t *store, uint64_t fuel);

/**
 * \brief Writes the fuel left into `fuel`.
 *
 * Returns an error if fuel is not enabled for the engine.
 */
WASM_API_EXTERN wasmtime_error_t *
wasmtime_context_get_fuel(const wasmtime_context_t *context, uint64_t *fuel);

/**
 * \brief Interrupts wasm in this store once the engine's epoch has
 * advanced `ticks_beyond_current` past its current value (with
 * #wasmtime_config_epoch_interruption_set).
 */
WASM_API_EXTERN void
wasmtime_context_set_epoch_deadline(wasmtime_context_t *context,
                                    uint64_t ticks_beyond_current);

/// \brief What an epoch-deadline callback asks for
/// (#WASMTIME_UPDATE_DEADLINE_CONTINUE).
typedef uint8_t wasmtime_update_deadline_kind_t;

/// \brief Keep running wasm, with the deadline extended by the callback's
/// delta.
#define WASMTIME_UPDATE_DEADLINE_CONTINUE 0
/// \brief Yield to an async executor first: Kiln has no async support, so
/// a callback asking for this traps the wasm with an error.
#define WASMTIME_UPDATE_DEADLINE_YIELD 1

/**
 * \brief Sets the function called when wasm in the store reaches its
 * epoch deadline, instead of trapping.
 *
 * `func` gets the store's context, `data`, and two out parameters: the
 * ticks to add to the current epoch for the next deadline, and the
 * update kind (#WASMTIME_UPDATE_DEADLINE_CONTINUE). Returning an error
 * instead traps the wasm; the caller of the wasm receives that error.
 * `finalizer` is called with `data` when the callback is replaced or the
 * store deleted. A NULL `func` restores trapping.
 */
WASM_API_EXTERN void wasmtime_store_epoch_deadline_callback(
    wasmtime_store_t *store,
    wasmtime_error_t *(*func)(const wasmtime_context_t *context, void *data,
                              uint64_t *epoch_deadline_delta,
                              wasmtime_update_deadline_kind_t *update_kind),
    void *data, void (*finalizer)(void *));

#ifdef __cplusplus
} // extern "C"
#endif

#endif // WASMTIME_STORE_H
