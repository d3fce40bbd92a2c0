/**
 * \file wasmtime/func.h
 *
 * \brief Functions: host functions defined in C, and calls into wasm.
 */
#ifndef WASMTIME_FUNC_H
#define WASMTIME_FUNC_H

#include <wasm.h>
#include <wasmtime/extern.h>
#include <wasmtime/store.h>
#include <wasmtime/val.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * \typedef wasmtime_caller_t
 * \brief What a host function receives about its caller: the store it
 * runs in and the calling instance. Valid only during the call.
 */
typedef struct wasmtime_caller wasmtime_caller_t;

/**
 * \brief A host function over typed values.
 *
 * Gets its environment, the caller, `nargs` arguments (of the function's
 * parameter types) and `nresults` result slots to fill with values of the
 * result types. Returning a trap (made with #wasmtime_trap_new or
 * #wasmtime_trap_new_code; ownership passes to the engine) stops the
 * calling wasm; a result of the wrong type does too, with an error.
 */
typedef wasm_trap_t *(*wasmtime_func_callback_t)(
    void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args,
    size_t nargs, wasmtime_val_t *results, size_t nresults);

/**
 * \brief Defines a host function of type `type` in `store`.
 *
 * `finalizer`, if not NULL, is called with `env` when the store is
 * deleted. The function is written to `ret`; `type` is not consumed.
 */
WASM_API_EXTERN void wasmtime_func_new(wasmtime_context_t *store,
                                       const wasm_functype_t *type,
                                       wasmtime_func_callback_t callback,
                                       void *env, void (*finalizer)(void *),
                                       wasmtime_func_t *ret);

/**
 * \brief A host function over raw values: the arguments are in the first
 * slots of `args_and_results` (of `max(params, results)` slots), and the
 * function writes its results over them. Nothing checks the results'
 * types: writing wrong ones is undefined behaviour.
 */
typedef wasm_trap_t *(*wasmtime_func_unchecked_callback_t)(
    void *env, wasmtime_caller_t *caller, wasmtime_val_raw_t *args_and_results,
    size_t num_args_and_results);

/**
 * \brief Defines a host function over raw values (faster than
 * #wasmtime_func_new: no conversion of arguments and results).
 */
WASM_API_EXTERN void wasmtime_func_new_unchecked(
    wasmtime_context_t *store, const wasm_functype_t *type,
    wasmtime_func_unchecked_callback_t callback, void *env,
    void (*finalizer)(void *), wasmtime_func_t *ret);

/// \brief The type of `func`; the caller owns it (#wasm_functype_delete).
WASM_API_EXTERN wasm_functype_t *
wasmtime_func_type(const wasmtime_context_t *store, const wasmtime_func_t *func);

/**
 * \brief Calls `func` with `nargs` arguments, writing `nresults` results.
 *
 * Ends in one of three ways: NULL is returned and `results` are written;
 * the call traps, NULL is returned and `*trap` is set to a trap the
 * caller owns; or an error is returned (wrong number or types of
 * arguments or results, a reference of another store, or an error from a
 * host function that is not a trap). Arguments are not consumed.
 */
WASM_API_EXTERN wasmtime_error_t *
wasmtime_func_call(wasmtime_context_t *store, const wasmtime_func_t *func,
                   const wasmtime_val_t *args, size_t nargs,
                   wasmtime_val_t *results, size_t nresults, wasm_trap_t **trap);

/**
 * \brief Calls `func` with raw values: arguments in the first slots of
 * `args_and_results`, results written over them.
 *
 * The slots are not type-checked: arguments of the wrong types are
 * undefined behaviour. Fewer slots than `max(params, results)` is an
 * error. Traps and errors are reported as for #wasmtime_func_call.
 */
WASM_API_EXTERN wasmtime_error_t *wasmtime_func_call_unchecked(
    wasmtime_context_t *store, const wasmtime_func_t *func,
    wasmtime_val_raw_t *args_and_results, size_t args_and_results_len,
    wasm_trap_t **trap);

/**
 * \brief Looks up export `name` of the calling instance.
 *
 * Returns false (and leaves `item` alone) if there is no such export or
 * the function was called from the host rather than from wasm.
 */
WASM_API_EXTERN bool wasmtime_caller_export_get(wasmtime_caller_t *caller,
                                                const char *name,
                                                size_t name_len,
                                                wasmtime_extern_t *item);

/// \brief The context of the store the host function runs in (the
/// store's own address).
WASM_API_EXTERN wasmtime_context_t *
wasmtime_caller_context(wasmtime_caller_t *caller);

/**
 * \brief The function a raw `funcref` (#wasmtime_val_raw_t) of the store
 * points to; NULL gives a null reference.
 */
WASM_API_EXTERN void wasmtime_func_from_raw(wasmtime_context_t *context,
                                            void *raw, wasmtime_func_t *ret);

/// \brief The raw `funcref` of `func`, valid as long as its store.
WASM_API_EXTERN void *wasmtime_func_to_raw(wasmtime_context_t *context,
                                           const wasmtime_func_t *func);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // WASMTIME_FUNC_H
